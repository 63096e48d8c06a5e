//! Loads what the access rules need and asks [`shared::access::access`]. This is the only
//! place on the server that turns "this user, this org" into a role.
use crate::db::{Db, now_ms};
use crate::rows::UserRow;
use shared::access::{DelegationGrant, Grant, OrgNode, Subject, access};
use shared::{OrgKind, OrgStatus, Role};
use sqlx::AnyConnection;

/// One org on a path to the root.
#[derive(Debug, Clone)]
pub struct PathNode {
    pub id: String,
    pub kind: OrgKind,
    pub status: OrgStatus,
    pub email_domain: Option<String>,
}

/// An org and its ancestors: `nodes[0]` is the org, the last is its root.
#[derive(Debug, Clone)]
pub struct OrgPath {
    pub nodes: Vec<PathNode>,
}

impl OrgPath {
    /// The org's own email domain, or its nearest ancestor's.
    pub fn effective_domain(&self) -> &str {
        self.nodes.iter().find_map(|n| n.email_domain.as_deref()).unwrap_or("")
    }

    /// Suspending an org also stops everything below it.
    pub fn is_suspended(&self) -> bool {
        self.nodes.iter().any(|n| n.status == OrgStatus::Suspended)
    }

    pub fn contains(&self, org_id: &str) -> bool {
        self.nodes.iter().any(|n| n.id == org_id)
    }

    /// The MSP at the root, if the tree is an MSP's.
    pub fn msp_id(&self) -> Option<&str> {
        self.nodes.last().filter(|n| n.kind == OrgKind::Msp).map(|n| n.id.as_str())
    }

    fn access_nodes(&self) -> Vec<OrgNode> {
        self.nodes
            .iter()
            .map(|n| OrgNode { id: crate::db::parse_uuid(&n.id), kind: n.kind })
            .collect()
    }
}

const PATH_SQL: &str = "WITH RECURSIVE path (id, parent_id, kind, status, email_domain, depth) AS ( \
       SELECT id, parent_id, kind, status, email_domain, 0 FROM orgs WHERE id = $1 \
       UNION ALL \
       SELECT o.id, o.parent_id, o.kind, o.status, o.email_domain, p.depth + 1 \
       FROM orgs o JOIN path p ON o.id = p.parent_id WHERE p.depth < 64 \
     ) SELECT id, kind, status, email_domain FROM path ORDER BY depth";

/// The path from `org_id` to its root; `None` when the org does not exist.
pub async fn load_path(conn: &mut AnyConnection, org_id: &str) -> Result<Option<OrgPath>, sqlx::Error> {
    let rows: Vec<(String, String, String, Option<String>)> =
        sqlx::query_as(PATH_SQL).bind(org_id).fetch_all(conn).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let nodes = rows
        .into_iter()
        .map(|(id, kind, status, email_domain)| PathNode {
            id,
            kind: kind.parse().unwrap_or(OrgKind::Child),
            status: status.parse().unwrap_or(OrgStatus::Suspended),
            email_domain,
        })
        .collect();
    Ok(Some(OrgPath { nodes }))
}

/// Everything about a user that the access rules look at.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub is_superuser: bool,
    pub memberships: Vec<Grant>,
    pub delegations: Vec<DelegationGrant>,
}

impl Grants {
    pub async fn load(db: &Db, user: &UserRow) -> Result<Grants, sqlx::Error> {
        let mut conn = db.pool.acquire().await?;
        Self::load_with(&mut conn, user).await
    }

    pub async fn load_with(conn: &mut AnyConnection, user: &UserRow) -> Result<Grants, sqlx::Error> {
        let memberships: Vec<(String, String)> =
            sqlx::query_as("SELECT org_id, role FROM memberships WHERE user_id = $1")
                .bind(&user.id)
                .fetch_all(&mut *conn)
                .await?;
        let delegations: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT org_id, expires_at FROM delegations WHERE user_id = $1")
                .bind(&user.id)
                .fetch_all(&mut *conn)
                .await?;
        Ok(Grants {
            is_superuser: user.is_superuser(),
            memberships: memberships
                .into_iter()
                .filter_map(|(org, role)| Some(Grant { org_id: crate::db::parse_uuid(&org), role: role.parse().ok()? }))
                .collect(),
            delegations: delegations
                .into_iter()
                .map(|(org, expires_at)| DelegationGrant { org_id: crate::db::parse_uuid(&org), expires_at })
                .collect(),
        })
    }

    /// The user's effective role in the org at the head of `path`, now.
    pub fn role_in(&self, path: &OrgPath) -> Option<Role> {
        self.role_in_at(path, now_ms())
    }

    pub fn role_in_at(&self, path: &OrgPath, now: i64) -> Option<Role> {
        let subject = Subject {
            is_superuser: self.is_superuser,
            memberships: &self.memberships,
            delegations: &self.delegations,
        };
        access(subject, &path.access_nodes(), now)
    }

    /// Orgs from which access may flow down: memberships and active delegations.
    /// Non-admin MSP memberships don't reach below the MSP, so they are not seeds for descent.
    pub fn descent_seeds(&self, now: i64) -> Vec<(String, bool)> {
        let mut seeds: Vec<(String, bool)> = self
            .memberships
            .iter()
            .map(|g| (g.org_id.to_string(), g.role == Role::Admin))
            .collect();
        seeds.extend(
            self.delegations.iter().filter(|d| d.is_active(now)).map(|d| (d.org_id.to_string(), true)),
        );
        seeds
    }
}
