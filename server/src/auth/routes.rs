//! Sign-in, sign-out, who-am-I, and personal access tokens.
use utoipa_axum::{router::OpenApiRouter, routes};
use super::{mfa, password, ratelimit, session, token};
use crate::audit::{self, Actor, Event};
use crate::http::context::{AuthKind, Caller, request_meta};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::orgs::load_org_api;
use crate::db::rows::{USER_COLUMNS, UserRow};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::Path;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use crate::http::extract::Json;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use shared::api::{LoginRequest, LoginResponse, Me, TokenCreated, TokenInfo, TokenRequest};
use shared::UserStatus;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(create_token))
        .routes(routes!(me))
        .routes(routes!(list_tokens))
        .routes(routes!(revoke_token))
}

/// The readable companion cookie carrying the CSRF token for the page's scripts.
pub fn csrf_cookie_name(state: &AppState) -> &'static str {
    if state.config.tls { "__Host-tenantry_csrf" } else { "tenantry_csrf" }
}

/// Host-only (no Domain), whole site, Lax; `Secure` when served over TLS.
pub(crate) fn cookie(name: &'static str, value: String, http_only: bool, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_path("/");
    c.set_http_only(http_only);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    c
}

/// A cookie of ours to remove (same name, path and flags as when it was set).
pub(crate) fn expired_cookie(name: &'static str, http_only: bool, secure: bool) -> Cookie<'static> {
    cookie(name, String::new(), http_only, secure)
}

/// Checks email and password with the rate limits; the user on success, with the attempt
/// still reserved (the second factor, if any, is checked under the same reservation).
/// Unknown email and wrong password give the same 401 after the same work.
async fn check_credentials(state: &AppState, parts_ip: &str, email: &str, pw: &str) -> Result<(UserRow, ratelimit::Attempt)> {
    let mut errors = FieldErrors::default();
    if email.trim().is_empty() {
        errors.add("email", "is required");
    }
    if pw.is_empty() {
        errors.add("password", "is required");
    }
    errors.finish()?;
    let db = &state.db;
    // Counted before the (slow) check, atomically: a burst can't get more checks than the limit.
    let Some(attempt) = ratelimit::reserve(db, &state.clock, email, parts_ip).await? else {
        return Err(ApiError::RateLimited);
    };
    let user: Option<UserRow> = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"))
        .bind(email.trim().to_ascii_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    let hash: Option<String> = match &user {
        Some(u) => sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(&u.id).fetch_one(&db.pool).await?,
        None => None,
    };
    let ok = password::verify(hash, pw.to_string()).await?;
    let usable = match (&user, ok) {
        (Some(u), true) => may_sign_in(state, u).await?,
        _ => false,
    };
    if !usable {
        attempt.failed();
        return Err(ApiError::BadCredentials);
    }
    let user = user.expect("usable implies a user");
    // "SSO only": the password was right, but this org signs in with its provider. Said only
    // after the check, so it tells nothing to someone who doesn't know the password.
    if let Some(org_name) = crate::sso::password_refused(db, &user).await? {
        attempt.release(db).await?;
        return Err(ApiError::SsoRequired(org_name));
    }
    Ok((user, attempt))
}

/// Whether a user whose credential was right may have a session: active, and (unless a
/// superuser) with a home org that isn't suspended.
pub(crate) async fn may_sign_in(state: &AppState, user: &UserRow) -> Result<bool> {
    if user.status != UserStatus::Active {
        return Ok(false);
    }
    let mut conn = state.db.pool.acquire().await?;
    let home = crate::access::load_path(&mut conn, &user.home_org_id).await?;
    Ok(user.is_superuser() || home.is_some_and(|p| !p.is_suspended()))
}

/// The second step of a sign-in inside its transaction: a needed but missing factor gives the
/// reservation back (the password was right) and answers `mfa_required`; a wrong code keeps
/// it (a failed attempt). The transaction is ended before the limiter is written to (on
/// SQLite it holds the write lock).
async fn second_step(
    state: &AppState,
    mut tx: crate::db::Tx,
    attempt: ratelimit::Attempt,
    user: &UserRow,
    otp: Option<&str>,
    recovery_code: Option<&str>,
    actor: &Actor,
) -> Result<(crate::db::Tx, mfa::SecondStep, ratelimit::Attempt)> {
    match mfa::second_factor(&mut tx, &state.clock, user, otp, recovery_code, actor).await {
        Ok(step) => Ok((tx, step, attempt)),
        Err(e @ ApiError::MfaRequired { .. }) => {
            drop(tx);
            attempt.release(&state.db).await?;
            Err(e)
        }
        Err(e) => {
            attempt.failed();
            Err(e)
        }
    }
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse, description = "signed in; sets the session cookie"),
              (status = 401, description = "email or password is incorrect (`unauthorized`); a second factor is needed and none was sent (`mfa_required`, `fields.methods` lists what would do: `totp`, `recovery_code`, `passkey` — a passkey signs in by itself through `/api/v1/auth/passkey/start` and `…/finish`); or the `otp` / `recovery_code` sent is wrong, expired or already used (`unauthorized` naming that field). No session is made."),
              (status = 403, description = "`sso_required`: the password is right, but the account's org signs in with its identity provider only (the message names the org)"),
              (status = 422), (status = 429, description = "too many attempts for this account or address; wrong codes count too")))]
