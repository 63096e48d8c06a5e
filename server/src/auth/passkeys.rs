//! Passkeys (WebAuthn, checked by webauthn-rs): a signed-in user registers, names and removes
//! them; anyone signs in with one without typing an email (discoverable credentials), from the
//! sign-in page's button or the browser's autofill (conditional UI).
//!
//! - **Relying party** = the base domain, subdomains allowed: one passkey signs in on the main
//!   host and on every tenant host `<slug>.<base>`.
//! - **Ceremony state** (the challenge and what webauthn-rs needs to check the answer) is kept
//!   in the database (`webauthn_ceremonies`), so any server process can finish what another
//!   started. It is bound to one browser by an HttpOnly cookie holding a random value: a row is
//!   found by the hash of that value and the challenge the authenticator signed, so a page may
//!   run two ceremonies at once (autofill waiting while the button is used). It lives
//!   [`CEREMONY_MS`] and is deleted by the first attempt to finish it.
//! - **User verification** (PIN, fingerprint, face) is required, so a passkey sign-in is
//!   multi-factor by itself: it satisfies `sign_in_policy.require_mfa` unless the policy's
//!   `allowed_methods` leave passkeys out. Failed sign-ins count against the sign-in limit.
//! - Adding or removing one takes a fresh proof ([`mfa::check_proof`]: the password, a TOTP
//!   code, or an assertion by another passkey) and ends the user's other sessions. Every
//!   enrolment, rename, removal and passkey sign-in is an audit event.
use super::{hash_secret, mfa, random_secret, ratelimit, routes, session};
use crate::audit::{self, Actor, Event};
use crate::config::Config;
use crate::db::rows::{USER_COLUMNS, UserRow};
use crate::db::{new_id, parse_uuid, rfc3339};
use crate::http::context::{AuthKind, Caller, request_meta};
use crate::http::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{FreshProof, LoginResponse, PasskeyCredential, PasskeyInfo, PasskeyOptions, PasskeyRegistrationStart, PasskeyRename};
use shared::settings::MfaMethod;
use sqlx::AnyConnection;
use utoipa_axum::{router::OpenApiRouter, routes};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder, WebauthnError,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_start))
        .routes(routes!(register_finish))
        .routes(routes!(rename, remove))
        .routes(routes!(sign_in_start))
        .routes(routes!(sign_in_finish))
}

/// How long a ceremony may take (also the timeout the browser is given).
pub const CEREMONY_MS: i64 = 5 * 60 * 1000;
/// Live sign-in ceremonies one client address may hold (each lives [`CEREMONY_MS`]): every
/// sign-in page load starts one for passkey autofill, so an office behind one address needs
/// room; a flood from one address does not get it.
pub const CEREMONIES_PER_IP: i64 = 100;
/// Passkeys per user; more is a mistake or an attack (each one is a way in).
pub const MAX_PER_USER: i64 = 20;
const NAME_MAX: usize = 60;

/// The relying party: the base domain, its origin, and every subdomain of it.
fn relying_party(config: &Config) -> Result<Webauthn> {
    let origin = Url::parse(&config.base_origin()).map_err(|e| anyhow::anyhow!("base origin {}: {e}", config.base_origin()))?;
    let webauthn = WebauthnBuilder::new(&config.base_domain, &origin)
        .and_then(|b| b.rp_name("Tenantry").allow_subdomains(true).timeout(std::time::Duration::from_millis(CEREMONY_MS as u64)).build())
        .map_err(|e| anyhow::anyhow!("relying party {} at {origin}: {e}", config.base_domain))?;
    Ok(webauthn)
}

// ---- ceremonies: in the database, bound to the browser by a cookie, single use ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Register,
    Authenticate,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Register => "register",
            Kind::Authenticate => "authenticate",
        }
    }
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.config.tls { "__Host-tenantry_webauthn" } else { "tenantry_webauthn" }
}

/// Host-only, HttpOnly, Strict: only this site's own scripts' requests carry it.
fn ceremony_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(cookie_name(state), value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(state.config.tls);
    c.set_max_age(time::Duration::milliseconds(CEREMONY_MS));
    c
}

