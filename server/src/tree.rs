//! The Organizations tree: MSP → customers → child tenants → their assets by kind.
//!
//! `GET /api/v1/tree` answers the caller's roots (accessible orgs whose parent they can't
//! open), or with `?q=` every accessible org whose name or slug matches, with its path.
//! `GET /api/v1/tree/{id}/children` answers one level, paged, so the page loads lazily.
//! Every node's role comes from the access function; asset counts honour group limits.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::{OrgPath, PathNode, visible_groups};
use crate::http::context::{Caller, org_for};
use crate::db::sql::Sql;
use crate::db::{now_ms, parse_uuid};
use crate::http::error::Result;
use crate::orgs::{OrgFilter, accessible_orgs, page_bounds, paginate};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::{Path, Query};
use crate::http::extract::Json;
use shared::api::{AssetKindCounts, ListQuery, Page, TreeNode};
use shared::{AssetKind, OrgKind, Role};
use std::collections::HashMap;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(roots)).routes(routes!(children))
}

/// An org about to become a node: what the access function and the counts need.
struct Candidate {
    path: OrgPath,
    name: String,
    slug: String,
    role: Role,
    breadcrumb: Vec<String>,
}

impl Candidate {
    fn id(&self) -> &str {
        &self.path.nodes[0].id
    }
}

#[utoipa::path(get, path = "/api/v1/tree", tag = "orgs", params(ListQuery),
    responses((status = 200, body = Page<TreeNode>, description = "roots, or with `q` the matching orgs with their paths"), (status = 401)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn roots(State(state): State<AppState>, caller: Caller, Query(q): Query<ListQuery>) -> Result<Json<Page<TreeNode>>> {
    let (limit, offset) = page_bounds(&q)?;
    let needle = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let now = now_ms();
    let mut conn = state.db.pool.acquire().await?;
    let (ids, next_cursor): (Vec<String>, Option<String>) = match needle {
        // Search: the switcher's query, which pages in SQL and asks the access function.
        Some(n) => {
            let filter = OrgFilter { q: Some(n), ..OrgFilter::default() };
            let (found, more) = accessible_orgs(&state, &caller, &filter, Some((limit, offset))).await?;
            let next = more.then(|| (offset + found.len()).to_string());
            (found.into_iter().map(|o| o.id.to_string()).collect(), next)
        }
        // Roots: where the caller's grants start, unless an ancestor is reachable too.
        None => {
            let seeds: Vec<String> = if caller.grants.is_superuser {
                sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL").fetch_all(&mut *conn).await?
            } else {
                caller.grants.descent_seeds(now).into_iter().map(|(id, _)| id).collect()
            };
            let mut roots = Vec::new();
            for id in seeds {
                let Some(path) = crate::access::load_path(&mut conn, &id).await? else { continue };
                let above = OrgPath { nodes: path.nodes[1..].to_vec() };
                let reachable_above = !above.nodes.is_empty() && caller.grants.role_in_at(&above, now).is_some();
                if caller.grants.role_in_at(&path, now).is_some() && !reachable_above && !roots.contains(&id) {
                    roots.push(id);
                }
            }
            let mut named = names(&mut conn, &roots).await?;
            named.sort_by(|a, b| a.1.to_lowercase().cmp(&b.1.to_lowercase()));
            let page = paginate(named, limit, offset);
            (page.items.into_iter().map(|(id, _)| id).collect(), page.next_cursor)
        }
    };
    // Paths and roles first, then every name the page shows in one query.
    let mut found = Vec::new();
    for id in &ids {
        let Some(path) = crate::access::load_path(&mut conn, id).await? else { continue };
        let Some(role) = caller.grants.role_in_at(&path, now) else { continue };
        // The path shown is the ancestors the caller can open themselves, root first.
        let visible: Vec<String> = (1..path.nodes.len())
            .filter(|&i| caller.grants.role_in_at(&OrgPath { nodes: path.nodes[i..].to_vec() }, now).is_some())
            .map(|i| path.nodes[i].id.clone())
            .rev()
            .collect();
        found.push((path, role, visible));
    }
    let mut lookup: Vec<String> = found.iter().flat_map(|(path, _, visible)| visible.iter().cloned().chain([path.nodes[0].id.clone()])).collect();
    lookup.sort();
    lookup.dedup();
    let known: HashMap<String, (String, String)> = names_and_slugs(&mut conn, &lookup).await?.into_iter().map(|(i, n, s)| (i, (n, s))).collect();
    let mut candidates = Vec::new();
    for (path, role, visible) in found {
        let Some((name, slug)) = known.get(&path.nodes[0].id).cloned() else { continue };
        let breadcrumb = visible.iter().filter_map(|a| known.get(a).map(|(n, _)| n.clone())).collect();
        candidates.push(Candidate { path, name, slug, role, breadcrumb });
    }
    drop(conn);
    let items = nodes(&state, &caller, candidates).await?;
    Ok(Json(Page { items, next_cursor }))
}

async fn names_and_slugs(conn: &mut sqlx::AnyConnection, ids: &[String]) -> Result<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, name, slug FROM orgs WHERE id IN (");
    sql.in_list(ids).push(")");
    Ok(sql.query_as::<(String, String, String)>().fetch_all(conn).await?)
}

async fn names(conn: &mut sqlx::AnyConnection, ids: &[String]) -> Result<Vec<(String, String)>> {
    Ok(names_and_slugs(conn, ids).await?.into_iter().map(|(id, name, _)| (id, name)).collect())
}

#[utoipa::path(get, path = "/api/v1/tree/{id}/children", tag = "orgs", params(("id" = String, Path), ListQuery),
    responses((status = 200, body = Page<TreeNode>, description = "the child tenants the caller can open, by name"), (status = 404)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn children(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Query(q): Query<ListQuery>) -> Result<Json<Page<TreeNode>>> {
    let (limit, offset) = page_bounds(&q)?;
    let parent_path = org_for(&state, &caller, &id).await?.path;
    let visible = visible_children(&state, &caller, &parent_path).await?;
    let page = paginate(visible, limit, offset);
    let items = nodes(&state, &caller, page.items).await?;
    Ok(Json(Page { items, next_cursor: page.next_cursor }))
}

/// The children of the org at the head of `parent` that the caller can open, by name.
#[derive(sqlx::FromRow)]
struct ChildRow {
    name: String,
    slug: String,
    #[sqlx(flatten)]
    node: PathNode,
}

async fn visible_children(state: &AppState, caller: &Caller, parent: &OrgPath) -> Result<Vec<Candidate>> {
    let rows: Vec<ChildRow> =
        sqlx::query_as("SELECT id, name, slug, kind, status, email_domain FROM orgs WHERE parent_id = $1 ORDER BY name, slug")
            .bind(&parent.nodes[0].id)
            .fetch_all(&state.db.pool)
            .await?;
    let now = now_ms();
    let mut out = Vec::new();
    for ChildRow { name, slug, node } in rows {
        let mut nodes = Vec::with_capacity(parent.nodes.len() + 1);
        nodes.push(node);
        nodes.extend(parent.nodes.iter().cloned());
        let path = OrgPath { nodes };
        if let Some(role) = caller.grants.role_in_at(&path, now) {
            out.push(Candidate { path, name, slug, role, breadcrumb: Vec::new() });
        }
    }
    out.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.slug.cmp(&b.slug)));
    Ok(out)
}

