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
    /// 422: invalid fields; each named.
    #[error("invalid input")]
    Invalid(BTreeMap<String, String>),
    /// 429: too many attempts.
    #[error("too many attempts; try again later")]
    RateLimited,
    /// 401 `mfa_required`: the password was right, a second factor is needed; lists the
    /// methods that would do (in `fields.methods`, comma-separated).
    #[error("a second factor is required")]
    MfaRequired { methods: Vec<&'static str> },
    /// 401: the second-factor code in `field` is wrong, expired or already used.
    #[error("the code is incorrect, expired or already used")]
    BadCode { field: &'static str },
    /// 403 `mfa_enrollment_required`: a restricted session (policy requires a factor, none
    /// enrolled) tried something other than enrolling.
    #[error("your organization requires a second factor: enrol one under Security first")]
    MfaEnrollmentRequired,
    /// 500: logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
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
            ApiError::Invalid(_) => ErrorCode::Invalid,
            ApiError::RateLimited => ErrorCode::RateLimited,
            ApiError::MfaRequired { .. } => ErrorCode::MfaRequired,
            ApiError::BadCode { .. } => ErrorCode::Unauthorized,
            ApiError::MfaEnrollmentRequired => ErrorCode::MfaEnrollmentRequired,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        // Unique-constraint violations become field conflicts; everything else is opaque.
        if let sqlx::Error::Database(db) = &e {
            let msg = db.message().to_string();
            let constraint = db.constraint().map(str::to_string).unwrap_or_default();
            let hay = format!("{constraint} {msg}");
            for (needle, field) in [
                ("orgs_slug_key", "slug"),
                ("orgs.slug", "slug"),
                ("orgs_email_domain_key", "email_domain"),
                ("orgs.email_domain", "email_domain"),
                ("users_email_key", "email"),
                ("users.email", "email"),
                ("assets_external_id_key", "external_id"),
                ("assets.external_id", "external_id"),
                ("asset_groups_name_key", "name"),
                ("asset_groups.name", "name"),
            ] {
                if hay.contains(needle) {
                    return ApiError::Conflict { field, message: format!("this {field} is already taken") };
                }
            }
        }
        ApiError::Internal(anyhow::Error::new(e))
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
            other => (other.to_string(), BTreeMap::new()),
        };
        ApiErrorDetail { code, message, fields }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(ApiErrorBody { error: self.detail() })).into_response()
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
