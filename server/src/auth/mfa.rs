//! Second sign-in factors: TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) with ten
//! single-use recovery codes, and the `sign_in_policy` setting that can require them.
//!
//! Endpoints: `GET /api/v1/me/mfa`, `POST|DELETE /api/v1/me/mfa/totp`,
//! `POST /api/v1/me/mfa/totp/confirm`, `POST /api/v1/me/mfa/recovery_codes`. The sign-in side
//! ([`second_factor`]) is called by `auth::routes` for `/auth/login` and `/auth/token`.
//! Passkeys, the third kind of factor, live in [`super::passkeys`]; they are counted here.
//!
//! Times come from the server's [`Clock`], so tests compute codes at a time they pin. A used
//! time step is stored and never accepted again (no replay, even of a code still valid).
use utoipa_axum::{router::OpenApiRouter, routes};
use super::{hash_secret, passkeys, password, ratelimit, session};
use crate::access::OrgPath;
use crate::audit::{self, Actor, Event};
use crate::http::context::{AuthKind, Caller};
use crate::db::{Tx, new_id};
use crate::http::error::{ApiError, Result};
use crate::db::rows::UserRow;
use crate::http::state::{AppState, Clock};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::CookieJar;
use rand::Rng;
use shared::api::{FreshProof, MfaStatus, RecoveryCodes, TotpConfirm, TotpEnrollment, TotpStart};
use shared::settings::{MfaMethod, SignInPolicy};
use shared::OrgKind;
use sqlx::AnyConnection;
use totp_rs::{Algorithm, Secret, TOTP};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(start_totp, remove_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(regenerate_recovery_codes))
}

const ISSUER: &str = "Tenantry";
const STEP_SECONDS: u64 = 30;
const RECOVERY_CODES: usize = 10;

/// What a restricted (`mfa_pending`) session may still call: see who it is, enrol, sign out.
pub fn allowed_while_pending(path: &str) -> bool {
    path == "/api/v1/me" || path.starts_with("/api/v1/me/mfa") || path.starts_with("/api/v1/me/passkeys") || path == "/api/v1/auth/logout"
}

fn totp(secret_b32: &str, account: &str) -> Result<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().map_err(|e| anyhow::anyhow!("stored TOTP secret: {e:?}"))?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECONDS, bytes, Some(ISSUER.to_string()), account.to_string())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("building TOTP: {e:?}")))
}

