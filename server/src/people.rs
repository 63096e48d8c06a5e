//! People in the current org: list, add directly, change role or status, remove.
//! Endpoints `/api/v1/users…`.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::auth::{password, session};
use crate::audit::{self, Event};
use crate::http::context::{OrgCtx, Superuser};
use crate::db::{new_id, now_ms, rfc3339};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::orgs::{page_bounds, paginate};
use crate::db::rows::{USER_COLUMNS, UserRow};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::{Path, Query};
use axum::http::StatusCode;
use crate::http::extract::Json;
use shared::access::may_grant;
use crate::db::sql::Sql;
use shared::api::{AddUser, GroupRef, ListQuery, Member, Page, UpdateMember};
use std::collections::HashMap;
use crate::invitations::parse_invitee;
use shared::{Role, UserStatus};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, add_user))
        .routes(routes!(update_member, remove_member))
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    #[sqlx(flatten)]
    user: UserRow,
    #[sqlx(try_from = "String")]
    role: Role,
    joined_at: i64,
}

impl MemberRow {
    fn role(&self) -> Role {
        self.role
    }

    fn to_api(&self) -> Member {
        Member { user: self.user.to_api(), role: self.role, joined_at: rfc3339(self.joined_at), mfa: Vec::new(), group_limit: None }
    }
}

async fn find_member(state: &AppState, org_id: &str, user_id: &str) -> Result<MemberRow> {
    let row: Option<MemberRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS}, m.role, m.created_at AS joined_at FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.user_id = $2"
    ))
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&state.db.pool)
    .await?;
    row.ok_or(ApiError::NotFound)
}

/// One member as the API shows them, with their group limit.
async fn member_api(state: &AppState, org_id: &str, user_id: &str) -> Result<Member> {
    let mut member = find_member(state, org_id, user_id).await?.to_api();
    let mut limits = group_limits(&mut *state.db.pool.acquire().await?, org_id, &[user_id.to_string()]).await?;
    member.group_limit = limits.remove(user_id);
    Ok(member)
}

/// The groups each of these members of `org_id` is limited to, for the limited viewers among
/// them (one query for a page of people).
pub async fn group_limits(conn: &mut sqlx::AnyConnection, org_id: &str, user_ids: &[String]) -> Result<HashMap<String, Vec<GroupRef>>> {
    let mut sql = Sql::new(
        "SELECT m.user_id, g.id, g.name FROM memberships m \
         LEFT JOIN membership_groups mg ON mg.user_id = m.user_id AND mg.org_id = m.org_id \
         LEFT JOIN asset_groups g ON g.id = mg.group_id AND g.org_id = m.org_id \
         WHERE m.group_limited = 1 AND m.org_id = ",
    );
    sql.bind(org_id).push(" AND m.user_id IN (").in_list(user_ids).push(") ORDER BY m.user_id, lower(g.name), g.id");
    let rows = sql.query_as::<(String, Option<String>, Option<String>)>().fetch_all(conn).await?;
    let mut limits: HashMap<String, Vec<GroupRef>> = HashMap::new();
    for (user, group, name) in rows {
        let groups = limits.entry(user).or_default();
        if let (Some(id), Some(name)) = (group, name) {
            groups.push(GroupRef { id: crate::db::decode("asset_groups.id", &id)?, name });
        }
    }
    Ok(limits)
}

