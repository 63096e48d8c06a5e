//! Importing assets from an RMM/PSA export: `POST /api/v1/import`.
//!
//! The body is CSV (`Content-Type: text/csv`, first line the header) or JSON
//! (`application/json`: an array of objects, or `{"assets": [...]}`). Columns / keys:
//!
//! | column        | meaning |
//! |---------------|---------|
//! | `kind`        | `computer`, `monitored_system` or `gateway` (required) |
//! | `name`        | 1–200 characters (required) |
//! | `external_id` | the asset's id in the source system (required): the import key |
//! | `group`       | group name in the tenant; created if missing; empty = no group |
//! | `os`, `address` | optional text |
//! | `tenant`      | optional slug of the current org or a tenant below it; empty = current org |
//!
//! Other columns are ignored. A row whose `external_id` already exists in its tenant updates
//! that asset, so importing the same file twice changes nothing the second time. The import
//! is all or nothing: any bad row answers 422 listing every bad row and writes nothing.
use crate::audit::{self, Event};
use crate::context::{OrgCtx, org_for};
use crate::db::{Tx, new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use shared::api::{ImportResult, ImportRowError};
use shared::{AssetKind, Role};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    // A 10,000-row export is a few megabytes; leave room above that.
    Router::new().route("/api/v1/import", post(import)).layer(DefaultBodyLimit::max(32 * 1024 * 1024))
}

const COLUMNS: [&str; 7] = ["kind", "name", "external_id", "group", "os", "address", "tenant"];
const MAX_ERRORS: usize = 1000;

/// One row as read, before checking.
#[derive(Default)]
struct RawRow {
    row: i64,
    values: [String; 7],
}

impl RawRow {
    fn get(&self, column: &str) -> &str {
        COLUMNS.iter().position(|c| *c == column).map_or("", |i| self.values[i].trim())
    }
}

/// A checked row, ready to write.
struct Row {
    org_id: String,
    kind: AssetKind,
    name: String,
    external_id: String,
    group: Option<String>,
    os: Option<String>,
    address: Option<String>,
}

fn read_csv(body: &[u8]) -> Result<Vec<RawRow>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers = reader.headers().map_err(|_| ApiError::BadRequest("the CSV header line can't be read".into()))?.clone();
    let index: Vec<Option<usize>> =
        COLUMNS.iter().map(|c| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(c))).collect();
    for required in ["kind", "name", "external_id"] {
        if !headers.iter().any(|h| h.trim().eq_ignore_ascii_case(required)) {
            return Err(ApiError::field("body", format!("the CSV header must have a {required} column")));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ApiError::BadRequest(format!("line {line} of the CSV can't be read"))
        })?;
        let mut raw = RawRow { row: record.position().map_or(0, |p| p.line() as i64), ..RawRow::default() };
        for (i, idx) in index.iter().enumerate() {
            if let Some(v) = idx.and_then(|idx| record.get(idx)) {
                raw.values[i] = v.to_string();
            }
        }
        rows.push(raw);
    }
    Ok(rows)
}

fn read_json(body: &[u8]) -> Result<Vec<RawRow>> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| ApiError::BadRequest("the body is not valid JSON".into()))?;
    let items = match &value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => match o.get("assets") {
            Some(serde_json::Value::Array(a)) => a,
            _ => return Err(ApiError::field("assets", "must be an array of assets")),
        },
        _ => return Err(ApiError::field("body", "must be an array of assets or {\"assets\": [...]}")),
    };
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut raw = RawRow { row: i as i64 + 1, ..RawRow::default() };
            for (c, column) in COLUMNS.iter().enumerate() {
                raw.values[c] = match item.get(column) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
            }
            raw
        })
        .collect())
}

