//! The API error type: every handler returns `Result<T, ApiError>`.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::error::{ApiErrorBody, ApiErrorDetail, ErrorCode};
use std::collections::BTreeMap;

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// 401: not signed in (or the credential is no longer valid).
    #[error("not signed in")]
    Unauthorized,
    /// 401: sign-in failed; the same answer for an unknown email and a wrong password.
    #[error("email or password is incorrect")]
    BadCredentials,
    /// 403: signed in, can see the thing, but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: missing, or belongs to an org the caller can't access (deliberately the same).
    #[error("not found")]
    NotFound,
    /// 409: a unique value is taken; names the field.
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    /// 413: the body is over a limit; the message names the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body isn't in a format this endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: invalid fields; each named.
    #[error("invalid input")]
    Invalid(BTreeMap<String, String>),
    /// 429: too many attempts.
    #[error("too many attempts; try again later")]
    RateLimited,
    /// 503 with `Retry-After`: the database is unreachable, read-only or shutting down (a
    /// failover in progress); the same request will work again shortly.
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    /// 401 `mfa_required`: the password was right, a second factor is needed; lists the
    /// methods that would do (in `fields.methods`, comma-separated).
    #[error("a second factor is required")]
    MfaRequired { methods: Vec<&'static str> },
    /// 401: the second-factor code in `field` is wrong, expired or already used.
    #[error("the code is incorrect, expired or already used")]
    BadCode { field: &'static str },
    /// 401: a passkey sign-in was refused; `reason` (in `fields.credential`) says why.
    #[error("that passkey was not accepted")]
    BadPasskey { reason: String },
    /// 403 `mfa_enrollment_required`: a restricted session (policy requires a factor, none
    /// enrolled) tried something other than enrolling.
    #[error("your organization requires a second factor: enrol one under Security first")]
    MfaEnrollmentRequired,
    /// 403 `sso_required`: the password was right, but the account's org (`0`, its name)
    /// signs in with its identity provider only.
    #[error("{0} signs in with single sign-on: use \"Continue with {0}'s sign-in\" instead of a password")]
    SsoRequired(String),
    /// 500: logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Seconds a client should wait before retrying a 503 (a Patroni failover takes ~8 s).
pub const RETRY_AFTER_SECS: &str = "2";

/// Errors that mean "the database can't serve this right now" rather than "this request is
/// wrong": connection refused/reset/closed, pool timeout, PostgreSQL read-only (25006, a
/// replica or a primary being demoted), admin/crash shutdown and cannot-connect-now (57P0x),
/// connection exceptions (08xxx), serialization failures and deadlocks (40001, 40P01), too
/// many connections (53300), and SQLite's busy/locked. They answer 503, never 500.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            code.starts_with("08")
                || matches!(code.as_str(), "25006" | "57P01" | "57P02" | "57P03" | "40001" | "40P01" | "53300")
                // SQLite (extended) result codes: BUSY, LOCKED and their variants.
                || matches!(code.as_str(), "5" | "6" | "261" | "262" | "517" | "773")
                || db.message().contains("database is locked")
        }
        _ => false,
    }
}

/// True when an error (possibly wrapped with context) comes from an unavailable database.
fn anyhow_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<sqlx::Error>().is_some_and(is_unavailable))
}

