//! How deep org trees may nest: at most [`MAX_CHILD_LEVELS`] levels of child tenants below a
//! customer (an MSP, its customer, then up to 16 levels of children).
//!
//! Every path query walks up at most 64 steps, so a deeper tree would be cut short silently:
//! an org would lose its MSP, its domain and the access that flows down to it. The limit is
//! enforced wherever a tree grows or moves — creating an org, importing tenants, changing an
//! org's parent, merging — so no stored tree ever comes near the walk's bound.
use crate::access::OrgPath;
use crate::db::Db;
use crate::http::error::{ApiError, Result};

/// Levels of child tenants allowed below a customer.
pub const MAX_CHILD_LEVELS: usize = 16;
/// The longest path from an org to its root: MSP, customer, then the child levels.
pub const MAX_PATH_NODES: usize = MAX_CHILD_LEVELS + 2;

/// The 422 for a tree that would grow too deep, on `field`.
pub fn too_deep(field: &str) -> ApiError {
    ApiError::field(field, format!("would nest tenants more than {MAX_CHILD_LEVELS} levels below a customer"))
}

/// A new org under the org at the head of `parent_path`.
pub fn check_new_child(parent_path: &OrgPath) -> Result<()> {
    if parent_path.nodes.len() + 1 > MAX_PATH_NODES { Err(too_deep("parent_id")) } else { Ok(()) }
}

/// How many levels the subtree of `org_id` has below it (0 for a leaf).
pub async fn subtree_height(db: &Db, org_id: &str) -> Result<usize> {
    let height: Option<i64> = sqlx::query_scalar(
        "WITH RECURSIVE sub (id, depth) AS (SELECT id, 0 FROM orgs WHERE id = $1 \
           UNION ALL SELECT o.id, s.depth + 1 FROM orgs o JOIN sub s ON o.parent_id = s.id WHERE s.depth < 64) \
         SELECT CAST(MAX(depth) AS BIGINT) FROM sub",
    )
    .bind(org_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(height.unwrap_or(0).max(0) as usize)
}

/// Moving `org_id` (with everything below it) under the org at the head of `new_parent_path`.
pub async fn check_move(db: &Db, org_id: &str, new_parent_path: &OrgPath) -> Result<()> {
    let deepest = new_parent_path.nodes.len() + 1 + subtree_height(db, org_id).await?;
    if deepest > MAX_PATH_NODES { Err(too_deep("parent_id")) } else { Ok(()) }
}

/// Merging `source_id` into the org at the head of `target_path`: the source's children
/// become the target's.
pub async fn check_merge(db: &Db, source_id: &str, target_path: &OrgPath) -> Result<()> {
    let deepest = target_path.nodes.len() + subtree_height(db, source_id).await?;
    if deepest > MAX_PATH_NODES { Err(too_deep("into_org_id")) } else { Ok(()) }
}
