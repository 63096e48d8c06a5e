//! The brand: the current org's, the one a tenant's sign-in page shows, the logo upload.
//! The `branding` setting itself is written through [`super::settings`].
use super::{ApiResult, delete, get};
use shared::branding::Brand;

/// The brand in effect for the current org.
pub async fn current(org: Option<String>) -> ApiResult<Brand> {
    get("/api/v1/branding", org).await
}
/// Without a session: the brand of the tenant this host names (else Tenantry's).
pub async fn for_this_host() -> ApiResult<Brand> {
    get("/api/v1/auth/branding", None).await
}
/// Uploads the image chosen in `input` as the org's logo.
#[cfg(feature = "hydrate")]
pub async fn upload_logo(org: Option<String>, input: &web_sys::HtmlInputElement) -> ApiResult<Brand> {
    super::put_file("/api/v1/branding/logo", org, input).await
}
pub async fn remove_logo(org: Option<String>) -> ApiResult<()> {
    delete("/api/v1/branding/logo", org).await
}