/// The row key of a ceremony: this browser's cookie value with the challenge.
fn ceremony_key(browser: &str, challenge: &[u8]) -> String {
    hash_secret(&format!("{browser}:{}", credential_key(challenge)))
}

/// The challenge in the options webauthn-rs made (`publicKey.challenge`, base64url).
fn challenge_of_options(opts: &PasskeyOptions) -> Result<Vec<u8>> {
    opts.public_key
        .get("challenge")
        .and_then(|c| c.as_str())
        .and_then(decode_b64url)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("webauthn options without a challenge")))
}

/// The challenge an authenticator's answer signed (in its `clientDataJSON`).
fn challenge_of_answer(client_data_json: &[u8]) -> Option<Vec<u8>> {
    let client_data: serde_json::Value = serde_json::from_slice(client_data_json).ok()?;
    decode_b64url(client_data.get("challenge")?.as_str()?)
}

fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// Stores a new ceremony for this browser (which keeps its cookie, or gets one) and sets
/// the cookie for another [`CEREMONY_MS`].
async fn begin_ceremony(
    state: &AppState,
    jar: CookieJar,
    ip: &str,
    kind: Kind,
    user_id: Option<&str>,
    name: Option<&str>,
    opts: &PasskeyOptions,
    ceremony: &impl Serialize,
) -> Result<CookieJar> {
    let now = state.clock.now_ms();
    let browser = jar.get(cookie_name(state)).map(|c| c.value().to_string()).filter(|v| v.len() >= 32).unwrap_or_else(random_secret);
    let json = serde_json::to_string(ceremony).map_err(|e| anyhow::anyhow!("ceremony state: {e}"))?;
    let mut tx = state.db.begin().await?;
    // Expired ceremonies are useless; trimming at every start keeps the table small.
    sqlx::query("DELETE FROM webauthn_ceremonies WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
    // Anyone may start a sign-in, so one address gets a bounded number of live ones: a burst
    // is refused (429) instead of filling the table. Signed-in registrations aren't capped.
    if user_id.is_none() {
        let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webauthn_ceremonies WHERE client_ip = $1 AND user_id IS NULL")
            .bind(ip)
            .fetch_one(&mut *tx)
            .await?;
        if live >= CEREMONIES_PER_IP {
            return Err(ApiError::RateLimited);
        }
    }
    sqlx::query("INSERT INTO webauthn_ceremonies (id_hash, kind, user_id, name, state, expires_at, client_ip) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(ceremony_key(&browser, &challenge_of_options(opts)?))
        .bind(kind.as_str())
        .bind(user_id)
        .bind(name)
        .bind(json)
        .bind(now + CEREMONY_MS)
        .bind(ip)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(jar.add(ceremony_cookie(state, browser)))
}

struct Ceremony {
    user_id: Option<String>,
    name: Option<String>,
    state: String,
}

fn no_ceremony() -> ApiError {
    ApiError::field("ceremony", "has expired or was already used, or was started in another browser: start again")
}

/// Takes (deletes) this browser's ceremony of `kind` whose challenge the answer signed
/// (`client_data_json`): a second attempt to finish it finds nothing. Missing, expired, of
/// another kind or another browser: 422 naming `ceremony`.
async fn take_ceremony(state: &AppState, jar: &CookieJar, kind: Kind, client_data_json: &[u8]) -> Result<Ceremony> {
    let Some(cookie) = jar.get(cookie_name(state)) else { return Err(no_ceremony()) };
    let Some(challenge) = challenge_of_answer(client_data_json) else {
        return Err(ApiError::field("credential", "has no readable clientDataJSON with a challenge"));
    };
    let row: Option<(String, Option<String>, Option<String>, String, i64)> =
        sqlx::query_as("DELETE FROM webauthn_ceremonies WHERE id_hash = $1 RETURNING kind, user_id, name, state, expires_at")
            .bind(ceremony_key(cookie.value(), &challenge))
            .fetch_optional(&state.db.pool)
            .await?;
    match row {
        Some((k, user_id, name, st, expires_at)) if k == kind.as_str() && expires_at > state.clock.now_ms() => {
            Ok(Ceremony { user_id, name, state: st })
        }
        _ => Err(no_ceremony()),
    }
}

fn decode_state<T: DeserializeOwned>(ceremony: &Ceremony) -> Result<T> {
    serde_json::from_str(&ceremony.state).map_err(|e| ApiError::Internal(anyhow::anyhow!("corrupt webauthn_ceremonies.state: {e}")))
}

/// The browser's answer, read into webauthn-rs's type; 422 naming `field` if it isn't one.
fn parse_credential<T: DeserializeOwned>(field: &str, value: &serde_json::Value) -> Result<T> {
    serde_json::from_value(value.clone()).map_err(|e| ApiError::field(field, format!("is not a WebAuthn credential ({e})")))
}

/// Why webauthn-rs refused an answer, in words for the person.
fn refusal(e: &WebauthnError) -> String {
    match e {
        WebauthnError::UserNotVerified => {
            "was made without user verification (a PIN, fingerprint or face); Tenantry requires it".to_string()
        }
        other => format!("could not be verified ({other})"),
    }
}

fn options(value: impl Serialize) -> Result<PasskeyOptions> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("webauthn options: {e}")))
}

