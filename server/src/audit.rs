//! The audit trail: one event per successful mutation, written in the mutation's own
//! transaction, chained by SHA-256 so that an edited or deleted row is detectable.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::http::context::OrgCtx;
use crate::db::sql::Sql;
use crate::db::{Db, Tx, new_id, now_ms, parse_uuid, rfc3339};
use crate::http::error::{ApiError, Result};
use axum::extract::State;
use crate::http::extract::Query;
use axum::response::{IntoResponse, Response};
use crate::http::extract::Json;
use sha2::{Digest, Sha256};
use shared::api::{AuditEvent, AuditQuery, Page};

/// Who did it, from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub home_org_id: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    /// Said after the summary of every event this actor records: "bulk run …", "approved by
    /// …". Part of the summary (and so of the hash), not a column of its own.
    pub note: Option<String>,
}

impl Actor {
    /// The command line (`tenantry create-superuser`, `tenantry demo`, …).
    pub fn cli(what: &str) -> Actor {
        Actor { email: Some(format!("cli:{what}")), ..Actor::default() }
    }
}

/// What was done, to what, in which org.
pub struct Event<'a> {
    pub org_id: Option<&'a str>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<&'a str>,
    pub summary: String,
}

/// Starts a mutating transaction. Its first statement writes the chain head, which takes
/// the write lock at once: SQLite never has to upgrade a read transaction (which fails under
/// contention), and on PostgreSQL the row lock orders concurrent writers along the chain.
/// The same statement bumps `authz_epoch`, so every server's [`crate::authz_cache`] drops
/// what it read once this commits (every change to sessions, memberships, grants and orgs
/// passes through here).
pub async fn begin(db: &Db) -> Result<Tx, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(BUMP_HEAD).execute(&mut *tx).await?;
    // A request sent with an Idempotency-Key records the key in this same transaction.
    crate::http::idempotency::claim(&mut tx).await?;
    Ok(tx)
}

const BUMP_HEAD: &str = "UPDATE audit_head SET authz_epoch = authz_epoch + 1 WHERE id = 1";

/// Takes the chain head's lock inside a transaction begun without it (see
/// [`crate::import`]: on PostgreSQL a long write takes it last, just before its events).
pub async fn lock_head(tx: &mut Tx) -> Result<(), sqlx::Error> {
    sqlx::query(BUMP_HEAD).execute(&mut **tx).await?;
    Ok(())
}

struct Chained<'a> {
    id: &'a str,
    seq: i64,
    at: i64,
    actor: &'a Actor,
    event: &'a Event<'a>,
}

fn field(v: Option<&str>) -> String {
    v.map_or_else(|| "\u{0}".to_string(), str::to_string)
}

fn chain_hash(prev_hash: &str, c: &Chained<'_>) -> String {
    let parts = [
        prev_hash.to_string(),
        c.seq.to_string(),
        c.id.to_string(),
        c.at.to_string(),
        field(c.actor.user_id.as_deref()),
        field(c.actor.email.as_deref()),
        field(c.actor.home_org_id.as_deref()),
        field(c.event.org_id),
        c.event.action.to_string(),
        c.event.object_type.to_string(),
        field(c.event.object_id),
        c.event.summary.clone(),
        field(c.actor.request_id.as_deref()),
        field(c.actor.ip.as_deref()),
    ];
    hex::encode(Sha256::digest(parts.join("\u{1f}").as_bytes()))
}

