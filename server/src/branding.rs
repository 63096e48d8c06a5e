//! An org's brand on its front door: the effective [`Brand`] (from the `branding` setting and
//! the org's logo, see `shared::branding` for the rules), its logo upload, and the logo itself.
//!
//! - `GET /api/v1/branding`: the brand of the current org (any role there).
//! - `GET /api/v1/auth/branding`: without signing in, the brand of the tenant this host names
//!   (a tenant subdomain), else Tenantry's own — what the sign-in page shows.
//! - `PUT /api/v1/branding/logo` (the image as the body) / `DELETE`: an admin sets or removes
//!   the org's logo. Checked by decoding it with the `image` crate built with only the PNG,
//!   JPEG and WebP decoders, inside size limits, so what is served is an image of the type it
//!   says. The `branding` setting itself is written through `/api/v1/settings/branding`.
//! - `GET /branding/logo/{org_id}/{digest}`: the logo, outside `/api`; the digest in the
//!   address makes each version its own URL, cached for a year.
use crate::access::{OrgPath, load_path};
use crate::audit::{self, Event};
use crate::db::{now_ms, parse_uuid};
use crate::http::context::{OrgAdmin, OrgCtx};
use crate::http::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::http::state::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use shared::branding::{Brand, Branding, MAX_LOGO_BYTES};
use shared::settings::SettingKey;
use shared::OrgKind;
use sqlx::AnyConnection;
use std::collections::HashMap;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Logos larger than this in either dimension are refused before their pixels are decoded.
const MAX_LOGO_SIDE: u32 = 4096;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(current))
        .routes(routes!(for_host))
        .merge(OpenApiRouter::new().routes(routes!(put_logo, delete_logo)).layer(DefaultBodyLimit::max(MAX_LOGO_BYTES)))
}

/// The logo itself: outside the API router, whose answers are `no-store`.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(logo))
}

/// The brand in effect for the org at the head of `path`: the nearest org (itself or an
/// ancestor) with its own `branding` value or logo provides it; "Powered by" is the MSP's.
/// One query for the whole path.
pub async fn brand_for(conn: &mut AnyConnection, path: &OrgPath) -> Result<Brand, sqlx::Error> {
    let list: Vec<String> = (2..=path.nodes.len() + 1).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT o.id, o.name, s.value, l.digest FROM orgs o \
         LEFT JOIN org_settings s ON s.org_id = o.id AND s.key = $1 \
         LEFT JOIN org_logos l ON l.org_id = o.id WHERE o.id IN ({})",
        list.join(", ")
    );
    let mut q = sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(&sql).bind(SettingKey::Branding.as_str());
    for n in &path.nodes {
        q = q.bind(n.id.clone());
    }
    let rows: HashMap<String, (String, Option<String>, Option<String>)> =
        q.fetch_all(&mut *conn).await?.into_iter().map(|(id, name, value, digest)| (id, (name, value, digest))).collect();
    let branding_of = |id: &str| -> Option<Branding> {
        let value = rows.get(id)?.1.as_deref()?;
        serde_json::from_str(value).map_err(|e| tracing::error!(org = %id, error = %e, "stored branding does not parse; ignored")).ok()
    };
    let powered_by = match path.msp_id() {
        Some(msp) => branding_of(msp).is_none_or(|b| b.powered_by),
        None => true,
    };
    for node in &path.nodes {
        let Some((name, value, digest)) = rows.get(&node.id) else { continue };
        if value.is_none() && digest.is_none() {
            continue;
        }
        let branding = branding_of(&node.id).unwrap_or_default();
        let logo_url = digest.as_ref().map(|d| logo_url(&node.id, d));
        return Ok(Brand::of(parse_uuid(&node.id), name, &branding, logo_url, powered_by));
    }
    Ok(Brand { powered_by, ..Brand::default() })
}

/// The brand of the org a mail is sent for (by id); Tenantry's own if the org is gone.
pub async fn brand_of_org(conn: &mut AnyConnection, org_id: &str) -> Result<Brand, sqlx::Error> {
    match load_path(conn, org_id).await? {
        Some(path) => brand_for(conn, &path).await,
        None => Ok(Brand::default()),
    }
}

