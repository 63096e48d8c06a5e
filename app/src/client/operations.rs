//! Work on an org's machines and people: schedules, deployments, notifications, the inbox.
use super::{ApiResult, delete, get, post, query_string};
use shared::api::{
    CreateDeployment, CreateNotification, CreateSchedule, Deployment, Inbox, InboxQuery, ListQuery, MarkedRead, Notification, Page, Schedule,
};
use uuid::Uuid;

pub async fn schedules(org: Option<String>, query: &ListQuery) -> ApiResult<Page<Schedule>> {
    get(&format!("/api/v1/schedules{}", query_string(query)), org).await
}
pub async fn create_schedule(org: Option<String>, body: &CreateSchedule) -> ApiResult<Schedule> {
    post("/api/v1/schedules", org, body).await
}
pub async fn delete_schedule(org: Option<String>, id: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/schedules/{id}"), org).await
}

pub async fn deployments(org: Option<String>, query: &ListQuery) -> ApiResult<Page<Deployment>> {
    get(&format!("/api/v1/deployments{}", query_string(query)), org).await
}
pub async fn create_deployment(org: Option<String>, body: &CreateDeployment) -> ApiResult<Deployment> {
    post("/api/v1/deployments", org, body).await
}
pub async fn delete_deployment(org: Option<String>, id: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/deployments/{id}"), org).await
}

pub async fn notify(org: Option<String>, body: &CreateNotification) -> ApiResult<Notification> {
    post("/api/v1/notifications", org, body).await
}

/// The caller's notifications from every org (not org-scoped).
pub async fn inbox(query: &InboxQuery) -> ApiResult<Inbox> {
    get(&format!("/api/v1/inbox{}", query_string(query)), None).await
}
/// How many of the caller's notifications are unread (the bell's figure). Reads only
/// `unread_count` of the inbox's answer: the shell, on every page, needn't carry the code that
/// reads a notification.
pub async fn unread_count() -> ApiResult<i64> {
    #[derive(serde::Deserialize)]
    struct Unread {
        unread_count: i64,
    }
    let query = InboxQuery { unread: Some(true), limit: Some(1), cursor: None };
    get::<Unread>(&format!("/api/v1/inbox{}", query_string(&query)), None).await.map(|u| u.unread_count)
}
pub async fn mark_read(id: Uuid) -> ApiResult<MarkedRead> {
    post(&format!("/api/v1/inbox/{id}/read"), None, &serde_json::json!({})).await
}
pub async fn mark_all_read() -> ApiResult<MarkedRead> {
    post("/api/v1/inbox/read-all", None, &serde_json::json!({})).await
}
