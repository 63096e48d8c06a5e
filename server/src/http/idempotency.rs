//! `Idempotency-Key` on mutating API requests: a retried request gets the first answer back
//! instead of doing the work twice, so a client that lost an answer (a failover, a dropped
//! connection) can simply retry.
//!
//! How it is made safe, in three places:
//! - [`layer`] (around every `/api/v1` POST/PUT/PATCH/DELETE that carries the header) checks
//!   the key, hashes the request (method, path, `X-Org-Id`, the tenant named by `Host`, body) and runs the handler
//!   inside a task-local [`Pending`];
//! - [`check`], called by the `Caller` extractor once the user is known, finds an earlier use
//!   of the key by that user: the stored answer is replayed, another request under the same
//!   key is 422, a use whose answer isn't stored is 409; the handler then never runs;
//! - [`claim`], called by [`crate::audit::begin`] (the helper every audited change starts its
//!   transaction with), writes the key **inside the change's own transaction**. The primary
//!   key `(user_id, idem_key)` makes a second attempt's transaction fail before it changes
//!   anything, whichever server it runs on: at most one effect per key, guaranteed by the
//!   database, not by timing.
//!
//! The answer itself is stored by [`layer`] right after the handler returns, because handlers
//! build their answer after `commit` (they read back what they wrote). So there is one window
//! — the change committed, the answer not yet stored — in which the process or the database
//! may die (during a failover it is exactly the commit whose acknowledgement was lost). A
//! retry then finds the key without an answer and gets 409 `conflict` naming
//! `Idempotency-Key`, with `Idempotency-Status: completed`: the change is known to be done,
//! only its answer is gone; the client reads the object instead of creating it again. Before
//! this design a lost acknowledgement meant "outcome unknown"; now it is always either "not
//! done, do it" (no row: the transaction rolled back) or "done".
//!
//! Not covered: requests without a signed-in user (sign-in, accepting an invitation) ignore
//! the key; writes that don't go through `audit::begin` (marking notifications read) get
//! their answer stored and replayed, but two *concurrent* duplicates of them may both run;
//! streamed (NDJSON) answers and 5xx answers are never stored (a retry runs again, or meets
//! the claimed key).
use crate::db::{Db, Tx, now_ms};
use crate::http::error::{ApiError, Result};
use crate::http::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

pub const HEADER: &str = "idempotency-key";
/// The field name used in error bodies.
pub const FIELD: &str = "Idempotency-Key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
pub const STATUS_HEADER: &str = "idempotency-status";
pub const TTL_MS: i64 = 24 * 60 * 60 * 1000;
const MAX_KEY_LEN: usize = 255;
/// Request bodies are buffered to hash them; the largest the API takes is an import (32 MiB).
const MAX_REQUEST: usize = 32 * 1024 * 1024;
const MAX_STORED_RESPONSE: usize = 8 * 1024 * 1024;

tokio::task_local! {
    static CURRENT: Arc<Pending>;
}

/// One keyed request in progress.
pub struct Pending {
    key: String,
    request_hash: String,
    attempt: String,
    state: Mutex<PendingState>,
}

