//! Request and response bodies of the HTTP API (`/api/v1`). Times are RFC 3339 UTC strings.
use crate::types::{AssetKind, OrgKind, OrgStatus, Role, UserStatus};
use crate::parse::Password;
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
    /// 1–500, default 50 (more is a 422).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
    /// Opaque cursor from the previous page's `next_cursor`; anything else is a 422.
    pub cursor: Option<String>,
    /// Lists of orgs only: just the orgs carrying this tag (a tag id of the MSP).
    pub tag: Option<String>,
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
    /// What the caller may do here, decided once by the server.
    pub can: Capabilities,
    /// A group-limited viewer's groups here (they see only these and their assets); absent
    /// when the caller sees every group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_limit: Option<Vec<GroupRef>>,
}

/// A group of assets named by id and name (e.g. in a viewer's limit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GroupRef {
    pub id: Uuid,
    pub name: String,
}

/// What the caller may do in the current org, computed once by the server from the access
/// function; pages and navigation read these flags instead of re-deriving the rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Capabilities {
    /// The MSP overview and customers list (the org is an MSP).
    pub overview: bool,
    /// Add customers and delegate technicians (admin of an MSP).
    pub manage_customers: bool,
    /// Add, change and remove people; invitations; the outbox (admin).
    pub manage_people: bool,
    /// Create, change, move and delete assets; import assets (member or admin).
    pub edit_assets: bool,
    /// Move assets to another tenant and delete them (admin).
    pub manage_assets: bool,
    /// Create, rename and delete asset groups (admin).
    pub manage_groups: bool,
    /// Import tenants (admin).
    pub import_tenants: bool,
    /// Change settings, schedules, deployments; send notifications (admin).
    pub manage_settings: bool,
    /// Read the audit trail (admin).
    pub audit: bool,
    /// Merge this tenant into another (admin here and from above; not an MSP).
    pub merge: bool,
    /// Suspend, reactivate or delete this org (admin from above).
    pub suspend: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: Password,
    /// The current TOTP code, for a user with a second factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
    /// One of the user's single-use recovery codes, instead of `otp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    pub user: User,
    pub home_org: Org,
    /// Send back as `X-CSRF-Token` on cookie-authenticated state-changing requests.
    pub csrf_token: String,
    /// The sign-in policy requires a second factor and the user has none: this session may
    /// only enrol one (`/api/v1/me/mfa…`); everything else answers 403 `mfa_enrollment_required`.
    #[serde(default)]
    pub mfa_enrollment_required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    pub user: User,
    pub home_org: Org,
    pub is_superuser: bool,
    /// Present for cookie sessions: the value for `X-CSRF-Token`.
    pub csrf_token: Option<String>,
    /// See [`LoginResponse::mfa_enrollment_required`].
    #[serde(default)]
    pub mfa_enrollment_required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub email: String,
    pub password: Password,
    /// A label to recognize the token by, e.g. "backup script".
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 100))]
    pub name: String,
    /// Lifetime in days, 1–365; default 90.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub expires_in_days: Option<u32>,
    /// The current TOTP code, for a user with a second factor (or under an MFA policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
    /// One of the user's single-use recovery codes, instead of `otp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
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
    /// The MSP's tags on this org, by name; shown to people of that MSP only.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A tag of an MSP, put on its customers and child tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Tag {
    pub id: Uuid,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// `POST /api/v1/tags`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTag {
    /// 1–50 characters, unique (case-insensitively) in the MSP.
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// A technician's scope in an MSP: exactly one of `all_except` (admin on every customer but
/// these, customers created later included) or `tag` (admin on every org carrying the tag).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TechnicianScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_except: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 100))]
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
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 100))]
    pub name: Option<String>,
    pub status: Option<OrgStatus>,
    pub email_domain: Option<String>,
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
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
    /// The member's second sign-in factors (`totp`, `passkey`); empty = password only.
    #[serde(default)]
    pub mfa: Vec<String>,
    /// A group-limited viewer's groups here; absent when they see every group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_limit: Option<Vec<GroupRef>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddUser {
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 100))]
    pub name: String,
    pub role: Role,
    /// Without a password the user can't sign in until one is set (e.g. by invitation).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password, min_length = 10, max_length = 256))]
    pub password: Option<Password>,
    /// Limits a new viewer to these groups of the org (as `PATCH` does); viewers only.
    /// Left out or `[]`: every group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    /// Superusers only.
    pub is_superuser: Option<bool>,
    /// Limits a viewer to these groups of the org; `[]` lifts the limit. Viewers only.
    pub group_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
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
    /// `csv` to download; `json` (the default) for a page. Anything else is a 422.
    pub format: Option<String>,
    /// 1–500, default 50; values outside are clamped (a CSV export takes up to 100,000).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// `POST /api/v1/invitations`: invite someone into the current org.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 100))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 256))]
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

