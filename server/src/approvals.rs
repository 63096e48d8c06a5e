//! Four-eyes approvals: `GET /api/v1/approvals`, `POST /api/v1/approvals/{id}/approve|reject`.
//!
//! An MSP's `approvals` setting lists actions that need a second admin of the MSP
//! (`org.delete`, `org.merge`, `bulk.suspend`, `scope.all_except`). Such an action does all
//! its checks (404, 403, 422 as usual), then — instead of running — is stored here as a
//! [`Held`] request with what its dry run said, and answers 202 `{approval_id}`
//! ([`Gate::Held`]); the MSP's admins are notified (the bell). Another admin of the MSP
//! approves or rejects it before it expires; the requester never decides their own. Approved,
//! it runs through the same endpoint code as the requester ([`Caller::for_approved`]) — their
//! access is checked again, now — and every audit event it writes says who approved.
//!
//! Approving first records the decision (its own transaction, claimed by a conditional update
//! so two approvers can't both run it), then runs the action in the action's own
//! transactions; if that fails, the request ends `failed` with the reason.
use crate::access::load_path;
use crate::audit::{self, Event};
use crate::db::{new_id, parse_uuid, rfc3339};
use crate::http::context::{Caller, OrgCtx, org_for};
use crate::http::error::{ApiError, Result};
use crate::http::extract::{Json, Path, Query};
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};
use serde::{Deserialize, Serialize};
use shared::api::{Approval, ApprovalHeld, ApprovalQuery, ApprovalStatus, BulkRequest, MergeRequest, NotificationTarget, Severity, TechnicianScope};
use shared::settings::{Approvals, SettingKey};
use shared::{OrgKind, Role};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(approve)).routes(routes!(reject))
}

/// What an action that may need approval answers: done, or held for a second admin (202).
pub enum Gate<T> {
    Done(T),
    Held(String),
}

impl<T> Gate<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Gate<U> {
        match self {
            Gate::Done(t) => Gate::Done(f(t)),
            Gate::Held(id) => Gate::Held(id),
        }
    }

    /// What an approved request's run did (it is never held again: [`needed`] knows it was approved).
    fn done(self) -> Result<T> {
        match self {
            Gate::Done(t) => Ok(t),
            Gate::Held(_) => Err(ApiError::Internal(anyhow::anyhow!("an approved request was held again"))),
        }
    }
}

impl<T: IntoResponse> IntoResponse for Gate<T> {
    fn into_response(self) -> Response {
        match self {
            Gate::Done(t) => t.into_response(),
            Gate::Held(id) => (StatusCode::ACCEPTED, axum::Json(ApprovalHeld { approval_id: parse_uuid(&id) })).into_response(),
        }
    }
}

/// A held request: what to run once approved. Stored as JSON in `approvals.request`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action")]
pub enum Held {
    #[serde(rename = "org.delete")]
    OrgDelete { org_id: String },
    #[serde(rename = "org.merge")]
    OrgMerge { org_id: String, request: MergeRequest },
    #[serde(rename = "bulk.suspend")]
    BulkSuspend { msp_id: String, request: BulkRequest },
    #[serde(rename = "scope.all_except")]
    Scope { msp_id: String, user_id: String, scope: TechnicianScope },
}

impl Held {
    pub fn action(&self) -> &'static str {
        match self {
            Held::OrgDelete { .. } => "org.delete",
            Held::OrgMerge { .. } => "org.merge",
            Held::BulkSuspend { .. } => "bulk.suspend",
            Held::Scope { .. } => "scope.all_except",
        }
    }
}

/// The MSP whose second admin must approve `action` by `caller` in an org of `msp_id`'s tree,
/// with how long they have; `None` when nobody needs to (the setting doesn't list it, the org
/// isn't an MSP's, or the caller is running an already approved request).
pub async fn needed(state: &AppState, caller: &Caller, msp_id: Option<&str>, action: &str) -> Result<Option<(String, u32)>> {
    let Some(msp_id) = msp_id else { return Ok(None) };
    if caller.approved_by.is_some() {
        return Ok(None);
    }
    let mut conn = state.db.pool.acquire().await?;
    let Some(path) = load_path(&mut conn, msp_id).await? else { return Ok(None) };
    let setting: Approvals = crate::settings::effective(&mut conn, &path, SettingKey::Approvals).await?;
    Ok(setting.requires(action).then(|| (msp_id.to_string(), setting.expires_after_hours)))
}

