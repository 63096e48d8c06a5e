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

/// A count with its noun in the right number: "1 asset", "2 assets", "0 inboxes".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod plural_tests {
    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(super::plural(1, "inbox", "inboxes"), "1 inbox");
        assert_eq!(super::plural(0, "inbox", "inboxes"), "0 inboxes");
        assert_eq!(super::plural(2, "mail", "mails"), "2 mails");
    }
}