/// A managed asset (`/api/v1/assets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Asset {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: AssetKind,
    pub name: String,
    pub group_id: Option<Uuid>,
    pub group_name: Option<String>,
    pub os: Option<String>,
    pub address: Option<String>,
    pub online: bool,
    pub last_seen_at: Option<String>,
    pub open_alerts: i64,
    /// The id in the RMM/PSA it came from; unique within the org.
    pub external_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Filters of `GET /api/v1/assets`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct AssetQuery {
    /// Case-insensitive text filter over name, external id, OS and address.
    pub q: Option<String>,
    /// `computer`, `monitored_system` or `gateway`.
    pub kind: Option<String>,
    pub group_id: Option<String>,
    /// `true` or `false`.
    pub online: Option<String>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// `POST /api/v1/assets`. `kind` is one of `computer`, `monitored_system`, `gateway`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAsset {
    pub kind: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 200))]
    pub name: String,
    pub group_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub os: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub address: Option<String>,
    pub online: Option<bool>,
    /// RFC 3339.
    pub last_seen_at: Option<String>,
    /// 0–1,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub open_alerts: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub external_id: Option<String>,
}

/// `PATCH /api/v1/assets/{id}`: only the fields sent change. For `group_id`, `os`, `address`
/// and `external_id` an empty string clears the value.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAsset {
    pub kind: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 200))]
    pub name: Option<String>,
    pub group_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub os: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub address: Option<String>,
    pub online: Option<bool>,
    pub last_seen_at: Option<String>,
    /// 0–1,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub open_alerts: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub external_id: Option<String>,
}

/// Asset figures of the current org, as far as the caller may see (`GET /api/v1/assets/summary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AssetSummary {
    pub total: i64,
    pub online: i64,
    pub offline: i64,
    pub open_alerts: i64,
}

/// A named set of assets in one org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    pub asset_count: i64,
    pub created_at: String,
}

/// `POST /api/v1/groups`, `PATCH /api/v1/groups/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 100))]
    pub name: String,
}

/// `POST /api/v1/assets/move`: all of these assets of the current org into the target, or none.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveAssets {
    pub asset_ids: Vec<Uuid>,
    pub target_org_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MoveResult {
    pub moved: i64,
    pub target_org_id: Uuid,
    /// Group assignments don't travel: groups belong to the source org.
    pub groups_cleared: i64,
}

/// `POST /api/v1/assets/group`: puts all of these assets of the current org into one group
/// (or takes them out of their groups with `group_id: null`), or none of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupAssets {
    pub asset_ids: Vec<Uuid>,
    pub group_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GroupAssetsResult {
    /// How many assets changed group (assets already there count as not changed).
    pub changed: i64,
    pub group_id: Option<Uuid>,
}

/// `POST /api/v1/org/merge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub into_org_id: Uuid,
    #[serde(default)]
    pub dry_run: bool,
}

/// One thing that collides when merging. `blocking` ones make the real run answer 409.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MergeConflict {
    /// `external_id`, `asset_name`, `user_domain`, `group_name` or `setting` (a setting whose
    /// effective value differs between the two orgs; the target's applies after the merge).
    pub kind: String,
    pub value: String,
    pub blocking: bool,
    /// What the merge does about it.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MergePlan {
    pub source_org_id: Uuid,
    pub into_org_id: Uuid,
    pub dry_run: bool,
    /// True when the merge happened (never on a dry run).
    pub merged: bool,
    pub assets: i64,
    pub groups: i64,
    pub users: i64,
    pub memberships: i64,
    pub child_tenants: i64,
    /// Schedules and deployments that move with the org.
    #[serde(default)]
    pub schedules: i64,
    #[serde(default)]
    pub deployments: i64,
    pub conflicts: Vec<MergeConflict>,
}

