//! Managed assets and their groups in the current org, and moving assets between tenants.
//! Endpoints `/api/v1/assets…`, `/api/v1/groups…`.
//!
//! Reading needs any role; a group-limited viewer sees only their groups (decided once, in
//! [`crate::access::visible_groups`]). Creating and editing assets and groups needs `member`;
//! deleting them and moving assets out of the org needs `admin` here and in the target.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::{GroupScope, visible_groups};
use crate::audit::{self, Event};
use crate::http::context::{OrgCtx, org_for};
use crate::db::sql::Sql;
use crate::db::{new_id, now_ms, parse_rfc3339, parse_uuid, rfc3339};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::{Path, Query};
use axum::http::StatusCode;
use crate::http::extract::Json;
use shared::api::{Asset, AssetQuery, AssetSummary, CreateAsset, Group, GroupAssets, GroupAssetsResult, GroupBody, ListQuery, MoveAssets, MoveResult, Page, UpdateAsset};
use crate::notifications::{self, NewNotification};
use shared::api::{DeliveryStatus, NotificationTarget, Severity};
use shared::{AssetKind, Role};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assets, create_asset))
        .routes(routes!(summary))
        .routes(routes!(move_assets))
        .routes(routes!(group_assets))
        .routes(routes!(get_asset, update_asset, delete_asset))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, rename_group, delete_group))
}

/// The most open alerts one asset can report. Bounded so that sums over an MSP's million
/// assets stay far inside 64 bits on both engines (SQLite's SUM fails on overflow).
pub const MAX_OPEN_ALERTS: i64 = 1_000_000;

fn check_open_alerts(errors: &mut FieldErrors, n: Option<i64>) {
    if n.is_some_and(|n| !(0..=MAX_OPEN_ALERTS).contains(&n)) {
        errors.add("open_alerts", format!("must be between 0 and {MAX_OPEN_ALERTS}"));
    }
}

/// The groups the caller may see in the current org.
pub async fn scope(state: &AppState, ctx: &OrgCtx) -> Result<GroupScope> {
    if ctx.role > Role::Viewer {
        return Ok(GroupScope::All);
    }
    let mut conn = state.db.pool.acquire().await?;
    Ok(visible_groups(&mut conn, &ctx.caller.user.id, &ctx.path, ctx.role).await?)
}

pub const ASSET_COLUMNS: &str = "a.id, a.org_id, a.kind, a.name, a.group_id, g.name AS group_name, a.os, a.address, \
     a.online, a.last_seen_at, a.open_alerts, a.external_id, a.created_at, a.updated_at";
