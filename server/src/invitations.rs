//! Invitations into the current org: invite, list, revoke, resend, and accept (which
//! registers the person and signs them in). Endpoints `/api/v1/invitations…`.
//!
//! The secret token is 256 random bits, stored only as its SHA-256, single use, bound to
//! one org and one address, and dead after [`TTL_MS`], revocation, acceptance or a resend.
//! Every token that does not name a live invitation — unknown, expired, revoked, used, or
//! replaced by a resend — answers 404 (`not_found`), so the answer says nothing about which.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::load_path;
use crate::audit::{self, Actor, Event};
use crate::auth::routes::{open_session, session_cookies};
use crate::auth::{hash_secret, password, random_secret};
use crate::http::context::{OrgCtx, request_meta};
use crate::db::{Tx, new_id, now_ms, parse_uuid, rfc3339};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::mail::{self, Mail};
use crate::orgs::{load_org_api, page_bounds};
use crate::db::rows::{USER_COLUMNS, UserRow};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::{Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use crate::http::extract::Json;
use axum_extra::extract::CookieJar;
use shared::access::may_grant;
use shared::api::{
    AcceptInvitation, CreateInvitation, Invitation, InvitationCreated, InvitationLookup, InvitationLookupQuery, ListQuery,
    LoginResponse, Page,
};
use shared::{Email, EmailDomain, Role};

/// How long an invitation (or a resent one) can be accepted: 7 days.
pub const TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(accept))
        .routes(routes!(lookup))
        .routes(routes!(revoke))
        .routes(routes!(resend))
}

/// The one check that an address may join an org whose effective domain is `org_domain`:
/// it parses as a plain address (see [`shared::Email`]: no quoted local parts, ASCII or
/// punycode domains only) and its domain *is* the org's domain, compared after normalizing
/// ASCII case and a trailing dot. Subdomains do not count: `a@eu.corp.com` is not at
/// `corp.com`, since a subdomain can be run by someone else (another mail system, a vendor),
/// and owning the exact domain is what ties a person to the org.
pub fn parse_invitee(raw: &str, org_domain: &str) -> std::result::Result<Email, String> {
    let email = Email::parse(raw).map_err(|e| e.to_string())?;
    let domain = EmailDomain::parse(org_domain).map_err(|_| "this org has no email domain to invite into".to_string())?;
    if email.is_in_domain(&domain) { Ok(email) } else { Err(format!("must be an address at {domain}")) }
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: String,
    email: String,
    #[sqlx(try_from = "String")]
    role: Role,
    invited_by_email: Option<String>,
    created_at: i64,
    expires_at: i64,
}

impl InvitationRow {
    fn to_api(&self, now: i64) -> Invitation {
        Invitation {
            id: parse_uuid(&self.id),
            email: self.email.clone(),
            role: self.role,
            invited_by_email: self.invited_by_email.clone(),
            created_at: rfc3339(self.created_at),
            expires_at: rfc3339(self.expires_at),
            expired: self.expires_at <= now,
        }
    }
}

/// Pending = neither accepted nor revoked; expired ones are listed too, so they can be resent.
const PENDING_SQL: &str = "SELECT i.id, i.email, i.role, u.email AS invited_by_email, i.created_at, i.expires_at \
     FROM invitations i LEFT JOIN users u ON u.id = i.invited_by \
     WHERE i.org_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL";

fn accept_url(state: &AppState, ctx: &OrgCtx, token: &str) -> String {
    format!("{}accept?token={token}", state.config.tenant_url(&ctx.org.slug))
}

fn invitation_mail(ctx: &OrgCtx, email: &str, role: Role, url: &str, expires_at: i64) -> Mail {
    Mail {
        to: email.to_string(),
        subject: format!("You are invited to {} on Tenantry", ctx.org.name),
        body: format!(
            "{} invited you to join {} on Tenantry as {role}.\n\n\
             Choose your name and password here:\n{url}\n\n\
             The link works once and expires at {} (UTC).\n",
            ctx.caller.user.email,
            ctx.org.name,
            rfc3339(expires_at)
        ),
    }
}

/// A fresh token, its hash for the row, and its expiry.
fn new_token(now: i64) -> (String, String, i64) {
    let token = random_secret();
    let hash = hash_secret(&token);
    (token, hash, now + TTL_MS)
}

#[utoipa::path(get, path = "/api/v1/invitations", tag = "people", params(ListQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Page<Invitation>, description = "pending invitations (never their tokens)"), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<ListQuery>) -> Result<Json<Page<Invitation>>> {
    ctx.admin()?;
    let (limit, offset) = page_bounds(&q)?;
    let needle = q.q.as_deref().map(|s| format!("%{}%", s.trim().to_lowercase())).unwrap_or_else(|| "%".into());
    let rows: Vec<InvitationRow> =
        sqlx::query_as(&format!("{PENDING_SQL} AND i.email LIKE $2 ORDER BY i.created_at DESC, i.id LIMIT $3 OFFSET $4"))
            .bind(ctx.org_id())
            .bind(&needle)
            .bind((limit + 1) as i64)
            .bind(offset as i64)
            .fetch_all(&state.db.pool)
            .await?;
    let now = now_ms();
    let more = rows.len() > limit;
    let items = rows.iter().take(limit).map(|r| r.to_api(now)).collect();
    Ok(Json(Page { items, next_cursor: more.then(|| (offset + limit).to_string()) }))
}

