//! Moving between tenant hosts without a second sign-in. Cookies stay host-only, so the
//! signed-in host asks for a one-time code (60 s, single use, bound to the user and the
//! tenant) and the tenant host trades it for a session of its own.
//!
//! **Bound to the browser that asked.** A bare code would let anyone plant their session in
//! someone else's browser: create a code for your own account, send the link, and the victim
//! works (and types secrets) in the attacker's account. So a code is redeemed only in the
//! browser that holds the session which created it, proven with a round trip, like OAuth's
//! `state`:
//! 1. `POST /api/v1/auth/handoff` on host O (the caller's session S) stores the code with
//!    O and S, and answers `T/auth/handoff?code=C` (T = the tenant's host);
//! 2. T, seeing an unbound code, sets a fresh random nonce N in a host-only cookie *on T* and
//!    redirects to `O/auth/handoff/confirm?code=C&bind=H(N)`;
//! 3. O binds the code to H(N) only if the browser brings session S (the one that created
//!    it) and sends it back to `T/auth/handoff?code=C`;
//! 4. T signs in only if this browser's nonce cookie hashes to the bound H(N).
//!
//! An attacker can't plant a cookie on T or O in the victim's browser (host-only cookies, no
//! scripts of theirs on our hosts), can't make the victim's browser hold the attacker's
//! session S on O, and never sees the victim's H(N): it travels only in redirects between
//! our own hosts (O is stored server-side and must be one of this installation's hosts, so
//! step 2 is never an open redirect). A base-domain cookie would be simpler, but browsers
//! treat `Domain=localhost` as host-only, which would break the default local setup.
use utoipa_axum::{router::OpenApiRouter, routes};
use super::{hash_secret, random_secret, session};
use crate::audit::{self, Actor, Event};
use crate::http::context::{AuthKind, Caller, org_for, request_meta};
use crate::db::now_ms;
use crate::http::error::{ApiError, Result};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::Query;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use crate::http::extract::Json;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

const LIFETIME_MS: i64 = 60_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .route("/auth/handoff", get(redeem))
        .route("/auth/handoff/confirm", get(confirm))
}

/// The binding nonce's cookie on the tenant host (host-only; `__Host-` under TLS).
fn nonce_cookie_name(state: &AppState) -> &'static str {
    if state.config.tls { "__Host-tenantry_handoff" } else { "tenantry_handoff" }
}

fn nonce_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(nonce_cookie_name(state), value);
    c.set_path("/");
    c.set_http_only(true);
    // Lax: sent on the top-level redirect back from the origin host.
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.config.tls);
    c.set_max_age(time::Duration::seconds(LIFETIME_MS / 1000 * 2));
    c
}