/// The result of `POST /api/v1/import`. Imports are all or nothing: with any bad row
/// nothing is written and the answer is 422 listing `errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImportResult {
    pub all_or_nothing: bool,
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub groups_created: i64,
    pub errors: Vec<ImportRowError>,
}

/// A bad row: `row` is the line number in a CSV file (the header is line 1) or the
/// 1-based position in a JSON array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImportRowError {
    pub row: i64,
    pub field: String,
    pub message: String,
}

/// Filters of `GET /api/v1/overview`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct OverviewQuery {
    /// Name or slug contains (case-insensitive).
    pub q: Option<String>,
    /// `active` or `suspended`.
    pub status: Option<String>,
    /// `name` (default), `users`, `assets`, `offline`, `alerts`, `activity`.
    pub sort: Option<String>,
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Only customers carrying this tag (a tag id of the MSP).
    pub tag: Option<String>,
}

/// One managed customer's figures, its child tenants included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OverviewRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub url: String,
    pub status: OrgStatus,
    pub users: i64,
    pub assets: i64,
    pub online: i64,
    pub offline: i64,
    pub open_alerts: i64,
    pub last_activity: Option<String>,
    /// Users (homed in the customer or its children) with a second sign-in factor.
    #[serde(default)]
    pub protected_users: i64,
}

/// Sums over every customer matching the filters (not just this page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OverviewTotals {
    pub customers: i64,
    pub assets: i64,
    pub online: i64,
    pub offline: i64,
    pub open_alerts: i64,
    pub suspended: i64,
    /// Users with a second sign-in factor, over the same customers.
    #[serde(default)]
    pub protected_users: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Overview {
    pub totals: OverviewTotals,
    pub items: Vec<OverviewRow>,
    pub next_cursor: Option<String>,
}

/// Asset counts of one org by kind, as far as the caller may see.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AssetKindCounts {
    pub computer: i64,
    pub monitored_system: i64,
    pub gateway: i64,
}

impl AssetKindCounts {
    pub fn get(&self, kind: AssetKind) -> i64 {
        match kind {
            AssetKind::Computer => self.computer,
            AssetKind::MonitoredSystem => self.monitored_system,
            AssetKind::Gateway => self.gateway,
        }
    }
}

/// One org in the Organizations tree (`GET /api/v1/tree`, `GET /api/v1/tree/{id}/children`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TreeNode {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub kind: OrgKind,
    pub status: OrgStatus,
    pub role: Role,
    /// Child tenants the caller can open (what expanding the node lists).
    pub children: i64,
    pub assets: AssetKindCounts,
    /// Names of the accessible ancestors, root first (shown for search results).
    pub path: Vec<String>,
}

/// One line of an import answered as a stream (`Accept: application/x-ndjson`): progress
/// lines, then exactly one `result` line (with `error` when nothing was imported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImportEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<ImportProgress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ImportResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::error::ApiErrorDetail>,
}

/// How far an import is: `phase` is `checking` then `writing`; `done` of `total` rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImportProgress {
    pub phase: String,
    pub done: i64,
    pub total: i64,
}

/// How often a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

impl Frequency {
    pub const fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Option<Frequency> {
        [Frequency::Daily, Frequency::Weekly, Frequency::Monthly].into_iter().find(|f| f.as_str() == s)
    }
}

/// A tenant's schedule (`/api/v1/schedules`): when, and on which computers or groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Schedule {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub frequency: Frequency,
    /// `"HH:MM"`, in the org's maintenance-window timezone.
    pub window_start: String,
    pub window_end: String,
    /// Targeted assets of the org, by name order.
    pub assets: Vec<ScheduleTarget>,
    /// Targeted groups of the org.
    pub groups: Vec<ScheduleTarget>,
    pub created_at: String,
    pub updated_at: String,
}

/// An asset or group a schedule targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScheduleTarget {
    pub id: Uuid,
    pub name: String,
}

