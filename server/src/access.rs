//! Loads what the access rules need and asks [`shared::access::access`]. This is the only
//! place on the server that turns "this user, this org" into a role.
use crate::db::sql::Sql;
use crate::db::{Db, now_ms};
use crate::db::rows::{OrgRow, UserRow};
use shared::access::{DelegationGrant, Grant, OrgNode, Subject, access};
use shared::{OrgKind, OrgStatus, Role};
use sqlx::AnyConnection;

/// One org on a path to the root.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PathNode {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub kind: OrgKind,
    #[sqlx(try_from = "String")]
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
    let nodes: Vec<PathNode> = sqlx::query_as(PATH_SQL).bind(org_id).fetch_all(conn).await?;
    if nodes.is_empty() {
        return Ok(None);
    }
    Ok(Some(OrgPath { nodes }))
}

const ORG_PATH_SQL: &str = "WITH RECURSIVE path (id, name, slug, kind, parent_id, email_domain, status, created_at, updated_at, depth) AS ( \
       SELECT id, name, slug, kind, parent_id, email_domain, status, created_at, updated_at, 0 FROM orgs WHERE id = $1 \
       UNION ALL \
       SELECT o.id, o.name, o.slug, o.kind, o.parent_id, o.email_domain, o.status, o.created_at, o.updated_at, p.depth + 1 \
       FROM orgs o JOIN path p ON o.id = p.parent_id WHERE p.depth < 64 \
     ) SELECT id, name, slug, kind, parent_id, email_domain, status, created_at, updated_at FROM path ORDER BY depth";

/// The org and its path in one round trip (every org-scoped request needs both);
/// `None` when the org does not exist.
pub async fn load_org_and_path(conn: &mut AnyConnection, org_id: &str) -> Result<Option<(OrgRow, OrgPath)>, sqlx::Error> {
    let mut rows: Vec<OrgRow> = sqlx::query_as(ORG_PATH_SQL).bind(org_id).fetch_all(conn).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let nodes = rows
        .iter()
        .map(|r| PathNode { id: r.id.clone(), kind: r.kind(), status: r.status(), email_domain: r.email_domain.clone() })
        .collect();
    Ok(Some((rows.swap_remove(0), OrgPath { nodes })))
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
        // One round trip for both (this runs on every request): memberships carry a role,
        // delegations an expiry.
        let rows: Vec<(String, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT org_id, role, CAST(NULL AS BIGINT) FROM memberships WHERE user_id = $1 \
             UNION ALL SELECT org_id, CAST(NULL AS TEXT), expires_at FROM delegations WHERE user_id = $1",
        )
        .bind(&user.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut grants = Grants { is_superuser: user.is_superuser(), ..Grants::default() };
        for (org, role, expires_at) in rows {
            let org_id = crate::db::parse_uuid(&org);
            match role {
                Some(role) => grants.memberships.push(Grant { org_id, role: crate::db::decode("memberships.role", &role)? }),
                None => grants.delegations.push(DelegationGrant { org_id, expires_at }),
            }
        }
        Ok(grants)
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

/// Which asset groups a caller may see in one org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupScope {
    /// Every asset and group of the org (ungrouped assets included).
    All,
    /// Only these groups and their assets; nothing ungrouped.
    Only(Vec<String>),
}

impl GroupScope {
    /// Appends an SQL condition limiting `column` (a group id) to the scope. Always append
    /// it after `AND`.
    pub fn push_condition(&self, sql: &mut Sql, column: &str) {
        match self {
            GroupScope::All => sql.push("1 = 1"),
            GroupScope::Only(ids) if ids.is_empty() => sql.push("1 = 0"),
            GroupScope::Only(ids) => sql.push(column).push(" IN (").in_list(ids).push(")"),
        };
    }

    pub fn allows(&self, group_id: Option<&str>) -> bool {
        match self {
            GroupScope::All => true,
            GroupScope::Only(ids) => group_id.is_some_and(|g| ids.iter().any(|i| i == g)),
        }
    }
}

/// The one place that decides which groups a caller sees in the org at the head of `path`,
/// given their effective `role` there. Every asset and group query goes through it.
///
/// Members and admins see everything. A viewer whose viewing comes only from group-limited
/// viewer memberships (in the org or above it, below any MSP) sees just the groups their
/// membership *in this org* names — so a limit set on a customer doesn't open its child
/// tenants' assets. One unlimited viewer membership on the path lifts the limit.
pub async fn visible_groups(conn: &mut AnyConnection, user_id: &str, path: &OrgPath, role: Role) -> Result<GroupScope, sqlx::Error> {
    if role > Role::Viewer {
        return Ok(GroupScope::All);
    }
    // Viewing never crosses the MSP → customer edge, so an MSP membership can't lift a limit below it.
    let orgs: Vec<&str> = path
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| *i == 0 || n.kind != OrgKind::Msp)
        .map(|(_, n)| n.id.as_str())
        .collect();
    let mut sql = Sql::new(
        "SELECT m.org_id, m.group_limited, g.group_id FROM memberships m \
         LEFT JOIN membership_groups g ON g.user_id = m.user_id AND g.org_id = m.org_id \
         WHERE m.user_id = ",
    );
    sql.bind(user_id).push(" AND m.role = 'viewer' AND m.org_id IN (").in_list(orgs).push(")");
    let query = sql.query_as::<(String, i64, Option<String>)>();
    let rows = query.fetch_all(conn).await?;
    if rows.is_empty() || rows.iter().any(|(_, limited, _)| *limited == 0) {
        return Ok(GroupScope::All);
    }
    let here = &path.nodes[0].id;
    let mut ids: Vec<String> = rows.into_iter().filter(|(o, _, _)| o == here).filter_map(|(_, _, g)| g).collect();
    ids.sort();
    ids.dedup();
    Ok(GroupScope::Only(ids))
}