#[tracing::instrument(skip_all)]
pub async fn login(State(state): State<AppState>, parts: Parts, jar: CookieJar, Json(body): Json<LoginRequest>) -> Result<impl IntoResponse> {
    let (jar, answer) = sign_in(&state, &parts, jar, &body).await?;
    Ok((jar, Json(answer)))
}

/// Checks the credentials (and the second factor), opens a session and records the sign-in;
/// the cookies to set and the answer. The one sign-in path of the API and of the sign-in form
/// posted before hydration ([`super::form_login`]).
pub(crate) async fn sign_in(state: &AppState, parts: &Parts, jar: CookieJar, body: &LoginRequest) -> Result<(CookieJar, LoginResponse)> {
    let (request_id, ip) = request_meta(parts);
    let (user, attempt) = check_credentials(state, &ip, &body.email, body.password.expose()).await?;
    let actor = Actor {
        user_id: Some(user.id.clone()),
        email: Some(user.email.clone()),
        home_org_id: Some(user.home_org_id.clone()),
        request_id: Some(request_id),
        ip: Some(ip.clone()),
        note: None,
    };
    let tx = audit::begin(&state.db).await?;
    let (mut tx, _step, attempt) = second_step(&state, tx, attempt, &user, body.otp.as_deref(), body.recovery_code.as_deref(), &actor).await?;
    // A session for a user whom the policy requires to have a factor, and who has none, is
    // enrol-only (`open_session` decides).
    let new = open_session(&mut tx, &state, &parts, &jar, &user.id, &ip).await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(crate::db::now_ms()).bind(&user.id).execute(&mut *tx).await?;
    attempt.succeeded(&mut tx).await?;
    audit::record(&mut tx, &actor, Event {
        org_id: Some(&user.home_org_id),
        action: "auth.login",
        object_type: "session",
        object_id: Some(&user.id),
        summary: format!("{} signed in", user.email),
    })
    .await?;
    tx.commit().await?;
    let home_org = load_org_api(&state.db, &user.home_org_id).await?;
    let csrf_token = new.csrf_token.clone();
    let mfa_enrollment_required = new.mfa_pending;
    Ok((session_cookies(state, jar, new), LoginResponse { user: user.to_api(), home_org, csrf_token, mfa_enrollment_required }))
}

/// Starts a session for `user_id` inside `tx`, rotating away whatever session this browser
/// had. Sign-in and accepting an invitation both go through here.
pub(crate) async fn open_session(
    tx: &mut crate::db::Tx,
    state: &AppState,
    parts: &Parts,
    jar: &CookieJar,
    user_id: &str,
    ip: &str,
) -> Result<session::NewSession> {
    let user_agent = parts.headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if let Some(old) = jar.get(state.config.session_cookie()) {
        session::delete(tx, &super::hash_secret(old.value())).await?;
    }
    let user: UserRow = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1")).bind(user_id).fetch_one(&mut **tx).await?;
    let mfa_pending = mfa::enrollment_pending(&mut **tx, &user).await?;
    Ok(session::create(tx, user_id, ip, user_agent, mfa_pending).await?)
}

/// The session cookie and its readable CSRF companion, for a session opened by [`open_session`]
/// (set only after its transaction committed).
pub(crate) fn session_cookies(state: &AppState, jar: CookieJar, new: session::NewSession) -> CookieJar {
    jar.add(cookie(state.config.session_cookie(), new.raw_id, true, state.config.tls))
        .add(cookie(csrf_cookie_name(state), new.csrf_token, false, state.config.tls))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "signed out; the session is dead"), (status = 401), (status = 403, description = "missing CSRF token")))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn logout(State(state): State<AppState>, caller: Caller, jar: CookieJar) -> Result<impl IntoResponse> {
    if let AuthKind::Session { id_hash, .. } = &caller.auth {
        let mut tx = audit::begin(&state.db).await?;
        session::delete(&mut tx, id_hash).await?;
        audit::record(&mut tx, &caller.own_actor(), Event {
            org_id: Some(&caller.user.home_org_id),
            action: "auth.logout",
            object_type: "session",
            object_id: Some(&caller.user.id),
            summary: format!("{} signed out", caller.user.email),
        })
        .await?;
        tx.commit().await?;
    }
    let jar = jar
        .remove(cookie(state.config.session_cookie(), String::new(), true, state.config.tls))
        .remove(cookie(csrf_cookie_name(&state), String::new(), false, state.config.tls));
    Ok((jar, StatusCode::NO_CONTENT))
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    params(("X-Org-Id" = Option<String>, Header, description = "the org the token is made in: when the maker's role there ends or is lowered (a delegation revoked or expired), the token is revoked")),
    responses((status = 201, body = TokenCreated, description = "the token, shown once"),
        (status = 404, description = "X-Org-Id names an org the user can't open"),
        (status = 401, description = "bad credentials; or `mfa_required` when the user has a second factor, or is under a sign-in policy that requires one, and sent no (or no usable) `otp` / `recovery_code`"),
        (status = 403, description = "`sso_required`: the account's org signs in with its identity provider only"),
        (status = 422), (status = 429)))]
