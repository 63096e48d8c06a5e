//! Database rows and their conversion to API types.
use crate::db::{parse_uuid, rfc3339};
use shared::api;
use shared::{OrgKind, OrgStatus, UserStatus};

pub const USER_COLUMNS: &str = "u.id, u.email, u.name, u.home_org_id, u.is_superuser, u.status, u.created_at, u.last_login_at";
pub const ORG_COLUMNS: &str = "o.id, o.name, o.slug, o.kind, o.parent_id, o.email_domain, o.status, o.created_at, o.updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub home_org_id: String,
    pub is_superuser: i64,
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

impl UserRow {
    pub fn is_superuser(&self) -> bool {
        self.is_superuser != 0
    }

    pub fn to_api(&self) -> api::User {
        api::User {
            id: parse_uuid(&self.id),
            email: self.email.clone(),
            name: self.name.clone(),
            home_org_id: parse_uuid(&self.home_org_id),
            is_superuser: self.is_superuser(),
            status: self.status,
            created_at: rfc3339(self.created_at),
            last_login_at: self.last_login_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    #[sqlx(try_from = "String")]
    pub kind: OrgKind,
    pub parent_id: Option<String>,
    pub email_domain: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: OrgStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

impl OrgRow {
    pub fn kind(&self) -> OrgKind {
        self.kind
    }

    pub fn status(&self) -> OrgStatus {
        self.status
    }

    /// `effective_domain`: the org's own, or its nearest ancestor's (see [`crate::access::OrgPath`]).
    pub fn to_api(&self, effective_domain: &str) -> api::Org {
        api::Org {
            id: parse_uuid(&self.id),
            name: self.name.clone(),
            slug: self.slug.clone(),
            kind: self.kind(),
            parent_id: self.parent_id.as_deref().map(parse_uuid),
            email_domain: self.email_domain.clone(),
            effective_email_domain: effective_domain.to_string(),
            status: self.status(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }
}