// ---- stored passkeys ----

#[derive(sqlx::FromRow)]
struct PasskeyRow {
    id: String,
    user_id: String,
    name: String,
    passkey: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

const PASSKEY_COLUMNS: &str = "id, user_id, name, passkey, created_at, last_used_at";

impl PasskeyRow {
    fn info(&self) -> PasskeyInfo {
        PasskeyInfo { id: parse_uuid(&self.id), name: self.name.clone(), created_at: rfc3339(self.created_at), last_used_at: self.last_used_at.map(rfc3339) }
    }

    fn key(&self) -> Result<Passkey> {
        serde_json::from_str(&self.passkey).map_err(|e| ApiError::Internal(anyhow::anyhow!("corrupt passkeys.passkey of {}: {e}", self.id)))
    }
}

fn credential_key(raw_id: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw_id)
}

/// The user's passkeys, oldest first (for `GET /api/v1/me/mfa`).
pub async fn list(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<PasskeyInfo>, sqlx::Error> {
    let rows: Vec<PasskeyRow> = sqlx::query_as(&format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"))
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(PasskeyRow::info).collect())
}

/// One of the caller's own passkeys; another user's (or none) is 404 alike.
async fn own_passkey(state: &AppState, caller: &Caller, id: &str) -> Result<PasskeyRow> {
    sqlx::query_as(&format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE id = $1 AND user_id = $2"))
        .bind(id)
        .bind(&caller.user.id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(ApiError::NotFound)
}

/// 1 to 60 characters, trimmed, no control characters.
fn valid_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(ApiError::field("name", format!("must be 1 to {NAME_MAX} characters, without control characters")));
    }
    Ok(name.to_string())
}

fn browser_only(caller: &Caller) -> Result<()> {
    match caller.auth {
        AuthKind::Session { .. } => Ok(()),
        AuthKind::Token { .. } => Err(ApiError::Forbidden("passkeys are added in the browser; sign in with it".into())),
        AuthKind::Approval => Err(ApiError::Forbidden("passkeys are added by their owner in the browser".into())),
    }
}

// ---- checking an assertion (sign-in and fresh proof) ----

/// A checked assertion: the passkey that made it (its stored state already updated) and its user.
struct Asserted {
    row: PasskeyRow,
    key: Passkey,
}

/// The stored passkey an assertion names (by credential id, and by user handle when the
/// authenticator sent one).
async fn find_by_assertion(state: &AppState, cred: &PublicKeyCredential) -> Result<Option<PasskeyRow>> {
    let row: Option<PasskeyRow> = sqlx::query_as(&format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1"))
        .bind(credential_key(cred.get_credential_id()))
        .fetch_optional(&state.db.pool)
        .await?;
    let handle = cred.get_user_unique_id().and_then(|h| Uuid::from_slice(h).ok());
    Ok(row.filter(|r| handle.is_none_or(|h| parse_uuid(&r.user_id) == h)))
}

/// Checks `cred` against the ceremony's challenge and the passkey `row`; the passkey's new
/// state (signature counter, backup flags) on success, why not otherwise.
fn check_assertion(state: &AppState, ceremony: &Ceremony, cred: &PublicKeyCredential, row: PasskeyRow) -> Result<std::result::Result<Asserted, String>> {
    let challenge: DiscoverableAuthentication = decode_state(ceremony)?;
    let mut key = row.key()?;
    let webauthn = relying_party(&state.config)?;
    Ok(match webauthn.finish_discoverable_authentication_v2(cred, challenge, &key) {
        Ok(result) if result.user_verified() => {
            key.update_credential(&result);
            Ok(Asserted { row, key })
        }
        Ok(_) => Err(refusal(&WebauthnError::UserNotVerified)),
        Err(e) => Err(refusal(&e)),
    })
}

/// Records a passkey's use: its new state and `last_used_at`.
async fn touch(conn: &mut AnyConnection, now: i64, asserted: &Asserted) -> Result<()> {
    let json = serde_json::to_string(&asserted.key).map_err(|e| anyhow::anyhow!("passkey state: {e}"))?;
    sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3").bind(json).bind(now).bind(&asserted.row.id).execute(&mut *conn).await?;
    Ok(())
}

/// For [`mfa::check_proof`]: whether `credential` is a valid assertion by one of `user`'s
/// passkeys, answering the challenge this browser got from `POST /api/v1/auth/passkey/start`.
/// No live challenge: 422 (`ceremony`); not an assertion: 422 (`passkey`).
pub(crate) async fn verify_proof(state: &AppState, jar: &CookieJar, user: &UserRow, credential: &serde_json::Value) -> Result<bool> {
    let cred: PublicKeyCredential = parse_credential("passkey", credential)?;
    let ceremony = take_ceremony(state, jar, Kind::Authenticate, &cred.response.client_data_json).await?;
    let Some(row) = find_by_assertion(state, &cred).await?.filter(|r| r.user_id == user.id) else { return Ok(false) };
    match check_assertion(state, &ceremony, &cred, row)? {
        Ok(asserted) => {
            let mut conn = state.db.pool.acquire().await?;
            touch(&mut conn, state.clock.now_ms(), &asserted).await?;
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

// ---- registering ----

#[utoipa::path(post, path = "/api/v1/me/passkeys/register/start", tag = "auth", request_body = PasskeyRegistrationStart,
    responses((status = 200, body = PasskeyOptions, description = "options for `navigator.credentials.create()` (a discoverable credential with user verification, for the base domain and its subdomains); this browser gets a cookie binding the ceremony, valid 5 minutes"),
        (status = 401), (status = 403, description = "not a browser session (bearer token), or missing CSRF token"),
        (status = 409, description = "the caller already has 20 passkeys"),
        (status = 422, description = "`name` invalid; the fresh proof (`password`, `otp` or `passkey`) missing or incorrect"), (status = 429)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn register_start(State(state): State<AppState>, caller: Caller, parts: Parts, jar: CookieJar, Json(body): Json<PasskeyRegistrationStart>) -> Result<(CookieJar, axum::Json<PasskeyOptions>)> {
    browser_only(&caller)?;
    let name = valid_name(&body.name)?;
    let existing: Vec<PasskeyRow> = sqlx::query_as(&format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1"))
        .bind(&caller.user.id)
        .fetch_all(&state.db.pool)
        .await?;
    if existing.len() as i64 >= MAX_PER_USER {
        return Err(ApiError::Conflict { field: "passkeys", message: format!("you already have {MAX_PER_USER} passkeys; remove one first") });
    }
    let proof = FreshProof { password: body.password, otp: body.otp, passkey: body.passkey };
    mfa::check_proof(&state, &caller, &jar, &proof).await?;
    let exclude = existing.iter().map(|r| r.key().map(|k| k.cred_id().clone())).collect::<Result<Vec<_>>>()?;
    let user_handle = Uuid::parse_str(&caller.user.id).map_err(|e| anyhow::anyhow!("user id {}: {e}", caller.user.id))?;
    let webauthn = relying_party(&state.config)?;
    let (creation, registration) = webauthn
        .start_passkey_registration(user_handle, &caller.user.email, &caller.user.name, Some(exclude))
        .map_err(|e| anyhow::anyhow!("starting a passkey registration: {e}"))?;
    let mut opts = options(creation)?;
    // A discoverable (resident) credential: at sign-in the passkey itself names the account,
    // so nobody types an email. webauthn-rs's passkey defaults only suggest one.
    if let Some(selection) = opts.public_key.get_mut("authenticatorSelection").and_then(|v| v.as_object_mut()) {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    let jar = begin_ceremony(&state, jar, &request_meta(&parts).1, Kind::Register, Some(&caller.user.id), Some(&name), &opts, &registration).await?;
    Ok((jar, axum::Json(opts)))
}

#[utoipa::path(post, path = "/api/v1/me/passkeys/register/finish", tag = "auth", request_body = PasskeyCredential,
    responses((status = 201, body = PasskeyInfo, description = "the passkey is registered; every other session of the user has ended"),
        (status = 401), (status = 403, description = "not a browser session (bearer token), or missing CSRF token"),
        (status = 409, description = "this passkey is already registered"),
        (status = 422, description = "`ceremony`: none in this browser (expired, used, or never started); `credential`: not an attestation, or refused (wrong challenge or origin, no user verification)")))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn register_finish(
    State(state): State<AppState>,
    caller: Caller,
    jar: CookieJar,
    Json(body): Json<PasskeyCredential>,
) -> Result<(StatusCode, axum::Json<PasskeyInfo>)> {
    browser_only(&caller)?;
    let cred: RegisterPublicKeyCredential = parse_credential("credential", &body.credential)?;
    let ceremony = take_ceremony(&state, &jar, Kind::Register, &cred.response.client_data_json).await?;
    if ceremony.user_id.as_deref() != Some(caller.user.id.as_str()) {
        return Err(no_ceremony());
    }
    let registration: PasskeyRegistration = decode_state(&ceremony)?;
    let webauthn = relying_party(&state.config)?;
    let key = webauthn.finish_passkey_registration(&cred, &registration).map_err(|e| ApiError::field("credential", refusal(&e)))?;
    let credential_id = credential_key(key.cred_id());
    let name = ceremony.name.unwrap_or_else(|| "Passkey".to_string());
    let now = state.clock.now_ms();
    let id = new_id();
    let mut tx = audit::begin(&state.db).await?;
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM passkeys WHERE credential_id = $1").bind(&credential_id).fetch_optional(&mut *tx).await?;
    if taken.is_some() {
        return Err(ApiError::Conflict { field: "credential", message: "this passkey is already registered".into() });
    }
    let json = serde_json::to_string(&key).map_err(|e| anyhow::anyhow!("passkey state: {e}"))?;
    sqlx::query("INSERT INTO passkeys (id, user_id, credential_id, name, passkey, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)")
        .bind(&id)
        .bind(&caller.user.id)
        .bind(&credential_id)
        .bind(&name)
        .bind(json)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    // The overview counts users with a second factor (recounted with the change).
    crate::db::counters::refresh(&mut tx, &[&caller.user.home_org_id]).await?;
    session::end_others(&mut tx, &caller.user.id, mfa::current_session(&caller)).await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&caller.user.home_org_id),
        action: "mfa.passkey.enrol",
        object_type: "passkey",
        object_id: Some(&id),
        summary: format!("{} added the passkey \"{name}\"", caller.user.email),
    })
    .await?;
    tx.commit().await?;
    let info = PasskeyInfo { id: parse_uuid(&id), name, created_at: rfc3339(now), last_used_at: None };
    Ok((StatusCode::CREATED, axum::Json(info)))
}

// ---- naming and removing ----

#[utoipa::path(patch, path = "/api/v1/me/passkeys/{id}", tag = "auth", request_body = PasskeyRename, params(("id" = String, Path)),
    responses((status = 200, body = PasskeyInfo, description = "renamed"), (status = 401), (status = 404, description = "no such passkey of the caller's"), (status = 422)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn rename(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Json(body): Json<PasskeyRename>) -> Result<axum::Json<PasskeyInfo>> {
    let mut row = own_passkey(&state, &caller, &id).await?;
    let name = valid_name(&body.name)?;
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3").bind(&name).bind(&row.id).bind(&caller.user.id).execute(&mut *tx).await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&caller.user.home_org_id),
        action: "mfa.passkey.rename",
        object_type: "passkey",
        object_id: Some(&row.id),
        summary: format!("{} renamed the passkey \"{}\" to \"{name}\"", caller.user.email, row.name),
    })
    .await?;
    tx.commit().await?;
    row.name = name;
    Ok(axum::Json(row.info()))
}

#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "auth", request_body = FreshProof, params(("id" = String, Path)),
    responses((status = 204, description = "removed; every other session of the user has ended"), (status = 401),
        (status = 404, description = "no such passkey of the caller's"),
        (status = 422, description = "the fresh proof (`password`, `otp` or `passkey`) missing or incorrect"), (status = 429)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn remove(State(state): State<AppState>, caller: Caller, jar: CookieJar, Path(id): Path<String>, Json(body): Json<FreshProof>) -> Result<StatusCode> {
    let row = own_passkey(&state, &caller, &id).await?;
    mfa::check_proof(&state, &caller, &jar, &body).await?;
    let mut tx = audit::begin(&state.db).await?;
    let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2").bind(&row.id).bind(&caller.user.id).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    // The overview counts users with a second factor (recounted with the change).
    crate::db::counters::refresh(&mut tx, &[&caller.user.home_org_id]).await?;
    session::end_others(&mut tx, &caller.user.id, mfa::current_session(&caller)).await?;
    mfa::restrict_if_unprotected(&mut tx, &caller.user).await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&caller.user.home_org_id),
        action: "mfa.passkey.remove",
        object_type: "passkey",
        object_id: Some(&row.id),
        summary: format!("{} removed the passkey \"{}\"", caller.user.email, row.name),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- signing in ----

#[utoipa::path(post, path = "/api/v1/auth/passkey/start", tag = "auth",
    responses((status = 200, body = PasskeyOptions, description = "options for `navigator.credentials.get()`: no allowed credentials (the passkey names the account), user verification required, `mediation: conditional` so they also suit autofill. This browser gets a cookie binding the challenge, valid 5 minutes; starting again replaces it. The answer goes to `/api/v1/auth/passkey/finish`, or as `passkey` in a fresh proof."),
        (status = 429, description = "this address has too many sign-ins started and not finished (at most `CEREMONIES_PER_IP` in 5 minutes)")))]
#[tracing::instrument(skip_all)]
pub async fn sign_in_start(State(state): State<AppState>, parts: Parts, jar: CookieJar) -> Result<(CookieJar, axum::Json<PasskeyOptions>)> {
    let webauthn = relying_party(&state.config)?;
    let (request, challenge) = webauthn.start_discoverable_authentication().map_err(|e| anyhow::anyhow!("starting a passkey sign-in: {e}"))?;
    let opts = options(request)?;
    let jar = begin_ceremony(&state, jar, &request_meta(&parts).1, Kind::Authenticate, None, None, &opts, &challenge).await?;
    Ok((jar, axum::Json(opts)))
}

#[utoipa::path(post, path = "/api/v1/auth/passkey/finish", tag = "auth", request_body = PasskeyCredential,
    responses((status = 200, body = LoginResponse, description = "signed in (a passkey with user verification is multi-factor by itself); sets the session cookie"),
        (status = 401, description = "the passkey was not accepted: unknown, its signature or challenge wrong, or no user verification (`fields.credential` says which). Counts against the sign-in limit."),
        (status = 403, description = "the sign-in policy of the user's organization doesn't accept passkeys; or `sso_required`: the account's org signs in with its identity provider only (the message names the org)"),
        (status = 422, description = "`ceremony`: no challenge in this browser (expired, used, or never started); `credential`: not an assertion"),
        (status = 429, description = "too many failed attempts for this account or address")))]