pub const ASSET_FROM: &str = "assets a LEFT JOIN asset_groups g ON g.id = a.group_id";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssetRow {
    pub id: String,
    pub org_id: String,
    #[sqlx(try_from = "String")]
    pub kind: AssetKind,
    pub name: String,
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub os: Option<String>,
    pub address: Option<String>,
    pub online: i64,
    pub last_seen_at: Option<i64>,
    pub open_alerts: i64,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl AssetRow {
    pub fn to_api(&self) -> Asset {
        Asset {
            id: parse_uuid(&self.id),
            org_id: parse_uuid(&self.org_id),
            kind: self.kind,
            name: self.name.clone(),
            group_id: self.group_id.as_deref().map(parse_uuid),
            group_name: self.group_name.clone(),
            os: self.os.clone(),
            address: self.address.clone(),
            online: self.online != 0,
            last_seen_at: self.last_seen_at.map(rfc3339),
            open_alerts: self.open_alerts,
            external_id: self.external_id.clone(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }
}

/// `<select> WHERE <org column> = $1 AND <scope>`: the start of every asset and group query,
/// so each names the org and the caller's group scope.
fn scoped(select: &str, org_column: &str, org_id: &str, scope: &GroupScope, group_column: &str) -> Sql {
    let mut sql = Sql::new(select);
    sql.push(" WHERE ").push(org_column).push(" = ").bind(org_id).push(" AND ");
    scope.push_condition(&mut sql, group_column);
    sql
}

pub(crate) fn uuid_field(errors: &mut FieldErrors, field: &str, v: &str) -> Option<String> {
    match uuid::Uuid::parse_str(v.trim()) {
        Ok(u) => Some(u.to_string()),
        Err(_) => {
            errors.add(field, "must be an id");
            None
        }
    }
}

#[utoipa::path(get, path = "/api/v1/assets", tag = "assets", params(AssetQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Page<Asset>), (status = 401), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list_assets(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<AssetQuery>) -> Result<Json<Page<Asset>>> {
    let (limit, offset) = crate::orgs::page_bounds(&ListQuery { q: None, limit: q.limit, cursor: q.cursor.clone(), tag: None })?;
    let mut errors = FieldErrors::default();
    let kind = q.kind.as_deref().filter(|k| !k.is_empty()).and_then(|k| match k.parse::<AssetKind>() {
        Ok(k) => Some(k),
        Err(e) => {
            errors.add("kind", e);
            None
        }
    });
    let group = q.group_id.as_deref().filter(|g| !g.is_empty()).and_then(|g| uuid_field(&mut errors, "group_id", g));
    let online = match q.online.as_deref().filter(|o| !o.is_empty()) {
        None => None,
        Some("true" | "1") => Some(1),
        Some("false" | "0") => Some(0),
        Some(_) => {
            errors.add("online", "must be true or false");
            None
        }
    };
    errors.finish()?;
    let scope = scope(&state, &ctx).await?;
    let mut sql = scoped(&format!("SELECT {ASSET_COLUMNS} FROM {ASSET_FROM}"), "a.org_id", ctx.org_id(), &scope, "a.group_id");
    if let Some(needle) = q.q.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
        let p = sql.param(format!("%{needle}%"));
        sql.push(&format!(
            " AND (lower(a.name) LIKE {p} OR lower(COALESCE(a.external_id, '')) LIKE {p} OR lower(COALESCE(a.os, '')) LIKE {p} OR lower(COALESCE(a.address, '')) LIKE {p})"
        ));
    }
    if let Some(kind) = kind {
        sql.push(" AND a.kind = ").bind(kind.as_str());
    }
    if let Some(group) = group {
        sql.push(" AND a.group_id = ").bind(group);
    }
    if let Some(online) = online {
        sql.push(" AND a.online = ").bind(online);
    }
    sql.push(&format!(" ORDER BY lower(a.name), a.id LIMIT {} OFFSET {offset}", limit + 1));
    let rows = sql.query_as::<AssetRow>().fetch_all(&state.db.pool).await?;
    let more = rows.len() > limit;
    let items = rows.iter().take(limit).map(AssetRow::to_api).collect();
    Ok(Json(Page { items, next_cursor: more.then(|| (offset + limit).to_string()) }))
}

#[utoipa::path(get, path = "/api/v1/assets/summary", tag = "assets", params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = AssetSummary, description = "counts of the assets the caller may see"), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn summary(State(state): State<AppState>, ctx: OrgCtx) -> Result<Json<AssetSummary>> {
    let scope = scope(&state, &ctx).await?;
    let sql = scoped(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(a.online), 0) AS BIGINT), CAST(COALESCE(SUM(a.open_alerts), 0) AS BIGINT) \
         FROM assets a",
        "a.org_id",
        ctx.org_id(),
        &scope,
        "a.group_id",
    );
    let (total, online, open_alerts): (i64, i64, i64) = sql.query_as().fetch_one(&state.db.pool).await?;
    Ok(Json(AssetSummary { total, online, offline: total.saturating_sub(online), open_alerts }))
}

/// One asset of the org, if the caller may see it; otherwise 404 like a missing one.
async fn find_asset(state: &AppState, ctx: &OrgCtx, id: &str) -> Result<AssetRow> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::NotFound);
    }
    let row: Option<AssetRow> = sqlx::query_as(&format!("SELECT {ASSET_COLUMNS} FROM {ASSET_FROM} WHERE a.org_id = $1 AND a.id = $2"))
        .bind(ctx.org_id())
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    let row = row.ok_or(ApiError::NotFound)?;
    if !scope(state, ctx).await?.allows(row.group_id.as_deref()) {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Asset), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn get_asset(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<Json<Asset>> {
    Ok(Json(find_asset(&state, &ctx, &id).await?.to_api()))
}

/// Optional text: trimmed, at most `max` characters; empty means none.
pub(crate) fn opt_text(errors: &mut FieldErrors, field: &str, v: Option<&str>, max: usize) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
        return None;
    }
    Some(v.to_string())
}