/// The time step a code belongs to, if it is right for now ±1 step (compared in constant time).
fn matching_step(t: &TOTP, code: &str, now_ms: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = (now_ms.max(0) / 1000) as u64;
    let origin = now / STEP_SECONDS;
    let mut found = None;
    for step in origin.saturating_sub(1)..=origin + 1 {
        let expected = t.generate(step * STEP_SECONDS);
        let same = expected.len() == code.len() && expected.bytes().zip(code.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
        if same {
            found = Some(step as i64);
        }
    }
    found
}

/// The user's enrolled factors.
#[derive(Debug, Default, Clone)]
pub struct Factors {
    pub totp: bool,
    pub recovery_codes_left: i64,
    pub passkeys: i64,
}

impl Factors {
    pub async fn load(conn: &mut AnyConnection, user_id: &str) -> Result<Factors, sqlx::Error> {
        let totp: Option<i64> = sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
        let left: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?;
        let passkeys: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?;
        Ok(Factors { totp: totp.is_some(), recovery_codes_left: left, passkeys })
    }

    /// The factors a binding sign-in policy accepts (`allowed`); the others don't count.
    pub fn only(self, allowed: Option<&[MfaMethod]>) -> Factors {
        let Some(allowed) = allowed else { return self };
        Factors {
            totp: self.totp && allowed.contains(&MfaMethod::Totp),
            recovery_codes_left: if allowed.contains(&MfaMethod::RecoveryCode) { self.recovery_codes_left } else { 0 },
            passkeys: if allowed.contains(&MfaMethod::Passkey) { self.passkeys } else { 0 },
        }
    }

    /// A factor that a sign-in can be asked for (recovery codes only back up the others).
    pub fn any(&self) -> bool {
        self.totp || self.passkeys > 0
    }

    /// Methods that would complete a sign-in, for `mfa_required`. A passkey completes it by
    /// itself (`POST /api/v1/auth/passkey/start` and `…/finish`), in place of the password.
    pub fn methods(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.totp {
            m.push(MfaMethod::Totp.as_str());
        }
        if self.recovery_codes_left > 0 {
            m.push(MfaMethod::RecoveryCode.as_str());
        }
        if self.passkeys > 0 {
            m.push(MfaMethod::Passkey.as_str());
        }
        m
    }
}

/// Whether the sign-in policy requires a second factor of the user (by their home org's path;
/// rules in [`SignInPolicy`]'s doc).
pub async fn policy_requires(conn: &mut AnyConnection, user: &UserRow) -> Result<bool, sqlx::Error> {
    Ok(policy_binding(conn, user).await?.is_some())
}

/// The methods the sign-in policy accepts from the user, when a policy requiring a second
/// factor binds them; `None` when none does (then every enrolled factor counts).
pub async fn policy_binding(conn: &mut AnyConnection, user: &UserRow) -> Result<Option<Vec<MfaMethod>>, sqlx::Error> {
    let Some(path) = crate::access::load_path(&mut *conn, &user.home_org_id).await? else { return Ok(None) };
    let ids: Vec<&str> = path.nodes.iter().map(|n| n.id.as_str()).collect();
    let list: Vec<String> = (2..=ids.len() + 1).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT org_id, value FROM org_settings WHERE key = $1 AND org_id IN ({})", list.join(", "));
    let mut q = sqlx::query_as::<_, (String, String)>(&sql).bind(shared::settings::SettingKey::SignInPolicy.as_str());
    for id in &ids {
        q = q.bind(id.to_string());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let own: Vec<Option<SignInPolicy>> = path
        .nodes
        .iter()
        .map(|n| rows.iter().find(|(org, _)| org == &n.id).and_then(|(_, v)| serde_json::from_str(v).ok()))
        .collect();
    Ok(binding(&path, &own))
}

/// Whether the policy binds (for the tests of the inheritance rules).
#[cfg(test)]
fn requires(path: &OrgPath, own: &[Option<SignInPolicy>]) -> bool {
    binding(path, own).is_some()
}

/// The methods a binding policy accepts, or `None` when no policy requires a factor.
/// `own[i]` is the override of `path.nodes[i]` (nearest first). The nearest override decides,
/// except that an MSP above the home org reaches it only with `apply_to_customers`, and an
/// MSP's mandate with `apply_to_customers` can't be switched off below it. The methods are
/// those every binding policy allows (the nearest one's if they share none, so a user is never
/// left without a way in).
fn binding(path: &OrgPath, own: &[Option<SignInPolicy>]) -> Option<Vec<MfaMethod>> {
    let crosses_to_customer = |i: usize| i > 0 && path.nodes[i].kind == OrgKind::Msp;
    let nearest = own.iter().enumerate().find_map(|(i, p)| p.as_ref().map(|p| (i, p)));
    let by_nearest = nearest.filter(|(i, p)| p.require_mfa && (!crosses_to_customer(*i) || p.apply_to_customers)).map(|(_, p)| p);
    let by_msp = own
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_ref().filter(|p| crosses_to_customer(i) && p.require_mfa && p.apply_to_customers));
    let binding: Vec<&SignInPolicy> = by_nearest.into_iter().chain(by_msp).collect();
    let first = binding.first()?;
    let shared: Vec<MfaMethod> =
        first.allowed_methods.iter().copied().filter(|m| binding.iter().all(|p| p.allowed_methods.contains(m))).collect();
    Some(if shared.is_empty() { first.allowed_methods.clone() } else { shared })
}

/// Whether a session opened now for `user_id` must be enrol-only.
pub async fn enrollment_pending(conn: &mut AnyConnection, user: &UserRow) -> Result<bool, sqlx::Error> {
    let Some(allowed) = policy_binding(&mut *conn, user).await? else { return Ok(false) };
    Ok(!Factors::load(&mut *conn, &user.id).await?.only(Some(allowed.as_slice())).any())
}

/// Checks a TOTP code and burns its time step, atomically: of two requests with the same
/// code, one wins.
async fn use_otp(tx: &mut Tx, user: &UserRow, code: &str, now_ms: i64) -> Result<bool> {
    let row: Option<(String, i64)> = sqlx::query_as("SELECT secret, last_step FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL")
        .bind(&user.id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some((secret, last_step)) = row else { return Ok(false) };
    let Some(step) = matching_step(&totp(&secret, &user.email)?, code, now_ms) else { return Ok(false) };
    if step <= last_step {
        return Ok(false);
    }
    let done = sqlx::query("UPDATE user_totp SET last_step = $1 WHERE user_id = $2 AND last_step < $1")
        .bind(step)
        .bind(&user.id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
}

/// Spends a recovery code (and records it in the audit trail of `tx`).
async fn use_recovery_code(tx: &mut Tx, user: &UserRow, code: &str, now_ms: i64, actor: &Actor) -> Result<bool> {
    let done = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
        .bind(now_ms)
        .bind(&user.id)
        .bind(hash_secret(&normalize_recovery(code)))
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    audit::record(tx, actor, Event {
        org_id: Some(&user.home_org_id),
        action: "mfa.recovery_code.use",
        object_type: "user",
        object_id: Some(&user.id),
        summary: format!("{} signed in with a recovery code", user.email),
    })
    .await?;
    Ok(true)
}

/// Replaces the user's recovery codes with ten new ones; returns them (the only time they
/// exist in clear). 10 characters of a 32-letter alphabet: 50 bits each.
async fn new_recovery_codes(tx: &mut Tx, user_id: &str, now_ms: i64) -> Result<Vec<String>, sqlx::Error> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: String = {
            let mut rng = rand::rngs::OsRng;
            (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
        };
        sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(new_id())
            .bind(user_id)
            .bind(hash_secret(&raw))
            .bind(now_ms)
            .execute(&mut **tx)
            .await?;
        codes.push(format!("{}-{}", &raw[..5], &raw[5..]));
    }
    Ok(codes)
}

/// The outcome of the second step of a sign-in whose password was right.
#[derive(Debug, PartialEq, Eq)]
pub enum SecondStep {
    /// No factor enrolled and none required.
    NotNeeded,
    /// A factor was enrolled and the code was right (the step or recovery code is spent in `tx`).
    Passed,
    /// The policy requires a factor and the user has none: a session may only enrol one.
    MustEnrol,
}

/// The second step of a sign-in, inside the sign-in's transaction. Errors: `mfa_required`
/// when a factor is enrolled and no code was sent; `BadCode` for a wrong, expired or replayed
/// code (the caller keeps the rate-limit reservation: a wrong code is a failed attempt).
pub async fn second_factor(
    tx: &mut Tx,
    clock: &Clock,
    user: &UserRow,
    otp: Option<&str>,
    recovery_code: Option<&str>,
    actor: &Actor,
) -> Result<SecondStep> {
    let allowed = policy_binding(&mut **tx, user).await?;
    // Under a policy, only the factors it allows count (and can be used).
    let factors = Factors::load(&mut **tx, &user.id).await?.only(allowed.as_deref());
    let otp = otp.map(str::trim).filter(|s| !s.is_empty());
    let recovery_code = recovery_code.map(str::trim).filter(|s| !s.is_empty());
    if !factors.any() {
        return if allowed.is_some() { Ok(SecondStep::MustEnrol) } else { Ok(SecondStep::NotNeeded) };
    }
    let now = clock.now_ms();
    match (otp.filter(|_| factors.totp), recovery_code.filter(|_| factors.recovery_codes_left > 0)) {
        (Some(code), _) => {
            if use_otp(tx, user, code, now).await? { Ok(SecondStep::Passed) } else { Err(ApiError::BadCode { field: "otp" }) }
        }
        (None, Some(code)) => {
            if use_recovery_code(tx, user, code, now, actor).await? {
                Ok(SecondStep::Passed)
            } else {
                Err(ApiError::BadCode { field: "recovery_code" })
            }
        }
        // A code for a method the user lacks (or the policy refuses) is a wrong code.
        (None, None) if otp.is_some() => Err(ApiError::BadCode { field: "otp" }),
        (None, None) if recovery_code.is_some() => Err(ApiError::BadCode { field: "recovery_code" }),
        (None, None) => Err(ApiError::MfaRequired { methods: factors.methods() }),
    }
}

/// A fresh proof for changing factors: the password, a current TOTP code (with TOTP
/// enrolled), or an assertion by one of the caller's passkeys (answering a challenge this
/// browser got from `POST /api/v1/auth/passkey/start`). Counted by the sign-in limiter like a
/// sign-in. A wrong proof is a 422 naming the field, so the page doesn't mistake it for an
/// expired session.
pub(crate) async fn check_proof(state: &AppState, caller: &Caller, jar: &CookieJar, proof: &FreshProof) -> Result<()> {
    let pw = proof.password.as_deref().filter(|p| !p.is_empty());
    let otp = proof.otp.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let passkey = proof.passkey.as_ref().filter(|v| !v.is_null());
    if pw.is_none() && otp.is_none() && passkey.is_none() {
        return Err(ApiError::field("password", "is required (or send otp, or a passkey assertion)"));
    }
    let Some(attempt) = ratelimit::reserve(&state.db, &state.clock, &caller.user.email, &caller.ip).await? else {
        return Err(ApiError::RateLimited);
    };
    let (ok, field, wrong) = if let Some(pw) = pw {
        let hash: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(&caller.user.id).fetch_optional(&state.db.pool).await?;
        (password::verify(hash, pw.to_string()).await?, "password", "is incorrect")
    } else if let Some(otp) = otp {
        let mut tx = audit::begin(&state.db).await?;
        let ok = use_otp(&mut tx, &caller.user, otp, state.clock.now_ms()).await?;
        tx.commit().await?;
        (ok, "otp", "is incorrect, expired or already used")
    } else {
        match passkeys::verify_proof(state, jar, &caller.user, passkey.unwrap_or(&serde_json::Value::Null)).await {
            Ok(ok) => (ok, "passkey", "was not accepted: use one of your own passkeys, with its PIN or biometrics"),
            Err(e) => {
                // No live challenge in this browser: nothing was checked.
                attempt.release(&state.db).await?;
                return Err(e);
            }
        }
    };
    if !ok {
        attempt.failed();
        return Err(ApiError::field(field, wrong));
    }
    attempt.release(&state.db).await?;
    Ok(())
}

pub(crate) fn current_session(caller: &Caller) -> Option<&str> {
    match &caller.auth {
        AuthKind::Session { id_hash, .. } => Some(id_hash.as_str()),
        AuthKind::Token { .. } | AuthKind::Approval => None,
    }
}

#[utoipa::path(get, path = "/api/v1/me/mfa", tag = "auth",
    responses((status = 200, body = MfaStatus, description = "the caller's second factors"), (status = 401)))]