#[utoipa::path(post, path = "/api/v1/invitations", tag = "people", request_body = CreateInvitation, params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 201, body = InvitationCreated, description = "invited; `accept_url` is shown this once and mailed"),
              (status = 403), (status = 404), (status = 409, description = "the address has an account or a pending invitation here"), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn create(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<CreateInvitation>) -> Result<(StatusCode, Json<InvitationCreated>)> {
    let admin = ctx.admin()?;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", parse_invitee(&body.email, admin.ctx().path.effective_domain()).map_err(shared::FieldError));
    errors.finish()?;
    let email = email.expect("checked");
    if !may_grant(Some(ctx.role), body.role) {
        return Err(ApiError::Forbidden("you can't grant a role above your own".into()));
    }
    let now = now_ms();
    // audit::begin takes the writers' lock first, so these checks and the insert can't race
    // another invitation or sign-up for the same address.
    let mut tx = audit::begin(&state.db).await?;
    let has_account: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE email = $1").bind(email.as_str()).fetch_optional(&mut *tx).await?;
    if has_account.is_some() {
        return Err(ApiError::Conflict { field: "email", message: "this address already has an account".into() });
    }
    let pending: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM invitations WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(ctx.org_id())
    .bind(email.as_str())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if pending.is_some() {
        return Err(ApiError::Conflict { field: "email", message: "this address already has a pending invitation; resend it instead".into() });
    }
    // An expired invitation for the same address is superseded by the new one.
    sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE org_id = $2 AND email = $3 AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(ctx.org_id())
        .bind(email.as_str())
        .execute(&mut *tx)
        .await?;
    let id = new_id();
    let (token, token_hash, expires_at) = new_token(now);
    sqlx::query(
        "INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(ctx.org_id())
    .bind(email.as_str())
    .bind(body.role.as_str())
    .bind(&token_hash)
    .bind(&ctx.caller.user.id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    let url = accept_url(&state, &ctx, &token);
    let outbox_id = mail::queue(&mut tx, ctx.org_id(), &invitation_mail(&ctx, email.as_str(), body.role, &url, expires_at)).await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "invitation.create",
        object_type: "invitation",
        object_id: Some(&id),
        summary: format!("invited {email} as {}", body.role),
    })
    .await?;
    tx.commit().await?;
    mail::deliver(&state, &outbox_id).await;
    let created = InvitationCreated { id: parse_uuid(&id), email: email.to_string(), role: body.role, expires_at: rfc3339(expires_at), accept_url: url };
    Ok((StatusCode::CREATED, Json(created)))
}

/// A pending invitation of the current org, by `(org_id, id)`: another org's is a 404.
async fn find_pending(tx: &mut Tx, org_id: &str, id: &str) -> Result<InvitationRow> {
    let row: Option<InvitationRow> = sqlx::query_as(&format!("{PENDING_SQL} AND i.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.ok_or(ApiError::NotFound)
}

#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "people", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 204, description = "revoked: its link is dead"), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn revoke(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<StatusCode> {
    let admin = ctx.admin()?;
    let mut tx = audit::begin(&state.db).await?;
    let inv = find_pending(&mut tx, ctx.org_id(), &id).await?;
    sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE org_id = $2 AND id = $3")
        .bind(now_ms())
        .bind(ctx.org_id())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "invitation.revoke",
        object_type: "invitation",
        object_id: Some(&id),
        summary: format!("revoked the invitation of {}", inv.email),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/invitations/{id}/resend", tag = "people", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = InvitationCreated, description = "a new link (the old one is dead), a new expiry, mailed again"), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn resend(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<Json<InvitationCreated>> {
    let admin = ctx.admin()?;
    let mut tx = audit::begin(&state.db).await?;
    let inv = find_pending(&mut tx, ctx.org_id(), &id).await?;
    let role: Role = inv.role;
    // The invitation's role was granted by whoever invited; resending re-issues it, so the
    // resender must be allowed to grant it too.
    if !may_grant(Some(ctx.role), role) {
        return Err(ApiError::Forbidden("you can't grant a role above your own".into()));
    }
    let (token, token_hash, expires_at) = new_token(now_ms());
    sqlx::query("UPDATE invitations SET token_hash = $1, expires_at = $2 WHERE org_id = $3 AND id = $4")
        .bind(&token_hash)
        .bind(expires_at)
        .bind(ctx.org_id())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let url = accept_url(&state, &ctx, &token);
    let outbox_id = mail::queue(&mut tx, ctx.org_id(), &invitation_mail(&ctx, &inv.email, role, &url, expires_at)).await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "invitation.resend",
        object_type: "invitation",
        object_id: Some(&id),
        summary: format!("resent the invitation of {}", inv.email),
    })
    .await?;
    tx.commit().await?;
    mail::deliver(&state, &outbox_id).await;
    Ok(Json(InvitationCreated { id: parse_uuid(&id), email: inv.email, role, expires_at: rfc3339(expires_at), accept_url: url }))
}

