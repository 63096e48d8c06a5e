//! Single sign-on with OpenID Connect, per org (issue 13).
//!
//! An org admin sets the org's provider (`GET/PUT/DELETE /api/v1/sso`): issuer (checked by
//! discovery), client id, client secret (sealed with AES-256-GCM under `TENANTRY_SECRET_KEY`,
//! never returned), the role of people created at their first sign-in, and "SSO only". A child
//! tenant without its own uses its nearest ancestor's, up to the org that owns the email
//! domain: the domain names the org, the org names its provider.
//!
//! Sign-in is identity-first. `GET /api/v1/auth/sso/discover?email=` tells the sign-in page
//! whether the address's org signs in elsewhere; `GET /auth/sso/start?email=` sends the
//! browser there (authorization code + PKCE; `state`, `nonce` and the PKCE verifier are
//! stored in `sso_logins` and bound to this browser by a cookie). `GET /auth/sso/callback`
//! uses the stored sign-in once, exchanges the code, and has the `openidconnect` crate check
//! the ID token (signature against the provider's JWKS, `iss`, `aud`, `exp`, `nonce`). The
//! email must be verified and inside the org's domain — [`parse_invitee`], the invitations'
//! own rule. The provider's subject is then linked to the user: created just-in-time with the
//! configured role, or an existing user of that address at the first link; afterwards the
//! subject alone finds the user. Problems land on `/login?error=sso_…`, which the page
//! explains.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::{OrgPath, load_path};
use crate::audit::{self, Actor, Event};
use crate::auth::routes::{cookie, open_session, session_cookies};
use crate::auth::{hash_secret, random_secret};
use crate::config::Config;
use crate::db::rows::{USER_COLUMNS, UserRow};
use crate::db::{Db, Tx, new_id, now_ms, parse_uuid, rfc3339};
use crate::http::context::{OrgAdmin, OrgCtx, request_meta};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::http::extract::{Json, Query};
use crate::http::state::AppState;
use crate::invitations::parse_invitee;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce as GcmNonce};
use axum::extract::State;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use rand::RngCore;
use serde::Deserialize;
use shared::access::may_grant;
use shared::sso::{PutSso, SsoDiscoverQuery, SsoDiscovery, SsoProvider};
use shared::{Email, EmailDomain, Role, UserStatus};
use sqlx::AnyConnection;
use std::sync::OnceLock;

/// How long a sign-in may take at the provider.
const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;

pub fn router() -> OpenApiRouter<crate::http::state::AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_sso, put_sso, delete_sso))
        .routes(routes!(discover))
        .route("/auth/sso/start", get(start))
        .route("/auth/sso/callback", get(callback))
}

// ---------------------------------------------------------------------------------------
// Sealing the client secret

/// `base64(nonce || AES-256-GCM(secret))` with the org id as associated data, so a sealed
/// secret copied into another org's row does not open.
fn seal(key: &[u8; 32], org_id: &str, secret: &str) -> String {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(GcmNonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: org_id.as_bytes() })
        .expect("AES-GCM seals any message this short");
    base64::engine::general_purpose::STANDARD.encode([nonce.as_slice(), &sealed].concat())
}

fn open(key: &[u8; 32], org_id: &str, stored: &str) -> anyhow::Result<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(stored)?;
    anyhow::ensure!(bytes.len() > 12, "sealed secret too short");
    let (nonce, sealed) = bytes.split_at(12);
    let plain = Aes256Gcm::new(key.into())
        .decrypt(GcmNonce::from_slice(nonce), Payload { msg: sealed, aad: org_id.as_bytes() })
        .map_err(|_| anyhow::anyhow!("the SSO client secret of org {org_id} does not open with TENANTRY_SECRET_KEY"))?;
    Ok(String::from_utf8(plain)?)
}

fn secret_key(config: &Config) -> Result<&[u8; 32]> {
    config
        .secret_key
        .as_ref()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("TENANTRY_SECRET_KEY is not set: SSO client secrets can't be sealed or opened")))
}

