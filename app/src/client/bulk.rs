//! Bulk actions over many customers of the MSP, and the four-eyes approvals some of them
//! (and other listed actions) wait for.
use super::{ApiResult, get, post, query_string};
use shared::api::{Approval, ApprovalQuery, BulkEvent, BulkRequest, BulkResult};
use uuid::Uuid;

/// A bulk request answered at once (a dry run: what would change, per tenant).
pub async fn dry_run(org: Option<String>, body: &BulkRequest) -> ApiResult<BulkResult> {
    post("/api/v1/bulk", org, body).await
}

/// A bulk run, each line of its stream handed to `on_event` as it arrives: progress, then the
/// result, an error, or the approval it waits for.
pub async fn run(org: Option<String>, body: &BulkRequest, on_event: impl FnMut(BulkEvent)) -> ApiResult<()> {
    let body = serde_json::to_string(body).unwrap_or_default();
    super::post_stream("/api/v1/bulk", org, "application/json", body, on_event).await
}

pub async fn approvals(org: Option<String>, query: &ApprovalQuery) -> ApiResult<Vec<Approval>> {
    get(&format!("/api/v1/approvals{}", query_string(query)), org).await
}
/// Approves someone else's request: it runs, as them, now.
pub async fn approve(org: Option<String>, id: Uuid) -> ApiResult<Approval> {
    post(&format!("/api/v1/approvals/{id}/approve"), org, &serde_json::json!({})).await
}
pub async fn reject(org: Option<String>, id: Uuid) -> ApiResult<Approval> {
    post(&format!("/api/v1/approvals/{id}/reject"), org, &serde_json::json!({})).await
}
