//! Loads what the access rules need and asks [`shared::access::access`]. This is the only
//! place on the server that turns "this user, this org" into a role.
use crate::db::sql::Sql;
use crate::db::{Db, now_ms};
use crate::db::rows::{OrgRow, UserRow};
use shared::access::{DelegationGrant, Grant, OrgNode, ScopeGrant, ScopeRule, Subject, access};
use shared::{OrgKind, OrgStatus, Role};
use sqlx::AnyConnection;
use uuid::Uuid;

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
    /// Technician scopes, each with its exclusions or its tagged orgs resolved at load time.
    pub scopes: Vec<ScopeGrant>,
}

impl Grants {
    pub async fn load(db: &Db, user: &UserRow) -> Result<Grants, sqlx::Error> {
        let mut conn = db.pool.acquire().await?;
        Self::load_with(&mut conn, user).await
    }

    pub async fn load_with(conn: &mut AnyConnection, user: &UserRow) -> Result<Grants, sqlx::Error> {
        // One round trip for all of them (this runs on every request): memberships carry a
        // role, delegations an expiry, scopes their MSP and one excluded or tagged org a row.
        // A scope counts only while its technician is still a member of the MSP.
        let rows: Vec<(String, String, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT 'm', org_id, role, CAST(NULL AS BIGINT) FROM memberships WHERE user_id = $1 \
             UNION ALL SELECT 'd', org_id, CAST(NULL AS TEXT), expires_at FROM delegations WHERE user_id = $1 \
             UNION ALL SELECT 'x', s.msp_id, x.org_id, CAST(NULL AS BIGINT) FROM technician_scopes s \
               JOIN memberships m ON m.user_id = s.user_id AND m.org_id = s.msp_id \
               LEFT JOIN technician_scope_exclusions x ON x.msp_id = s.msp_id AND x.user_id = s.user_id \
               WHERE s.user_id = $1 AND s.kind = 'all_except' \
             UNION ALL SELECT 't', s.msp_id, ot.org_id, CAST(NULL AS BIGINT) FROM technician_scopes s \
               JOIN memberships m ON m.user_id = s.user_id AND m.org_id = s.msp_id \
               LEFT JOIN org_tags ot ON ot.tag_id = s.tag_id \
               WHERE s.user_id = $1 AND s.kind = 'tag'",
        )
        .bind(&user.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut grants = Grants { is_superuser: user.is_superuser(), ..Grants::default() };
        for (source, org, extra, expires_at) in rows {
            let org_id = crate::db::parse_uuid(&org);
            match source.as_str() {
                "m" => {
                    let role = extra.ok_or_else(|| sqlx::Error::Decode("memberships.role is NULL".into()))?;
                    grants.memberships.push(Grant { org_id, role: crate::db::decode("memberships.role", &role)? })
                }
                "d" => grants.delegations.push(DelegationGrant { org_id, expires_at }),
                kind => {
                    let listed = extra.as_deref().map(crate::db::parse_uuid);
                    let pos = grants.scopes.iter().position(|s| s.msp_id == org_id);
                    let scope = match pos {
                        Some(i) => &mut grants.scopes[i],
                        None => {
                            let rule = if kind == "x" { ScopeRule::AllExcept(Vec::new()) } else { ScopeRule::Tagged(Vec::new()) };
                            grants.scopes.push(ScopeGrant { msp_id: org_id, rule });
                            grants.scopes.last_mut().expect("just pushed")
                        }
                    };
                    if let Some(listed) = listed {
                        match &mut scope.rule {
                            ScopeRule::AllExcept(ids) | ScopeRule::Tagged(ids) => ids.push(listed),
                        }
                    }
                }
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
            scopes: &self.scopes,
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
        // Tag scopes name their orgs; all-except scopes are a condition on the MSP's
        // customers, which `orgs::candidates_cte` adds in SQL (see [`Grants::all_except`]).
        for scope in &self.scopes {
            if let ScopeRule::Tagged(ids) = &scope.rule {
                seeds.extend(ids.iter().map(|id| (id.to_string(), true)));
            }
        }
        seeds
    }

    /// The all-except scopes: (MSP, excluded customers).
    pub fn all_except(&self) -> impl Iterator<Item = (String, Vec<String>)> + '_ {
        self.scopes.iter().filter_map(|s| match &s.rule {
            ScopeRule::AllExcept(ids) => Some((s.msp_id.to_string(), ids.iter().map(Uuid::to_string).collect())),
            ScopeRule::Tagged(_) => None,
        })
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