#[utoipa::path(get, path = "/api/v1/users", tag = "people", params(ListQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Page<Member>), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list_members(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<ListQuery>) -> Result<Json<Page<Member>>> {
    let (limit, offset) = page_bounds(&q)?;
    let needle = q.q.as_deref().map(|s| format!("%{}%", s.trim().to_lowercase())).unwrap_or_else(|| "%".into());
    let rows: Vec<MemberRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS}, m.role, m.created_at AS joined_at FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND (lower(u.email) LIKE $2 OR lower(u.name) LIKE $2) ORDER BY lower(u.name), u.email \
         LIMIT $3 OFFSET $4"
    ))
    .bind(ctx.org_id())
    .bind(&needle)
    .bind((limit + 1) as i64)
    .bind(offset as i64)
    .fetch_all(&state.db.pool)
    .await?;
    let more = rows.len() > limit;
    let mut items: Vec<Member> = rows.iter().take(limit).map(MemberRow::to_api).collect();
    // Who is protected by a second factor: one query for the page.
    let ids: Vec<String> = rows.iter().take(limit).map(|r| r.user.id.clone()).collect();
    let mut conn = state.db.pool.acquire().await?;
    let mut factors = crate::auth::mfa::factors_of(&mut conn, &ids).await?;
    let mut limits = group_limits(&mut conn, ctx.org_id(), &ids).await?;
    for (m, id) in items.iter_mut().zip(&ids) {
        m.mfa = factors.remove(id).unwrap_or_default().into_iter().map(str::to_string).collect();
        m.group_limit = limits.remove(id);
    }
    let mut page = paginate(items, limit, 0);
    page.next_cursor = more.then(|| (offset + limit).to_string());
    Ok(Json(page))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "people", request_body = AddUser, params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 201, body = Member), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn add_user(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<AddUser>) -> Result<(StatusCode, Json<Member>)> {
    let admin = ctx.admin()?;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", parse_invitee(&body.email, admin.ctx().path.effective_domain()).map_err(shared::FieldError));
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("name", "must be 1 to 100 characters");
    }
    if let Some(pw) = &body.password {
        if let Err(e) = password::check_policy(pw.expose()) {
            errors.add("password", e);
        }
    }
    errors.finish()?;
    if !may_grant(Some(ctx.role), body.role) {
        return Err(ApiError::Forbidden("you can't grant a role above your own".into()));
    }
    let mut groups: Vec<String> = body.group_ids.iter().flatten().map(|g| g.to_string()).collect();
    groups.sort();
    groups.dedup();
    let group_names = groups_of_org(&state, ctx.org_id(), body.role, &groups).await?;
    let email = email.expect("checked");
    let hash = match body.password.clone() {
        Some(pw) => Some(password::hash(pw.expose().to_string()).await?),
        None => None,
    };
    let id = new_id();
    let now = now_ms();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("INSERT INTO users (id, email, name, password_hash, home_org_id, is_superuser, status, created_at) VALUES ($1, $2, $3, $4, $5, 0, 'active', $6)")
        .bind(&id)
        .bind(email.as_str())
        .bind(&name)
        .bind(hash)
        .bind(ctx.org_id())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(ctx.org_id())
        .bind(body.role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    for g in &groups {
        sqlx::query("INSERT INTO membership_groups (user_id, org_id, group_id) VALUES ($1, $2, $3)").bind(&id).bind(ctx.org_id()).bind(g).execute(&mut *tx).await?;
    }
    if !groups.is_empty() {
        sqlx::query("UPDATE memberships SET group_limited = 1 WHERE user_id = $1 AND org_id = $2").bind(&id).bind(ctx.org_id()).execute(&mut *tx).await?;
    }
    crate::db::counters::refresh(&mut tx, &[ctx.org_id()]).await?;
    let limited = if group_names.is_empty() { String::new() } else { format!(", limited to {}", group_names.join(", ")) };
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "user.create",
        object_type: "user",
        object_id: Some(&id),
        summary: format!("added {email} as {}{limited}", body.role),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(member_api(&state, ctx.org_id(), &id).await?)))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "people", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    request_body = UpdateMember, responses((status = 200, body = Member), (status = 403), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn update_member(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>, Json(body): Json<UpdateMember>) -> Result<Json<Member>> {
    let member = find_member(&state, ctx.org_id(), &id).await?;
    let admin = ctx.admin()?;
    if id == ctx.caller.user.id && (body.role.is_some() || body.status.is_some()) {
        return Err(ApiError::field("id", "you can't change your own role or status"));
    }
    if let Some(role) = body.role {
        if !may_grant(Some(ctx.role), role) {
            return Err(ApiError::Forbidden("you can't grant a role above your own".into()));
        }
    }
    let superuser = match body.is_superuser {
        Some(_) => Some(ctx.caller.superuser("grant or revoke superuser")?),
        None => None,
    };
    // Status and superuser belong to the person, so only their home org (or a superuser) decides.
    let home_here = member.user.home_org_id == ctx.org.id;
    if body.status.is_some() && !home_here && !ctx.caller.grants.is_superuser {
        return Err(ApiError::Forbidden("only the user's own org can disable or enable them".into()));
    }
    let groups = match &body.group_ids {
        Some(ids) => Some(check_group_limit(&state, &ctx, &id, body.role.unwrap_or(member.role()), ids).await?),
        None => None,
    };
    let mut tx = audit::begin(&state.db).await?;
    let mut changes = Vec::new();
    let mut action = "user.update";
    if let Some(role) = body.role.filter(|r| *r != member.role) {
        // Group limits are a viewer's; any other role sees every group.
        sqlx::query("UPDATE memberships SET role = $1, group_limited = 0 WHERE user_id = $2 AND org_id = $3").bind(role.as_str()).bind(&id).bind(ctx.org_id()).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM membership_groups WHERE user_id = $1 AND org_id = $2").bind(&id).bind(ctx.org_id()).execute(&mut *tx).await?;
        changes.push(format!("role {} → {role}", member.role));
        action = "user.role";
    }
    if let Some((names, _)) = groups.filter(|(_, changed)| *changed) {
        let ids: Vec<String> = body.group_ids.iter().flatten().map(|g| g.to_string()).collect();
        sqlx::query("DELETE FROM membership_groups WHERE user_id = $1 AND org_id = $2").bind(&id).bind(ctx.org_id()).execute(&mut *tx).await?;
        for g in &ids {
            sqlx::query("INSERT INTO membership_groups (user_id, org_id, group_id) VALUES ($1, $2, $3)").bind(&id).bind(ctx.org_id()).bind(g).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE memberships SET group_limited = $1 WHERE user_id = $2 AND org_id = $3").bind(i64::from(!ids.is_empty())).bind(&id).bind(ctx.org_id()).execute(&mut *tx).await?;
        changes.push(if names.is_empty() { "groups → all".to_string() } else { format!("groups → {}", names.join(", ")) });
        if action == "user.update" {
            action = "user.groups";
        }
    }
    if let Some(status) = body.status.filter(|s| *s != member.user.status) {
        sqlx::query("UPDATE users SET status = $1 WHERE id = $2").bind(status.as_str()).bind(&id).execute(&mut *tx).await?;
        if status == UserStatus::Disabled {
            session::revoke_all_for_user(&mut tx, &id).await?;
            action = "user.disable";
        } else {
            action = "user.enable";
        }
        changes.push(format!("status → {status}"));
    }
    if let (Some(proof), Some(su)) = (superuser, body.is_superuser.filter(|s| *s != member.user.is_superuser())) {
        set_superuser(proof, &mut tx, &id, su).await?;
        changes.push(format!("superuser → {su}"));
        action = "user.superuser";
    }
    if changes.is_empty() {
        drop(tx);
        return Ok(Json(member_api(&state, ctx.org_id(), &id).await?));
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(ctx.org_id()),
        action,
        object_type: "user",
        object_id: Some(&id),
        summary: format!("{}: {}", member.user.email, changes.join(", ")),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(member_api(&state, ctx.org_id(), &id).await?))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "people", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 204, description = "removed; a user whose home is this org is deleted"), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn remove_member(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<StatusCode> {
    let member = find_member(&state, ctx.org_id(), &id).await?;
    let admin = ctx.admin()?;
    if id == ctx.caller.user.id {
        return Err(ApiError::field("id", "you can't remove yourself"));
    }
    let mut tx = audit::begin(&state.db).await?;
    if member.user.home_org_id == ctx.org.id {
        // Their home: the person belongs to this org, so they go entirely.
        sqlx::query("DELETE FROM users WHERE id = $1").bind(&id).execute(&mut *tx).await?;
        crate::db::counters::refresh(&mut tx, &[ctx.org_id()]).await?;
    } else {
        sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND org_id = $2").bind(&id).bind(ctx.org_id()).execute(&mut *tx).await?;
        // A technician scope in this MSP ends with the membership (it would not count
        // without one, and must not come back if they are added again).
        sqlx::query("DELETE FROM technician_scope_exclusions WHERE user_id = $1 AND msp_id = $2").bind(&id).bind(ctx.org_id()).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM technician_scopes WHERE user_id = $1 AND msp_id = $2").bind(&id).bind(ctx.org_id()).execute(&mut *tx).await?;
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "user.remove",
        object_type: "user",
        object_id: Some(&id),
        summary: format!("removed {}", member.user.email),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Grants or revokes superuser: only a superuser may.
async fn set_superuser(_proof: Superuser<'_>, tx: &mut crate::db::Tx, user_id: &str, on: bool) -> Result<()> {
    sqlx::query("UPDATE users SET is_superuser = $1 WHERE id = $2").bind(i64::from(on)).bind(user_id).execute(&mut **tx).await?;
    Ok(())
}

/// Checks `group_ids` for a membership whose role will be `role`: only viewers are limited,
/// and only to groups of this org. Returns the group names and whether the limit changes.
async fn check_group_limit(state: &AppState, ctx: &OrgCtx, user_id: &str, role: Role, ids: &[uuid::Uuid]) -> Result<(Vec<String>, bool)> {
    let mut wanted: Vec<String> = ids.iter().map(|g| g.to_string()).collect();
    wanted.sort();
    wanted.dedup();
    let mut names = groups_of_org(state, ctx.org_id(), role, &wanted).await?;
    let (limited,): (i64,) = sqlx::query_as("SELECT group_limited FROM memberships WHERE user_id = $1 AND org_id = $2")
        .bind(user_id)
        .bind(ctx.org_id())
        .fetch_one(&state.db.pool)
        .await?;
    let mut current: Vec<String> = sqlx::query_scalar("SELECT group_id FROM membership_groups WHERE user_id = $1 AND org_id = $2")
        .bind(user_id)
        .bind(ctx.org_id())
        .fetch_all(&state.db.pool)
        .await?;
    current.sort();
    let changed = (limited != 0) != !wanted.is_empty() || current != wanted;
    names.sort();
    Ok((names, changed))
}

/// The names of `ids` (sorted, deduplicated), which must all be groups of `org_id`, for a
/// membership whose role will be `role`: only viewers are limited to groups (422 otherwise).
async fn groups_of_org(state: &AppState, org_id: &str, role: Role, ids: &[String]) -> Result<Vec<String>> {
    if !ids.is_empty() && role != Role::Viewer {
        return Err(ApiError::field("group_ids", "only viewers can be limited to groups"));
    }
    if ids.len() > 500 {
        return Err(ApiError::field("group_ids", "at most 500 groups"));
    }
    let mut names = Vec::with_capacity(ids.len());
    for g in ids {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM asset_groups WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(g)
            .fetch_optional(&state.db.pool)
            .await?;
        names.push(name.ok_or_else(|| ApiError::field("group_ids", format!("{g} is not a group of this org")))?);
    }
    Ok(names)
}
