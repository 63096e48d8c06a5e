//! Importing tenants and assets from an RMM/PSA/directory export: `POST /api/v1/import`
//! (assets, tenants, or both) and `POST /api/v1/import/tenants` (tenants only).
//!
//! `/api/v1/import` reads a CSV file as assets when its header has a `kind` column and as
//! tenants otherwise; a JSON array is assets; a JSON object may carry `tenants` and/or
//! `assets` lists, imported together in one transaction (asset rows may name a tenant of the
//! same file in `tenant`, by slug or external id). Bad rows of a combined file name their
//! field as `tenants.<field>` or `assets.<field>`.
//!
//! Both take CSV (`Content-Type: text/csv`, first line the header) or JSON
//! (`application/json`: an array of objects, or `{"<list>": [...]}`), match rows by
//! `external_id` so importing the same file twice changes nothing the second time, and are
//! all or nothing: any bad row answers 422 listing every bad row (number, field, reason)
//! and writes nothing.
//!
//! With `Accept: application/x-ndjson` the answer is a stream of [`ImportEvent`] lines —
//! progress while checking and writing, then one line with the result (and `error` when
//! nothing was imported) — so the page can show a progress bar for a 10,000-row file. The
//! status of a streamed answer is 200 once the import started; the last line tells how it ended.
pub mod assets;
pub mod tenants;

use utoipa_axum::{router::OpenApiRouter, routes};
use crate::audit::{self, Event};
use crate::http::context::OrgCtx;
use crate::http::error::{ApiError, Result, Step};
use crate::http::state::AppState;
use axum::extract::State;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::api::{ImportEvent, ImportProgress, ImportResult, ImportRowError};
use shared::error::ApiErrorDetail;
use shared::ErrorCode;
use std::collections::BTreeMap;
use std::future::Future;
use tokio::sync::mpsc;

/// The largest import body: a 100,000-row export is about 10 MB; leave room above that.
/// Over it: 413 naming the limit.
pub const IMPORT_BODY_LIMIT: usize = 32 * 1024 * 1024;
/// The most rows (tenants and assets together) one import takes. Over it: 413 naming the
/// limit. An import is one transaction (all or nothing), so this also
/// bounds how long it holds the database's write lock: checking happens before the
/// transaction, and the writes are multi-row statements of 200 rows.
///
/// Measured 2026-11-29 with `import_write_lock_hold` (an ignored test in
/// tests/api/hardening.rs: a 100,000-asset import while another tenant writes in a loop),
/// debug build, 2 cores with a load average of 7:
/// - SQLite: the other tenant's write waited at most 5.0–9.2 s (the whole write phase; the
///   database has one write lock). About 2.6 s of that is SQLite's own work — a bare
///   `INSERT … SELECT` of 100,000 asset rows takes that long with the indexes — so no
///   statement shape gets far below it inside one transaction. It stays under the 10 s busy
///   timeout, but barely on a loaded machine: large installations belong on PostgreSQL, or
///   a follow-up stages rows in short transactions and publishes them with one
///   `INSERT … SELECT`.
/// - PostgreSQL: at most 1.0 s — rows lock one by one, and the audit chain's head, the one
///   row every audited write shares, is taken only at the end (see [`run`]).
///
/// Splitting the write into several transactions would shorten the SQLite hold but let
/// others see half an import, which the all-or-nothing contract forbids.
pub const MAX_IMPORT_ROWS: usize = 100_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(tenants::import))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
}

/// The import body, or 413 naming [`IMPORT_BODY_LIMIT`].
pub(crate) fn import_body(body: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>) -> Result<Bytes> {
    body.map_err(|e| crate::http::extract::body_rejection(e, IMPORT_BODY_LIMIT))
}

/// 413 when a file has more rows than [`MAX_IMPORT_ROWS`].
pub(crate) fn check_row_count(rows: usize) -> Result<()> {
    if rows > MAX_IMPORT_ROWS {
        return Err(ApiError::PayloadTooLarge(format!("the file has {rows} rows; an import takes at most {MAX_IMPORT_ROWS} rows (split the file)")));
    }
    Ok(())
}

/// At most this many bad rows are listed.
pub(crate) const MAX_ERRORS: usize = 1000;

