//! Tenantry's vocabulary, shared by the server and the WASM client.
//!
//! Nothing here does I/O: parsed newtypes ([`OrgSlug`], [`EmailDomain`], [`Email`]),
//! roles and kinds, the access rules as one pure function ([`access::access`]), and the
//! request/response types of the HTTP API.

pub mod access;
pub mod api;
pub mod error;
pub mod parse;
pub mod scim;
pub mod settings;
pub mod sso;
pub mod types;

pub use error::{ApiErrorBody, ErrorCode};
pub use parse::{Email, EmailDomain, FieldError, OrgSlug, Password};
pub use types::{AssetKind, OrgKind, OrgStatus, Role, UserStatus};