/// `POST /api/v1/schedules`. `asset_ids` and `group_ids` must be the current org's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSchedule {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 200))]
    pub name: String,
    /// `daily`, `weekly` or `monthly`.
    pub frequency: String,
    pub window_start: String,
    pub window_end: String,
    #[serde(default)]
    pub asset_ids: Vec<Uuid>,
    #[serde(default)]
    pub group_ids: Vec<Uuid>,
}

/// `PATCH /api/v1/schedules/{id}`: fields left out stay; a target list given replaces the old one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSchedule {
    pub name: Option<String>,
    pub frequency: Option<String>,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub asset_ids: Option<Vec<Uuid>>,
    pub group_ids: Option<Vec<Uuid>>,
}

/// A deployment (package or script) targeting a tenant; an inheritable one reaches its
/// child tenants too. In a child, `GET /api/v1/deployments` lists the org's own and the
/// inheritable ones of its ancestors, each with the org it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Deployment {
    pub id: Uuid,
    pub name: String,
    /// Package name or script text.
    pub package: String,
    pub inheritable: bool,
    /// The org the deployment belongs to (the current org, or an ancestor).
    pub org_id: Uuid,
    pub org_name: String,
    /// True when it comes from an ancestor (and can only be changed there).
    pub inherited: bool,
    pub created_at: String,
}

/// `POST /api/v1/deployments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateDeployment {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 200))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 20000))]
    pub package: String,
    #[serde(default)]
    pub inheritable: bool,
}

/// Whom a notification is for, within the current org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "RawTarget")]
pub enum NotificationTarget {
    /// Every active member of the org. The only kind Do Not Disturb applies to.
    Org,
    /// One user who can access the org.
    User { user_id: Uuid },
    /// Members holding exactly this role by membership in the org.
    Role { role: Role },
    /// Members of the org whose viewing is limited to this asset group.
    Group { group_id: Uuid },
}

/// What a [`NotificationTarget`] is read through: serde ignores extra keys of an internally
/// tagged unit variant (`{"kind": "org", "user_id": …}`) even with `deny_unknown_fields`, so
/// the keys are read flat and each kind takes exactly its own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    kind: String,
    user_id: Option<Uuid>,
    role: Option<Role>,
    group_id: Option<Uuid>,
}

impl TryFrom<RawTarget> for NotificationTarget {
    type Error = String;

    fn try_from(raw: RawTarget) -> Result<Self, String> {
        // The messages follow serde's wording, so the API names the field.
        let extra = |field: &str, kind: &str| format!("unknown field `{field}`: kind {kind} doesn't take it");
        let given = [("user_id", raw.user_id.is_some()), ("role", raw.role.is_some()), ("group_id", raw.group_id.is_some())];
        let own = match raw.kind.as_str() {
            "org" => None,
            "user" => Some("user_id"),
            "role" => Some("role"),
            "group" => Some("group_id"),
            other => return Err(format!("unknown variant `{other}`, expected one of `org`, `user`, `role`, `group`")),
        };
        if let Some((field, _)) = given.iter().find(|(f, set)| *set && Some(*f) != own) {
            return Err(extra(field, &raw.kind));
        }
        let missing = |field: &str| format!("missing field `{field}`");
        Ok(match raw.kind.as_str() {
            "user" => NotificationTarget::User { user_id: raw.user_id.ok_or_else(|| missing("user_id"))? },
            "role" => NotificationTarget::Role { role: raw.role.ok_or_else(|| missing("role"))? },
            "group" => NotificationTarget::Group { group_id: raw.group_id.ok_or_else(|| missing("group_id"))? },
            _ => NotificationTarget::Org,
        })
    }
}

/// Notification severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [Severity::Info, Severity::Warning, Severity::Critical].into_iter().find(|v| v.as_str() == s)
    }
}

/// `POST /api/v1/notifications`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateNotification {
    pub target: NotificationTarget,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "\\S", max_length = 200))]
    pub title: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 5000))]
    pub body: String,
    #[serde(default = "default_severity")]
    pub severity: Severity,
}

fn default_severity() -> Severity {
    Severity::Info
}