/// Appends one event inside `tx` (which must come from [`begin`]).
pub async fn record(tx: &mut Tx, actor: &Actor, event: Event<'_>) -> Result<(), sqlx::Error> {
    let (seq, prev_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut **tx).await?;
    let id = new_id();
    let noted;
    let event = match &actor.note {
        Some(note) => {
            noted = Event { summary: format!("{} ({note})", event.summary), ..event };
            &noted
        }
        None => &event,
    };
    let c = Chained { id: &id, seq: seq + 1, at: now_ms(), actor, event };
    let hash = chain_hash(&prev_hash, &c);
    sqlx::query(
        "INSERT INTO audit_events (id, seq, at, actor_id, actor_email, actor_org_id, org_id, action, \
         object_type, object_id, summary, request_id, ip, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&id)
    .bind(c.seq)
    .bind(c.at)
    .bind(&actor.user_id)
    .bind(&actor.email)
    .bind(&actor.home_org_id)
    .bind(event.org_id)
    .bind(event.action)
    .bind(event.object_type)
    .bind(event.object_id)
    .bind(&event.summary)
    .bind(&actor.request_id)
    .bind(&actor.ip)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(c.seq)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One stored event, as `EVENT_COLUMNS` reads it.
#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    seq: i64,
    at: i64,
    actor_id: Option<String>,
    actor_email: Option<String>,
    actor_org_id: Option<String>,
    org_id: Option<String>,
    action: String,
    object_type: String,
    object_id: Option<String>,
    summary: String,
    request_id: Option<String>,
    ip: Option<String>,
}

/// An event with the hashes that chain it to the one before.
#[derive(sqlx::FromRow)]
struct ChainedRow {
    #[sqlx(flatten)]
    event: EventRow,
    prev_hash: String,
    hash: String,
}
const EVENT_COLUMNS: &str = "e.id, e.seq, e.at, e.actor_id, e.actor_email, e.actor_org_id, e.org_id, e.action, \
     e.object_type, e.object_id, e.summary, e.request_id, e.ip";

/// Recomputes the whole chain. `Ok(n)` when all `n` events are intact, else what broke where.
pub async fn verify(db: &Db) -> anyhow::Result<std::result::Result<i64, String>> {
    let mut prev = "genesis".to_string();
    let mut expected_seq = 1i64;
    loop {
        let rows: Vec<ChainedRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS}, e.prev_hash, e.hash FROM audit_events e WHERE e.seq >= $1 ORDER BY e.seq LIMIT 1000"
        ))
        .bind(expected_seq)
        .fetch_all(&db.pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for ChainedRow { event: r, prev_hash, hash } in rows {
            if r.seq != expected_seq {
                return Ok(Err(format!("event #{expected_seq} is missing")));
            }
            if prev_hash != prev {
                return Ok(Err(format!("event #{} does not follow event #{}", r.seq, r.seq - 1)));
            }
            let actor = Actor { user_id: r.actor_id, email: r.actor_email, home_org_id: r.actor_org_id, request_id: r.request_id, ip: r.ip, note: None };
            let event = Event { org_id: r.org_id.as_deref(), action: &r.action, object_type: &r.object_type, object_id: r.object_id.as_deref(), summary: r.summary.clone() };
            let c = Chained { id: &r.id, seq: r.seq, at: r.at, actor: &actor, event: &event };
            if chain_hash(&prev, &c) != hash {
                return Ok(Err(format!("event #{} was altered", r.seq)));
            }
            prev = hash;
            expected_seq += 1;
        }
    }
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&db.pool).await?;
    if head_seq != expected_seq - 1 || head_hash != prev {
        return Ok(Err(format!("the chain ends at #{} but the head says #{head_seq}: events were removed", expected_seq - 1)));
    }
    Ok(Ok(expected_seq - 1))
}

fn to_api(r: EventRow) -> AuditEvent {
    AuditEvent {
        id: parse_uuid(&r.id),
        seq: r.seq,
        at: rfc3339(r.at),
        actor_id: r.actor_id.as_deref().map(parse_uuid),
        actor_email: r.actor_email,
        actor_org_id: r.actor_org_id.as_deref().map(parse_uuid),
        org_id: r.org_id.as_deref().map(parse_uuid),
        action: r.action,
        object_type: r.object_type,
        object_id: r.object_id,
        summary: r.summary,
        request_id: r.request_id,
        ip: r.ip,
    }
}

