//! Settings of the current org, each with where its value comes from.
use super::{ApiResult, delete, get, put};
use shared::settings::{EffectiveSetting, SetSetting, SettingKey, Settings};

pub async fn list(org: Option<String>) -> ApiResult<Settings> {
    get("/api/v1/settings", org).await
}
pub async fn set(org: Option<String>, key: SettingKey, body: &SetSetting) -> ApiResult<EffectiveSetting> {
    put(&format!("/api/v1/settings/{}", key.as_str()), org, body).await
}
/// Back to the inherited value.
pub async fn revert(org: Option<String>, key: SettingKey) -> ApiResult<()> {
    delete(&format!("/api/v1/settings/{}", key.as_str()), org).await
}