#[tracing::instrument(skip(state, caller), fields(user = %caller.user.id))]
pub async fn status(State(state): State<AppState>, caller: Caller) -> Result<Json<MfaStatus>> {
    let mut conn = state.db.pool.acquire().await?;
    let factors = Factors::load(&mut conn, &caller.user.id).await?;
    let required_by_policy = policy_requires(&mut conn, &caller.user).await?;
    let passkeys = passkeys::list(&mut conn, &caller.user.id).await?;
    Ok(Json(MfaStatus { totp: factors.totp, passkeys, recovery_codes_left: factors.recovery_codes_left, required_by_policy }))
}

#[utoipa::path(post, path = "/api/v1/me/mfa/totp", tag = "auth", request_body = TotpStart,
    responses((status = 200, body = TotpEnrollment, description = "a new secret; not active until confirmed with a code"),
        (status = 401), (status = 409, description = "TOTP is already enrolled (remove it first)"),
        (status = 422, description = "`password` missing or incorrect"), (status = 429)))]
#[tracing::instrument(skip(state, caller, body), fields(user = %caller.user.id))]
pub async fn start_totp(State(state): State<AppState>, caller: Caller, Json(body): Json<TotpStart>) -> Result<Json<TotpEnrollment>> {
    check_proof(&state, &caller, &CookieJar::new(), &FreshProof { password: Some(body.password), ..FreshProof::default() }).await?;
    let mut tx = audit::begin(&state.db).await?;
    let confirmed: Option<Option<i64>> =
        sqlx::query_scalar("SELECT confirmed_at FROM user_totp WHERE user_id = $1").bind(&caller.user.id).fetch_optional(&mut *tx).await?;
    if confirmed.flatten().is_some() {
        return Err(ApiError::Conflict { field: "totp", message: "an authenticator is already enrolled; remove it first".into() });
    }
    let secret = {
        let mut bytes = [0u8; 20];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        Secret::Raw(bytes.to_vec()).to_encoded().to_string()
    };
    let t = totp(&secret, &caller.user.email)?;
    sqlx::query(
        "INSERT INTO user_totp (user_id, secret, created_at, confirmed_at, last_step) VALUES ($1, $2, $3, NULL, 0) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0",
    )
    .bind(&caller.user.id)
    .bind(&secret)
    .bind(state.clock.now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let otpauth_url = t.get_url();
    Ok(Json(TotpEnrollment { secret, qr_svg: qr_svg(&otpauth_url)?, otpauth_url }))
}

/// A QR code of `text` as a standalone SVG document, for the authenticator app's camera.
fn qr_svg(text: &str) -> Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR code of the otpauth URL: {e}")))?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    // Without the XML declaration: the page puts the <svg> element inline.
    Ok(svg.find("<svg").map_or_else(|| svg.clone(), |i| svg[i..].to_string()))
}