#[tracing::instrument(skip_all)]
pub async fn create_token(State(state): State<AppState>, parts: Parts, Json(body): Json<TokenRequest>) -> Result<impl IntoResponse> {
    let (request_id, ip) = request_meta(&parts);
    let mut errors = FieldErrors::default();
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("name", "must be 1 to 100 characters");
    }
    let days = body.expires_in_days.unwrap_or(token::DEFAULT_DAYS);
    if !(1..=365).contains(&days) {
        errors.add("expires_in_days", "must be between 1 and 365");
    }
    errors.finish()?;
    let (user, attempt) = check_credentials(&state, &ip, &body.email, body.password.expose()).await?;
    let actor = Actor {
        user_id: Some(user.id.clone()),
        email: Some(user.email.clone()),
        home_org_id: Some(user.home_org_id.clone()),
        request_id: Some(request_id),
        ip: Some(ip),
        note: None,
    };
    let tx = audit::begin(&state.db).await?;
    let (mut tx, step, attempt) = second_step(&state, tx, attempt, &user, body.otp.as_deref(), body.recovery_code.as_deref(), &actor).await?;
    if step == mfa::SecondStep::MustEnrol {
        // A token is a password-equivalent that outlives the session: under the policy it needs
        // a second factor, which this user has yet to enrol (in the web app).
        drop(tx);
        attempt.release(&state.db).await?;
        return Err(ApiError::MfaRequired { methods: vec![shared::settings::MfaMethod::Totp.as_str()] });
    }
    // Made while acting in an org (X-Org-Id): remember where and with which role, so the token
    // is revoked when that access ends (a delegation revoked or expired).
    let acting_org = parts.headers.get(crate::http::context::ORG_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty());
    let acting = match acting_org {
        None => None,
        Some(org_id) => {
            let path = match uuid::Uuid::parse_str(org_id) {
                Ok(id) => crate::access::load_path(&mut tx, &id.to_string()).await?,
                Err(_) => None,
            };
            let grants = crate::access::Grants::load_with(&mut tx, &user).await?;
            match path.as_ref().and_then(|p| grants.role_in(p).map(|r| (p.nodes[0].id.clone(), r))) {
                Some(found) => Some(found),
                None => {
                    drop(tx);
                    attempt.release(&state.db).await?;
                    return Err(ApiError::NotFound);
                }
            }
        }
    };
    attempt.succeeded(&mut tx).await?;
    let created = token::create(&mut tx, &user.id, &name, days, acting.as_ref().map(|(o, r)| (o.as_str(), *r))).await?;
    audit::record(&mut tx, &actor, Event {
        org_id: Some(&user.home_org_id),
        action: "token.create",
        object_type: "api_token",
        object_id: Some(&created.id.to_string()),
        summary: match &acting {
            Some((org, role)) => format!("{} created the token \"{}\" acting as {role} in org {org}", user.email, name),
            None => format!("{} created the token \"{}\"", user.email, name),
        },
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>> {
    let home_org = load_org_api(&state.db, &caller.user.home_org_id).await?;
    let (csrf_token, mfa_enrollment_required) = match caller.auth {
        AuthKind::Session { csrf_token, mfa_pending, .. } => (Some(csrf_token), mfa_pending),
        AuthKind::Token { .. } | AuthKind::Approval => (None, false),
    };
    Ok(Json(Me { is_superuser: caller.user.is_superuser(), user: caller.user.to_api(), home_org, csrf_token, mfa_enrollment_required }))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth", responses((status = 200, body = Vec<TokenInfo>), (status = 401)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn list_tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<TokenInfo>>> {
    Ok(Json(token::list(&state.db, &caller.user.id).await?))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn revoke_token(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    let mut tx = audit::begin(&state.db).await?;
    if !token::revoke(&mut tx, &caller.user.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&caller.user.home_org_id),
        action: "token.revoke",
        object_type: "api_token",
        object_id: Some(&id),
        summary: format!("{} revoked a token", caller.user.email),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