fn logo_url(org_id: &str, digest: &str) -> String {
    format!("/branding/logo/{org_id}/{digest}")
}

/// A customer (or anything below an MSP) can't turn "Powered by Tenantry" off: checked when
/// `branding` is written, so what is stored says what applies.
pub fn check_setting(admin: &OrgAdmin<'_>, value: &serde_json::Value) -> Result<()> {
    if value.get("powered_by") == Some(&serde_json::Value::Bool(false)) && admin.ctx().org.kind() != OrgKind::Msp {
        return Err(ApiError::field("powered_by", "only an MSP can turn off \"Powered by Tenantry\"; its choice covers its customers"));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/branding", tag = "settings", params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Brand, description = "the brand in effect for the org: its own, else its nearest ancestor's, else Tenantry's"),
        (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn current(State(state): State<AppState>, ctx: OrgCtx) -> Result<Json<Brand>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(brand_for(&mut conn, &ctx.path).await?))
}

#[utoipa::path(get, path = "/api/v1/auth/branding", tag = "auth",
    responses((status = 200, body = Brand, description = "without signing in: the brand of the tenant this host (a tenant subdomain) names, else Tenantry's own")))]
#[tracing::instrument(skip_all)]
pub async fn for_host(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Brand>> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let Some(slug) = state.config.slug_from_host(host) else { return Ok(Json(Brand::default())) };
    let mut conn = state.db.pool.acquire().await?;
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1").bind(&slug).fetch_optional(&mut *conn).await?;
    let path = match id {
        Some(id) => load_path(&mut conn, &id).await?,
        None => None,
    };
    Ok(Json(match path {
        Some(path) => brand_for(&mut conn, &path).await?,
        None => Brand::default(),
    }))
}

/// Decodes `bytes` as a logo: PNG, JPEG or WebP only, at most [`MAX_LOGO_SIDE`] pixels a
/// side. Returns its content type.
pub fn check_logo(bytes: &[u8]) -> std::result::Result<&'static str, String> {
    use image::ImageFormat;
    const ONLY: &str = "must be a PNG, JPEG or WebP image";
    let format = image::guess_format(bytes).map_err(|_| ONLY.to_string())?;
    let (content_type, name) = match format {
        ImageFormat::Png => ("image/png", "PNG"),
        ImageFormat::Jpeg => ("image/jpeg", "JPEG"),
        ImageFormat::WebP => ("image/webp", "WebP"),
        other => return Err(format!("is a {other:?} image; it {ONLY}")),
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_LOGO_SIDE);
    limits.max_image_height = Some(MAX_LOGO_SIDE);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| format!("is not a readable {name} image ({e})"))?;
    if image.width() == 0 || image.height() == 0 {
        return Err(format!("is an empty {name} image"));
    }
    Ok(content_type)
}

#[utoipa::path(put, path = "/api/v1/branding/logo", tag = "settings", params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    request_body(content = Vec<u8>, content_type = "image/png", description = "the image file itself (PNG, JPEG or WebP; at most 256 KiB and 4096 pixels a side); its type is read from its content, not from Content-Type"),
    responses((status = 200, body = Brand, description = "the logo is the org's; the brand now in effect for it"),
        (status = 403, description = "admins only"), (status = 404),
        (status = 413, description = "over 256 KiB"), (status = 422, description = "`logo`: not a PNG, JPEG or WebP image that decodes; nothing changed")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn put_logo(State(state): State<AppState>, ctx: OrgCtx, body: std::result::Result<Bytes, BytesRejection>) -> Result<Json<Brand>> {
    let admin = ctx.admin()?;
    let bytes = body.map_err(|e| crate::http::extract::body_rejection(e, MAX_LOGO_BYTES))?;
    if bytes.is_empty() {
        return Err(ApiError::field("logo", "is required: send the image as the request body"));
    }
    let content_type = check_logo(&bytes).map_err(|e| ApiError::field("logo", e))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let org_id = admin.org_id();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query(
        "INSERT INTO org_logos (org_id, content_type, digest, data, byte_size, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id) DO UPDATE SET content_type = excluded.content_type, digest = excluded.digest, data = excluded.data, \
         byte_size = excluded.byte_size, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(org_id)
    .bind(content_type)
    .bind(&digest)
    .bind(&data)
    .bind(bytes.len() as i64)
    .bind(&ctx.caller.user.id)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(org_id),
        action: "branding.logo_set",
        object_type: "logo",
        object_id: Some(org_id),
        summary: format!("set the logo of {} ({content_type}, {} bytes, sha256 {digest})", ctx.org.name, bytes.len()),
    })
    .await?;
    tx.commit().await?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(brand_for(&mut conn, &ctx.path).await?))
}

