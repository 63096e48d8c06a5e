//! Importing from an RMM/PSA/directory export: assets (`POST /api/v1/import`) and tenants
//! (`POST /api/v1/import/tenants`).
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

use crate::error::{ApiError, Result};
use crate::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use shared::api::{ImportEvent, ImportProgress, ImportResult, ImportRowError};
use shared::error::ApiErrorDetail;
use shared::ErrorCode;
use std::collections::BTreeMap;
use std::future::Future;
use tokio::sync::mpsc;

pub fn router() -> Router<AppState> {
    // A 10,000-row export is a few megabytes; leave room above that.
    Router::new()
        .route("/api/v1/import", post(assets::import))
        .route("/api/v1/import/tenants", post(tenants::import))
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
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
        let key = self.json_key;
        let items = match &value {
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
    ApiErrorDetail { code: ErrorCode::Invalid, message: format!("{bad_rows} bad row(s); nothing was imported"), fields }
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
    let lines = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = rx.recv().await?;
        let mut line = serde_json::to_vec(&event).unwrap_or_default();
        line.push(b'\n');
        Some((Ok::<_, std::convert::Infallible>(Bytes::from(line)), rx))
    });
    ([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(lines)).into_response()
}