pub(crate) fn name_text(errors: &mut FieldErrors, field: &str, v: &str, max: usize) -> Option<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        errors.add(field, format!("must be 1 to {max} characters"));
        return None;
    }
    Some(v.to_string())
}

/// The group, if it is one of the org's.
async fn group_in_org(state: &AppState, org_id: &str, group_id: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT name FROM asset_groups WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(group_id)
        .fetch_optional(&state.db.pool)
        .await?)
}

#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = CreateAsset, params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 201, body = Asset), (status = 403, description = "needs member"), (status = 404), (status = 409, description = "external_id taken in this org"), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn create_asset(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<CreateAsset>) -> Result<(StatusCode, Json<Asset>)> {
    let member = ctx.member()?;
    let mut errors = FieldErrors::default();
    let kind = body.kind.parse::<AssetKind>().map_err(|e| errors.add("kind", e)).ok();
    let name = name_text(&mut errors, "name", &body.name, 200);
    let os = opt_text(&mut errors, "os", body.os.as_deref(), 200);
    let address = opt_text(&mut errors, "address", body.address.as_deref(), 200);
    let external_id = opt_text(&mut errors, "external_id", body.external_id.as_deref(), 200);
    let last_seen = body.last_seen_at.as_deref().filter(|s| !s.is_empty()).and_then(|s| {
        parse_rfc3339(s).or_else(|| {
            errors.add("last_seen_at", "must be an RFC 3339 time");
            None
        })
    });
    check_open_alerts(&mut errors, body.open_alerts);
    let group_id = body.group_id.map(|g| g.to_string());
    if let Some(g) = &group_id {
        if group_in_org(&state, ctx.org_id(), g).await?.is_none() {
            errors.add("group_id", "no such group in this org");
        }
    }
    errors.finish()?;
    let (kind, name) = (kind.expect("checked"), name.expect("checked"));
    let id = new_id();
    let now = now_ms();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query(
        "INSERT INTO assets (id, org_id, kind, name, group_id, os, address, online, last_seen_at, open_alerts, external_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(&id)
    .bind(ctx.org_id())
    .bind(kind.as_str())
    .bind(&name)
    .bind(&group_id)
    .bind(&os)
    .bind(&address)
    .bind(i64::from(body.online.unwrap_or(false)))
    .bind(last_seen)
    .bind(body.open_alerts.unwrap_or(0))
    .bind(&external_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let alert = alert_raised(&state, &ctx, &mut tx, &name, group_id.as_deref(), 0, body.open_alerts.unwrap_or(0)).await?;
    crate::db::counters::refresh(&mut tx, &[ctx.org_id()]).await?;
    audit::record(&mut tx, &member.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "asset.create",
        object_type: "asset",
        object_id: Some(&id),
        summary: format!("added {kind} {name}{}", alert.note),
    })
    .await?;
    tx.commit().await?;
    alert.deliver(&state).await;
    Ok((StatusCode::CREATED, Json(find_asset(&state, &ctx, &id).await?.to_api())))
}

