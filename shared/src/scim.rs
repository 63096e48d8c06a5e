//! Request and response bodies of an org's SCIM tokens (`/api/v1/scim-tokens`). The SCIM
//! protocol itself (`/scim/v2/…`) speaks RFC 7643/7644 JSON, not these types.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `POST /api/v1/scim-tokens`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateScimToken {
    /// What it is for, e.g. "Entra ID provisioning" (1–100 characters).
    pub name: String,
}

/// A SCIM token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScimToken {
    pub id: Uuid,
    pub name: String,
    /// The first characters, to tell tokens apart.
    pub prefix: String,
    pub created_by: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// The answer to creating a token: the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScimTokenCreated {
    pub id: Uuid,
    pub name: String,
    /// `Authorization: Bearer <token>` for the directory's SCIM client; not stored, not shown again.
    pub token: String,
    /// The SCIM base URL to give the directory (its `Tenant URL`).
    pub base_url: String,
    pub created_at: String,
}