/// Stores `held` for a second admin of the MSP (from [`needed`]), tells the MSP's admins, and
/// records the request. Returns the request's id for [`Gate::Held`].
pub async fn hold(state: &AppState, caller: &Caller, (msp_id, hours): (String, u32), held: Held, summary: String, preview: serde_json::Value) -> Result<String> {
    let id = new_id();
    let now = state.clock.now_ms();
    let expires_at = now + i64::from(hours) * 3_600_000;
    let mut tx = audit::begin(&state.db).await?;
    let path = load_path(&mut tx, &msp_id).await?.ok_or(ApiError::NotFound)?;
    sqlx::query(
        "INSERT INTO approvals (id, msp_id, action, summary, request, preview, requested_by, created_at, expires_at, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending')",
    )
    .bind(&id)
    .bind(&msp_id)
    .bind(held.action())
    .bind(&summary)
    .bind(serde_json::to_string(&held).map_err(|e| ApiError::Internal(e.into()))?)
    .bind(preview.to_string())
    .bind(&caller.user.id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    // The bell of every admin of the MSP.
    let sent = crate::notifications::send(&mut tx, &path, crate::notifications::NewNotification {
        org_id: &msp_id,
        target: NotificationTarget::Role { role: Role::Admin },
        title: format!("Approval needed: {}", crate::settings::truncate(&summary, 150)),
        body: format!("{} asks a second admin to approve: {summary}. Decide on the Approvals page before {}.", caller.user.email, rfc3339(expires_at)),
        severity: Severity::Warning,
        created_by: Some(&caller.user.id),
        about_asset: None,
    }, now)
    .await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&msp_id),
        action: "approval.request",
        object_type: "approval",
        object_id: Some(&id),
        summary: format!("asked a second admin to approve {}: {summary}", held.action()),
    })
    .await?;
    tx.commit().await?;
    for mail in &sent.outbox_ids {
        crate::mail::deliver(state, mail).await;
    }
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    action: String,
    summary: String,
    request: String,
    preview: String,
    requested_by: String,
    requested_by_email: String,
    created_at: i64,
    expires_at: i64,
    status: String,
    decided_by_email: Option<String>,
    decided_at: Option<i64>,
    result: Option<String>,
}

const SELECT: &str = "SELECT a.id, a.action, a.summary, a.request, a.preview, a.requested_by, u.email AS requested_by_email, a.created_at, \
     a.expires_at, a.status, d.email AS decided_by_email, a.decided_at, a.result \
     FROM approvals a JOIN users u ON u.id = a.requested_by LEFT JOIN users d ON d.id = a.decided_by";

impl Row {
    fn status(&self, now: i64) -> Result<ApprovalStatus> {
        Ok(match self.status.as_str() {
            "pending" if now >= self.expires_at => ApprovalStatus::Expired,
            "pending" => ApprovalStatus::Pending,
            "approved" => ApprovalStatus::Approved,
            "rejected" => ApprovalStatus::Rejected,
            "failed" => ApprovalStatus::Failed,
            other => return Err(sqlx::Error::Decode(format!("corrupt value {other:?} in approvals.status").into()).into()),
        })
    }

    fn to_api(&self, now: i64) -> Result<Approval> {
        Ok(Approval {
            id: parse_uuid(&self.id),
            action: self.action.clone(),
            summary: self.summary.clone(),
            preview: serde_json::from_str(&self.preview).unwrap_or(serde_json::Value::Null),
            requested_by: parse_uuid(&self.requested_by),
            requested_by_email: self.requested_by_email.clone(),
            created_at: rfc3339(self.created_at),
            expires_at: rfc3339(self.expires_at),
            status: self.status(now)?,
            decided_by_email: self.decided_by_email.clone(),
            decided_at: self.decided_at.map(rfc3339),
            result: self.result.clone(),
        })
    }
}

/// The current org, which must be an MSP the caller administers.
fn msp_admin(ctx: &OrgCtx) -> Result<crate::http::context::OrgAdmin<'_>> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::NotFound);
    }
    ctx.admin()
}

async fn load(state: &AppState, msp_id: &str, id: &str) -> Result<Row> {
    let Ok(id) = uuid::Uuid::parse_str(id) else { return Err(ApiError::NotFound) };
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE a.msp_id = $1 AND a.id = $2"))
        .bind(msp_id)
        .bind(id.to_string())
        .fetch_optional(&state.db.pool)
        .await?;
    row.ok_or(ApiError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/approvals", tag = "customers", params(ApprovalQuery, ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = Vec<Approval>, description = "the MSP's approval requests, newest first (at most 500)"), (status = 403, description = "admins of the MSP only"), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<ApprovalQuery>) -> Result<Json<Vec<Approval>>> {
    let admin = msp_admin(&ctx)?;
    let wanted: Option<ApprovalStatus> = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            serde_json::from_value(serde_json::Value::String(s.to_string()))
                .map_err(|_| ApiError::field("status", "must be pending, approved, rejected, failed or expired"))?,
        ),
    };
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE a.msp_id = $1 ORDER BY a.created_at DESC, a.id LIMIT 500"))
        .bind(admin.org_id())
        .fetch_all(&state.db.pool)
        .await?;
    let now = state.clock.now_ms();
    let mut items = Vec::new();
    for row in &rows {
        let item = row.to_api(now)?;
        if wanted.is_none_or(|w| w == item.status) {
            items.push(item);
        }
    }
    Ok(Json(items))
}