#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "assets", request_body = UpdateAsset,
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Asset), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn update_asset(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>, Json(body): Json<UpdateAsset>) -> Result<Json<Asset>> {
    let current = find_asset(&state, &ctx, &id).await?;
    let member = ctx.member()?;
    let mut errors = FieldErrors::default();
    let kind = body.kind.as_deref().and_then(|k| k.parse::<AssetKind>().map_err(|e| errors.add("kind", e)).ok());
    let name = body.name.as_deref().and_then(|n| name_text(&mut errors, "name", n, 200));
    // `Some(None)` clears a value; `None` leaves it.
    let clearable = |errors: &mut FieldErrors, field: &str, v: &Option<String>| -> Option<Option<String>> {
        v.as_ref().map(|s| opt_text(errors, field, Some(s), 200))
    };
    let os = clearable(&mut errors, "os", &body.os);
    let address = clearable(&mut errors, "address", &body.address);
    let external_id = clearable(&mut errors, "external_id", &body.external_id);
    let group_id = match body.group_id.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(g) => match uuid_field(&mut errors, "group_id", g) {
            Some(g) if group_in_org(&state, ctx.org_id(), &g).await?.is_some() => Some(Some(g)),
            Some(_) => {
                errors.add("group_id", "no such group in this org");
                None
            }
            None => None,
        },
    };
    let last_seen = body.last_seen_at.as_deref().filter(|s| !s.is_empty()).and_then(|s| {
        parse_rfc3339(s).or_else(|| {
            errors.add("last_seen_at", "must be an RFC 3339 time");
            None
        })
    });
    check_open_alerts(&mut errors, body.open_alerts);
    errors.finish()?;
    let mut next = current.clone();
    if let Some(k) = kind {
        next.kind = k;
    }
    next.name = name.unwrap_or(next.name);
    next.group_id = group_id.unwrap_or(next.group_id);
    next.os = os.unwrap_or(next.os);
    next.address = address.unwrap_or(next.address);
    next.online = body.online.map_or(next.online, i64::from);
    next.last_seen_at = last_seen.or(next.last_seen_at);
    next.open_alerts = body.open_alerts.unwrap_or(next.open_alerts);
    next.external_id = external_id.unwrap_or(next.external_id);
    let unchanged = (&next.kind, &next.name, &next.group_id, &next.os, &next.address, next.online, next.last_seen_at, next.open_alerts, &next.external_id)
        == (&current.kind, &current.name, &current.group_id, &current.os, &current.address, current.online, current.last_seen_at, current.open_alerts, &current.external_id);
    if unchanged {
        return Ok(Json(current.to_api()));
    }
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query(
        "UPDATE assets SET kind = $1, name = $2, group_id = $3, os = $4, address = $5, online = $6, last_seen_at = $7, \
         open_alerts = $8, external_id = $9, updated_at = $10 WHERE org_id = $11 AND id = $12",
    )
    .bind(next.kind.as_str())
    .bind(&next.name)
    .bind(&next.group_id)
    .bind(&next.os)
    .bind(&next.address)
    .bind(next.online)
    .bind(next.last_seen_at)
    .bind(next.open_alerts)
    .bind(&next.external_id)
    .bind(now_ms())
    .bind(ctx.org_id())
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    let alert = alert_raised(&state, &ctx, &mut tx, &next.name, next.group_id.as_deref(), current.open_alerts, next.open_alerts).await?;
    if (next.online, next.open_alerts) != (current.online, current.open_alerts) {
        crate::db::counters::refresh(&mut tx, &[ctx.org_id()]).await?;
    }
    audit::record(&mut tx, &member.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "asset.update",
        object_type: "asset",
        object_id: Some(&id),
        summary: format!("updated {}{}", next.name, alert.note),
    })
    .await?;
    tx.commit().await?;
    alert.deliver(&state).await;
    Ok(Json(find_asset(&state, &ctx, &id).await?.to_api()))
}

/// What the monitoring hook did: a note for the asset's audit event, and mails to send.
struct AlertRaised {
    note: String,
    outbox_ids: Vec<String>,
}

impl AlertRaised {
    async fn deliver(self, state: &AppState) {
        for id in &self.outbox_ids {
            crate::mail::deliver(state, id).await;
        }
    }
}

/// The monitoring hook: an asset that goes from no open alerts to some notifies its org (an
/// org target, so Do Not Disturb may hold it), in the asset change's own transaction. More
/// alerts on an asset that already had some notify nobody again.
/// The asset's group goes with it, so group-limited viewers hear only of assets they can see.
#[allow(clippy::too_many_arguments)]
async fn alert_raised(state: &AppState, ctx: &OrgCtx, tx: &mut crate::db::Tx, name: &str, group_id: Option<&str>, before: i64, after: i64) -> Result<AlertRaised> {
    if before > 0 || after <= 0 {
        return Ok(AlertRaised { note: String::new(), outbox_ids: Vec::new() });
    }
    let sent = notifications::send(tx, &ctx.path, NewNotification {
        org_id: ctx.org_id(),
        target: NotificationTarget::Org,
        title: format!("{name} has {after} open alert{}", if after == 1 { "" } else { "s" }),
        body: format!("Monitoring reports {} on {name} in {}.", shared::plural(after, "open alert", "open alerts"), ctx.org.name),
        severity: Severity::Warning,
        created_by: None,
        about_asset: Some(group_id.map(str::to_string)),
    }, state.clock.now_ms())
    .await?;
    let note = match sent.notification.status {
        DeliveryStatus::Held => "; alert notification held for Do Not Disturb".to_string(),
        DeliveryStatus::Delivered => format!("; alert notification to {}", shared::plural(sent.notification.recipients, "member", "members")),
    };
    Ok(AlertRaised { note, outbox_ids: sent.outbox_ids })
}

