//! Assets and asset groups of the current org.
use super::{ApiResult, delete, get, patch, post, query_string};
use shared::api::{
    Asset, AssetQuery, AssetSummary, CreateAsset, Group, GroupAssets, GroupAssetsResult, GroupBody, ListQuery, MoveAssets, MoveResult, Page, UpdateAsset,
};
use uuid::Uuid;


pub async fn list(org: Option<String>, query: &AssetQuery) -> ApiResult<Page<Asset>> {
    get(&format!("/api/v1/assets{}", query_string(query)), org).await
}
pub async fn summary(org: Option<String>) -> ApiResult<AssetSummary> {
    get("/api/v1/assets/summary", org).await
}
pub async fn one(org: Option<String>, id: &str) -> ApiResult<Asset> {
    get(&format!("/api/v1/assets/{}", super::encode(id)), org).await
}
pub async fn create(org: Option<String>, body: &CreateAsset) -> ApiResult<Asset> {
    post("/api/v1/assets", org, body).await
}
pub async fn update(org: Option<String>, id: &str, body: &UpdateAsset) -> ApiResult<Asset> {
    patch(&format!("/api/v1/assets/{}", super::encode(id)), org, body).await
}
pub async fn remove(org: Option<String>, id: &str) -> ApiResult<()> {
    delete(&format!("/api/v1/assets/{}", super::encode(id)), org).await
}
/// Moves assets to another tenant the caller administers (named in the body).
pub async fn move_to(org: Option<String>, body: &MoveAssets) -> ApiResult<MoveResult> {
    post("/api/v1/assets/move", org, body).await
}

pub async fn groups(org: Option<String>, query: &ListQuery) -> ApiResult<Page<Group>> {
    get(&format!("/api/v1/groups{}", query_string(query)), org).await
}
pub async fn create_group(org: Option<String>, body: &GroupBody) -> ApiResult<Group> {
    post("/api/v1/groups", org, body).await
}
pub async fn rename_group(org: Option<String>, id: Uuid, body: &GroupBody) -> ApiResult<Group> {
    patch(&format!("/api/v1/groups/{id}"), org, body).await
}
pub async fn delete_group(org: Option<String>, id: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/groups/{id}"), org).await
}
/// Puts assets into one group (or out of their groups), all or none.
pub async fn put_in_group(org: Option<String>, body: &GroupAssets) -> ApiResult<GroupAssetsResult> {
    post("/api/v1/assets/group", org, body).await
}

/// The first `limit` rows of a list: the pages show at most one page of 500.
pub fn first(limit: u32) -> ListQuery {
    ListQuery { limit: Some(limit), ..Default::default() }
}