// ---------------------------------------------------------------------------------------
// Providers

#[derive(sqlx::FromRow)]
struct ProviderRow {
    org_id: String,
    org_name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    default_role: String,
    sso_only: i64,
    updated_at: i64,
}

const PROVIDER_SQL: &str = "SELECT p.org_id, o.name AS org_name, p.issuer, p.client_id, p.client_secret, p.default_role, p.sso_only, p.updated_at \
     FROM sso_providers p JOIN orgs o ON o.id = p.org_id WHERE p.org_id = $1";

/// The provider for the org at the start of `path`: its own, else the nearest ancestor's,
/// looking no further up than the org that owns the email domain (a customer never signs in
/// with its MSP's provider: another domain, other people).
async fn provider_for(conn: &mut AnyConnection, path: &OrgPath) -> Result<Option<ProviderRow>, sqlx::Error> {
    for node in &path.nodes {
        let row: Option<ProviderRow> = sqlx::query_as(PROVIDER_SQL).bind(&node.id).fetch_optional(&mut *conn).await?;
        if row.is_some() {
            return Ok(row);
        }
        if node.email_domain.is_some() {
            break;
        }
    }
    Ok(None)
}

/// For password (and passkey) sign-in: `Some(org name)` when the user's home org signs in
/// with a provider that has "SSO only" on. Superusers keep their password (the way back in
/// when a provider is misconfigured).
pub async fn password_refused(db: &Db, user: &UserRow) -> Result<Option<String>, sqlx::Error> {
    if user.is_superuser() {
        return Ok(None);
    }
    let mut conn = db.pool.acquire().await?;
    let Some(path) = load_path(&mut conn, &user.home_org_id).await? else { return Ok(None) };
    let provider = provider_for(&mut conn, &path).await?;
    Ok(provider.filter(|p| p.sso_only != 0).map(|p| p.org_name))
}

/// The issuer as typed: `https://`, or `http://` on a loopback address when
/// `TENANTRY_SSO_ALLOW_HTTP` is set; no credentials, query or fragment. Kept exactly (a
/// trailing slash matters: the ID token's `iss` must equal it).
fn parse_issuer(config: &Config, raw: &str) -> std::result::Result<IssuerUrl, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 500 {
        return Err("must be the provider's issuer URL (up to 500 characters)".into());
    }
    let issuer = IssuerUrl::new(raw.to_string()).map_err(|_| "is not a URL".to_string())?;
    let url = issuer.url();
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if config.sso_allow_http && loopback => {}
        _ => return Err("must start with https://".into()),
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err("must not carry credentials, a query or a fragment".into());
    }
    Ok(issuer)
}

/// One HTTP client for talking to providers: no redirects (they would open the server to
/// SSRF), a short timeout, and no idle connections kept (a sign-in talks to a provider a few
/// times a minute at most; a kept connection the provider has closed fails the next request).
fn http_client() -> &'static openidconnect::reqwest::Client {
    static CLIENT: OnceLock<openidconnect::reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client with default TLS settings builds")
    })
}

/// The provider's discovery document and keys (fetched each time: a provider rotates its
/// keys, and nothing is kept in one process that another would need).
async fn discover_provider(issuer: &IssuerUrl) -> anyhow::Result<CoreProviderMetadata> {
    CoreProviderMetadata::discover_async(issuer.clone(), http_client()).await.map_err(|e| anyhow::Error::new(e).context(format!("discovery at {}", issuer.as_str())))
}

/// Where the provider sends the browser back to: this host (the base domain, a tenant's
/// subdomain or the listening address — anything else falls back to the base domain).
async fn callback_url(state: &AppState, parts: &Parts) -> Result<String> {
    Ok(format!("{}/auth/sso/callback", crate::auth::handoff::origin_of(state, &parts.headers).await?))
}

// ---------------------------------------------------------------------------------------
// GET / PUT / DELETE /api/v1/sso

