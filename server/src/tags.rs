//! Tags and technician scopes of an MSP. Tags `{name, color}` go on its customers and child
//! tenants (`/api/v1/tags…`, `/api/v1/orgs/{id}/tags/{tag_id}`); a technician scope gives a
//! non-admin MSP member admin on every customer except a list, or on every org carrying a tag
//! (`/api/v1/technicians/{user_id}/scope`). The current org is the MSP; changes need an admin
//! of it and are audited there. What a scope grants is decided by `shared::access::access`.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::Grants;
use crate::approvals::Gate;
use crate::audit::{self, Event};
use crate::db::sql::Sql;
use crate::db::{Db, new_id, now_ms, parse_uuid};
use crate::http::context::{OrgAdmin, OrgCtx};
use crate::http::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api::{CreateTag, OrgEntry, Tag, TechnicianScope};
use shared::{OrgKind, Role};
use std::collections::HashMap;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
        .routes(routes!(tag_org, untag_org))
        .routes(routes!(get_scope, set_scope, revoke_scope))
}

/// The current org, which must be an MSP (404 otherwise, like a path that isn't there).
fn msp(ctx: &OrgCtx) -> Result<()> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::NotFound);
    }
    Ok(())
}

/// `#rrggbb`, lower-cased.
fn parse_color(s: &str) -> Option<String> {
    let s = s.trim();
    let hex = s.strip_prefix('#')?;
    (hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| format!("#{}", hex.to_ascii_lowercase()))
}

fn parse_id(field: &str, s: &str) -> Result<String> {
    uuid::Uuid::parse_str(s.trim()).map(|u| u.to_string()).map_err(|_| ApiError::field(field, "is not an id"))
}

/// A tag of the MSP `msp_id`, or 404.
pub(crate) async fn tag_of(db: &Db, msp_id: &str, id: &str) -> Result<Tag> {
    let Ok(id) = uuid::Uuid::parse_str(id) else { return Err(ApiError::NotFound) };
    let row: Option<(String, String, String)> = sqlx::query_as("SELECT id, name, color FROM tags WHERE msp_id = $1 AND id = $2")
        .bind(msp_id)
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await?;
    let (id, name, color) = row.ok_or(ApiError::NotFound)?;
    Ok(Tag { id: parse_uuid(&id), name, color })
}