#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 204), (status = 403, description = "admins only"), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn delete_asset(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<StatusCode> {
    let current = find_asset(&state, &ctx, &id).await?;
    let admin = ctx.admin()?;
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("DELETE FROM assets WHERE org_id = $1 AND id = $2").bind(ctx.org_id()).bind(&id).execute(&mut *tx).await?;
    crate::db::counters::refresh(&mut tx, &[ctx.org_id()]).await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "asset.delete",
        object_type: "asset",
        object_id: Some(&id),
        summary: format!("deleted {} {}", current.kind, current.name),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/assets/move", tag = "assets", request_body = MoveAssets, params(("X-Org-Id" = Option<String>, Header, description = "the source org")),
    responses((status = 200, body = MoveResult), (status = 403, description = "needs admin here and in the target"),
        (status = 404, description = "an asset isn't in this org, or the target isn't visible; nothing moved"),
        (status = 409, description = "external ids already used in the target; nothing moved"), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn move_assets(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<MoveAssets>) -> Result<Json<MoveResult>> {
    let admin = ctx.admin()?;
    let mut ids: Vec<String> = body.asset_ids.iter().map(|u| u.to_string()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > 1000 {
        return Err(ApiError::field("asset_ids", "must name 1 to 1000 assets"));
    }
    let target_id = body.target_org_id.to_string();
    let into = org_for(&state, &ctx.caller, &target_id).await?;
    let target = &into.org;
    let _into_admin = into.admin().map_err(|_| ApiError::Forbidden(format!("moving assets into {} needs the admin role there", target.name)))?;
    if target.id == ctx.org.id {
        return Err(ApiError::field("target_org_id", "is the org the assets are already in"));
    }
    let mut tx = audit::begin(&state.db).await?;
    let mut sql = Sql::new("SELECT id, name, external_id, group_id FROM assets WHERE org_id = ");
    sql.bind(ctx.org_id()).push(" AND id IN (").in_list(&ids).push(")");
    let rows = sql.query_as::<(String, String, Option<String>, Option<String>)>().fetch_all(&mut *tx).await?;
    if rows.len() != ids.len() {
        return Err(ApiError::NotFound);
    }
    let externals: Vec<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
    if !externals.is_empty() {
        let mut sql = Sql::new("SELECT external_id FROM assets WHERE org_id = ");
        sql.bind(&target.id).push(" AND external_id IN (").in_list(&externals).push(") ORDER BY external_id");
        let taken = sql.query_scalar::<String>().fetch_all(&mut *tx).await?;
        if !taken.is_empty() {
            return Err(ApiError::Conflict {
                field: "external_id",
                message: format!("{} already has assets with external id {}; nothing was moved", target.name, taken.join(", ")),
            });
        }
    }
    // Groups belong to the source org, so assignments can't follow the assets.
    let groups_cleared = rows.iter().filter(|r| r.3.is_some()).count() as i64;
    // Schedules belong to the source org too: a moved asset leaves their targets.
    let mut sql = Sql::new("DELETE FROM schedule_assets WHERE asset_id IN (");
    sql.in_list(&ids).push(")");
    sql.query().execute(&mut *tx).await?;
    let mut sql = Sql::new("UPDATE assets SET org_id = ");
    sql.bind(&target.id).push(", group_id = NULL, updated_at = ").bind(now_ms());
    sql.push(" WHERE org_id = ").bind(ctx.org_id()).push(" AND id IN (").in_list(&ids).push(")");
    sql.query().execute(&mut *tx).await?;
    crate::db::counters::refresh(&mut tx, &[ctx.org_id(), &target.id]).await?;
    let mut names: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    names.sort_unstable();
    let listed = if names.len() > 20 { format!("{}, …", names[..20].join(", ")) } else { names.join(", ") };
    let n = ids.len();
    let actor = admin.actor();
    audit::record(&mut tx, &actor, Event {
        org_id: Some(ctx.org_id()),
        action: "asset.move_out",
        object_type: "asset",
        object_id: (n == 1).then_some(ids[0].as_str()),
        summary: format!("moved {} to {} ({}): {listed}", shared::plural(n as i64, "asset", "assets"), target.name, target.id),
    })
    .await?;
    audit::record(&mut tx, &actor, Event {
        org_id: Some(&target.id),
        action: "asset.move_in",
        object_type: "asset",
        object_id: (n == 1).then_some(ids[0].as_str()),
        summary: format!("received {} from {} ({}): {listed}", shared::plural(n as i64, "asset", "assets"), ctx.org.name, ctx.org.id),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(MoveResult { moved: n as i64, target_org_id: body.target_org_id, groups_cleared }))
}

#[utoipa::path(post, path = "/api/v1/assets/group", tag = "assets", request_body = GroupAssets, params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = GroupAssetsResult), (status = 403, description = "needs member"),
        (status = 404, description = "an asset or the group isn't in this org; nothing changed"), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn group_assets(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<GroupAssets>) -> Result<Json<GroupAssetsResult>> {
    let group = match body.group_id {
        Some(g) => Some(find_group(&state, &ctx, &g.to_string()).await?),
        None => None,
    };
    let member = ctx.member()?;
    let mut ids: Vec<String> = body.asset_ids.iter().map(|u| u.to_string()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > 1000 {
        return Err(ApiError::field("asset_ids", "must name 1 to 1000 assets"));
    }
    let mut tx = audit::begin(&state.db).await?;
    let mut sql = Sql::new("SELECT id, name, group_id FROM assets WHERE org_id = ");
    sql.bind(ctx.org_id()).push(" AND id IN (").in_list(&ids).push(")");
    let rows = sql.query_as::<(String, String, Option<String>)>().fetch_all(&mut *tx).await?;
    // Every asset must be here and visible to the caller (a member sees every group).
    let scope = scope(&state, &ctx).await?;
    if rows.len() != ids.len() || rows.iter().any(|r| !scope.allows(r.2.as_deref())) {
        return Err(ApiError::NotFound);
    }
    let group_id = group.as_ref().map(|g| g.id.clone());
    let changing: Vec<&(String, String, Option<String>)> = rows.iter().filter(|r| r.2 != group_id).collect();
    if !changing.is_empty() {
        let mut sql = Sql::new("UPDATE assets SET group_id = ");
        match &group_id {
            Some(g) => sql.bind(g),
            None => sql.push("NULL"),
        };
        sql.push(", updated_at = ").bind(now_ms());
        sql.push(" WHERE org_id = ").bind(ctx.org_id()).push(" AND id IN (").in_list(changing.iter().map(|r| r.0.as_str())).push(")");
        sql.query().execute(&mut *tx).await?;
        let mut names: Vec<&str> = changing.iter().map(|r| r.1.as_str()).collect();
        names.sort_unstable();
        let listed = if names.len() > 20 { format!("{}, …", names[..20].join(", ")) } else { names.join(", ") };
        let n = changing.len();
        let assets = if n == 1 { "1 asset".to_string() } else { format!("{n} assets") };
        let summary = match &group {
            Some(g) => format!("put {assets} in group {}: {listed}", g.name),
            None => format!("took {assets} out of their groups: {listed}"),
        };
        audit::record(&mut tx, &member.actor(), Event {
            org_id: Some(ctx.org_id()),
            action: "asset.group",
            object_type: "asset",
            object_id: (n == 1).then_some(changing[0].0.as_str()),
            summary,
        })
        .await?;
    }
    tx.commit().await?;
    Ok(Json(GroupAssetsResult { changed: changing.len() as i64, group_id: body.group_id }))
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: String,
    name: String,
    created_at: i64,
    asset_count: i64,
}

impl GroupRow {
    fn to_api(&self) -> Group {
        Group { id: parse_uuid(&self.id), name: self.name.clone(), asset_count: self.asset_count, created_at: rfc3339(self.created_at) }
    }
}

const GROUP_SELECT: &str = "SELECT g.id, g.name, g.created_at, \
     (SELECT CAST(COUNT(*) AS BIGINT) FROM assets a WHERE a.group_id = g.id AND a.org_id = g.org_id) AS asset_count \
     FROM asset_groups g";

#[utoipa::path(get, path = "/api/v1/groups", tag = "assets", params(ListQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Page<Group>, description = "the groups the caller may see"), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list_groups(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<ListQuery>) -> Result<Json<Page<Group>>> {
    let (limit, offset) = crate::orgs::page_bounds(&q)?;
    let scope = scope(&state, &ctx).await?;
    let mut sql = scoped(GROUP_SELECT, "g.org_id", ctx.org_id(), &scope, "g.id");
    if let Some(needle) = q.q.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
        sql.push(" AND lower(g.name) LIKE ").bind(format!("%{needle}%"));
    }
    sql.push(&format!(" ORDER BY lower(g.name), g.id LIMIT {} OFFSET {offset}", limit + 1));
    let rows = sql.query_as::<GroupRow>().fetch_all(&state.db.pool).await?;
    let more = rows.len() > limit;
    let items = rows.iter().take(limit).map(GroupRow::to_api).collect();
    Ok(Json(Page { items, next_cursor: more.then(|| (offset + limit).to_string()) }))
}

async fn find_group(state: &AppState, ctx: &OrgCtx, id: &str) -> Result<GroupRow> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::NotFound);
    }
    let row: Option<GroupRow> = sqlx::query_as(&format!("{GROUP_SELECT} WHERE g.org_id = $1 AND g.id = $2"))
        .bind(ctx.org_id())
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    let row = row.ok_or(ApiError::NotFound)?;
    if !scope(state, ctx).await?.allows(Some(&row.id)) {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "assets", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Group), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn get_group(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<Json<Group>> {
    Ok(Json(find_group(&state, &ctx, &id).await?.to_api()))
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "assets", request_body = GroupBody, params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 201, body = Group), (status = 403, description = "needs member"), (status = 409, description = "name taken in this org"), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn create_group(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<GroupBody>) -> Result<(StatusCode, Json<Group>)> {
    let member = ctx.member()?;
    let mut errors = FieldErrors::default();
    let name = name_text(&mut errors, "name", &body.name, 100);
    errors.finish()?;
    let name = name.expect("checked");
    let id = new_id();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("INSERT INTO asset_groups (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(ctx.org_id())
        .bind(&name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, &member.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "group.create",
        object_type: "group",
        object_id: Some(&id),
        summary: format!("created group {name}"),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(find_group(&state, &ctx, &id).await?.to_api())))
}

#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "assets", request_body = GroupBody,
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Group), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn rename_group(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>, Json(body): Json<GroupBody>) -> Result<Json<Group>> {
    let current = find_group(&state, &ctx, &id).await?;
    let member = ctx.member()?;
    let mut errors = FieldErrors::default();
    let name = name_text(&mut errors, "name", &body.name, 100);
    errors.finish()?;
    let name = name.expect("checked");
    if name == current.name {
        return Ok(Json(current.to_api()));
    }
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("UPDATE asset_groups SET name = $1 WHERE org_id = $2 AND id = $3").bind(&name).bind(ctx.org_id()).bind(&id).execute(&mut *tx).await?;
    audit::record(&mut tx, &member.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "group.update",
        object_type: "group",
        object_id: Some(&id),
        summary: format!("renamed group {} to {name}", current.name),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(find_group(&state, &ctx, &id).await?.to_api()))
}

#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "assets", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 204, description = "deleted; its assets stay, ungrouped"), (status = 403, description = "admins only"), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn delete_group(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<StatusCode> {
    let current = find_group(&state, &ctx, &id).await?;
    let admin = ctx.admin()?;
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("DELETE FROM asset_groups WHERE org_id = $1 AND id = $2").bind(ctx.org_id()).bind(&id).execute(&mut *tx).await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "group.delete",
        object_type: "group",
        object_id: Some(&id),
        summary: format!("deleted group {} ({} assets now ungrouped)", current.name, current.asset_count),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