#[utoipa::path(post, path = "/api/v1/me/mfa/totp/confirm", tag = "auth", request_body = TotpConfirm,
    responses((status = 200, body = RecoveryCodes, description = "TOTP is active; ten recovery codes, shown once. Every other session of the user has ended."),
        (status = 401), (status = 404, description = "no enrolment started"), (status = 422, description = "`code` is incorrect or expired"), (status = 429)))]
#[tracing::instrument(skip(state, caller, body), fields(user = %caller.user.id))]
pub async fn confirm_totp(State(state): State<AppState>, caller: Caller, Json(body): Json<TotpConfirm>) -> Result<Json<RecoveryCodes>> {
    let Some(attempt) = ratelimit::reserve(&state.db, &state.clock, &caller.user.email, &caller.ip).await? else {
        return Err(ApiError::RateLimited);
    };
    let now = state.clock.now_ms();
    let mut tx = audit::begin(&state.db).await?;
    let pending: Option<String> = sqlx::query_scalar("SELECT secret FROM user_totp WHERE user_id = $1 AND confirmed_at IS NULL")
        .bind(&caller.user.id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(secret) = pending else {
        drop(tx);
        attempt.release(&state.db).await?;
        return Err(ApiError::NotFound);
    };
    let Some(step) = matching_step(&totp(&secret, &caller.user.email)?, &body.code, now) else {
        drop(tx);
        attempt.failed();
        return Err(ApiError::field("code", "is incorrect or expired"));
    };
    sqlx::query("UPDATE user_totp SET confirmed_at = $1, last_step = $2 WHERE user_id = $3").bind(now).bind(step).bind(&caller.user.id).execute(&mut *tx).await?;
    // The overview counts users with a second factor (recounted with the change).
    crate::db::counters::refresh(&mut tx, &[&caller.user.home_org_id]).await?;
    let codes = new_recovery_codes(&mut tx, &caller.user.id, now).await?;
    session::end_others(&mut tx, &caller.user.id, current_session(&caller)).await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&caller.user.home_org_id),
        action: "mfa.totp.enrol",
        object_type: "user",
        object_id: Some(&caller.user.id),
        summary: format!("{} enrolled an authenticator app (TOTP) and got new recovery codes", caller.user.email),
    })
    .await?;
    attempt.succeeded(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(RecoveryCodes { recovery_codes: codes }))
}