impl ApiError {
    /// A 422 naming one field.
    pub fn field(field: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError::Invalid(BTreeMap::from([(field.to_string(), message.to_string())]))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Unauthorized | ApiError::BadCredentials => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::Conflict { .. } => ErrorCode::Conflict,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            ApiError::Invalid(_) => ErrorCode::Invalid,
            ApiError::RateLimited => ErrorCode::RateLimited,
            ApiError::Unavailable => ErrorCode::Unavailable,
            ApiError::Internal(e) if anyhow_unavailable(e) => ErrorCode::Unavailable,
            ApiError::MfaRequired { .. } => ErrorCode::MfaRequired,
            ApiError::BadCode { .. } | ApiError::BadPasskey { .. } => ErrorCode::Unauthorized,
            ApiError::MfaEnrollmentRequired => ErrorCode::MfaEnrollmentRequired,
            ApiError::SsoRequired(_) => ErrorCode::SsoRequired,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// Each unique index that protects a field a person chooses: its name (what PostgreSQL
/// reports), its columns as SQLite reports them, and the field it answers for.
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("orgs_slug_key", "orgs.slug", "slug"),
    ("orgs_email_domain_key", "orgs.email_domain", "email_domain"),
    ("users_email_key", "users.email", "email"),
    ("assets_external_id_key", "assets.org_id, assets.external_id", "external_id"),
    ("asset_groups_name_key", "asset_groups.org_id, asset_groups.name", "name"),
    ("tags_msp_id_name_key_key", "tags.msp_id, tags.name_key", "name"),
];

/// The field a unique violation is about, matched exactly against [`UNIQUE_FIELDS`].
fn unique_field(db: &dyn sqlx::error::DatabaseError) -> Option<&'static str> {
    if db.kind() != sqlx::error::ErrorKind::UniqueViolation {
        return None;
    }
    let sqlite_columns = db.message().strip_prefix("UNIQUE constraint failed: ");
    UNIQUE_FIELDS
        .iter()
        .find(|(index, columns, _)| db.constraint() == Some(*index) || sqlite_columns == Some(*columns))
        .map(|(_, _, field)| *field)
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            return ApiError::Unavailable;
        }
        if let sqlx::Error::Protocol(m) = &e {
            if m.contains("idempotency key") {
                // Replaced by the idempotency layer's own answer; see crate::http::idempotency::claim.
                return ApiError::Conflict { field: crate::http::idempotency::FIELD, message: m.clone() };
            }
        }
        // Unique violations of a chosen value become field conflicts; everything else is opaque.
        if let sqlx::Error::Database(db) = &e {
            if let Some(field) = unique_field(db.as_ref()) {
                return ApiError::Conflict { field, message: format!("this {field} is already taken") };
            }
        }
        ApiError::Internal(anyhow::Error::new(e))
    }
}

/// Names the step of a service that failed, so a 500's log line says where it broke
/// (`merging: moving assets: …`). Client-facing answers (404, 409, 503, …) pass unchanged.
pub trait Step<T> {
    fn step(self, what: &'static str) -> Result<T>;
}

impl<T, E: Into<ApiError>> Step<T> for std::result::Result<T, E> {
    fn step(self, what: &'static str) -> Result<T> {
        self.map_err(|e| match e.into() {
            ApiError::Internal(e) => ApiError::Internal(e.context(what)),
            other => other,
        })
    }
}

impl From<shared::FieldError> for ApiError {
    fn from(e: shared::FieldError) -> Self {
        ApiError::BadRequest(e.0)
    }
}

impl ApiError {
    /// The body this error answers with (also used inside streamed answers).
    pub fn detail(&self) -> ApiErrorDetail {
        let code = self.code();
        let (message, fields) = match self {
            ApiError::Internal(e) if anyhow_unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                (ApiError::Unavailable.to_string(), BTreeMap::new())
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ("something went wrong on our side".to_string(), BTreeMap::new())
            }
            ApiError::Invalid(fields) => {
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                (format!("invalid {}", names.join(", ")), fields.clone())
            }
            ApiError::Conflict { field, message } => {
                (message.clone(), BTreeMap::from([(field.to_string(), message.clone())]))
            }
            ApiError::MfaRequired { methods } => (self.to_string(), BTreeMap::from([("methods".to_string(), methods.join(","))])),
            ApiError::BadCode { field } => {
                (self.to_string(), BTreeMap::from([(field.to_string(), "is incorrect, expired or already used".to_string())]))
            }
            ApiError::BadPasskey { reason } => (self.to_string(), BTreeMap::from([("credential".to_string(), reason.clone())])),
            other => (other.to_string(), BTreeMap::new()),
        };
        ApiErrorDetail { code, message, fields }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, axum::Json(ApiErrorBody { error: self.detail() })).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(RETRY_AFTER_SECS));
        }
        r
    }
}

/// Collects field errors so a request can report all its bad fields at once.
#[derive(Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl std::fmt::Display) {
        self.0.entry(field.to_string()).or_insert_with(|| message.to_string());
    }

    /// Parses a value, recording the error under `field`.
    pub fn check<T>(&mut self, field: &str, r: std::result::Result<T, shared::FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::Invalid(self.0)) }
    }
}
