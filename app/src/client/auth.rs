//! Signing in and out, the caller's own account: tokens, second factors, tenant-host handoff.
use super::{ApiResult, delete, delete_with, get, post};
use serde::{Deserialize, Serialize};
use shared::api::{FreshProof, LoginRequest, Me, MfaStatus, RecoveryCodes, TokenCreated, TokenInfo, TokenRequest, TotpConfirm, TotpEnrollment, TotpStart};
use uuid::Uuid;

pub async fn me() -> ApiResult<Me> {
    get("/api/v1/me", None).await
}
pub async fn login(body: &LoginRequest) -> ApiResult<SignedIn> {
    post("/api/v1/auth/login", None, body).await
}

/// What the signed-out pages use of a sign-in's answer ([`shared::api::LoginResponse`]): only
/// where to go next. Reading the whole answer would put the user and org decoders into the
/// signed-out pages' WASM module, which is kept small (see `app::SIGNED_OUT_PAGES`).
#[derive(Debug, Clone, Deserialize)]
pub struct SignedIn {
    #[serde(default)]
    pub mfa_enrollment_required: bool,
}
pub async fn logout() -> ApiResult<serde_json::Value> {
    post("/api/v1/auth/logout", None, &serde_json::json!({})).await
}

pub async fn tokens() -> ApiResult<Vec<TokenInfo>> {
    get("/api/v1/tokens", None).await
}
pub async fn create_token(body: &TokenRequest) -> ApiResult<TokenCreated> {
    post("/api/v1/auth/token", None, body).await
}
pub async fn revoke_token(id: Uuid) -> ApiResult<()> {
    delete(&format!("/api/v1/tokens/{id}"), None).await
}

pub async fn mfa() -> ApiResult<MfaStatus> {
    get("/api/v1/me/mfa", None).await
}
pub async fn start_totp(body: &TotpStart) -> ApiResult<TotpEnrollment> {
    post("/api/v1/me/mfa/totp", None, body).await
}
pub async fn confirm_totp(body: &TotpConfirm) -> ApiResult<RecoveryCodes> {
    post("/api/v1/me/mfa/totp/confirm", None, body).await
}
pub async fn remove_totp(body: &FreshProof) -> ApiResult<()> {
    delete_with("/api/v1/me/mfa/totp", None, body).await
}
pub async fn regenerate_recovery_codes(body: &FreshProof) -> ApiResult<RecoveryCodes> {
    post("/api/v1/me/mfa/recovery_codes", None, body).await
}

#[derive(Serialize)]
struct HandoffRequest {
    org_id: Uuid,
}

#[derive(Deserialize)]
pub struct HandoffUrl {
    pub url: String,
}

/// A one-time address that opens `org` on its own host, already signed in.
pub async fn handoff(org: Uuid) -> ApiResult<HandoffUrl> {
    post("/api/v1/auth/handoff", None, &HandoffRequest { org_id: org }).await
}
