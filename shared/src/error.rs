//! The error body every API error answers with.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Machine-readable error codes; each maps to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400
    BadRequest,
    /// 401
    Unauthorized,
    /// 403
    Forbidden,
    /// 404
    NotFound,
    /// 405: the path exists, the method doesn't.
    MethodNotAllowed,
    /// 409
    Conflict,
    /// 413: the body is over the limit (the message names it).
    PayloadTooLarge,
    /// 415: the body isn't in a format the endpoint reads (send `application/json`).
    UnsupportedMediaType,
    /// 422
    Invalid,
    /// 429
    RateLimited,
    /// 500
    Internal,
    /// 503: the database is unreachable or read-only (a failover); retry after `Retry-After`.
    Unavailable,
    /// 401: the password was right but a second factor is needed; `fields.methods` lists the
    /// ones that would do (comma-separated: `totp`, `recovery_code`, `passkey`).
    MfaRequired,
    /// 403: the sign-in policy requires a second factor and the caller has none yet; until they
    /// enrol one, only `/api/v1/me`, `/api/v1/me/mfa…` and sign-out answer.
    MfaEnrollmentRequired,
    /// 403: the account's organization signs in with single sign-on only; the message names
    /// the org, and the sign-in page offers its provider instead of the password.
    SsoRequired,
}

impl ErrorCode {
    /// The HTTP status code for this error.
    pub const fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Invalid => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
            Self::MfaRequired => 401,
            Self::MfaEnrollmentRequired => 403,
            Self::SsoRequired => 403,
        }
    }
}

/// `{"error": {"code", "message", "fields"}}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

/// The inside of [`ApiErrorBody`]; `fields` names each bad input field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}