/// Whether a notification reached its recipients or waits for Do Not Disturb to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Delivered,
    /// Org-targeted during the org's DND window: delivered when the window ends (`held_until`).
    Held,
}

/// A sent notification (the answer to `POST /api/v1/notifications`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Notification {
    pub id: Uuid,
    pub org_id: Uuid,
    pub target: NotificationTarget,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub status: DeliveryStatus,
    /// Set while held: when the DND window ends and it is delivered.
    pub held_until: Option<String>,
    /// How many inboxes it reached (0 while held).
    pub recipients: i64,
    /// How many mails went to the outbox with it.
    pub mails: i64,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// One notification in the caller's inbox (`GET /api/v1/inbox`), from any org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InboxItem {
    pub id: Uuid,
    pub notification_id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    /// `org`, `user`, `role` or `group`: how it reached the caller.
    pub target_kind: String,
    pub delivered_at: String,
    pub read_at: Option<String>,
}

/// The caller's inbox, newest first, with the bell's count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    pub next_cursor: Option<String>,
    pub unread_count: i64,
}

/// `?unread=true&limit=&cursor=` on `GET /api/v1/inbox`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct InboxQuery {
    /// Only unread items.
    pub unread: Option<bool>,
    /// 1–500, default 50.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// `POST /api/v1/inbox/read-all` and `/inbox/{id}/read`: how many items changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MarkedRead {
    pub marked: i64,
    pub unread_count: i64,
}

/// `GET /api/v1/me/mfa`: the caller's second factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MfaStatus {
    /// A confirmed TOTP authenticator is enrolled.
    pub totp: bool,
    pub passkeys: Vec<PasskeyInfo>,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// The sign-in policy requires a second factor for this user.
    pub required_by_policy: bool,
}

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// `POST /api/v1/me/mfa/totp`: proof of the password before enrolling.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TotpStart {
    pub password: String,
}

/// A TOTP secret to put in an authenticator app; not active until confirmed with a code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TotpEnrollment {
    /// Base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/…` for a QR code or a link.
    pub otpauth_url: String,
    /// `otpauth_url` as a QR code: a standalone SVG document (black modules on white).
    #[serde(default)]
    pub qr_svg: String,
}

/// `POST /api/v1/me/mfa/totp/confirm`: a code from the new authenticator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TotpConfirm {
    pub code: String,
}

/// Ten single-use recovery codes, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// A fresh proof for a sensitive change: the password, a current TOTP code, or a passkey
/// assertion (`credential` answered to `POST /api/v1/auth/passkey/start` in this browser).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FreshProof {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
    /// A WebAuthn assertion (`PublicKeyCredential.toJSON()`) by one of the caller's passkeys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub passkey: Option<serde_json::Value>,
}

/// `POST /api/v1/me/passkeys/register/start`: the new passkey's name and a fresh proof.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegistrationStart {
    /// What to call it, e.g. "Work laptop" or "YubiKey" (1 to 60 characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 60))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
    /// A passkey assertion instead of the password (see [`FreshProof::passkey`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub passkey: Option<serde_json::Value>,
}

/// A WebAuthn ceremony's options, as webauthn-rs writes them (base64url fields): give
/// `publicKey` to `PublicKeyCredential.parseCreationOptionsFromJSON` (registering) or
/// `parseRequestOptionsFromJSON` (signing in), then to `navigator.credentials.create`/`get`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyOptions {
    #[serde(rename = "publicKey")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub public_key: serde_json::Value,
    /// `"conditional"` on sign-in options: they also suit the browser's autofill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mediation: Option<String>,
}

/// What the browser's authenticator answered, as `PublicKeyCredential.toJSON()` gives it
/// (base64url fields): an attestation to finish a registration, an assertion to sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyCredential {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: serde_json::Value,
}

/// `PATCH /api/v1/me/passkeys/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyRename {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 60))]
    pub name: String,
}

/// What `POST /api/v1/bulk` does to each selected tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    /// `params`: `{key, value}` as `PUT /api/v1/settings/{key}` takes it.
    SetSetting,
    /// `params`: a `CreateDeployment`.
    CreateDeployment,
    /// `params`: a `CreateNotification`.
    Notify,
    Suspend,
    Reactivate,
    /// `params`: `{tag}`, a tag of the MSP.
    AddTag,
    /// `params`: `{tag}`.
    RemoveTag,
}

