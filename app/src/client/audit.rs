//! The audit trail of the current org.
use super::{ApiResult, get, query_string};
use shared::api::{AuditEvent, AuditQuery, Page};

pub async fn list(org: Option<String>, query: &AuditQuery) -> ApiResult<Page<AuditEvent>> {
    get(&format!("/api/v1/audit{}", query_string(query)), org).await
}

/// The address of a CSV download: a link can't carry `X-Org-Id`, so it names the org itself.
pub fn csv_href(org: Option<String>, query: &AuditQuery) -> String {
    let mut query = query.clone();
    query.format = Some("csv".into());
    query.limit = None;
    let q = query_string(&query);
    match org {
        Some(org) => format!("/api/v1/audit{q}&org_id={}", super::encode(&org)),
        None => format!("/api/v1/audit{q}"),
    }
}