/// A live invitation behind a raw token: `(id, org_id, email, role, expires_at)`.
async fn live_by_token(state: &AppState, token: &str) -> Result<(String, String, String, String, i64)> {
    if token.trim().is_empty() {
        return Err(ApiError::field("token", "is required"));
    }
    let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, org_id, email, role, expires_at FROM invitations \
         WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(hash_secret(token.trim()))
    .bind(now_ms())
    .fetch_optional(&state.db.pool)
    .await?;
    let row = row.ok_or(ApiError::NotFound)?;
    // A suspended org takes no new members (they couldn't sign in anyway).
    let mut conn = state.db.pool.acquire().await?;
    let path = load_path(&mut conn, &row.1).await?.ok_or(ApiError::NotFound)?;
    if path.is_suspended() {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

#[utoipa::path(get, path = "/api/v1/invitations/lookup", tag = "people", params(InvitationLookupQuery),
    responses((status = 200, body = InvitationLookup, description = "what the accept page shows"), (status = 404, description = "no live invitation has this token"), (status = 422)))]
#[tracing::instrument(skip_all)]
pub async fn lookup(State(state): State<AppState>, Query(q): Query<InvitationLookupQuery>) -> Result<Json<InvitationLookup>> {
    let (_, org_id, email, role, expires_at) = live_by_token(&state, &q.token).await?;
    let org_name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(&org_id).fetch_one(&state.db.pool).await?;
    Ok(Json(InvitationLookup { org_name, email, role: crate::db::decode("invitations.role", &role)?, expires_at: rfc3339(expires_at) }))
}

#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "people", request_body = AcceptInvitation,
    responses((status = 200, body = LoginResponse, description = "registered into the invitation's org with its role, and signed in (sets the session cookie)"),
              (status = 404, description = "the token is unknown, expired, revoked, already used, or replaced by a resend"),
              (status = 409, description = "the address got an account meanwhile"), (status = 422)))]
#[tracing::instrument(skip_all)]
pub async fn accept(State(state): State<AppState>, parts: Parts, jar: CookieJar, Json(body): Json<AcceptInvitation>) -> Result<impl IntoResponse> {
    let (request_id, ip) = request_meta(&parts);
    let mut errors = FieldErrors::default();
    if body.token.trim().is_empty() {
        errors.add("token", "is required");
    }
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("name", "must be 1 to 100 characters");
    }
    if let Err(e) = password::check_policy(&body.password) {
        errors.add("password", e);
    }
    errors.finish()?;
    // Cheap early refusal before the expensive hash; the claim below is what decides.
    let (inv_id, org_id, email, role, _) = live_by_token(&state, &body.token).await?;
    let hash = password::hash(body.password.clone()).await?;
    let now = now_ms();
    let mut tx = audit::begin(&state.db).await?;
    // The claim: of any number of concurrent accepts, exactly one sees its row change.
    let claimed = sqlx::query(
        "UPDATE invitations SET accepted_at = $1 \
         WHERE token_hash = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(hash_secret(body.token.trim()))
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Err(ApiError::NotFound);
    }
    let user_id = new_id();
    sqlx::query("INSERT INTO users (id, email, name, password_hash, home_org_id, is_superuser, status, created_at, last_login_at) VALUES ($1, $2, $3, $4, $5, 0, 'active', $6, $6)")
        .bind(&user_id)
        .bind(&email)
        .bind(&name)
        .bind(&hash)
        .bind(&org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&user_id)
        .bind(&org_id)
        .bind(&role)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    crate::db::counters::refresh(&mut tx, &[&org_id]).await?;
    sqlx::query("UPDATE invitations SET accepted_user_id = $1 WHERE id = $2 AND org_id = $3")
        .bind(&user_id)
        .bind(&inv_id)
        .bind(&org_id)
        .execute(&mut *tx)
        .await?;
    let new_session = open_session(&mut tx, &state, &parts, &jar, &user_id, &ip).await?;
    let actor = Actor {
        user_id: Some(user_id.clone()),
        email: Some(email.clone()),
        home_org_id: Some(org_id.clone()),
        request_id: Some(request_id),
        ip: Some(ip),
        note: None,
    };
    audit::record(&mut tx, &actor, Event {
        org_id: Some(&org_id),
        action: "invitation.accept",
        object_type: "invitation",
        object_id: Some(&inv_id),
        summary: format!("{email} accepted the invitation as {role} and signed in"),
    })
    .await?;
    tx.commit().await?;
    let user: UserRow = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1")).bind(&user_id).fetch_one(&state.db.pool).await?;
    let home_org = load_org_api(&state.db, &org_id).await?;
    let csrf_token = new_session.csrf_token.clone();
    let mfa_enrollment_required = new_session.mfa_pending;
    Ok((session_cookies(&state, jar, new_session), Json(LoginResponse { user: user.to_api(), home_org, csrf_token, mfa_enrollment_required })))
}