/// Checks every row, resolving `tenant` slugs to orgs the caller may write to.
async fn check_rows(state: &AppState, ctx: &OrgCtx, raw: &[RawRow]) -> Result<(Vec<Row>, Vec<ImportRowError>)> {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut tenants: HashMap<String, Option<String>> = HashMap::new();
    let mut seen: HashMap<(String, String), i64> = HashMap::new();
    for r in raw {
        let mut bad = |field: &str, message: String| {
            errors.push(ImportRowError { row: r.row, field: field.to_string(), message });
        };
        let kind = r.get("kind").parse::<AssetKind>().map_err(|e| bad("kind", e)).ok();
        let name = r.get("name");
        if name.is_empty() || name.chars().count() > 200 {
            bad("name", "must be 1 to 200 characters".into());
        }
        let external_id = r.get("external_id");
        if external_id.is_empty() || external_id.chars().count() > 200 {
            bad("external_id", "must be 1 to 200 characters".into());
        }
        for (field, max) in [("group", 100), ("os", 200), ("address", 200)] {
            if r.get(field).chars().count() > max {
                bad(field, format!("must be at most {max} characters"));
            }
        }
        let slug = r.get("tenant").to_ascii_lowercase();
        let org_id = if slug.is_empty() || slug == ctx.org.slug {
            Some(ctx.org.id.clone())
        } else {
            if !tenants.contains_key(&slug) {
                tenants.insert(slug.clone(), tenant_below(state, ctx, &slug).await?);
            }
            tenants[&slug].clone()
        };
        if org_id.is_none() {
            bad("tenant", format!("{slug} is not this org or a tenant below it that you may change"));
        }
        let (Some(kind), Some(org_id)) = (kind, org_id) else { continue };
        if let Some(first) = seen.insert((org_id.clone(), external_id.to_string()), r.row) {
            bad("external_id", format!("{external_id} appears twice (first at row {first})"));
            continue;
        }
        let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
        rows.push(Row {
            org_id,
            kind,
            name: name.to_string(),
            external_id: external_id.to_string(),
            group: opt(r.get("group")),
            os: opt(r.get("os")),
            address: opt(r.get("address")),
        });
    }
    errors.sort_by_key(|e| e.row);
    Ok((rows, errors))
}

/// A tenant named by slug, if it is below the current org and the caller may change it there.
async fn tenant_below(state: &AppState, ctx: &OrgCtx, slug: &str) -> Result<Option<String>> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1").bind(slug).fetch_optional(&state.db.pool).await?;
    let Some(id) = id else { return Ok(None) };
    match org_for(state, &ctx.caller, &id).await {
        Ok((_, path, role)) if path.contains(&ctx.org.id) && role >= Role::Member => Ok(Some(id)),
        Ok(_) | Err(ApiError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

type Existing = (String, String, String, Option<String>, Option<String>, Option<String>);

#[derive(Default)]
struct Counts {
    created: i64,
    updated: i64,
    unchanged: i64,
    groups_created: i64,
}

/// Writes one tenant's rows: updates what differs, inserts what is new (in batches).
async fn write_tenant(tx: &mut Tx, org_id: &str, rows: &[&Row], counts: &mut Counts) -> Result<()> {
    let now = now_ms();
    let mut groups: HashMap<String, String> = sqlx::query_as::<_, (String, String)>("SELECT name, id FROM asset_groups WHERE org_id = $1")
        .bind(org_id)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
    let existing: HashMap<String, Existing> = sqlx::query_as::<_, (String, String, String, String, Option<String>, Option<String>, Option<String>)>(
        "SELECT external_id, id, kind, name, group_id, os, address FROM assets WHERE org_id = $1 AND external_id IS NOT NULL",
    )
    .bind(org_id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|(e, id, kind, name, group, os, address)| (e, (id, kind, name, group, os, address)))
    .collect();
    let mut inserts: Vec<(&Row, Option<String>)> = Vec::new();
    for row in rows {
        let group_id = match &row.group {
            None => None,
            Some(name) => Some(match groups.get(name) {
                Some(id) => id.clone(),
                None => {
                    let id = new_id();
                    sqlx::query("INSERT INTO asset_groups (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(&id)
                        .bind(org_id)
                        .bind(name)
                        .bind(now)
                        .execute(&mut **tx)
                        .await?;
                    counts.groups_created += 1;
                    groups.insert(name.clone(), id.clone());
                    id
                }
            }),
        };
        match existing.get(&row.external_id) {
            Some((id, kind, name, group, os, address)) => {
                let same = kind == row.kind.as_str() && *name == row.name && *group == group_id && *os == row.os && *address == row.address;
                if same {
                    counts.unchanged += 1;
                    continue;
                }
                sqlx::query("UPDATE assets SET kind = $1, name = $2, group_id = $3, os = $4, address = $5, updated_at = $6 WHERE org_id = $7 AND id = $8")
                    .bind(row.kind.as_str())
                    .bind(&row.name)
                    .bind(&group_id)
                    .bind(&row.os)
                    .bind(&row.address)
                    .bind(now)
                    .bind(org_id)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                counts.updated += 1;
            }
            None => inserts.push((row, group_id)),
        }
    }
    // Multi-row inserts: far fewer round trips, and well under both engines' bind limits.
    for chunk in inserts.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 9;
                format!("(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 0, 0, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 9)
            })
            .collect();
        let sql = format!(
            "INSERT INTO assets (id, org_id, kind, name, group_id, os, address, external_id, online, open_alerts, created_at, updated_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (row, group_id) in chunk {
            q = q
                .bind(new_id())
                .bind(org_id)
                .bind(row.kind.as_str())
                .bind(&row.name)
                .bind(group_id.clone())
                .bind(&row.os)
                .bind(&row.address)
                .bind(&row.external_id)
                .bind(now);
        }
        q.execute(&mut **tx).await?;
        counts.created += chunk.len() as i64;
    }
    crate::counters::refresh(tx, &[org_id]).await?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/import", tag = "assets", params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    request_body(content = String, content_type = "text/csv", description = "CSV with the columns kind, name, external_id, group, os, address, tenant (or the same as JSON objects with `Content-Type: application/json`). Rows are matched by external_id; all or nothing."),
    responses((status = 200, body = ImportResult), (status = 400, description = "unreadable body or unsupported Content-Type"),
        (status = 403, description = "needs member"), (status = 422, description = "bad rows, listed in `errors`; nothing was imported")))]
