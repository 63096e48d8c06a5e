//! Request and response bodies of single sign-on: an org's OpenID Connect provider
//! (`/api/v1/sso`) and the sign-in page's question "does this address sign in elsewhere?"
//! (`/api/v1/auth/sso/discover`).
use crate::types::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// `GET /api/v1/sso`: the provider the current org's people sign in with. The client secret
/// is never returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SsoProvider {
    /// The provider's issuer URL (its discovery document is `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// Always true: a secret is stored (encrypted), and it is write-only.
    pub client_secret_set: bool,
    /// The role a person gets when their first sign-in creates their account.
    pub default_role: Role,
    /// Passwords are off for people homed in the org and below: they sign in here only.
    pub sso_only: bool,
    /// The org whose provider this is: the current org, or the ancestor it inherits from.
    pub source_org_id: Uuid,
    pub source_org_name: String,
    /// True when the current org has no provider of its own and uses `source_org_id`'s.
    pub inherited: bool,
    /// Where the provider sends people back to: register it with the provider (one per host
    /// people sign in on, e.g. each tenant subdomain).
    pub redirect_uri: String,
    pub updated_at: String,
}

/// `PUT /api/v1/sso`: set the current org's own provider.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutSso {
    /// `https://…`; checked by fetching its discovery document.
    pub issuer: String,
    pub client_id: String,
    /// Required the first time; left out afterwards, the stored one is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Default `member`; never above the role of the admin who sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<Role>,
    /// Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_only: Option<bool>,
}

/// `?email=` of `GET /api/v1/auth/sso/discover`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct SsoDiscoverQuery {
    /// The address typed on the sign-in page; without it, the org of the tenant subdomain.
    pub email: Option<String>,
}

/// What the sign-in page offers for an address (or for the tenant subdomain it is on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SsoDiscovery {
    /// The org signs in with its own provider: offer "Continue with <org_name>'s sign-in".
    pub sso: bool,
    /// Passwords are off for this org: offer only the provider.
    pub sso_only: bool,
    /// The org's name, when it has a provider.
    pub org_name: Option<String>,
    /// Where the button goes (`/auth/sso/start?…`), when it has a provider.
    pub start_url: Option<String>,
}

/// Percent-encodes a query-string value (an email address in a link, say): everything but
/// unreserved characters and `@`.
pub fn encode_query_value(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_encoded() {
        assert_eq!(super::encode_query_value("a+b@x.example"), "a%2Bb@x.example");
        assert_eq!(super::encode_query_value("a&b=c d"), "a%26b%3Dc%20d");
    }
}