async fn to_api(state: &AppState, parts: &Parts, ctx: &OrgCtx, row: ProviderRow) -> Result<SsoProvider> {
    Ok(SsoProvider {
        issuer: row.issuer,
        client_id: row.client_id,
        client_secret_set: true,
        default_role: crate::db::decode("sso_providers.default_role", &row.default_role)?,
        sso_only: row.sso_only != 0,
        source_org_id: parse_uuid(&row.org_id),
        inherited: row.org_id != ctx.org_id(),
        source_org_name: row.org_name,
        redirect_uri: callback_url(state, parts).await?,
        updated_at: rfc3339(row.updated_at),
    })
}

#[utoipa::path(get, path = "/api/v1/sso", tag = "sso",
    params(("X-Org-Id" = Option<String>, Header, description = "the org")),
    responses((status = 200, body = SsoProvider, description = "the org's own provider, or the one it inherits (`inherited`); the client secret is never returned"),
        (status = 403, description = "not an admin of the org"), (status = 404, description = "no such org, or no provider for it")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn get_sso(State(state): State<AppState>, parts: Parts, ctx: OrgCtx) -> Result<Json<SsoProvider>> {
    ctx.admin()?;
    let mut conn = state.db.pool.acquire().await?;
    let row = provider_for(&mut conn, &ctx.path).await?.ok_or(ApiError::NotFound)?;
    drop(conn);
    Ok(Json(to_api(&state, &parts, &ctx, row).await?))
}

#[utoipa::path(put, path = "/api/v1/sso", tag = "sso", request_body = PutSso,
    params(("X-Org-Id" = Option<String>, Header, description = "the org")),
    responses((status = 200, body = SsoProvider, description = "the org's own provider, as stored"),
        (status = 403, description = "not an admin of the org"), (status = 404),
        (status = 422, description = "a field is invalid (named), `default_role` is above the admin's own, or the issuer's discovery document could not be read")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn put_sso(State(state): State<AppState>, parts: Parts, ctx: OrgCtx, Json(body): Json<PutSso>) -> Result<Json<SsoProvider>> {
    let admin = ctx.admin()?;
    set_provider(&state, admin, &body).await?;
    let mut conn = state.db.pool.acquire().await?;
    let row = provider_for(&mut conn, &ctx.path).await?.ok_or(ApiError::NotFound)?;
    drop(conn);
    Ok(Json(to_api(&state, &parts, &ctx, row).await?))
}

/// Validates and stores the admin's org's own provider (one transaction, audited).
pub async fn set_provider(state: &AppState, admin: OrgAdmin<'_>, body: &PutSso) -> Result<()> {
    let org_id = admin.org_id();
    let existing: Option<String> = sqlx::query_scalar("SELECT client_secret FROM sso_providers WHERE org_id = $1").bind(org_id).fetch_optional(&state.db.pool).await?;
    let mut errors = FieldErrors::default();
    let issuer = errors.check("issuer", parse_issuer(&state.config, &body.issuer).map_err(shared::FieldError));
    let client_id = body.client_id.trim().to_string();
    if client_id.is_empty() || client_id.len() > 255 || client_id.chars().any(char::is_control) {
        errors.add("client_id", "must be 1 to 255 characters");
    }
    let secret = body.client_secret.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match secret {
        Some(s) if s.len() > 1024 || s.chars().any(char::is_control) => errors.add("client_secret", "must be at most 1024 characters"),
        None if existing.is_none() => errors.add("client_secret", "is required"),
        _ => {}
    }
    let default_role = body.default_role.unwrap_or(Role::Member);
    if !may_grant(Some(admin.ctx().role), default_role) {
        errors.add("default_role", format!("can't be above your own role ({})", admin.ctx().role));
    }
    errors.finish()?;
    let issuer = issuer.expect("checked");
    // Only a provider that answers discovery is stored: a typo shows now, not at sign-in.
    if let Err(e) = discover_provider(&issuer).await {
        tracing::info!(error = format!("{e:#}"), "SSO discovery failed");
        return Err(ApiError::field("issuer", format!("no OpenID Connect discovery document could be read at {}/.well-known/openid-configuration", issuer.as_str().trim_end_matches('/'))));
    }
    let key = secret_key(&state.config)?;
    let sealed = match (secret, existing) {
        (Some(s), _) => seal(key, org_id, s),
        (None, Some(stored)) => stored,
        (None, None) => unreachable!("checked above"),
    };
    let sso_only = body.sso_only.unwrap_or(false);
    let now = now_ms();
    let mut tx = audit::begin(&state.db).await?;
    let updated = sqlx::query("UPDATE sso_providers SET issuer = $1, client_id = $2, client_secret = $3, default_role = $4, sso_only = $5, updated_at = $6 WHERE org_id = $7")
        .bind(issuer.as_str())
        .bind(&client_id)
        .bind(&sealed)
        .bind(default_role.as_str())
        .bind(i64::from(sso_only))
        .bind(now)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("INSERT INTO sso_providers (org_id, issuer, client_id, client_secret, default_role, sso_only, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
            .bind(org_id)
            .bind(issuer.as_str())
            .bind(&client_id)
            .bind(&sealed)
            .bind(default_role.as_str())
            .bind(i64::from(sso_only))
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(org_id),
        action: "sso.set",
        object_type: "sso_provider",
        object_id: Some(org_id),
        summary: format!(
            "set single sign-on: issuer {}, client id {client_id}{}, new people as {default_role}, {}",
            issuer.as_str(),
            if secret.is_some() { ", new client secret" } else { "" },
            if sso_only { "passwords off" } else { "passwords still allowed" }
        ),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

#[utoipa::path(delete, path = "/api/v1/sso", tag = "sso",
    params(("X-Org-Id" = Option<String>, Header, description = "the org")),
    responses((status = 204, description = "the org's own provider is removed (it inherits its ancestor's again, if any); people keep their accounts"),
        (status = 403), (status = 404, description = "no such org, or it has no provider of its own")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn delete_sso(State(state): State<AppState>, ctx: OrgCtx) -> Result<StatusCode> {
    let admin = ctx.admin()?;
    let mut tx = audit::begin(&state.db).await?;
    let done = sqlx::query("DELETE FROM sso_providers WHERE org_id = $1").bind(admin.org_id()).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: "sso.remove",
        object_type: "sso_provider",
        object_id: Some(admin.org_id()),
        summary: "removed single sign-on".into(),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Identity-first routing

/// The org a sign-in is for: on a tenant's subdomain, that tenant (when the address, if any,
/// is inside its domain); otherwise the org owning the address's domain.
async fn target_org(state: &AppState, parts: &Parts, email: Option<&str>) -> Result<Option<(String, OrgPath)>> {
    let email = email.map(str::trim).filter(|e| !e.is_empty()).and_then(|e| Email::parse(e).ok());
    let host = parts.headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let mut conn = state.db.pool.acquire().await?;
    if let Some(slug) = state.config.slug_from_host(host) {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1").bind(&slug).fetch_optional(&mut *conn).await?;
        if let Some(id) = id {
            let path = load_path(&mut conn, &id).await?.ok_or(ApiError::NotFound)?;
            let inside = match &email {
                None => true,
                Some(e) => EmailDomain::parse(path.effective_domain()).is_ok_and(|d| e.is_in_domain(&d)),
            };
            if inside {
                return Ok(Some((id, path)));
            }
        }
    }
    let Some(email) = email else { return Ok(None) };
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE email_domain = $1").bind(email.domain()).fetch_optional(&mut *conn).await?;
    let Some(id) = id else { return Ok(None) };
    Ok(load_path(&mut conn, &id).await?.map(|path| (id, path)))
}

/// The org and its provider for a sign-in, unless the org is suspended or has none.
async fn route(state: &AppState, parts: &Parts, email: Option<&str>) -> Result<Option<(String, OrgPath, ProviderRow)>> {
    let Some((org_id, path)) = target_org(state, parts, email).await? else { return Ok(None) };
    if path.is_suspended() {
        return Ok(None);
    }
    let mut conn = state.db.pool.acquire().await?;
    Ok(provider_for(&mut conn, &path).await?.map(|p| (org_id, path, p)))
}

#[utoipa::path(get, path = "/api/v1/auth/sso/discover", tag = "auth", params(SsoDiscoverQuery),
    responses((status = 200, body = SsoDiscovery, description = "whether the address's org (or, without one, the tenant of this subdomain) signs in with its own provider")))]
#[tracing::instrument(skip_all)]
pub async fn discover(State(state): State<AppState>, parts: Parts, Query(q): Query<SsoDiscoverQuery>) -> Result<Json<SsoDiscovery>> {
    let email = q.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let Some((_, _, provider)) = route(&state, &parts, email).await? else {
        return Ok(Json(SsoDiscovery { sso: false, sso_only: false, org_name: None, start_url: None }));
    };
    let start_url = match email {
        Some(e) => format!("/auth/sso/start?email={}", shared::sso::encode_query_value(e)),
        None => "/auth/sso/start".to_string(),
    };
    Ok(Json(SsoDiscovery { sso: true, sso_only: provider.sso_only != 0, org_name: Some(provider.org_name), start_url: Some(start_url) }))
}

// ---------------------------------------------------------------------------------------
// The browser's round trip: start → provider → callback

/// Why a sign-in through a provider did not happen; each is a `/login?error=` code the
/// sign-in page explains.
#[derive(Debug)]
enum Refused {
    /// No provider for this address (or its org is suspended).
    NoProvider,
    /// Unknown, used, expired or another browser's `state`.
    State,
    /// The provider said no (the person cancelled, or it refused).
    Denied,
    /// The provider's answer did not check out (code exchange, ID token), or something broke.
    Failed,
    /// No email in the ID token, or not verified by the provider.
    Unverified,
    /// The email is outside the org's domain.
    Domain,
    /// The address belongs to an account that can't be linked (a superuser, or one already
    /// linked to another account at this provider).
    Conflict,
    /// The account is disabled or its org suspended.
    Disabled,
}

impl Refused {
    fn code(&self) -> &'static str {
        match self {
            Refused::NoProvider => "sso_none",
            Refused::State => "sso_state",
            Refused::Denied => "sso_denied",
            Refused::Failed => "sso_failed",
            Refused::Unverified => "sso_unverified",
            Refused::Domain => "sso_domain",
            Refused::Conflict => "sso_conflict",
            Refused::Disabled => "sso_disabled",
        }
    }
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        let detail = e.detail(); // logs internal errors
        tracing::warn!(code = ?detail.code, "SSO sign-in failed");
        Refused::Failed
    }
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Refused {
        Refused::from(ApiError::from(e))
    }
}

/// Logs why the provider's side failed (the page only says that it did).
fn failed(e: impl std::fmt::Display) -> Refused {
    tracing::warn!(error = format!("{e:#}"), "SSO sign-in refused");
    Refused::Failed
}

fn back(refused: &Refused) -> Response {
    Redirect::to(&format!("/login?error={}", refused.code())).into_response()
}

/// The cookie binding a sign-in under way to this browser (host-only; `__Host-` under TLS).
fn browser_cookie_name(state: &AppState) -> &'static str {
    if state.config.tls { "__Host-tenantry_sso" } else { "tenantry_sso" }
}

#[derive(Deserialize)]
pub struct StartQuery {
    email: Option<String>,
}

/// Sends the browser to the provider of the address's org (or of this tenant subdomain).
#[tracing::instrument(skip_all)]
pub async fn start(State(state): State<AppState>, parts: Parts, jar: CookieJar, q: std::result::Result<axum::extract::Query<StartQuery>, QueryRejection>) -> Response {
    let email = q.ok().and_then(|q| q.0.email);
    match begin(&state, &parts, email.as_deref()).await {
        Ok((browser, url)) => {
            let mut c = cookie(browser_cookie_name(&state), browser, true, state.config.tls);
            c.set_max_age(time::Duration::milliseconds(LOGIN_TTL_MS));
            (jar.add(c), Redirect::to(&url)).into_response()
        }
        Err(refused) => back(&refused),
    }
}

async fn begin(state: &AppState, parts: &Parts, email: Option<&str>) -> std::result::Result<(String, String), Refused> {
    let (org_id, _, provider) = route(state, parts, email).await?.ok_or(Refused::NoProvider)?;
    let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(failed)?;
    let metadata = discover_provider(&issuer).await.map_err(failed)?;
    let redirect_uri = callback_url(state, parts).await?;
    // The secret is not needed to start; opening it checks the key still fits before the
    // person goes off to the provider.
    open(secret_key(&state.config)?, &provider.org_id, &provider.client_secret).map_err(failed)?;
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(provider.client_id.clone()), None)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.clone()).map_err(failed)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    if let Some(e) = email.map(str::trim).filter(|e| !e.is_empty()) {
        request = request.add_extra_param("login_hint", e.to_string());
    }
    let (url, csrf_state, nonce) = request.url();
    let browser = random_secret();
    let now = now_ms();
    // Not audited: nothing has changed yet. The finished sign-in is.
    sqlx::query("DELETE FROM sso_logins WHERE expires_at < $1").bind(now).execute(&state.db.pool).await?;
    sqlx::query(
        "INSERT INTO sso_logins (state_hash, browser_hash, org_id, provider_org_id, nonce, pkce_verifier, redirect_uri, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(hash_secret(csrf_state.secret()))
    .bind(hash_secret(&browser))
    .bind(&org_id)
    .bind(&provider.org_id)
    .bind(nonce.secret())
    .bind(verifier.secret())
    .bind(&redirect_uri)
    .bind(now)
    .bind(now + LOGIN_TTL_MS)
    .execute(&state.db.pool)
    .await?;
    Ok((browser, url.to_string()))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// RFC 9207: the issuer that answered, when the provider says.
    iss: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    browser_hash: String,
    org_id: String,
    provider_org_id: String,
    nonce: String,
    pkce_verifier: String,
    redirect_uri: String,
    expires_at: i64,
}

