//! People of the current org: members, invitations, and the outbox that shows sent mail.
use super::{ApiResult, delete, get, patch, post, query_string};
use shared::api::{
    AcceptInvitation, AddUser, CreateInvitation, Invitation, InvitationCreated, InvitationLookup, ListQuery, Member, OutboxMail, Page,
    UpdateMember,
};
use uuid::Uuid;

pub async fn members(org: Option<String>, query: &ListQuery) -> ApiResult<Page<Member>> {
    get(&format!("/api/v1/users{}", query_string(query)), org).await
}
pub async fn add(org: Option<String>, body: &AddUser) -> ApiResult<Member> {
    post("/api/v1/users", org, body).await
}
pub async fn update(org: Option<String>, id: Uuid, body: &UpdateMember) -> ApiResult<Member> {
    patch(&format!("/api/v1/users/{id}"), org, body).await
}
pub async fn remove(org: Option<String>, id: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/users/{id}"), org).await
}

pub async fn invitations(org: Option<String>, query: &ListQuery) -> ApiResult<Page<Invitation>> {
    get(&format!("/api/v1/invitations{}", query_string(query)), org).await
}
pub async fn invite(org: Option<String>, body: &CreateInvitation) -> ApiResult<InvitationCreated> {
    post("/api/v1/invitations", org, body).await
}
pub async fn resend(org: Option<String>, id: Uuid) -> ApiResult<InvitationCreated> {
    post(&format!("/api/v1/invitations/{id}/resend"), org, &serde_json::json!({})).await
}
pub async fn revoke_invitation(org: Option<String>, id: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/invitations/{id}"), org).await
}
/// What an invitation link is for (no sign-in needed: the token is the credential).
pub async fn lookup_invitation(token: &str) -> ApiResult<InvitationLookup> {
    get(&format!("/api/v1/invitations/lookup?token={}", super::encode(token)), None).await
}
pub async fn accept_invitation(body: &AcceptInvitation) -> ApiResult<super::auth::SignedIn> {
    post("/api/v1/invitations/accept", None, body).await
}

pub async fn outbox(org: Option<String>, query: &ListQuery) -> ApiResult<Page<OutboxMail>> {
    get(&format!("/api/v1/outbox{}", query_string(query)), org).await
}
