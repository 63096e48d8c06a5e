//! Inherited org settings: `GET /api/v1/settings`, `GET|PUT|DELETE /api/v1/settings/{key}`.
//!
//! An org's own values live in `org_settings`, one row per key. Effective values are never
//! stored: they are resolved on every read by [`shared::settings::resolve`] over the org's
//! path to the root, so a change at a parent reaches every child that doesn't override at
//! once. Reading needs any role in the org; overriding and reverting need admin.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::OrgPath;
use crate::audit::{self, Event};
use crate::http::context::{OrgAdmin, OrgCtx};
use crate::db::parse_uuid;
use crate::http::error::{ApiError, Result};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::Path;
use crate::http::extract::Json;
use serde::de::DeserializeOwned;
use shared::settings::{EffectiveSetting, PathOverride, SetSetting, SettingKey, Settings, resolve};
use sqlx::AnyConnection;
use std::collections::HashMap;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_one, set, revert))
}

/// The effective value of every key for the org at the head of `path`, each with its source.
/// One query for the whole path.
pub async fn effective_all(conn: &mut AnyConnection, path: &OrgPath) -> Result<Vec<EffectiveSetting>, sqlx::Error> {
    let ids: Vec<&str> = path.nodes.iter().map(|n| n.id.as_str()).collect();
    let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT o.id, o.name, s.key, s.value FROM orgs o LEFT JOIN org_settings s ON s.org_id = o.id WHERE o.id IN ({})",
        list.join(", ")
    );
    let mut q = sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(&sql);
    for id in &ids {
        q = q.bind(id.to_string());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut values: HashMap<(String, SettingKey), serde_json::Value> = HashMap::new();
    for (org, name, key, value) in rows {
        if let (Some(key), Some(value)) = (key.as_deref().and_then(SettingKey::parse), value) {
            match serde_json::from_str(&value) {
                Ok(v) => {
                    values.insert((org.clone(), key), v);
                }
                Err(e) => tracing::error!(org = %org, %key, error = %e, "stored setting is not JSON; ignored"),
            }
        }
        names.insert(org, name);
    }
    Ok(SettingKey::ALL
        .into_iter()
        .map(|key| {
            let chain: Vec<PathOverride<'_>> = path
                .nodes
                .iter()
                .map(|n| PathOverride {
                    org_id: parse_uuid(&n.id),
                    org_name: names.get(&n.id).map_or("", String::as_str),
                    value: values.get(&(n.id.clone(), key)),
                })
                .collect();
            resolve(key, &chain)
        })
        .collect())
}

/// One key's effective value, typed. A stored value that no longer parses (it was checked when
/// written, so only after a schema change) falls back to the system default.
pub async fn effective<T: DeserializeOwned + Default>(conn: &mut AnyConnection, path: &OrgPath, key: SettingKey) -> Result<T, sqlx::Error> {
    let all = effective_all(conn, path).await?;
    let value = all.into_iter().find(|s| s.key == key).map(|s| s.value).unwrap_or_default();
    Ok(serde_json::from_value(value).unwrap_or_default())
}

fn parse_key(key: &str) -> Result<SettingKey> {
    // An unknown key is a resource that doesn't exist.
    SettingKey::parse(key).ok_or(ApiError::NotFound)
}

async fn effective_one(state: &AppState, path: &OrgPath, key: SettingKey) -> Result<EffectiveSetting> {
    let mut conn = state.db.pool.acquire().await?;
    let all = effective_all(&mut conn, path).await?;
    all.into_iter().find(|s| s.key == key).ok_or(ApiError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Settings, description = "every key's effective value and where it comes from (own, inherited from an ancestor, or the default)"),
        (status = 401), (status = 404)))]
#[tracing::instrument(skip(state, ctx), fields(org = %ctx.org.id))]
pub async fn list(State(state): State<AppState>, ctx: OrgCtx) -> Result<Json<Settings>> {
    let mut conn = state.db.pool.acquire().await?;
    let items = effective_all(&mut conn, &ctx.path).await?;
    Ok(Json(Settings { org_id: parse_uuid(ctx.org_id()), items }))
}

#[utoipa::path(get, path = "/api/v1/settings/{key}", tag = "settings",
    params(("key" = String, Path, description = "maintenance_window, deployment_defaults, agent_settings, notification_preferences, default_dashboard, sign_in_policy (`{require_mfa, apply_to_customers, allowed_methods}`), delegation_policy (`{max_days, allow_open_ended, remind_days_before}`, read at the MSP) or approvals (`{actions, expires_after_hours}`, read at the MSP)"),
        ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = EffectiveSetting), (status = 401), (status = 404, description = "unknown key or org")))]