/// One row as read, before checking: `values[i]` belongs to `columns[i]`.
pub(crate) struct RawRow {
    pub row: i64,
    values: Vec<String>,
}

/// The columns an import reads; others are ignored.
pub(crate) struct Columns {
    pub names: &'static [&'static str],
    pub required: &'static [&'static str],
    /// The key holding the list in a JSON object body (`assets`, `tenants`).
    pub json_key: &'static str,
}

impl Columns {
    pub fn get<'r>(&self, row: &'r RawRow, column: &str) -> &'r str {
        self.names.iter().position(|c| *c == column).map_or("", |i| row.values[i].trim())
    }

    /// Reads the body as CSV or JSON, by its `Content-Type`.
    pub fn read(&self, headers: &HeaderMap, body: &[u8]) -> Result<Vec<RawRow>> {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        if content_type.starts_with("text/csv") || content_type.starts_with("application/csv") {
            self.read_csv(body)
        } else if content_type.starts_with("application/json") {
            self.read_json(body)
        } else {
            Err(ApiError::BadRequest("send text/csv or application/json".into()))
        }
    }

    fn read_csv(&self, body: &[u8]) -> Result<Vec<RawRow>> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
        let headers = reader.headers().map_err(|_| ApiError::BadRequest("the CSV header line can't be read".into()))?.clone();
        let index: Vec<Option<usize>> =
            self.names.iter().map(|c| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(c))).collect();
        for required in self.required {
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
            let values = index.iter().map(|idx| idx.and_then(|idx| record.get(idx)).unwrap_or("").to_string()).collect();
            rows.push(RawRow { row: record.position().map_or(0, |p| p.line() as i64), values });
        }
        Ok(rows)
    }

    fn read_json(&self, body: &[u8]) -> Result<Vec<RawRow>> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| ApiError::BadRequest("the body is not valid JSON".into()))?;
        self.read_json_value(&value)
    }

    pub fn read_json_value(&self, value: &serde_json::Value) -> Result<Vec<RawRow>> {
        let key = self.json_key;
        let items = match value {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(o) => match o.get(key) {
                Some(serde_json::Value::Array(a)) => a,
                _ => return Err(ApiError::field(key, format!("must be an array of {key}"))),
            },
            _ => return Err(ApiError::field("body", format!("must be an array of {key} or {{\"{key}\": [...]}}"))),
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let values = self
                    .names
                    .iter()
                    .map(|column| match item.get(column) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(serde_json::Value::Number(n)) => n.to_string(),
                        _ => String::new(),
                    })
                    .collect();
                RawRow { row: i as i64 + 1, values }
            })
            .collect())
    }
}

/// How an import ended when it didn't fail outright.
pub(crate) enum Outcome {
    Imported(ImportResult),
    /// Bad rows: nothing was written; `errors` lists them.
    Rejected(ImportResult),
}

/// Where progress goes: to the stream when the client asked for one, else nowhere.
#[derive(Clone, Default)]
pub(crate) struct Progress(Option<mpsc::UnboundedSender<ImportEvent>>);

impl Progress {
    pub fn report(&self, phase: &str, done: usize, total: usize) {
        if let Some(tx) = &self.0 {
            let progress = ImportProgress { phase: phase.to_string(), done: done as i64, total: total as i64 };
            let _ = tx.send(ImportEvent { progress: Some(progress), result: None, error: None });
        }
    }

    /// Reports every `every` rows (and at the end), not on each row.
    pub fn tick(&self, phase: &str, done: usize, total: usize, every: usize) {
        if done % every == 0 || done == total {
            self.report(phase, done, total);
        }
    }
}

/// The 422 detail for rejected rows: one field per row (the first 50), so the page can list them.
fn rejection(result: &ImportResult) -> ApiErrorDetail {
    let fields: BTreeMap<String, String> =
        result.errors.iter().take(50).map(|e| (format!("row {}", e.row), format!("{}: {}", e.field, e.message))).collect();
    let bad_rows = result.errors.iter().map(|e| e.row).collect::<std::collections::BTreeSet<_>>().len();
    ApiErrorDetail { code: ErrorCode::Invalid, message: format!("{}; nothing was imported", shared::plural(bad_rows as i64, "bad row", "bad rows")), fields }
}