/// Records a decision on a pending request of the caller's MSP: 404 (not one of the MSP's),
/// 403 (the requester themself, or not an admin), 409 (decided already, or expired).
async fn decide(state: &AppState, ctx: &OrgCtx, id: &str, approve: bool) -> Result<Row> {
    let admin = msp_admin(ctx)?;
    let row = load(state, admin.org_id(), id).await?;
    if row.requested_by == ctx.caller.user.id {
        return Err(ApiError::Forbidden("a second admin must decide: you can't approve or reject your own request".into()));
    }
    let now = state.clock.now_ms();
    match row.status(now)? {
        ApprovalStatus::Pending => {}
        ApprovalStatus::Expired => return Err(ApiError::Conflict { field: "id", message: format!("this request expired at {}", rfc3339(row.expires_at)) }),
        other => return Err(ApiError::Conflict { field: "id", message: format!("this request was decided already ({})", serde_json::to_value(other).unwrap_or_default().as_str().unwrap_or("")) }),
    }
    let status = if approve { "approved" } else { "rejected" };
    let mut tx = audit::begin(&state.db).await?;
    let claimed = sqlx::query("UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'pending' AND expires_at > $3")
        .bind(status)
        .bind(&ctx.caller.user.id)
        .bind(now)
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() == 0 {
        return Err(ApiError::Conflict { field: "id", message: "this request was decided already".into() });
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: if approve { "approval.approve" } else { "approval.reject" },
        object_type: "approval",
        object_id: Some(&row.id),
        summary: format!("{status} {}'s request to {}: {}", row.requested_by_email, row.action, row.summary),
    })
    .await?;
    tx.commit().await?;
    Ok(row)
}

async fn reload(state: &AppState, ctx: &OrgCtx, id: &str) -> Result<Json<Approval>> {
    Ok(Json(load(state, ctx.org_id(), id).await?.to_api(state.clock.now_ms())?))
}

#[utoipa::path(post, path = "/api/v1/approvals/{id}/approve", tag = "customers",
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = Approval, description = "approved and run as the requester (`approved`), or approved but running it failed (`failed`, `result` says why)"),
        (status = 403, description = "not an admin of the MSP, or the requester themself"), (status = 404), (status = 409, description = "decided already, or expired")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn approve(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<Json<Approval>> {
    let row = decide(&state, &ctx, &id, true).await?;
    let outcome = match serde_json::from_str::<Held>(&row.request) {
        Ok(held) => match Caller::for_approved(&state, &row.requested_by, &ctx.caller).await {
            Ok(requester) => run(&state, &requester, held).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(ApiError::Internal(anyhow::anyhow!("stored approval request doesn't parse: {e}"))),
    };
    let (status, result) = match outcome {
        Ok(done) => ("approved", done),
        Err(e) => ("failed", format!("not run: {}", e.detail().message)),
    };
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("UPDATE approvals SET status = $1, result = $2 WHERE id = $3").bind(status).bind(&result).bind(&row.id).execute(&mut *tx).await?;
    if status == "failed" {
        audit::record(&mut tx, &ctx.caller.own_actor(), Event {
            org_id: Some(ctx.org_id()),
            action: "approval.fail",
            object_type: "approval",
            object_id: Some(&row.id),
            summary: format!("{}'s approved request to {} did not run: {result}", row.requested_by_email, row.action),
        })
        .await?;
    }
    tx.commit().await?;
    reload(&state, &ctx, &row.id).await
}

#[utoipa::path(post, path = "/api/v1/approvals/{id}/reject", tag = "customers",
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = Approval, description = "rejected: it never runs"),
        (status = 403, description = "not an admin of the MSP, or the requester themself"), (status = 404), (status = 409, description = "decided already, or expired")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn reject(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<Json<Approval>> {
    let row = decide(&state, &ctx, &id, false).await?;
    reload(&state, &ctx, &row.id).await
}

/// Runs an approved request as its requester, through the same code as its endpoint; a line
/// saying what was done.
async fn run(state: &AppState, requester: &Caller, held: Held) -> Result<String> {
    Ok(match held {
        Held::OrgDelete { org_id } => {
            crate::orgs::delete_as(state, requester, &org_id).await?.done()?;
            "deleted".to_string()
        }
        Held::OrgMerge { org_id, request } => {
            let ctx = org_for(state, requester, &org_id).await?;
            let plan = crate::merge::merge_as(state, &ctx, &request).await?.done()?;
            format!("merged: {} assets, {} users moved", plan.assets, plan.users)
        }
        Held::BulkSuspend { msp_id, request } => {
            let ctx = org_for(state, requester, &msp_id).await?;
            let result = crate::bulk::run_as(state, &ctx, request, crate::bulk::Progress::default()).await?.done()?;
            format!("{} suspended, {} refused, {} failed", result.changed, result.refused, result.errors)
        }
        Held::Scope { msp_id, user_id, scope } => {
            let ctx = org_for(state, requester, &msp_id).await?;
            crate::tags::set_scope_as(state, &ctx, &user_id, &scope).await?.done()?;
            "scope granted".to_string()
        }
    })
}