#[tracing::instrument(skip(state, ctx), fields(org = %ctx.org.id))]
pub async fn get_one(State(state): State<AppState>, ctx: OrgCtx, Path(key): Path<String>) -> Result<Json<EffectiveSetting>> {
    let key = parse_key(&key)?;
    Ok(Json(effective_one(&state, &ctx.path, key).await?))
}

#[utoipa::path(put, path = "/api/v1/settings/{key}", tag = "settings", request_body = SetSetting,
    params(("key" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = EffectiveSetting, description = "the org's own value now applies to it and to every descendant that doesn't override"),
        (status = 403, description = "admins only"), (status = 404), (status = 422, description = "bad field (named by its path in the value, e.g. `start`, `dnd.end`); nothing changed")))]
#[tracing::instrument(skip(state, ctx, body), fields(org = %ctx.org.id))]
pub async fn set(State(state): State<AppState>, ctx: OrgCtx, Path(key): Path<String>, Json(body): Json<SetSetting>) -> Result<Json<EffectiveSetting>> {
    let key = parse_key(&key)?;
    let admin = ctx.admin()?;
    let value = key.validate(&body.value).map_err(ApiError::Invalid)?;
    set_value(admin, &state, key, &value, false).await?;
    Ok(Json(effective_one(&state, &ctx.path, key).await?))
}

/// The org's own value of `key` (stored JSON), if it overrides it.
async fn own_value(conn: &mut AnyConnection, org_id: &str, key: SettingKey) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM org_settings WHERE org_id = $1 AND key = $2")
        .bind(org_id)
        .bind(key.as_str())
        .fetch_optional(conn)
        .await?)
}

/// Sets the admin's org's own `value` (already checked by [`SettingKey::validate`]) of `key`,
/// with its audit event; or, on a dry run, only says whether it would change. Returns whether
/// it changed (setting the value it already has changes and records nothing).
pub async fn set_value(admin: OrgAdmin<'_>, state: &AppState, key: SettingKey, value: &serde_json::Value, dry_run: bool) -> Result<bool> {
    let same = |current: &Option<String>| current.as_deref().and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok()).as_ref() == Some(value);
    let org_id = admin.ctx().org_id();
    if dry_run {
        let mut conn = state.db.pool.acquire().await?;
        return Ok(!same(&own_value(&mut conn, org_id, key).await?));
    }
    let text = value.to_string();
    let ctx = admin.ctx();
    let mut tx = audit::begin(&state.db).await?;
    let current = own_value(&mut tx, org_id, key).await?;
    if same(&current) {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO org_settings (org_id, key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id, key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(org_id)
    .bind(key.as_str())
    .bind(&text)
    .bind(&ctx.caller.user.id)
    .bind(crate::db::now_ms())
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(org_id),
        action: "setting.set",
        object_type: "setting",
        object_id: Some(key.as_str()),
        summary: format!("{} {key} for {}: {}", if current.is_some() { "changed" } else { "overrode" }, ctx.org.name, truncate(&text, 500)),
    })
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[utoipa::path(delete, path = "/api/v1/settings/{key}", tag = "settings",
    params(("key" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = EffectiveSetting, description = "the org's own value is gone; the inherited (or default) value applies"),
        (status = 403, description = "admins only"), (status = 404)))]
#[tracing::instrument(skip(state, ctx), fields(org = %ctx.org.id))]
pub async fn revert(State(state): State<AppState>, ctx: OrgCtx, Path(key): Path<String>) -> Result<Json<EffectiveSetting>> {
    let key = parse_key(&key)?;
    let admin = ctx.admin()?;
    let org_id = admin.ctx().org_id();
    let mut tx = audit::begin(&state.db).await?;
    let done = sqlx::query("DELETE FROM org_settings WHERE org_id = $1 AND key = $2").bind(org_id).bind(key.as_str()).execute(&mut *tx).await?;
    // Reverting what isn't overridden changes nothing, so it records nothing.
    if done.rows_affected() > 0 {
        audit::record(&mut tx, &admin.actor(), Event {
            org_id: Some(org_id),
            action: "setting.revert",
            object_type: "setting",
            object_id: Some(key.as_str()),
            summary: format!("reverted {key} for {} to the inherited value", ctx.org.name),
        })
        .await?;
        tx.commit().await?;
    } else {
        drop(tx);
    }
    Ok(Json(effective_one(&state, &ctx.path, key).await?))
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max).collect::<String>()) }
}