/// The provider's answer: signs the person in, or back to the sign-in page saying why.
#[tracing::instrument(skip_all)]
pub async fn callback(State(state): State<AppState>, parts: Parts, jar: CookieJar, q: std::result::Result<axum::extract::Query<CallbackQuery>, QueryRejection>) -> Response {
    let Ok(axum::extract::Query(q)) = q else { return back(&Refused::State) };
    let browser = jar.get(browser_cookie_name(&state)).map(|c| c.value().to_string());
    // The binding cookie goes once it has served; after a refusal it stays (a forged answer
    // opened first must not spoil the real one) and simply expires.
    match finish(&state, &parts, jar.clone(), q, browser).await {
        Ok((jar, enrol)) => {
            let jar = jar.remove(cookie(browser_cookie_name(&state), String::new(), true, state.config.tls));
            (jar, Redirect::to(if enrol { "/security" } else { "/" })).into_response()
        }
        Err(refused) => back(&refused),
    }
}

async fn finish(state: &AppState, parts: &Parts, jar: CookieJar, q: CallbackQuery, browser: Option<String>) -> std::result::Result<(CookieJar, bool), Refused> {
    let Some(csrf_state) = q.state.filter(|s| !s.is_empty() && s.len() <= 512) else { return Err(Refused::State) };
    // Used once, whatever happens next: a replayed or tampered answer finds nothing.
    let row: Option<LoginRow> = sqlx::query_as(
        "DELETE FROM sso_logins WHERE state_hash = $1 RETURNING browser_hash, org_id, provider_org_id, nonce, pkce_verifier, redirect_uri, expires_at",
    )
    .bind(hash_secret(&csrf_state))
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else { return Err(Refused::State) };
    if browser.is_none_or(|b| hash_secret(&b) != row.browser_hash) || row.expires_at < now_ms() {
        return Err(Refused::State);
    }
    if let Some(error) = q.error {
        tracing::info!(error = %error.chars().take(100).collect::<String>(), "the provider refused the sign-in");
        return Err(Refused::Denied);
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else { return Err(Refused::State) };
    let provider: ProviderRow = sqlx::query_as(PROVIDER_SQL).bind(&row.provider_org_id).fetch_optional(&state.db.pool).await?.ok_or(Refused::NoProvider)?;
    if q.iss.is_some_and(|iss| iss != provider.issuer) {
        return Err(failed("the answer names another issuer (mix-up)"));
    }
    let secret = open(secret_key(&state.config)?, &provider.org_id, &provider.client_secret).map_err(failed)?;
    let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(failed)?;
    let metadata = discover_provider(&issuer).await.map_err(failed)?;
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(provider.client_id.clone()), Some(ClientSecret::new(secret)))
        .set_redirect_uri(RedirectUrl::new(row.redirect_uri.clone()).map_err(failed)?);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(failed)?
        .set_pkce_verifier(PkceCodeVerifier::new(row.pkce_verifier.clone()))
        .request_async(http_client())
        .await
        .map_err(failed)?;
    let id_token = tokens.id_token().ok_or_else(|| failed("no ID token in the token response"))?;
    // Signature (the provider's JWKS), iss, aud, exp and nonce.
    let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(row.nonce.clone())).map_err(failed)?;
    let subject = claims.subject().as_str().to_string();
    let Some(email) = claims.email().map(|e| e.as_str().to_string()) else { return Err(Refused::Unverified) };
    if claims.email_verified() != Some(true) {
        return Err(Refused::Unverified);
    }
    let name = claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().trim().chars().take(100).collect::<String>()).filter(|n| !n.is_empty() && !n.chars().any(char::is_control));
    let mut conn = state.db.pool.acquire().await?;
    let path = load_path(&mut conn, &row.org_id).await?.ok_or(Refused::NoProvider)?;
    drop(conn);
    if path.is_suspended() {
        return Err(Refused::Disabled);
    }
    let email = parse_invitee(&email, path.effective_domain()).map_err(|_| Refused::Domain)?;
    let name = name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_string());
    sign_in(state, parts, jar, &row, &provider, &subject, &email, &name).await
}

