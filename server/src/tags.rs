//! Tags and technician scopes of an MSP. Tags `{name, color}` go on its customers and child
//! tenants (`/api/v1/tags…`, `/api/v1/orgs/{id}/tags/{tag_id}`); a technician scope gives a
//! non-admin MSP member admin on every customer except a list, or on every org carrying a tag
//! (`/api/v1/technicians/{user_id}/scope`). The current org is the MSP; changes need an admin
//! of it and are audited there. What a scope grants is decided by `shared::access::access`.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::Grants;
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
async fn tag_of(db: &Db, msp_id: &str, id: &str) -> Result<Tag> {
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
        revoke_orphaned_invitations(&mut tx, &admin.actor(), admin.org_id(), user).await?;
    }
    let ended = if scopes > 0 { format!("; {scopes} technician scope(s) on it ended") } else { String::new() };
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
    let tag_id = tag.id.to_string();
    let mut tx = audit::begin(&state.db).await?;
    let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_tags WHERE org_id = $1 AND tag_id = $2")
        .bind(&org_id)
        .bind(&tag_id)
        .fetch_one(&mut *tx)
        .await?;
    if exists == 0 {
        sqlx::query("INSERT INTO org_tags (org_id, tag_id, created_at) VALUES ($1, $2, $3)")
            .bind(&org_id)
            .bind(&tag_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, &admin.actor(), Event {
            org_id: Some(admin.org_id()),
            action: "org.tag",
            object_type: "org",
            object_id: Some(&org_id),
            summary: format!("tagged {org_name} {}", tag.name),
        })
        .await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
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
    let tag_id = tag.id.to_string();
    let mut tx = audit::begin(&state.db).await?;
    let done = sqlx::query("DELETE FROM org_tags WHERE org_id = $1 AND tag_id = $2").bind(&org_id).bind(&tag_id).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: "org.untag",
        object_type: "org",
        object_id: Some(&org_id),
        summary: format!("removed tag {} from {org_name}", tag.name),
    })
    .await?;
    revoke_orphaned_for_tag(&mut tx, &admin.actor(), admin.org_id(), &tag_id).await?;
    tx.commit().await?;
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
    responses((status = 200, body = TechnicianScope, description = "the scope, replacing any earlier one"), (status = 403), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn set_scope(State(state): State<AppState>, ctx: OrgCtx, Path(user_id): Path<String>, Json(body): Json<TechnicianScope>) -> Result<Json<TechnicianScope>> {
    msp(&ctx)?;
    let admin = ctx.admin()?;
    let (user_id, email, role) = technician(&state, &ctx, &user_id).await?;
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
    revoke_orphaned_invitations(&mut tx, &admin.actor(), admin.org_id(), &user_id).await?;
    tx.commit().await?;
    Ok(Json(load_scope(&state.db, ctx.org_id(), &user_id).await?.ok_or(ApiError::NotFound)?))
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
    revoke_orphaned_invitations(&mut tx, &admin.actor(), admin.org_id(), &user_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// After a technician's delegation or scope in the MSP `msp_id` narrowed (revoked, an
/// exclusion added, a tag taken off): each pending invitation they sent in the MSP's
/// customers that they could no longer send is revoked, with its own audit row, in the
/// caller's transaction. Returns how many.
pub async fn revoke_orphaned_invitations(tx: &mut crate::db::Tx, actor: &audit::Actor, msp_id: &str, user_id: &str) -> Result<u64> {
    let user: Option<crate::db::rows::UserRow> =
        sqlx::query_as(&format!("SELECT {} FROM users u WHERE u.id = $1", crate::db::rows::USER_COLUMNS)).bind(user_id).fetch_optional(&mut **tx).await?;
    let Some(user) = user else { return Ok(0) };
    let pending: Vec<(String, String, String, String)> = sqlx::query_as(
        "WITH RECURSIVE sub (id) AS (SELECT id FROM orgs WHERE parent_id = $1 UNION ALL SELECT o.id FROM orgs o JOIN sub s ON o.parent_id = s.id) \
         SELECT i.id, i.org_id, i.email, i.role FROM invitations i \
         WHERE i.invited_by = $2 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.org_id IN (SELECT id FROM sub) ORDER BY i.id",
    )
    .bind(msp_id)
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let grants = Grants::load_with(&mut **tx, &user).await?;
    let now = now_ms();
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
    Ok(revoked)
}

/// [`revoke_orphaned_invitations`] for every technician whose scope in `msp_id` is the tag `tag_id`.
async fn revoke_orphaned_for_tag(tx: &mut crate::db::Tx, actor: &audit::Actor, msp_id: &str, tag_id: &str) -> Result<()> {
    let users: Vec<String> = sqlx::query_scalar("SELECT user_id FROM technician_scopes WHERE msp_id = $1 AND tag_id = $2")
        .bind(msp_id)
        .bind(tag_id)
        .fetch_all(&mut **tx)
        .await?;
    for user in users {
        revoke_orphaned_invitations(tx, actor, msp_id, &user).await?;
    }
    Ok(())
}