#[utoipa::path(delete, path = "/api/v1/branding/logo", tag = "settings", params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Brand, description = "the org has no logo of its own (any more); the brand now in effect for it"),
        (status = 403, description = "admins only"), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn delete_logo(State(state): State<AppState>, ctx: OrgCtx) -> Result<Json<Brand>> {
    let admin = ctx.admin()?;
    let org_id = admin.org_id();
    let mut tx = audit::begin(&state.db).await?;
    let done = sqlx::query("DELETE FROM org_logos WHERE org_id = $1").bind(org_id).execute(&mut *tx).await?;
    // Removing a logo that isn't there changes nothing, so it records nothing.
    if done.rows_affected() > 0 {
        audit::record(&mut tx, &admin.actor(), Event {
            org_id: Some(org_id),
            action: "branding.logo_remove",
            object_type: "logo",
            object_id: Some(org_id),
            summary: format!("removed the logo of {}", ctx.org.name),
        })
        .await?;
        tx.commit().await?;
    } else {
        drop(tx);
    }
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(brand_for(&mut conn, &ctx.path).await?))
}

#[utoipa::path(get, path = "/branding/logo/{org_id}/{digest}", tag = "settings",
    params(("org_id" = String, Path), ("digest" = String, Path, description = "the SHA-256 of the image, as in a brand's `logo_url`")),
    responses((status = 200, content_type = "image/png", description = "the logo (image/png, image/jpeg or image/webp), cacheable for a year: a new logo has a new address"),
        (status = 404, description = "no such org, logo or version")))]
#[tracing::instrument(skip_all)]
pub async fn logo(State(state): State<AppState>, Path((org_id, digest)): Path<(String, String)>) -> Result<Response> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT content_type, data FROM org_logos WHERE org_id = $1 AND digest = $2")
        .bind(&org_id)
        .bind(&digest)
        .fetch_optional(&state.db.pool)
        .await?;
    let (content_type, data) = row.ok_or(ApiError::NotFound)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&data)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("org_logos.data of {org_id} is not base64: {e}")))?;
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).map_err(|e| ApiError::Internal(e.into()))?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    headers.insert(header::ETAG, HeaderValue::from_str(&format!("\"{digest}\"")).map_err(|e| ApiError::Internal(e.into()))?);
    // Opened on its own, an image is still only an image.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(format: image::ImageFormat) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(3, 2, image::Rgb([10, 120, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn only_decodable_png_jpeg_and_webp_are_logos() {
        assert_eq!(check_logo(&encoded(image::ImageFormat::Png)), Ok("image/png"));
        assert_eq!(check_logo(&encoded(image::ImageFormat::Jpeg)), Ok("image/jpeg"));
        assert_eq!(check_logo(&encoded(image::ImageFormat::WebP)), Ok("image/webp"));
        assert!(check_logo(b"GIF89a\x01\x00\x01\x00").unwrap_err().contains("Gif"));
        assert!(check_logo(b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap_err().contains("PNG, JPEG or WebP"));
        // A real PNG signature with a broken body: refused by decoding, not by its name.
        let mut png = encoded(image::ImageFormat::Png);
        png.truncate(png.len() - 20);
        assert!(check_logo(&png).unwrap_err().contains("not a readable PNG"));
    }
}