/// Finds (by subject), links (first sign-in of an existing address) or creates the user,
/// then opens the session; one transaction with its audit rows.
#[allow(clippy::too_many_arguments)]
async fn sign_in(
    state: &AppState,
    parts: &Parts,
    jar: CookieJar,
    login: &LoginRow,
    provider: &ProviderRow,
    subject: &str,
    email: &Email,
    name: &str,
) -> std::result::Result<(CookieJar, bool), Refused> {
    let (request_id, ip) = request_meta(parts);
    let mut actor = Actor { email: Some(email.to_string()), request_id: Some(request_id), ip: Some(ip.clone()), ..Actor::default() };
    let mut tx = audit::begin(&state.db).await?;
    let linked: Option<String> = sqlx::query_scalar("SELECT user_id FROM sso_identities WHERE provider_org_id = $1 AND issuer = $2 AND subject = $3")
        .bind(&provider.org_id)
        .bind(&provider.issuer)
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await?;
    let user_id = match linked {
        Some(id) => id,
        None => link_or_create(&mut tx, &mut actor, login, provider, subject, email, name).await?,
    };
    let user: UserRow = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1")).bind(&user_id).fetch_one(&mut *tx).await?;
    let home = load_path(&mut *tx, &user.home_org_id).await?;
    if user.status != UserStatus::Active || home.is_none_or(|p| p.is_suspended()) {
        return Err(Refused::Disabled);
    }
    actor.user_id = Some(user.id.clone());
    actor.email = Some(user.email.clone());
    actor.home_org_id = Some(user.home_org_id.clone());
    let session = open_session(&mut tx, state, parts, &jar, &user.id, &ip).await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(now_ms()).bind(&user.id).execute(&mut *tx).await?;
    audit::record(&mut tx, &actor, Event {
        org_id: Some(&user.home_org_id),
        action: "auth.sso_login",
        object_type: "session",
        object_id: Some(&user.id),
        summary: format!("{} signed in with {}'s provider", user.email, provider.org_name),
    })
    .await?;
    tx.commit().await?;
    let enrol = session.mfa_pending;
    Ok((session_cookies(state, jar, session), enrol))
}