/// Sorts bad rows and keeps the first [`MAX_ERRORS`].
pub(crate) fn listed(mut errors: Vec<ImportRowError>) -> Vec<ImportRowError> {
    errors.sort_by_key(|e| e.row);
    errors.truncate(MAX_ERRORS);
    errors
}

/// Runs an import and answers plainly, or as a progress stream when the client accepts ndjson.
pub(crate) async fn respond<F, Fut>(headers: &HeaderMap, run: F) -> Response
where
    F: FnOnce(Progress) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Outcome>> + Send + 'static,
{
    let wants_stream = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/x-ndjson"));
    if !wants_stream {
        return match run(Progress::default()).await {
            Ok(Outcome::Imported(result)) => axum::Json(result).into_response(),
            Ok(Outcome::Rejected(result)) => {
                let body = serde_json::json!({ "error": rejection(&result), "result": result });
                (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
            }
            Err(e) => e.into_response(),
        };
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let progress = Progress(Some(tx.clone()));
    // The import runs to its end (commit or rollback) even if the client goes away.
    tokio::spawn(async move {
        let last = match run(progress).await {
            Ok(Outcome::Imported(result)) => ImportEvent { progress: None, result: Some(result), error: None },
            Ok(Outcome::Rejected(result)) => ImportEvent { progress: None, error: Some(rejection(&result)), result: Some(result) },
            Err(e) => ImportEvent { progress: None, result: None, error: Some(e.detail()) },
        };
        let _ = tx.send(last);
    });
    crate::http::ndjson::response(rx)
}

/// What an import body holds: (tenant rows, asset rows).
fn split_body(headers: &HeaderMap, body: &[u8]) -> Result<(Vec<RawRow>, Vec<RawRow>)> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| ApiError::BadRequest("the body is not valid JSON".into()))?;
        if let serde_json::Value::Object(o) = &value {
            if o.contains_key("tenants") {
                let tenants = tenants::COLUMNS.read_json_value(&serde_json::Value::Array(list(o, "tenants")?))?;
                let assets = match o.get("assets") {
                    Some(_) => assets::COLUMNS.read_json_value(&serde_json::Value::Array(list(o, "assets")?))?,
                    None => Vec::new(),
                };
                return Ok((tenants, assets));
            }
        }
        return Ok((Vec::new(), assets::COLUMNS.read_json_value(&value)?));
    }
    let is_assets = csv::ReaderBuilder::new()
        .from_reader(body)
        .headers()
        .map(|h| h.iter().any(|c| c.trim().eq_ignore_ascii_case("kind")))
        .unwrap_or(true);
    if is_assets { Ok((Vec::new(), assets::COLUMNS.read(headers, body)?)) } else { Ok((tenants::COLUMNS.read(headers, body)?, Vec::new())) }
}

fn list(o: &serde_json::Map<String, serde_json::Value>, key: &str) -> Result<Vec<serde_json::Value>> {
    match o.get(key) {
        Some(serde_json::Value::Array(a)) => Ok(a.clone()),
        _ => Err(ApiError::field(key, format!("must be an array of {key}"))),
    }
}

