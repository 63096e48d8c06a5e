//! Orgs as the caller sees them: the current org, the switcher's list, customers and their
//! delegations, the tree, the MSP overview, merging.
use super::{ApiResult, delete, get, patch, post, query_string};
use shared::api::{
    CreateDelegation, CreateOrg, CurrentOrg, Delegation, ListQuery, MergePlan, MergeRequest, Org, OrgEntry, Overview, OverviewQuery, Page, TreeNode,
    UpdateOrg,
};
use uuid::Uuid;

/// The org a request acts in, with what the caller may do there.
pub async fn current(org: Option<String>) -> ApiResult<CurrentOrg> {
    get("/api/v1/org", org).await
}
/// Every org the caller can open (the switcher's and the portal's list).
pub async fn accessible(query: &ListQuery) -> ApiResult<Page<OrgEntry>> {
    get(&format!("/api/v1/orgs{}", query_string(query)), None).await
}
pub async fn update(id: Uuid, body: &UpdateOrg) -> ApiResult<Org> {
    patch(&format!("/api/v1/orgs/{id}"), None, body).await
}
pub async fn delete_org(id: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/orgs/{id}"), None).await
}

pub async fn customers(org: Option<String>, query: &ListQuery) -> ApiResult<Page<OrgEntry>> {
    get(&format!("/api/v1/customers{}", query_string(query)), org).await
}
pub async fn create_customer(org: Option<String>, body: &CreateOrg) -> ApiResult<Org> {
    post("/api/v1/customers", org, body).await
}
pub async fn delegations(org: Option<String>, customer: Uuid) -> ApiResult<Vec<Delegation>> {
    get(&format!("/api/v1/customers/{customer}/delegations"), org).await
}
pub async fn delegate(org: Option<String>, customer: Uuid, body: &CreateDelegation) -> ApiResult<Delegation> {
    post(&format!("/api/v1/customers/{customer}/delegations"), org, body).await
}
pub async fn revoke_delegation(org: Option<String>, customer: Uuid, user: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/customers/{customer}/delegations/{user}"), org).await
}
/// Every delegation of the MSP (the technicians page).
pub async fn all_delegations(org: Option<String>) -> ApiResult<Vec<Delegation>> {
    get("/api/v1/delegations", org).await
}

pub async fn overview(org: Option<String>, query: &OverviewQuery) -> ApiResult<Overview> {
    get(&format!("/api/v1/overview{}", query_string(query)), org).await
}

pub async fn tree_roots(query: &ListQuery) -> ApiResult<Page<TreeNode>> {
    get(&format!("/api/v1/tree{}", query_string(query)), None).await
}
pub async fn tree_children(parent: Uuid, query: &ListQuery) -> ApiResult<Page<TreeNode>> {
    get(&format!("/api/v1/tree/{parent}/children{}", query_string(query)), None).await
}

/// Merges the current org into another (`dry_run` previews).
pub async fn merge(org: Option<String>, body: &MergeRequest) -> ApiResult<MergePlan> {
    post("/api/v1/org/merge", org, body).await
}