#[utoipa::path(delete, path = "/api/v1/me/mfa/totp", tag = "auth", request_body = FreshProof,
    responses((status = 204, description = "TOTP and the recovery codes are gone; every other session of the user has ended"),
        (status = 401), (status = 404, description = "no TOTP enrolled"), (status = 422, description = "`password` / `otp` missing or incorrect"), (status = 429)))]
#[tracing::instrument(skip(state, caller, body), fields(user = %caller.user.id))]
pub async fn remove_totp(State(state): State<AppState>, caller: Caller, jar: CookieJar, Json(body): Json<FreshProof>) -> Result<StatusCode> {
    check_proof(&state, &caller, &jar, &body).await?;
    let mut tx = audit::begin(&state.db).await?;
    let done = sqlx::query("DELETE FROM user_totp WHERE user_id = $1").bind(&caller.user.id).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(&caller.user.id).execute(&mut *tx).await?;
    // The overview counts users with a second factor (recounted with the change).
    crate::db::counters::refresh(&mut tx, &[&caller.user.home_org_id]).await?;
    session::end_others(&mut tx, &caller.user.id, current_session(&caller)).await?;
    // Under a policy that requires a factor, the remaining session is enrol-only again (so a
    // new phone can be set up, but nothing else done without one) unless another factor is left.
    restrict_if_unprotected(&mut tx, &caller.user).await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&caller.user.home_org_id),
        action: "mfa.totp.remove",
        object_type: "user",
        object_id: Some(&caller.user.id),
        summary: format!("{} removed their authenticator app (TOTP) and recovery codes", caller.user.email),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/me/mfa/recovery_codes", tag = "auth", request_body = FreshProof,
    responses((status = 200, body = RecoveryCodes, description = "ten new codes, shown once; the old ones no longer work"),
        (status = 401), (status = 404, description = "no second factor enrolled"), (status = 422), (status = 429)))]