#[utoipa::path(get, path = "/api/v1/tags", tag = "customers",
    params(("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = Vec<Tag>, description = "the MSP's tags by name; any member of the MSP may read them"), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list(State(state): State<AppState>, ctx: OrgCtx) -> Result<Json<Vec<Tag>>> {
    msp(&ctx)?;
    let rows: Vec<(String, String, String)> = sqlx::query_as("SELECT id, name, color FROM tags WHERE msp_id = $1 ORDER BY name_key")
        .bind(ctx.org_id())
        .fetch_all(&state.db.pool)
        .await?;
    Ok(Json(rows.into_iter().map(|(id, name, color)| Tag { id: parse_uuid(&id), name, color }).collect()))
}

#[utoipa::path(post, path = "/api/v1/tags", tag = "customers", request_body = CreateTag,
    params(("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 201, body = Tag), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn create(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<CreateTag>) -> Result<(StatusCode, Json<Tag>)> {
    msp(&ctx)?;
    let admin = ctx.admin()?;
    let tag = create_tag(&state.db, admin, &body).await?;
    Ok((StatusCode::CREATED, Json(tag)))
}

/// Creates a tag in the admin's MSP.
pub async fn create_tag(db: &Db, admin: OrgAdmin<'_>, body: &CreateTag) -> Result<Tag> {
    let name = body.name.trim().to_string();
    let mut errors = std::collections::BTreeMap::new();
    if name.is_empty() || name.chars().count() > 50 || name.chars().any(char::is_control) {
        errors.insert("name".to_string(), "must be 1 to 50 characters".to_string());
    }
    let color = parse_color(&body.color);
    if color.is_none() {
        errors.insert("color".to_string(), "must be a colour like #1f6feb".to_string());
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let color = color.expect("checked");
    let id = new_id();
    let mut tx = audit::begin(db).await?;
    sqlx::query("INSERT INTO tags (id, msp_id, name, name_key, color, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(admin.org_id())
        .bind(&name)
        .bind(name.to_lowercase())
        .bind(&color)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: "tag.create",
        object_type: "tag",
        object_id: Some(&id),
        summary: format!("created tag {name} ({color})"),
    })
    .await?;
    tx.commit().await?;
    Ok(Tag { id: parse_uuid(&id), name, color })
}

#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "customers",
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 204, description = "deleted, with its links to orgs and the technician scopes built on it"), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn remove(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<StatusCode> {
    msp(&ctx)?;
    let tag = tag_of(&state.db, ctx.org_id(), &id).await?;
    let admin = ctx.admin()?;
    let tag_id = tag.id.to_string();
    let mut tx = audit::begin(&state.db).await?;
    let scopes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM technician_scopes WHERE msp_id = $1 AND tag_id = $2")
        .bind(admin.org_id())
        .bind(&tag_id)
        .fetch_one(&mut *tx)
        .await?;
    let scoped: Vec<String> = sqlx::query_scalar("SELECT user_id FROM technician_scopes WHERE msp_id = $1 AND tag_id = $2")
        .bind(admin.org_id())
        .bind(&tag_id)
        .fetch_all(&mut *tx)
        .await?;
    // Explicit rather than left to cascades, so both engines do the same whatever their settings.
    sqlx::query("DELETE FROM technician_scopes WHERE msp_id = $1 AND tag_id = $2").bind(admin.org_id()).bind(&tag_id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM org_tags WHERE tag_id = $1").bind(&tag_id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM tags WHERE msp_id = $1 AND id = $2").bind(admin.org_id()).bind(&tag_id).execute(&mut *tx).await?;
    for user in &scoped {
        revoke_orphans(&mut tx, &admin.actor(), admin.org_id(), user, now_ms()).await?;
    }
    let ended = if scopes > 0 { format!("; {} on it ended", shared::plural(scopes as i64, "technician scope", "technician scopes")) } else { String::new() };
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: "tag.delete",
        object_type: "tag",
        object_id: Some(&tag_id),
        summary: format!("deleted tag {}{ended}", tag.name),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A customer or child tenant `id` in the current MSP's tree (404 otherwise), with its name.
async fn org_in_msp(state: &AppState, ctx: &OrgCtx, id: &str) -> Result<(String, String)> {
    let Ok(id) = uuid::Uuid::parse_str(id) else { return Err(ApiError::NotFound) };
    let id = id.to_string();
    let mut conn = state.db.pool.acquire().await?;
    let path = crate::access::load_path(&mut conn, &id).await?.ok_or(ApiError::NotFound)?;
    if path.nodes.len() < 2 || path.msp_id() != Some(ctx.org_id()) {
        return Err(ApiError::NotFound);
    }
    let name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(&id).fetch_one(&mut *conn).await?;
    Ok((id, name))
}

#[utoipa::path(put, path = "/api/v1/orgs/{id}/tags/{tag_id}", tag = "customers",
    params(("id" = String, Path), ("tag_id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 204, description = "tagged (again: no change)"), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn tag_org(State(state): State<AppState>, ctx: OrgCtx, Path((id, tag_id)): Path<(String, String)>) -> Result<StatusCode> {
    msp(&ctx)?;
    let (org_id, org_name) = org_in_msp(&state, &ctx, &id).await?;
    let tag = tag_of(&state.db, ctx.org_id(), &tag_id).await?;
    let admin = ctx.admin()?;
    set_org_tag(admin, &state, &org_id, &org_name, &tag, true, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn carries(conn: &mut sqlx::AnyConnection, org_id: &str, tag_id: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_tags WHERE org_id = $1 AND tag_id = $2").bind(org_id).bind(tag_id).fetch_one(conn).await?;
    Ok(n > 0)
}

/// Puts the MSP's `tag` on (`on`) or takes it off the org `org_id` of the admin's MSP, with
/// its audit event in the MSP; taking it off also ends what technicians scoped to the tag
/// made there ([`revoke_orphans`]). On a dry run only says whether it would change. Returns
/// whether it changed (tagging a tagged org, untagging an untagged one, changes nothing).
pub async fn set_org_tag(admin: OrgAdmin<'_>, state: &AppState, org_id: &str, org_name: &str, tag: &Tag, on: bool, dry_run: bool) -> Result<bool> {
    let tag_id = tag.id.to_string();
    if dry_run {
        let mut conn = state.db.pool.acquire().await?;
        return Ok(carries(&mut conn, org_id, &tag_id).await? != on);
    }
    let mut tx = audit::begin(&state.db).await?;
    if carries(&mut tx, org_id, &tag_id).await? == on {
        return Ok(false);
    }
    if on {
        sqlx::query("INSERT INTO org_tags (org_id, tag_id, created_at) VALUES ($1, $2, $3)").bind(org_id).bind(&tag_id).bind(now_ms()).execute(&mut *tx).await?;
    } else {
        sqlx::query("DELETE FROM org_tags WHERE org_id = $1 AND tag_id = $2").bind(org_id).bind(&tag_id).execute(&mut *tx).await?;
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: if on { "org.tag" } else { "org.untag" },
        object_type: "org",
        object_id: Some(org_id),
        summary: if on { format!("tagged {org_name} {}", tag.name) } else { format!("removed tag {} from {org_name}", tag.name) },
    })
    .await?;
    if !on {
        revoke_orphaned_for_tag(&mut tx, &admin.actor(), admin.org_id(), &tag_id).await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[utoipa::path(delete, path = "/api/v1/orgs/{id}/tags/{tag_id}", tag = "customers",
    params(("id" = String, Path), ("tag_id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 204), (status = 403), (status = 404, description = "no such org, tag, or the org doesn't carry it")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn untag_org(State(state): State<AppState>, ctx: OrgCtx, Path((id, tag_id)): Path<(String, String)>) -> Result<StatusCode> {
    msp(&ctx)?;
    let (org_id, org_name) = org_in_msp(&state, &ctx, &id).await?;
    let tag = tag_of(&state.db, ctx.org_id(), &tag_id).await?;
    let admin = ctx.admin()?;
    if !set_org_tag(admin, &state, &org_id, &org_name, &tag, false, false).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The tags on each of `entries`, filled in place. A tag is shown only to someone who can
/// open the MSP it belongs to: tags are the MSP's own labels, not its customers'.
pub async fn fill_tags(db: &Db, grants: &Grants, entries: &mut [OrgEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut by_org: HashMap<String, Vec<Tag>> = HashMap::new();
    let mut msp_visible: HashMap<String, bool> = HashMap::new();
    let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT ot.org_id, t.msp_id, t.id, t.name, t.color FROM org_tags ot JOIN tags t ON t.id = ot.tag_id WHERE ot.org_id IN (");
        sql.in_list(chunk).push(") ORDER BY t.name_key");
        for (org, msp_id, id, name, color) in sql.query_as::<(String, String, String, String, String)>().fetch_all(&db.pool).await? {
            let visible = *msp_visible.entry(msp_id.clone()).or_insert_with(|| {
                let path = crate::access::OrgPath {
                    nodes: vec![crate::access::PathNode { id: msp_id.clone(), kind: OrgKind::Msp, status: shared::OrgStatus::Active, email_domain: None }],
                };
                grants.role_in(&path).is_some()
            });
            if visible {
                by_org.entry(org).or_default().push(Tag { id: parse_uuid(&id), name, color });
            }
        }
    }
    for e in entries {
        e.tags = by_org.remove(&e.id.to_string()).unwrap_or_default();
    }
    Ok(())
}

/// The `?tag=` filter of a list of orgs: a tag id (422 if it isn't one).
pub fn tag_filter(tag: Option<&str>) -> Result<Option<String>> {
    match tag.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => parse_id("tag", t).map(Some),
    }
}

/// A non-admin member `user_id` of the current MSP (404 for anyone else), with their email.
async fn technician(state: &AppState, ctx: &OrgCtx, user_id: &str) -> Result<(String, String, Role)> {
    let Ok(user_id) = uuid::Uuid::parse_str(user_id) else { return Err(ApiError::NotFound) };
    let user_id = user_id.to_string();
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2",
    )
    .bind(ctx.org_id())
    .bind(&user_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let (email, role) = row.ok_or(ApiError::NotFound)?;
    Ok((user_id, email, crate::db::decode("memberships.role", &role)?))
}

async fn load_scope(db: &Db, msp_id: &str, user_id: &str) -> Result<Option<TechnicianScope>> {
    let row: Option<(String, Option<String>)> = sqlx::query_as("SELECT kind, tag_id FROM technician_scopes WHERE msp_id = $1 AND user_id = $2")
        .bind(msp_id)
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await?;
    let Some((kind, tag)) = row else { return Ok(None) };
    if kind == "tag" {
        let tag = tag.ok_or_else(|| sqlx::Error::Decode("technician_scopes.tag_id is NULL".into()))?;
        return Ok(Some(TechnicianScope { tag: Some(parse_uuid(&tag)), all_except: None }));
    }
    let except: Vec<String> = sqlx::query_scalar("SELECT org_id FROM technician_scope_exclusions WHERE msp_id = $1 AND user_id = $2 ORDER BY org_id")
        .bind(msp_id)
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(Some(TechnicianScope { all_except: Some(except.iter().map(|s| parse_uuid(s)).collect()), tag: None }))
}

#[utoipa::path(get, path = "/api/v1/technicians/{user_id}/scope", tag = "customers",
    params(("user_id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = TechnicianScope), (status = 403), (status = 404, description = "no such technician, or no scope")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn get_scope(State(state): State<AppState>, ctx: OrgCtx, Path(user_id): Path<String>) -> Result<Json<TechnicianScope>> {
    msp(&ctx)?;
    ctx.admin()?;
    let (user_id, _, _) = technician(&state, &ctx, &user_id).await?;
    Ok(Json(load_scope(&state.db, ctx.org_id(), &user_id).await?.ok_or(ApiError::NotFound)?))
}

#[utoipa::path(put, path = "/api/v1/technicians/{user_id}/scope", tag = "customers", request_body = TechnicianScope,
    params(("user_id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = TechnicianScope, description = "the scope, replacing any earlier one"),
        (status = 202, body = shared::api::ApprovalHeld, description = "an `all_except` scope when the MSP's `approvals` setting lists `scope.all_except`: held for a second admin"),
        (status = 403), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn set_scope(State(state): State<AppState>, ctx: OrgCtx, Path(user_id): Path<String>, Json(body): Json<TechnicianScope>) -> Result<Gate<Json<TechnicianScope>>> {
    Ok(set_scope_as(&state, &ctx, &user_id, &body).await?.map(Json))
}

/// `PUT /api/v1/technicians/{user_id}/scope` in `ctx` (also as an approved request's requester).
pub(crate) async fn set_scope_as(state: &AppState, ctx: &OrgCtx, user_id: &str, body: &TechnicianScope) -> Result<Gate<TechnicianScope>> {
    msp(ctx)?;
    let admin = ctx.admin()?;
    let (user_id, email, role) = technician(&state, ctx, user_id).await?;
    if role == Role::Admin {
        return Err(ApiError::field("user_id", "is already an admin of every customer; scope technicians only"));
    }
    let summary = match (&body.all_except, &body.tag) {
        (Some(except), None) => {
            let mut ids: Vec<String> = except.iter().map(|u| u.to_string()).collect();
            ids.sort();
            ids.dedup();
            if !ids.is_empty() {
                let mut sql = Sql::new("SELECT COUNT(*) FROM orgs WHERE kind = 'customer' AND parent_id = ");
                sql.bind(ctx.org_id()).push(" AND id IN (").in_list(&ids).push(")");
                let found: i64 = sql.query_scalar::<i64>().fetch_one(&state.db.pool).await?;
                if found != ids.len() as i64 {
                    return Err(ApiError::field("all_except", format!("must list customers of {}", ctx.org.name)));
                }
            }
            (format!("admin of every customer of {} except {} for {email}", ctx.org.name, ids.len()), ids, None)
        }
        (None, Some(tag)) => {
            let tag = tag_of(&state.db, ctx.org_id(), &tag.to_string()).await.map_err(|e| match e {
                ApiError::NotFound => ApiError::field("tag", format!("is not a tag of {}", ctx.org.name)),
                e => e,
            })?;
            (format!("admin of every org of {} tagged {} for {email}", ctx.org.name, tag.name), Vec::new(), Some(tag.id.to_string()))
        }
        _ => return Err(ApiError::field("scope", "give exactly one of all_except and tag")),
    };
    let (summary, except, tag) = summary;
    if body.all_except.is_some() {
        if let Some(need) = crate::approvals::needed(&state, &ctx.caller, Some(ctx.org_id()), "scope.all_except").await? {
            let held = crate::approvals::Held::Scope { msp_id: ctx.org_id().to_string(), user_id: user_id.clone(), scope: body.clone() };
            let preview = serde_json::json!({"user_id": user_id, "email": email, "scope": body});
            return Ok(Gate::Held(crate::approvals::hold(&state, &ctx.caller, need, held, format!("grant {summary}"), preview).await?));
        }
    }
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("DELETE FROM technician_scope_exclusions WHERE msp_id = $1 AND user_id = $2").bind(admin.org_id()).bind(&user_id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM technician_scopes WHERE msp_id = $1 AND user_id = $2").bind(admin.org_id()).bind(&user_id).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO technician_scopes (msp_id, user_id, kind, tag_id, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(admin.org_id())
        .bind(&user_id)
        .bind(if tag.is_some() { "tag" } else { "all_except" })
        .bind(&tag)
        .bind(&admin.caller().user.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    for org in &except {
        sqlx::query("INSERT INTO technician_scope_exclusions (msp_id, user_id, org_id) VALUES ($1, $2, $3)")
            .bind(admin.org_id())
            .bind(&user_id)
            .bind(org)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: "scope.grant",
        object_type: "technician_scope",
        object_id: Some(&user_id),
        summary: format!("granted {summary}"),
    })
    .await?;
    revoke_orphans(&mut tx, &admin.actor(), admin.org_id(), &user_id, now_ms()).await?;
    tx.commit().await?;
    Ok(Gate::Done(load_scope(&state.db, ctx.org_id(), &user_id).await?.ok_or(ApiError::NotFound)?))
}

#[utoipa::path(delete, path = "/api/v1/technicians/{user_id}/scope", tag = "customers",
    params(("user_id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 204), (status = 403), (status = 404, description = "no such technician, or no scope")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn revoke_scope(State(state): State<AppState>, ctx: OrgCtx, Path(user_id): Path<String>) -> Result<StatusCode> {
    msp(&ctx)?;
    let admin = ctx.admin()?;
    let (user_id, email, _) = technician(&state, &ctx, &user_id).await?;
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("DELETE FROM technician_scope_exclusions WHERE msp_id = $1 AND user_id = $2").bind(admin.org_id()).bind(&user_id).execute(&mut *tx).await?;
    let done = sqlx::query("DELETE FROM technician_scopes WHERE msp_id = $1 AND user_id = $2").bind(admin.org_id()).bind(&user_id).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: "scope.revoke",
        object_type: "technician_scope",
        object_id: Some(&user_id),
        summary: format!("revoked {email}'s technician scope in {}", ctx.org.name),
    })
    .await?;
    revoke_orphans(&mut tx, &admin.actor(), admin.org_id(), &user_id, now_ms()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// After a technician's delegation or scope in the MSP `msp_id` narrowed (revoked, expired,
/// an exclusion added, a tag taken off), what they made in the MSP's customers with the power
/// they have lost is revoked, each with its own audit row, in the caller's transaction:
/// - every pending invitation they sent there that they could no longer send;
/// - every personal access token they created while acting there whose role there
///   (recorded at creation) they no longer have.
///
/// Returns how many invitations and tokens were revoked.
pub async fn revoke_orphans(tx: &mut crate::db::Tx, actor: &audit::Actor, msp_id: &str, user_id: &str, now: i64) -> Result<u64> {
    let user: Option<crate::db::rows::UserRow> =
        sqlx::query_as(&format!("SELECT {} FROM users u WHERE u.id = $1", crate::db::rows::USER_COLUMNS)).bind(user_id).fetch_optional(&mut **tx).await?;
    let Some(user) = user else { return Ok(0) };
    const UNDER_MSP: &str = "WITH RECURSIVE sub (id) AS (SELECT id FROM orgs WHERE parent_id = $1 UNION ALL SELECT o.id FROM orgs o JOIN sub s ON o.parent_id = s.id) ";
    let pending: Vec<(String, String, String, String)> = sqlx::query_as(&format!(
        "{UNDER_MSP}SELECT i.id, i.org_id, i.email, i.role FROM invitations i \
         WHERE i.invited_by = $2 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.org_id IN (SELECT id FROM sub) ORDER BY i.id",
    ))
    .bind(msp_id)
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    let tokens: Vec<(String, String, String, Option<String>)> = sqlx::query_as(&format!(
        "{UNDER_MSP}SELECT t.id, t.name, t.acting_org_id, t.acting_role FROM api_tokens t \
         WHERE t.user_id = $2 AND t.revoked_at IS NULL AND t.expires_at > $3 AND t.acting_org_id IN (SELECT id FROM sub) ORDER BY t.id",
    ))
    .bind(msp_id)
    .bind(user_id)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    if pending.is_empty() && tokens.is_empty() {
        return Ok(0);
    }
    let grants = Grants::load_with(&mut **tx, &user).await?;
    let mut revoked = 0;
    for (id, org_id, email, role) in pending {
        let role: Role = crate::db::decode("invitations.role", &role)?;
        let Some(path) = crate::access::load_path(&mut **tx, &org_id).await? else { continue };
        if shared::access::may_grant(grants.role_in_at(&path, now), role) {
            continue;
        }
        sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE org_id = $2 AND id = $3").bind(now).bind(&org_id).bind(&id).execute(&mut **tx).await?;
        audit::record(tx, actor, Event {
            org_id: Some(&org_id),
            action: "invitation.revoke",
            object_type: "invitation",
            object_id: Some(&id),
            summary: format!("revoked the invitation of {email} sent by {}: their access here ended", user.email),
        })
        .await?;
        revoked += 1;
    }
    for (id, name, org_id, role) in tokens {
        let had: Role = crate::db::decode("api_tokens.acting_role", role.as_deref().unwrap_or(""))?;
        let now_role = match crate::access::load_path(&mut **tx, &org_id).await? {
            Some(path) => grants.role_in_at(&path, now),
            None => None,
        };
        if now_role >= Some(had) {
            continue;
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL").bind(now).bind(&id).execute(&mut **tx).await?;
        audit::record(tx, actor, Event {
            org_id: Some(&org_id),
            action: "token.revoke",
            object_type: "api_token",
            object_id: Some(&id),
            summary: format!(
                "revoked {}'s token \"{}\", created here as {had}: their {had} access here ended",
                user.email,
                crate::settings::truncate(&name, 100)
            ),
        })
        .await?;
        revoked += 1;
    }
    Ok(revoked)
}

/// [`revoke_orphans`] for every technician whose scope in `msp_id` is the tag `tag_id`.
async fn revoke_orphaned_for_tag(tx: &mut crate::db::Tx, actor: &audit::Actor, msp_id: &str, tag_id: &str) -> Result<()> {
    let users: Vec<String> = sqlx::query_scalar("SELECT user_id FROM technician_scopes WHERE msp_id = $1 AND tag_id = $2")
        .bind(msp_id)
        .bind(tag_id)
        .fetch_all(&mut **tx)
        .await?;
    for user in users {
        revoke_orphans(tx, actor, msp_id, &user, now_ms()).await?;
    }
    Ok(())
}