pub fn router() -> OpenApiRouter<crate::http::state::AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Events in the current org and its descendants, newest first. Admins only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Page<AuditEvent>, description = "events; `?format=csv` gives text/csv"), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list(State(state): State<crate::http::state::AppState>, ctx: OrgCtx, Query(q): Query<AuditQuery>) -> Result<Response> {
    ctx.admin()?;
    let csv = match q.format.as_deref() {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::field("format", "must be csv or json")),
    };
    // `limit` is clamped to 1–500 (documented); a CSV export has every matching event up to 100,000.
    let limit = if csv { 100_000 } else { i64::from(q.limit.unwrap_or(50).clamp(1, 500)) };
    let mut sql = Sql::new("WITH RECURSIVE scope (id) AS (SELECT id FROM orgs WHERE id = ");
    sql.bind(ctx.org_id()).push(&format!(
        " UNION ALL SELECT o.id FROM orgs o JOIN scope s ON o.parent_id = s.id) \
         SELECT {EVENT_COLUMNS} FROM audit_events e WHERE e.org_id IN (SELECT id FROM scope)"
    ));
    if let Some(actor) = q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        let p = sql.param(actor.to_ascii_lowercase());
        sql.push(&format!(" AND (e.actor_email = {p} OR e.actor_id = {p})"));
    }
    if let Some(action) = q.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        match action.strip_suffix('*') {
            Some(prefix) => sql.push(" AND e.action LIKE ").bind(format!("{prefix}%")),
            None => sql.push(" AND e.action = ").bind(action),
        };
    }
    for (name, value, op) in [("since", &q.since, ">="), ("until", &q.until, "<")] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            let ms = crate::db::parse_time_or_date(v)
                .ok_or_else(|| ApiError::field(name, "must be an RFC 3339 time or YYYY-MM-DD"))?;
            sql.push(&format!(" AND e.at {op} ")).bind(ms);
        }
    }
    if let Some(cursor) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        // Cursors are event sequence numbers, which start at 1.
        let seq: i64 = cursor.parse().ok().filter(|s| *s >= 1).ok_or_else(|| ApiError::field("cursor", "is not a cursor from this list"))?;
        sql.push(" AND e.seq < ").bind(seq);
    }
    sql.push(&format!(" ORDER BY e.seq DESC LIMIT {}", limit + 1));
    let query = sql.query_as::<EventRow>();
    let mut rows = query.fetch_all(&state.db.pool).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let items: Vec<AuditEvent> = rows.into_iter().map(to_api).collect();
    if csv {
        return Ok(csv_response(&items)?);
    }
    let next_cursor = more.then(|| items.last().map(|e| e.seq.to_string())).flatten();
    Ok(Json(Page { items, next_cursor }).into_response())
}

/// OWASP CSV injection: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or
/// carriage return as a formula. Summaries carry names users typed (an org called
/// `=HYPERLINK(…)`), so such a cell gets a leading `'`, which spreadsheets show as text.
pub fn neutralize_cell(v: String) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v }
}

fn csv_response(items: &[AuditEvent]) -> anyhow::Result<Response> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["seq", "at", "actor_email", "actor_id", "actor_org_id", "org_id", "action", "object_type", "object_id", "summary", "request_id", "ip"])?;
    for e in items {
        let s = |v: &Option<uuid::Uuid>| v.map(|u| u.to_string()).unwrap_or_default();
        w.write_record([
            e.seq.to_string(),
            e.at.clone(),
            e.actor_email.clone().unwrap_or_default(),
            s(&e.actor_id),
            s(&e.actor_org_id),
            s(&e.org_id),
            e.action.clone(),
            e.object_type.clone(),
            e.object_id.clone().unwrap_or_default(),
            e.summary.clone(),
            e.request_id.clone().unwrap_or_default(),
            e.ip.clone().unwrap_or_default(),
        ].map(neutralize_cell))?;
    }
    let body = w.into_inner()?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""),
        ],
        body,
    )
        .into_response())
}