/// Turns candidates into nodes with their visible child counts and asset counts, using a
/// couple of grouped queries for the page rather than a query per node where possible.
async fn nodes(state: &AppState, caller: &Caller, candidates: Vec<Candidate>) -> Result<Vec<TreeNode>> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = candidates.iter().map(|c| c.id().to_string()).collect();

    // Below a customer or child tenant every role carries down, so all children are visible;
    // below an MSP only admins see every customer, others just their delegated ones.
    let mut sql = Sql::new("SELECT parent_id, COUNT(*) FROM orgs WHERE parent_id IN (");
    sql.in_list(&ids).push(") GROUP BY parent_id");
    let child_counts: HashMap<String, i64> = sql.query_as::<(String, i64)>().fetch_all(&state.db.pool).await?.into_iter().collect();

    let mut sql = Sql::new("SELECT org_id, kind, COUNT(*) FROM assets WHERE org_id IN (");
    sql.in_list(&ids).push(") GROUP BY org_id, kind");
    let mut asset_counts: HashMap<String, AssetKindCounts> = HashMap::new();
    for (org, kind, n) in sql.query_as::<(String, String, i64)>().fetch_all(&state.db.pool).await? {
        add_count(asset_counts.entry(org).or_default(), &kind, n);
    }

    let mut out = Vec::with_capacity(candidates.len());
    for c in candidates {
        let id = c.id().to_string();
        let head = &c.path.nodes[0];
        let children = if head.kind == OrgKind::Msp && c.role < Role::Admin {
            Box::pin(visible_children(state, caller, &c.path)).await?.len() as i64
        } else {
            child_counts.get(&id).copied().unwrap_or(0)
        };
        let assets = if c.role > Role::Viewer {
            asset_counts.remove(&id).unwrap_or_default()
        } else {
            limited_asset_counts(state, caller, &c.path, c.role).await?
        };
        out.push(TreeNode {
            id: parse_uuid(&id),
            name: c.name,
            slug: c.slug,
            kind: head.kind,
            status: head.status,
            role: c.role,
            children,
            assets,
            path: c.breadcrumb,
        });
    }
    Ok(out)
}

fn add_count(counts: &mut AssetKindCounts, kind: &str, n: i64) {
    match kind.parse::<AssetKind>() {
        Ok(AssetKind::Computer) => counts.computer += n,
        Ok(AssetKind::MonitoredSystem) => counts.monitored_system += n,
        Ok(AssetKind::Gateway) => counts.gateway += n,
        Err(_) => {}
    }
}

/// A viewer's counts: only the groups [`visible_groups`] lets them see.
async fn limited_asset_counts(state: &AppState, caller: &Caller, path: &OrgPath, role: Role) -> Result<AssetKindCounts> {
    let mut conn = state.db.pool.acquire().await?;
    let scope = visible_groups(&mut conn, &caller.user.id, path, role).await?;
    let mut sql = Sql::new("SELECT kind, COUNT(*) FROM assets WHERE org_id = ");
    sql.bind(&path.nodes[0].id).push(" AND ");
    scope.push_condition(&mut sql, "group_id");
    sql.push(" GROUP BY kind");
    let query = sql.query_as::<(String, i64)>();
    let mut counts = AssetKindCounts::default();
    for (kind, n) in query.fetch_all(&mut *conn).await? {
        add_count(&mut counts, &kind, n);
    }
    Ok(counts)
}