#[tracing::instrument(skip_all)]
pub async fn sign_in_finish(
    State(state): State<AppState>,
    parts: Parts,
    jar: CookieJar,
    Json(body): Json<PasskeyCredential>,
) -> Result<(CookieJar, axum::Json<LoginResponse>)> {
    let (request_id, ip) = request_meta(&parts);
    let cred: PublicKeyCredential = parse_credential("credential", &body.credential)?;
    let ceremony = take_ceremony(&state, &jar, Kind::Authenticate, &cred.response.client_data_json).await?;
    let row = find_by_assertion(&state, &cred).await?;
    let user: Option<UserRow> = match &row {
        Some(r) => sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1")).bind(&r.user_id).fetch_optional(&state.db.pool).await?,
        None => None,
    };
    // Counted before the check, per account (an unknown passkey: per credential) and address.
    let limit_key = match &user {
        Some(u) => u.email.clone(),
        None => format!("passkey:{}", credential_key(cred.get_credential_id())),
    };
    let Some(attempt) = ratelimit::reserve(&state.db, &state.clock, &limit_key, &ip).await? else {
        return Err(ApiError::RateLimited);
    };
    let refused = |why: String| ApiError::BadPasskey { reason: why };
    let (Some(row), Some(user)) = (row, user) else {
        attempt.failed();
        return Err(refused("is not registered here".into()));
    };
    let asserted = match check_assertion(&state, &ceremony, &cred, row)? {
        Ok(a) => a,
        Err(why) => {
            attempt.failed();
            return Err(refused(why));
        }
    };
    if !routes::may_sign_in(&state, &user).await? {
        attempt.failed();
        return Err(refused("belongs to an account that can't sign in".into()));
    }
    // "SSO only" turns every sign-in of Tenantry's own off for the org, passkeys included
    // (the provider decides who may come in). Said only after the check, as for passwords.
    if let Some(org_name) = crate::sso::password_refused(&state.db, &user).await? {
        attempt.release(&state.db).await?;
        return Err(ApiError::SsoRequired(org_name));
    }
    let mut conn = state.db.pool.acquire().await?;
    let allowed = mfa::policy_binding(&mut conn, &user).await?;
    drop(conn);
    if allowed.is_some_and(|a| !a.contains(&MfaMethod::Passkey)) {
        attempt.release(&state.db).await?;
        return Err(ApiError::Forbidden("your organization's sign-in policy doesn't accept passkeys: sign in with your password and second factor".into()));
    }
    let actor = Actor {
        user_id: Some(user.id.clone()),
        email: Some(user.email.clone()),
        home_org_id: Some(user.home_org_id.clone()),
        request_id: Some(request_id),
        ip: Some(ip.clone()),
        note: None,
    };
    let now = state.clock.now_ms();
    let mut tx = audit::begin(&state.db).await?;
    touch(&mut tx, now, &asserted).await?;
    let new = routes::open_session(&mut tx, &state, &parts, &jar, &user.id, &ip).await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(crate::db::now_ms()).bind(&user.id).execute(&mut *tx).await?;
    attempt.succeeded(&mut tx).await?;
    audit::record(&mut tx, &actor, Event {
        org_id: Some(&user.home_org_id),
        action: "auth.login.passkey",
        object_type: "passkey",
        object_id: Some(&asserted.row.id),
        summary: format!("{} signed in with the passkey \"{}\"", user.email, asserted.row.name),
    })
    .await?;
    tx.commit().await?;
    let home_org = crate::orgs::load_org_api(&state.db, &user.home_org_id).await?;
    let csrf_token = new.csrf_token.clone();
    let mfa_enrollment_required = new.mfa_pending;
    let jar = routes::session_cookies(&state, jar, new);
    Ok((jar, axum::Json(LoginResponse { user: user.to_api(), home_org, csrf_token, mfa_enrollment_required })))
}