impl BulkAction {
    pub const ALL: [BulkAction; 7] = [
        BulkAction::SetSetting,
        BulkAction::CreateDeployment,
        BulkAction::Notify,
        BulkAction::Suspend,
        BulkAction::Reactivate,
        BulkAction::AddTag,
        BulkAction::RemoveTag,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            BulkAction::SetSetting => "set_setting",
            BulkAction::CreateDeployment => "create_deployment",
            BulkAction::Notify => "notify",
            BulkAction::Suspend => "suspend",
            BulkAction::Reactivate => "reactivate",
            BulkAction::AddTag => "add_tag",
            BulkAction::RemoveTag => "remove_tag",
        }
    }

    /// For people: "apply a setting", "suspend"…
    pub const fn label(self) -> &'static str {
        match self {
            BulkAction::SetSetting => "apply a setting",
            BulkAction::CreateDeployment => "create a deployment",
            BulkAction::Notify => "send a notification",
            BulkAction::Suspend => "suspend",
            BulkAction::Reactivate => "reactivate",
            BulkAction::AddTag => "add a tag",
            BulkAction::RemoveTag => "remove a tag",
        }
    }
}

/// Which tenants a bulk action is for: exactly one of `org_ids` and `tag`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkTargets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_ids: Option<Vec<Uuid>>,
    /// Every org of the MSP carrying this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Uuid>,
}

/// `POST /api/v1/bulk` (current org: the MSP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    pub action: BulkAction,
    pub targets: BulkTargets,
    /// Shaped per action (see [`BulkAction`]).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub params: serde_json::Value,
    /// Check and describe, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// How one tenant fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    /// Changed (or, on a dry run, would be changed; or needs no change).
    Ok,
    /// The caller may not do this there (or can't see the org): not touched.
    Refused,
    /// Allowed, but it failed.
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BulkItem {
    pub org_id: Uuid,
    /// `null` for an org the caller can't see.
    pub org_name: Option<String>,
    pub status: BulkStatus,
    /// What changed (or would), or why not.
    pub message: String,
    /// Whether anything changed (or would).
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BulkResult {
    /// The run's id, named by its `bulk.run` audit event; `null` on a dry run.
    pub id: Option<Uuid>,
    pub action: BulkAction,
    pub dry_run: bool,
    pub total: i64,
    pub ok: i64,
    pub refused: i64,
    pub errors: i64,
    /// Of the `ok` ones, how many changed (or would).
    pub changed: i64,
    pub items: Vec<BulkItem>,
}

/// How far a bulk run is: `done` of `total` tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BulkProgress {
    pub done: i64,
    pub total: i64,
}

/// One line of a bulk run answered as a stream (`Accept: application/x-ndjson`): progress
/// lines, then one `result` line (or one `error` line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BulkEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<BulkProgress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<BulkResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::error::ApiErrorDetail>,
    /// Instead of a result: the run waits for a second admin (see `ApprovalHeld`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<Uuid>,
}

/// 202: the action needs a second admin of the MSP; it waits as this request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApprovalHeld {
    pub approval_id: Uuid,
}

/// Where an approval request stands. `expired`: pending past its `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    /// Approved and run.
    Approved,
    Rejected,
    /// Approved, but running it failed (`result` says why).
    Failed,
    Expired,
}

/// A request for an action that needs a second admin (`GET /api/v1/approvals`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Approval {
    pub id: Uuid,
    /// `org.delete`, `org.merge`, `bulk.suspend` or `scope.all_except`.
    pub action: String,
    pub summary: String,
    /// What the dry run said it would do.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub preview: serde_json::Value,
    pub requested_by: Uuid,
    pub requested_by_email: String,
    pub created_at: String,
    pub expires_at: String,
    pub status: ApprovalStatus,
    pub decided_by_email: Option<String>,
    pub decided_at: Option<String>,
    pub result: Option<String>,
}

/// `?status=` on `GET /api/v1/approvals`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct ApprovalQuery {
    /// `pending`, `approved`, `rejected`, `failed` or `expired`; all when absent.
    pub status: Option<String>,
}
