//! An MSP's tags: the list (for chips and filters), making and deleting them, putting them on
//! its customers; and technician scopes (all customers but some, or all with a tag).
use super::{ApiResult, Gated, delete, get, post, put};
use shared::api::{CreateTag, Tag, TechnicianScope};
use uuid::Uuid;

/// The MSP's tags by name.
pub async fn list(org: Option<String>) -> ApiResult<Vec<Tag>> {
    get("/api/v1/tags", org).await
}
pub async fn create(org: Option<String>, body: &CreateTag) -> ApiResult<Tag> {
    post("/api/v1/tags", org, body).await
}
/// Deletes the tag, its links to orgs and the technician scopes built on it.
pub async fn delete_tag(org: Option<String>, id: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/tags/{id}"), org).await
}
/// Puts the tag on an org of the MSP (again: no change).
pub async fn tag_org(org: Option<String>, target: Uuid, tag: Uuid) -> ApiResult<()> {
    put::<serde_json::Value, _>(&format!("/api/v1/orgs/{target}/tags/{tag}"), org, &serde_json::json!({})).await.map(|_| ())
}
pub async fn untag_org(org: Option<String>, target: Uuid, tag: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/orgs/{target}/tags/{tag}"), org).await
}

/// A technician's scope in the MSP (`None` when they have none).
pub async fn scope(org: Option<String>, technician: Uuid) -> ApiResult<Option<TechnicianScope>> {
    get(&format!("/api/v1/technicians/{technician}/scope"), org).await
}
/// Gives or replaces the scope; an all-except scope may wait for a second admin.
pub async fn set_scope(org: Option<String>, technician: Uuid, scope: &TechnicianScope) -> ApiResult<Gated<TechnicianScope>> {
    put(&format!("/api/v1/technicians/{technician}/scope"), org, scope).await
}
pub async fn revoke_scope(org: Option<String>, technician: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/technicians/{technician}/scope"), org).await
}