pub async fn import(State(state): State<AppState>, ctx: OrgCtx, headers: HeaderMap, body: Bytes) -> Result<Response> {
    ctx.require(Role::Member)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let raw = if content_type.starts_with("text/csv") || content_type.starts_with("application/csv") {
        read_csv(&body)?
    } else if content_type.starts_with("application/json") {
        read_json(&body)?
    } else {
        return Err(ApiError::BadRequest("send text/csv or application/json".into()));
    };
    let (rows, errors) = check_rows(&state, &ctx, &raw).await?;
    let mut result = ImportResult {
        all_or_nothing: true,
        rows: raw.len() as i64,
        created: 0,
        updated: 0,
        unchanged: 0,
        groups_created: 0,
        errors: Vec::new(),
    };
    if !errors.is_empty() {
        let fields: serde_json::Map<String, serde_json::Value> =
            errors.iter().take(50).map(|e| (format!("row {}", e.row), format!("{}: {}", e.field, e.message).into())).collect();
        let message = format!("{} bad row(s); nothing was imported", errors.iter().map(|e| e.row).collect::<std::collections::BTreeSet<_>>().len());
        result.errors = errors.into_iter().take(MAX_ERRORS).collect();
        let body = serde_json::json!({
            "error": {"code": "invalid", "message": message, "fields": fields},
            "result": result,
        });
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    let mut by_org: Vec<(&str, Vec<&Row>)> = Vec::new();
    for row in &rows {
        match by_org.iter_mut().find(|(o, _)| *o == row.org_id) {
            Some((_, list)) => list.push(row),
            None => by_org.push((&row.org_id, vec![row])),
        }
    }
    let mut tx = audit::begin(&state.db).await?;
    let mut counts = Counts::default();
    for (org_id, list) in &by_org {
        write_tenant(&mut tx, org_id, list, &mut counts).await?;
    }
    result.created = counts.created;
    result.updated = counts.updated;
    result.unchanged = counts.unchanged;
    result.groups_created = counts.groups_created;
    // Nothing new: roll back (dropping tx) so a repeated import leaves no trace, not even an audit event.
    if counts.created + counts.updated + counts.groups_created == 0 {
        return Ok(Json(result).into_response());
    }
    audit::record(&mut tx, &ctx.caller.actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "asset.import",
        object_type: "asset",
        object_id: None,
        summary: format!(
            "imported {} rows into {} tenant(s): {} created, {} updated, {} unchanged, {} groups created",
            result.rows,
            by_org.len(),
            counts.created,
            counts.updated,
            counts.unchanged,
            counts.groups_created
        ),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(result).into_response())
}