/// `scheme://host[:port]` of the host a handoff was asked on, if it is one of ours: the base
/// domain, the host of an existing tenant, or the address the server listens on. Anything
/// else (a forged `Host`, a sibling subdomain served by someone else) falls back to the base
/// domain, so the confirm step — which carries the browser's binding — never leaves this
/// installation.
pub(crate) async fn origin_of(state: &AppState, headers: &HeaderMap) -> Result<String> {
    let config = &state.config;
    let scheme = if config.tls { "https" } else { "http" };
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let safe = host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    let tenant = match config.slug_from_host(&host) {
        Some(slug) => sqlx::query_scalar::<_, String>("SELECT id FROM orgs WHERE slug = $1").bind(&slug).fetch_optional(&state.db.pool).await?.is_some(),
        None => false,
    };
    let ours = tenant || name == config.base_domain || host == config.addr.to_string();
    if safe && ours {
        return Ok(format!("{scheme}://{host}"));
    }
    let base = config.tenant_url("x");
    // tenant_url is `scheme://x.<base>[:port]/`; drop the `x.` and the slash.
    Ok(format!("{scheme}://{}", base.trim_end_matches('/').split_once("://x.").map_or(config.base_domain.as_str(), |(_, rest)| rest)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffRequest {
    pub org_id: uuid::Uuid,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HandoffUrl {
    /// Open this URL (within 60 seconds, once) to arrive signed in on the tenant's host.
    pub url: String,
}

#[utoipa::path(post, path = "/api/v1/auth/handoff", tag = "auth", request_body = HandoffRequest,
    responses((status = 200, body = HandoffUrl, description = "open `url` in the same browser within 60 seconds"), (status = 401),
        (status = 403, description = "not a browser session (bearer token), or missing CSRF token"), (status = 404)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn create(State(state): State<AppState>, caller: Caller, headers: HeaderMap, Json(body): Json<HandoffRequest>) -> Result<Json<HandoffUrl>> {
    let org = org_for(&state, &caller, &body.org_id.to_string()).await?.org;
    // Bound to the browser session that asks (see the module docs); a token has no browser.
    let AuthKind::Session { id_hash: session_hash, .. } = &caller.auth else {
        return Err(ApiError::Forbidden("a handoff carries a browser session; sign in with the browser".into()));
    };
    let origin = origin_of(&state, &headers).await?;
    let code = random_secret();
    let now = now_ms();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("INSERT INTO handoffs (code_hash, user_id, org_id, created_at, expires_at, origin, session_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(hash_secret(&code))
        .bind(&caller.user.id)
        .bind(&org.id)
        .bind(now)
        .bind(now + LIFETIME_MS)
        .bind(&origin)
        .bind(session_hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM handoffs WHERE expires_at < $1").bind(now - LIFETIME_MS).execute(&mut *tx).await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
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

#[derive(sqlx::FromRow)]
struct Pending {
    user_id: String,
    org_id: String,
    slug: String,
    origin: Option<String>,
    bind_hash: Option<String>,
}

/// Trades a code for a session on this host, in the browser that asked for it (steps 2 and
/// 4 of the module docs). Any problem — unknown, used or expired code, wrong host, another
/// browser, access gone — lands on `/`, which shows sign-in or not-found as usual.
pub async fn redeem(State(state): State<AppState>, parts: Parts, jar: CookieJar, Query(q): Query<RedeemQuery>) -> Result<Response> {
    let fallback = Ok(Redirect::to("/").into_response());
    let host = parts.headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let Some(slug) = state.config.slug_from_host(host) else { return fallback };
    let now = now_ms();
    let code_hash = hash_secret(&q.code);
    let pending: Option<Pending> = sqlx::query_as(
        "SELECT h.user_id, h.org_id, o.slug, h.origin, h.bind_hash FROM handoffs h JOIN orgs o ON o.id = h.org_id \
         WHERE h.code_hash = $1 AND h.used_at IS NULL AND h.expires_at > $2",
    )
    .bind(&code_hash)
    .bind(now)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(pending) = pending else { return fallback };
    let spend = |state: &AppState| {
        let db = state.db.clone();
        let code_hash = code_hash.clone();
        async move { sqlx::query("UPDATE handoffs SET used_at = $1 WHERE code_hash = $2").bind(now).bind(&code_hash).execute(&db.pool).await }
    };
    if pending.slug != slug {
        spend(&state).await?; // the code is spent either way
        return fallback;
    }
    let Some(bind_hash) = pending.bind_hash else {
        // Step 2: not bound yet. This browser gets a nonce; the origin host binds its hash
        // to the code if this browser holds the session that asked.
        let Some(origin) = pending.origin else {
            spend(&state).await?;
            return fallback;
        };
        let nonce = random_secret();
        let to = format!("{origin}/auth/handoff/confirm?code={}&bind={}", q.code, hash_secret(&nonce));
        return Ok((jar.add(nonce_cookie(&state, nonce)), Redirect::to(&to)).into_response());
    };
    // Step 4: only the browser whose nonce was bound may redeem.
    let held = jar.get(nonce_cookie_name(&state)).map(|c| hash_secret(c.value()));
    let jar = jar.remove(nonce_cookie(&state, String::new()));
    let mut tx = audit::begin(&state.db).await?;
    let claimed = sqlx::query("UPDATE handoffs SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 AND bind_hash = $3")
        .bind(now)
        .bind(&code_hash)
        .bind(&bind_hash)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() != 1 {
        return Ok((jar, Redirect::to("/")).into_response());
    }
    if held.as_deref() != Some(bind_hash.as_str()) {
        // Another browser: the code is spent, nobody is signed in.
        tx.commit().await?;
        return Ok((jar, Redirect::to("/")).into_response());
    }
    let (user_id, org_id) = (pending.user_id, pending.org_id);
    let user: crate::db::rows::UserRow = sqlx::query_as(&format!("SELECT {} FROM users u WHERE u.id = $1", crate::db::rows::USER_COLUMNS))
        .bind(&user_id)
        .fetch_one(&mut *tx)
        .await?;
    let grants = crate::access::Grants::load_with(&mut tx, &user).await?;
    let path = crate::access::load_path(&mut tx, &org_id).await?;
    if user.status != shared::UserStatus::Active || path.is_none_or(|p| grants.role_in(&p).is_none()) {
        tx.commit().await?;
        return Ok((jar, Redirect::to("/")).into_response());
    }
    let (request_id, ip) = request_meta(&parts);
    let ua = parts.headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    // Only a full (not enrol-only) session can ask for a handoff, so this one is full too.
    let new = session::create(&mut tx, &user.id, &ip, ua, false).await?;
    let actor = Actor { user_id: Some(user.id.clone()), email: Some(user.email.clone()), home_org_id: Some(user.home_org_id.clone()), request_id: Some(request_id), ip: Some(ip), note: None };
    audit::record(&mut tx, &actor, Event { org_id: Some(&org_id), action: "auth.login", object_type: "session", object_id: Some(&user.id), summary: format!("{} arrived on {slug} by handoff", user.email) }).await?;
    tx.commit().await?;
    let jar = super::routes::session_cookies(&state, jar, new);
    Ok((jar, Redirect::to("/")).into_response())
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    code: String,
    bind: String,
}

/// Step 3, on the host that asked: binds the code to this browser's nonce hash if this
/// browser holds the very session that created the code, then sends it back to the tenant.
pub async fn confirm(State(state): State<AppState>, caller: std::result::Result<Caller, ApiError>, Query(q): Query<ConfirmQuery>) -> Result<Response> {
    let fallback = Ok(Redirect::to("/").into_response());
    let Ok(caller) = caller else { return fallback };
    let AuthKind::Session { id_hash, .. } = &caller.auth else { return fallback };
    if q.bind.len() != 64 || !q.bind.bytes().all(|b| b.is_ascii_hexdigit()) {
        return fallback;
    }
    let now = now_ms();
    let code_hash = hash_secret(&q.code);
    let bound = sqlx::query(
        "UPDATE handoffs SET bind_hash = $1 WHERE code_hash = $2 AND bind_hash IS NULL AND used_at IS NULL \
         AND expires_at > $3 AND session_hash = $4 AND user_id = $5",
    )
    .bind(&q.bind)
    .bind(&code_hash)
    .bind(now)
    .bind(id_hash)
    .bind(&caller.user.id)
    .execute(&state.db.pool)
    .await?;
    if bound.rows_affected() != 1 {
        return fallback;
    }
    let slug: String = sqlx::query_scalar("SELECT o.slug FROM handoffs h JOIN orgs o ON o.id = h.org_id WHERE h.code_hash = $1")
        .bind(&code_hash)
        .fetch_one(&state.db.pool)
        .await?;
    Ok(Redirect::to(&format!("{}auth/handoff?code={}", state.config.tenant_url(&slug), q.code)).into_response())
}