#[derive(Default)]
struct PendingState {
    user_id: Option<String>,
    /// An earlier answer to send back instead of the handler's.
    replay: Option<Stored>,
    /// The key was refused (422/409): the handler's answer must not be stored.
    refused: Option<(StatusCode, String, &'static str)>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Stored {
    request_hash: String,
    created_at: i64,
    expires_at: i64,
    status: Option<i64>,
    content_type: Option<String>,
    location: Option<String>,
    body: Option<String>,
}

fn current() -> Option<Arc<Pending>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// A key is 1–255 visible characters (no control characters).
pub fn parse_key(raw: &[u8]) -> Result<String> {
    let s = std::str::from_utf8(raw).map_err(|_| ApiError::field(FIELD, "must be text"))?;
    if s.is_empty() || s.trim().is_empty() {
        return Err(ApiError::field(FIELD, "must not be empty"));
    }
    if s.chars().count() > MAX_KEY_LEN {
        return Err(ApiError::field(FIELD, format!("must be at most {MAX_KEY_LEN} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(ApiError::field(FIELD, "must not contain control characters"));
    }
    Ok(s.to_string())
}

fn mutating(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// The middleware: see the module documentation.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !mutating(req.method()) || !req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(HEADER) else { return next.run(req).await };
    let key = match parse_key(raw.as_bytes()) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST).await else {
        return ApiError::BadRequest("the request body is too large".into()).into_response();
    };
    let header_text = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut hash = Sha256::new();
    for part in [
        parts.method.as_str().to_string(),
        parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default(),
        header_text(crate::http::context::ORG_HEADER),
        // The tenant a Host names (it can choose the org), not the Host itself: a retry may
        // reach another server under another name.
        state.config.slug_from_host(&header_text(header::HOST.as_str())).unwrap_or_default(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0x1f]);
    }
    hash.update(&bytes);
    let pending = Arc::new(Pending {
        key,
        request_hash: hex::encode(hash.finalize()),
        attempt: crate::db::new_id(),
        state: Mutex::new(PendingState::default()),
    });
    let req = Request::from_parts(parts, Body::from(bytes));
    let resp = CURRENT.scope(pending.clone(), next.run(req)).await;
    finish(&state.db, &pending, resp).await
}

async fn finish(db: &Db, pending: &Pending, resp: Response) -> Response {
    let (user_id, replay, refused) = {
        let mut s = pending.state.lock().expect("idempotency state");
        (s.user_id.clone(), s.replay.take(), s.refused.take())
    };
    if let Some(stored) = replay {
        return replay_response(&stored);
    }
    if let Some((status, message, label)) = refused {
        let error = if status == StatusCode::UNPROCESSABLE_ENTITY { ApiError::field(FIELD, message) } else { ApiError::Conflict { field: FIELD, message } };
        let mut r = error.into_response();
        r.headers_mut().insert(STATUS_HEADER, HeaderValue::from_static(label));
        if status == StatusCode::CONFLICT {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        return r;
    }
    // No signed-in user: the key means nothing here. A 5xx is never stored: the retry should
    // run again (or meet the key claimed by a transaction that did commit).
    let Some(user_id) = user_id else { return resp };
    if resp.status().is_server_error() {
        return resp;
    }
    let content_type = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    if content_type.as_deref().is_some_and(|c| c.contains("ndjson") || c.contains("event-stream")) {
        return resp;
    }
    let location = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_STORED_RESPONSE).await {
        Ok(b) => b,
        Err(e) => return ApiError::Internal(anyhow::anyhow!("reading the answer to store it: {e}")).into_response(),
    };
    if let Ok(text) = std::str::from_utf8(&bytes) {
        if let Err(e) = store(db, pending, &user_id, parts.status.as_u16(), content_type.as_deref(), location.as_deref(), text).await {
            // The client still gets its answer; only a retry would find the key without one.
            tracing::warn!(error = %e, "could not store the answer for an idempotency key");
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay_response(stored: &Stored) -> Response {
    let status = stored.status.and_then(|s| u16::try_from(s).ok()).and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut r = Response::new(Body::from(stored.body.clone().unwrap_or_default()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Some(v) = stored.content_type.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Some(v) = stored.location.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        h.insert(header::LOCATION, v);
    }
    h.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    h.insert(STATUS_HEADER, HeaderValue::from_static("replayed"));
    r
}

#[allow(clippy::too_many_arguments)]
async fn store(db: &Db, p: &Pending, user_id: &str, status: u16, content_type: Option<&str>, location: Option<&str>, body: &str) -> Result<(), sqlx::Error> {
    let done = sqlx::query(
        "UPDATE idempotency_keys SET status = $1, content_type = $2, location = $3, body = $4 \
         WHERE user_id = $5 AND idem_key = $6 AND attempt = $7",
    )
    .bind(i64::from(status))
    .bind(content_type)
    .bind(location)
    .bind(body)
    .bind(user_id)
    .bind(&p.key)
    .bind(&p.attempt)
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        // No transaction of this request claimed the key (nothing changed, or the handler
        // writes without `audit::begin`): keep the answer now.
        let now = now_ms();
        sqlx::query(
            "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, attempt, created_at, expires_at, status, content_type, location, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (user_id, idem_key) DO NOTHING",
        )
        .bind(user_id)
        .bind(&p.key)
        .bind(&p.request_hash)
        .bind(&p.attempt)
        .bind(now)
        .bind(now + TTL_MS)
        .bind(i64::from(status))
        .bind(content_type)
        .bind(location)
        .bind(body)
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}

/// How long a key without an answer counts as "still being answered" rather than "answer lost".
const IN_FLIGHT_MS: i64 = 10_000;

/// Called once the request's user is known (by the `Caller` extractor): an earlier use of the
/// key decides the answer, and the handler does not run.
pub async fn check(db: &Db, user_id: &str) -> Result<()> {
    let Some(p) = current() else { return Ok(()) };
    {
        let mut s = p.state.lock().expect("idempotency state");
        if s.user_id.is_some() {
            return Ok(()); // a second extractor in the same request
        }
        s.user_id = Some(user_id.to_string());
    }
    let row: Option<Stored> = sqlx::query_as(
        "SELECT request_hash, created_at, expires_at, status, content_type, location, body \
         FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
    )
    .bind(user_id)
    .bind(&p.key)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let now = now_ms();
    if row.expires_at <= now {
        sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2 AND expires_at <= $3")
            .bind(user_id)
            .bind(&p.key)
            .bind(now)
            .execute(&db.pool)
            .await?;
        return Ok(());
    }
    let mut s = p.state.lock().expect("idempotency state");
    if row.request_hash != p.request_hash {
        let message = "this key was already used for a different request".to_string();
        s.refused = Some((StatusCode::UNPROCESSABLE_ENTITY, message.clone(), "mismatch"));
        return Err(ApiError::field(FIELD, message));
    }
    if row.status.is_some() {
        s.replay = Some(row);
        // The middleware answers with the stored response instead of this.
        return Err(ApiError::Conflict { field: FIELD, message: "replayed".into() });
    }
    let (message, label) = if now - row.created_at < IN_FLIGHT_MS {
        ("a request with this key was just carried out; its answer is on its way, retry in a moment", "in-flight")
    } else {
        ("the request with this key was carried out, but its answer was lost (the server or database failed right after the change); read the result instead of repeating it", "completed")
    };
    s.refused = Some((StatusCode::CONFLICT, message.to_string(), label));
    Err(ApiError::Conflict { field: FIELD, message: message.into() })
}

/// Writes the request's key inside the change's transaction (from [`crate::audit::begin`]).
/// Fails — so the transaction rolls back before changing anything — when another attempt
/// holds the key: two requests with one key never both take effect.
pub async fn claim(tx: &mut Tx) -> Result<(), sqlx::Error> {
    let Some(p) = current() else { return Ok(()) };
    let Some(user_id) = p.state.lock().expect("idempotency state").user_id.clone() else { return Ok(()) };
    let now = now_ms();
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, attempt, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, idem_key) DO NOTHING",
    )
    .bind(&user_id)
    .bind(&p.key)
    .bind(&p.request_hash)
    .bind(&p.attempt)
    .bind(now)
    .bind(now + TTL_MS)
    .execute(&mut **tx)
    .await?;
    // A handler with several transactions claims again: the row is already its own.
    let owner: Option<String> = sqlx::query_scalar("SELECT attempt FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
        .bind(&user_id)
        .bind(&p.key)
        .fetch_optional(&mut **tx)
        .await?;
    if owner.as_deref() != Some(p.attempt.as_str()) {
        p.state.lock().expect("idempotency state").refused = Some((
            StatusCode::CONFLICT,
            "another request with this key is being carried out or was just carried out; retry in a moment".into(),
            "in-flight",
        ));
        return Err(sqlx::Error::Protocol("idempotency key held by another request".into()));
    }
    Ok(())
}

/// Deletes expired keys (called from the periodic ticker).
pub async fn purge(db: &Db) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1").bind(now_ms()).execute(&db.pool).await?.rows_affected())
}

/// Purges expired keys every ten minutes.
pub async fn purge_ticker(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = purge(&state.db).await {
            tracing::warn!(error = %e, "purging expired idempotency keys");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(parse_key(b"abc-123").is_ok());
        assert!(parse_key(b"").is_err());
        assert!(parse_key(b"a\tb").is_err());
        assert!(parse_key("x".repeat(255).as_bytes()).is_ok());
        assert!(parse_key("x".repeat(256).as_bytes()).is_err());
    }
}
