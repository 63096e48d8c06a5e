//! Moving between tenant hosts without a second sign-in. Cookies stay host-only, so the
//! signed-in host asks for a one-time code (60 s, single use, bound to the user and the
//! tenant) and the tenant host trades it for a session of its own.
use super::{hash_secret, random_secret, session};
use crate::audit::{self, Actor, Event};
use crate::context::{Caller, org_for, request_meta};
use crate::db::now_ms;
use crate::error::Result;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

const LIFETIME_MS: i64 = 60_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/handoff", post(create))
        .route("/auth/handoff", get(redeem))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HandoffRequest {
    pub org_id: uuid::Uuid,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HandoffUrl {
    /// Open this URL (within 60 seconds, once) to arrive signed in on the tenant's host.
    pub url: String,
}

#[utoipa::path(post, path = "/api/v1/auth/handoff", tag = "auth", request_body = HandoffRequest,
    responses((status = 200, body = HandoffUrl), (status = 401), (status = 404)))]
pub async fn create(State(state): State<AppState>, caller: Caller, Json(body): Json<HandoffRequest>) -> Result<Json<HandoffUrl>> {
    let (org, _, _) = org_for(&state, &caller, &body.org_id.to_string()).await?;
    let code = random_secret();
    let now = now_ms();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("INSERT INTO handoffs (code_hash, user_id, org_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(hash_secret(&code))
        .bind(&caller.user.id)
        .bind(&org.id)
        .bind(now)
        .bind(now + LIFETIME_MS)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM handoffs WHERE expires_at < $1").bind(now - LIFETIME_MS).execute(&mut *tx).await?;
    audit::record(&mut tx, &caller.actor(), Event {
        org_id: Some(&org.id),
        action: "auth.handoff",
        object_type: "session",
        object_id: Some(&caller.user.id),
        summary: format!("{} opened {} on its own host", caller.user.email, org.name),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(HandoffUrl { url: format!("{}auth/handoff?code={code}", state.config.tenant_url(&org.slug)) }))
}

#[derive(Deserialize)]
pub struct RedeemQuery {
    code: String,
}

/// Trades a code for a session on this host. Any problem — unknown, used or expired code,
/// wrong host, access gone — lands on `/`, which shows sign-in or not-found as usual.
pub async fn redeem(State(state): State<AppState>, parts: Parts, jar: CookieJar, Query(q): Query<RedeemQuery>) -> Result<Response> {
    let fallback = Ok(Redirect::to("/").into_response());
    let host = parts.headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let Some(slug) = state.config.slug_from_host(host) else { return fallback };
    let now = now_ms();
    let code_hash = hash_secret(&q.code);
    let mut tx = audit::begin(&state.db).await?;
    let claimed = sqlx::query("UPDATE handoffs SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1")
        .bind(now)
        .bind(&code_hash)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() != 1 {
        return fallback;
    }
    let (user_id, org_id, org_slug): (String, String, String) = sqlx::query_as(
        "SELECT h.user_id, h.org_id, o.slug FROM handoffs h JOIN orgs o ON o.id = h.org_id WHERE h.code_hash = $1",
    )
    .bind(&code_hash)
    .fetch_one(&mut *tx)
    .await?;
    if org_slug != slug {
        tx.commit().await?; // the code is spent either way
        return fallback;
    }
    let user: crate::rows::UserRow = sqlx::query_as(&format!("SELECT {} FROM users u WHERE u.id = $1", crate::rows::USER_COLUMNS))
        .bind(&user_id)
        .fetch_one(&mut *tx)
        .await?;
    let grants = crate::access::Grants::load_with(&mut tx, &user).await?;
    let path = crate::access::load_path(&mut tx, &org_id).await?;
    if user.status != "active" || path.is_none_or(|p| grants.role_in(&p).is_none()) {
        tx.commit().await?;
        return fallback;
    }
    let (request_id, ip) = request_meta(&parts);
    let ua = parts.headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    // Only a full (not enrol-only) session can ask for a handoff, so this one is full too.
    let new = session::create(&mut tx, &user.id, &ip, ua, false).await?;
    let actor = Actor { user_id: Some(user.id.clone()), email: Some(user.email.clone()), home_org_id: Some(user.home_org_id.clone()), request_id: Some(request_id), ip: Some(ip) };
    audit::record(&mut tx, &actor, Event { org_id: Some(&org_id), action: "auth.login", object_type: "session", object_id: Some(&user.id), summary: format!("{} arrived on {slug} by handoff", user.email) }).await?;
    tx.commit().await?;
    let jar = super::routes::session_cookies(&state, jar, new);
    Ok((jar, Redirect::to("/")).into_response())
}