/// First sign-in of this subject: the existing user of the address (never a superuser, never
/// one already linked to another account of this provider), or a new user in the org.
async fn link_or_create(
    tx: &mut Tx,
    actor: &mut Actor,
    login: &LoginRow,
    provider: &ProviderRow,
    subject: &str,
    email: &Email,
    name: &str,
) -> std::result::Result<String, Refused> {
    let now = now_ms();
    let existing: Option<UserRow> = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1")).bind(email.as_str()).fetch_optional(&mut **tx).await?;
    let (user_id, home_org_id, action, summary) = match existing {
        Some(user) => {
            let other: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sso_identities WHERE provider_org_id = $1 AND issuer = $2 AND user_id = $3")
                .bind(&provider.org_id)
                .bind(&provider.issuer)
                .bind(&user.id)
                .fetch_one(&mut **tx)
                .await?;
            if user.is_superuser() || other > 0 {
                tracing::warn!(user = %user.id, "SSO: the address belongs to an account that can't be linked to this provider account");
                return Err(Refused::Conflict);
            }
            (user.id, user.home_org_id, "sso.link", format!("linked {email} to {}'s provider", provider.org_name))
        }
        None => {
            let role: Role = crate::db::decode("sso_providers.default_role", &provider.default_role)?;
            let id = new_id();
            sqlx::query("INSERT INTO users (id, email, name, password_hash, home_org_id, is_superuser, status, created_at) VALUES ($1, $2, $3, NULL, $4, 0, 'active', $5)")
                .bind(&id)
                .bind(email.as_str())
                .bind(name)
                .bind(&login.org_id)
                .bind(now)
                .execute(&mut **tx)
                .await?;
            sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&id)
                .bind(&login.org_id)
                .bind(role.as_str())
                .bind(now)
                .execute(&mut **tx)
                .await?;
            crate::db::counters::refresh(tx, &[&login.org_id]).await?;
            (id, login.org_id.clone(), "user.sso_create", format!("{email} signed in with {}'s provider for the first time and joined as {role}", provider.org_name))
        }
    };
    sqlx::query("INSERT INTO sso_identities (provider_org_id, issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&provider.org_id)
        .bind(&provider.issuer)
        .bind(subject)
        .bind(&user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    actor.user_id = Some(user_id.clone());
    actor.home_org_id = Some(home_org_id.clone());
    audit::record(tx, actor, Event { org_id: Some(&home_org_id), action, object_type: "user", object_id: Some(&user_id), summary }).await?;
    Ok(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_org() {
        let key = [7u8; 32];
        let sealed = seal(&key, "org-a", "s3cret");
        assert!(!sealed.contains("s3cret"));
        assert_ne!(sealed, seal(&key, "org-a", "s3cret"), "a fresh nonce each time");
        assert_eq!(open(&key, "org-a", &sealed).unwrap(), "s3cret");
        assert!(open(&key, "org-b", &sealed).is_err());
        assert!(open(&[8u8; 32], "org-a", &sealed).is_err());
    }

    #[test]
    fn issuers_must_be_https_unless_loopback_is_allowed() {
        let mut config = Config::from_env();
        config.sso_allow_http = false;
        assert!(parse_issuer(&config, "https://login.microsoftonline.com/abc/v2.0").is_ok());
        assert!(parse_issuer(&config, "http://127.0.0.1:9000").is_err());
        assert!(parse_issuer(&config, "https://idp.example/?x=1").is_err());
        assert!(parse_issuer(&config, "https://user:pw@idp.example").is_err());
        assert!(parse_issuer(&config, "ftp://idp.example").is_err());
        config.sso_allow_http = true;
        assert!(parse_issuer(&config, "http://127.0.0.1:9000").is_ok());
        assert!(parse_issuer(&config, "http://idp.example").is_err());
    }
}