#[tracing::instrument(skip(state, caller, body), fields(user = %caller.user.id))]
pub async fn regenerate_recovery_codes(State(state): State<AppState>, caller: Caller, jar: CookieJar, Json(body): Json<FreshProof>) -> Result<Json<RecoveryCodes>> {
    check_proof(&state, &caller, &jar, &body).await?;
    let mut tx = audit::begin(&state.db).await?;
    if !Factors::load(&mut tx, &caller.user.id).await?.any() {
        return Err(ApiError::NotFound);
    }
    let codes = new_recovery_codes(&mut tx, &caller.user.id, state.clock.now_ms()).await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&caller.user.home_org_id),
        action: "mfa.recovery_codes.regenerate",
        object_type: "user",
        object_id: Some(&caller.user.id),
        summary: format!("{} generated new recovery codes", caller.user.email),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(RecoveryCodes { recovery_codes: codes }))
}

/// After a factor was removed (inside its transaction): under a policy that requires one, a
/// user left without an accepted factor gets enrol-only sessions again.
pub(crate) async fn restrict_if_unprotected(tx: &mut Tx, user: &UserRow) -> Result<(), sqlx::Error> {
    if enrollment_pending(&mut **tx, user).await? {
        sqlx::query("UPDATE sessions SET mfa_pending = 1 WHERE user_id = $1").bind(&user.id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// For lists that show who is protected: the factors of many users in one query.
pub async fn factors_of(conn: &mut AnyConnection, user_ids: &[String]) -> Result<std::collections::HashMap<String, Vec<&'static str>>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    if user_ids.is_empty() {
        return Ok(out);
    }
    let list: Vec<String> = (1..=user_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT user_id FROM user_totp WHERE confirmed_at IS NOT NULL AND user_id IN ({})", list.join(", "));
    let mut q = sqlx::query_scalar::<_, String>(&sql);
    for id in user_ids {
        q = q.bind(id.clone());
    }
    for id in q.fetch_all(&mut *conn).await? {
        out.entry(id).or_insert_with(Vec::new).push(MfaMethod::Totp.as_str());
    }
    let sql = format!("SELECT DISTINCT user_id FROM passkeys WHERE user_id IN ({})", list.join(", "));
    let mut q = sqlx::query_scalar::<_, String>(&sql);
    for id in user_ids {
        q = q.bind(id.clone());
    }
    for id in q.fetch_all(&mut *conn).await? {
        out.entry(id).or_insert_with(Vec::new).push(MfaMethod::Passkey.as_str());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::PathNode;
    use shared::OrgStatus;

    fn path(kinds: &[OrgKind]) -> OrgPath {
        OrgPath {
            nodes: kinds
                .iter()
                .enumerate()
                .map(|(i, k)| PathNode { id: i.to_string(), kind: *k, status: OrgStatus::Active, email_domain: None })
                .collect(),
        }
    }

    fn policy(require: bool, customers: bool) -> Option<SignInPolicy> {
        Some(SignInPolicy { require_mfa: require, apply_to_customers: customers, ..SignInPolicy::default() })
    }

    #[test]
    fn policy_reaches_customers_only_when_the_msp_says_so() {
        let staff = path(&[OrgKind::Msp]);
        assert!(requires(&staff, &[policy(true, false)]));
        assert!(!requires(&staff, &[None]));
        let customer_user = path(&[OrgKind::Child, OrgKind::Customer, OrgKind::Msp]);
        assert!(!requires(&customer_user, &[None, None, policy(true, false)]));
        assert!(requires(&customer_user, &[None, None, policy(true, true)]));
        // The customer turns it on for itself; its child inherits.
        assert!(requires(&customer_user, &[None, policy(true, false), None]));
        // A customer can't switch off its MSP's mandate; it can switch off its own parent's.
        assert!(requires(&customer_user, &[policy(false, false), None, policy(true, true)]));
        assert!(!requires(&customer_user, &[policy(false, false), policy(true, false), None]));
    }

    #[test]
    fn the_accepted_methods_are_those_every_binding_policy_allows() {
        let with = |methods: &[MfaMethod], customers: bool| {
            Some(SignInPolicy { require_mfa: true, apply_to_customers: customers, allowed_methods: methods.to_vec() })
        };
        let customer_user = path(&[OrgKind::Customer, OrgKind::Msp]);
        assert_eq!(binding(&customer_user, &[None, None]), None);
        assert_eq!(binding(&customer_user, &[None, policy(true, true)]), Some(MfaMethod::ALL.to_vec()));
        // The MSP's mandate allows passkeys only; the customer's own policy adds TOTP: passkeys.
        let both = [with(&[MfaMethod::Totp, MfaMethod::Passkey], false), with(&[MfaMethod::Passkey], true)];
        assert_eq!(binding(&customer_user, &both), Some(vec![MfaMethod::Passkey]));
        // Nothing in common: the nearest policy's methods, never none.
        let apart = [with(&[MfaMethod::Totp], false), with(&[MfaMethod::Passkey], true)];
        assert_eq!(binding(&customer_user, &apart), Some(vec![MfaMethod::Totp]));
    }

    #[test]
    fn codes_match_their_step_and_neighbours_only() {
        let secret = Secret::Raw(vec![7u8; 20]).to_encoded().to_string();
        let t = totp(&secret, "a@b.example").unwrap();
        let now_ms = 1_800_000_000_000;
        let step = now_ms / 1000 / 30;
        let code = t.generate((now_ms / 1000) as u64);
        assert_eq!(matching_step(&t, &code, now_ms), Some(step));
        assert_eq!(matching_step(&t, &code, now_ms + 30_000), Some(step));
        assert_eq!(matching_step(&t, &code, now_ms + 90_000), None);
        assert_eq!(matching_step(&t, "12345", now_ms), None);
    }
}
