//! Request and response bodies of the HTTP API (`/api/v1`). Times are RFC 3339 UTC strings.
use crate::types::{OrgKind, OrgStatus, Role, UserStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// A page of a list: `next_cursor` is `null` on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// `?q=&limit=&cursor=` on every list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct ListQuery {
    /// Case-insensitive text filter.
    pub q: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<u32>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub home_org_id: Uuid,
    pub is_superuser: bool,
    pub status: UserStatus,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Org {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub kind: OrgKind,
    pub parent_id: Option<Uuid>,
    /// The org's own domain; `null` for a child tenant, which uses its nearest ancestor's.
    pub email_domain: Option<String>,
    /// The domain that applies: its own, or for a child, its nearest ancestor's.
    pub effective_email_domain: String,
    pub status: OrgStatus,
    pub created_at: String,
    pub updated_at: String,
}

/// The current org with the caller's effective role in it (`GET /api/v1/org`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CurrentOrg {
    #[serde(flatten)]
    pub org: Org,
    pub role: Role,
    /// True when the caller's home org is not this org (e.g. an MSP admin in a customer).
    pub acting_from_outside: bool,
    pub home_org_id: Uuid,
    pub home_org_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    pub user: User,
    pub home_org: Org,
    /// Send back as `X-CSRF-Token` on cookie-authenticated state-changing requests.
    pub csrf_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    pub user: User,
    pub home_org: Org,
    pub is_superuser: bool,
    /// Present for cookie sessions: the value for `X-CSRF-Token`.
    pub csrf_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
    /// A label to recognize the token by, e.g. "backup script".
    pub name: String,
    /// Lifetime in days, 1–365; default 90.
    pub expires_in_days: Option<u32>,
}

/// A new personal access token. `token` is shown this once and never again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenCreated {
    pub id: Uuid,
    pub token: String,
    pub name: String,
    pub expires_at: String,
}

/// A personal access token as listed: never the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    /// The first characters, to tell tokens apart.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
}

/// One entry of the org switcher (`GET /api/v1/orgs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrgEntry {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub kind: OrgKind,
    pub parent_id: Option<Uuid>,
    pub status: OrgStatus,
    pub role: Role,
    /// The tenant's own URL, `http(s)://<slug>.<base-domain>[:port]/`.
    pub url: String,
    pub is_home: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateOrg {
    pub name: String,
    /// Suggested from the name (and the MSP's slug for customers) when left out.
    pub slug: Option<String>,
    pub kind: OrgKind,
    pub parent_id: Option<Uuid>,
    /// Required for `msp` and `customer`; never changes afterwards.
    pub email_domain: Option<String>,
}

/// `PATCH /api/v1/orgs/{id}`. `email_domain` is accepted only to refuse it with 422.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateOrg {
    pub name: Option<String>,
    pub status: Option<OrgStatus>,
    pub email_domain: Option<String>,
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SetParent {
    pub parent_id: Uuid,
}

/// A person in the current org, with their role there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub joined_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AddUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Without a password the user can't sign in until one is set (e.g. by invitation).
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateMember {
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    /// Superusers only.
    pub is_superuser: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateDelegation {
    pub user_id: Uuid,
    /// RFC 3339; `null` never expires.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Delegation {
    pub customer_id: Uuid,
    pub customer_name: String,
    pub user_id: Uuid,
    pub user_email: String,
    pub user_name: String,
    pub granted_by: Uuid,
    pub granted_by_email: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEvent {
    pub id: Uuid,
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub actor_org_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub summary: String,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

/// Filters of `GET /api/v1/audit`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct AuditQuery {
    /// Actor email or id.
    pub actor: Option<String>,
    /// Action, e.g. `org.create`; a trailing `*` matches a prefix (`org.*`).
    pub action: Option<String>,
    /// RFC 3339 lower bound (inclusive).
    pub since: Option<String>,
    /// RFC 3339 upper bound (exclusive).
    pub until: Option<String>,
    /// `csv` to download.
    pub format: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// `POST /api/v1/invitations`: invite someone into the current org.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateInvitation {
    /// Must be an address at the org's (effective) email domain; subdomains don't count.
    pub email: String,
    pub role: Role,
}

/// A new (or resent) invitation. `accept_url` carries the secret and is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InvitationCreated {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub expires_at: String,
    pub accept_url: String,
}

/// A pending invitation as listed: never the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub invited_by_email: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    /// Past `expires_at`: it can't be accepted, but it can be resent.
    pub expired: bool,
}

/// `POST /api/v1/invitations/accept`. Sent by the client, so it serializes; `Debug` hides
/// the secrets.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AcceptInvitation {
    pub token: String,
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for AcceptInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptInvitation").field("name", &self.name).finish_non_exhaustive()
    }
}

/// `GET /api/v1/invitations/lookup?token=`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct InvitationLookupQuery {
    pub token: String,
}

/// What the accept page shows about a live invitation: no secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InvitationLookup {
    pub org_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: String,
}

/// A mail the app wrote (`GET /api/v1/outbox`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OutboxMail {
    pub id: Uuid,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    /// Set when it went out over SMTP.
    pub sent_at: Option<String>,
    /// The last delivery error, when SMTP failed.
    pub error: Option<String>,
}