#[utoipa::path(post, path = "/api/v1/import", tag = "assets", params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    request_body(content = String, content_type = "text/csv", description = "Assets (CSV whose header has `kind`: kind, name, external_id, group, os, address, tenant), tenants (CSV without `kind`: name, external_id, parent, domain, slug), or JSON: an array of assets, or `{\"tenants\": [...], \"assets\": [...]}`. Rows are matched by external_id; all or nothing. Send `Accept: application/x-ndjson` for a stream of progress lines ending in the result."),
    responses((status = 200, body = ImportResult), (status = 400, description = "unreadable body or unsupported Content-Type"),
        (status = 403, description = "assets need member, tenants admin"),
        (status = 413, description = "over 32 MiB or over 100,000 rows; the message names the limit"),
        (status = 422, description = "bad rows, listed in `errors`; nothing was imported")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn import(State(state): State<AppState>, ctx: OrgCtx, headers: HeaderMap, body: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>) -> Result<Response> {
    // Checked here for a prompt 403, and again in `run`, which needs the proofs.
    ctx.member()?;
    let body = import_body(body)?;
    let (tenant_rows, asset_rows) = split_body(&headers, &body)?;
    check_row_count(tenant_rows.len() + asset_rows.len())?;
    if !tenant_rows.is_empty() {
        ctx.admin()?;
    }
    Ok(respond(&headers, move |progress| run(state, ctx, tenant_rows, asset_rows, progress)).await)
}

/// Checks everything, then writes tenants and assets in one transaction (or nothing).
pub(crate) async fn run(state: AppState, ctx: OrgCtx, tenant_rows: Vec<RawRow>, asset_rows: Vec<RawRow>, progress: Progress) -> Result<Outcome> {
    let member = ctx.member()?;
    if !tenant_rows.is_empty() {
        ctx.admin()?;
    }
    let both = !tenant_rows.is_empty() && !asset_rows.is_empty();
    let prefix = |mut errors: Vec<ImportRowError>, list: &str| {
        if both {
            errors.iter_mut().for_each(|e| e.field = format!("{list}.{}", e.field));
        }
        errors
    };
    let (plan, tenant_errors) = if tenant_rows.is_empty() {
        (tenants::Plan::default(), Vec::new())
    } else {
        tenants::plan(&state, &ctx, &tenant_rows, &progress).await.step("planning the tenants")?
    };
    let (rows, asset_errors) = assets::check_rows(&state, &ctx, &asset_rows, &progress, &plan.tenant_keys()).await.step("checking the asset rows")?;
    let mut errors = prefix(tenant_errors, "tenants");
    errors.extend(prefix(asset_errors, "assets"));
    let mut result = ImportResult {
        all_or_nothing: true,
        rows: (tenant_rows.len() + asset_rows.len()) as i64,
        created: 0,
        updated: 0,
        unchanged: 0,
        groups_created: 0,
        errors: listed(errors),
    };
    if !result.errors.is_empty() {
        return Ok(Outcome::Rejected(result));
    }
    // SQLite locks the whole database at a transaction's first write, so the import takes
    // the lock first (as every audited write does) and holds it to the end. PostgreSQL locks
    // rows: the import's rows are its own, and the one row every audited write shares is
    // the audit chain's head — taken last, just before the events, so other tenants' writes
    // wait only for the import's last statements, not for all of it.
    let late_head = state.db.dialect == crate::db::Dialect::Postgres;
    let mut tx = if late_head { state.db.begin().await? } else { audit::begin(&state.db).await? };
    let locked_at = std::time::Instant::now();
    let actor = member.actor();
    let tenants_changed = plan.created() + plan.renamed() > 0;
    if tenants_changed {
        tenants::write(&mut tx, ctx.org_id(), &plan, &progress).await.step("writing the tenants")?;
    }
    let counts = assets::write(&mut tx, &rows, &progress).await.step("writing the assets")?;
    if late_head {
        audit::lock_head(&mut tx).await?;
    }
    // The tenants' counters are recounted only now, under the audit head every other write
    // takes first: recounted earlier on PostgreSQL, an asset written meanwhile by someone else
    // could wait on the counters row while holding the head this import then waits for.
    if counts.changed() {
        crate::db::counters::refresh(&mut tx, &assets::tenants(&rows)).await?;
    }
    if tenants_changed {
        let summary = plan.summary();
        audit::record(&mut tx, &actor, Event { org_id: Some(ctx.org_id()), action: "org.import", object_type: "org", object_id: None, summary }).await?;
    }
    if counts.changed() {
        let summary = assets::summary(rows.len(), &counts);
        audit::record(&mut tx, &actor, Event { org_id: Some(ctx.org_id()), action: "asset.import", object_type: "asset", object_id: None, summary }).await?;
    }
    result.created = plan.created() + counts.created;
    result.updated = plan.renamed() + counts.updated;
    result.unchanged = plan.unchanged + counts.unchanged;
    result.groups_created = counts.groups_created;
    // Nothing new: dropping the transaction rolls it back, so a repeated import leaves no trace.
    if tenants_changed || counts.changed() {
        tx.commit().await.step("committing the import")?;
    }
    tracing::info!(org = %ctx.org.id, rows = result.rows, held_ms = locked_at.elapsed().as_millis() as u64, "import wrote (write lock held)");
    Ok(Outcome::Imported(result))
}
