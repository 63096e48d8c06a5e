//! Bulk actions over many tenants of an MSP: `POST /api/v1/bulk`
//! `{action, targets: {org_ids} | {tag}, params, dry_run}`.
//!
//! The parameters are checked once (422 names `params.…` or `targets.…`, nothing touched);
//! then each tenant is handled by the same service function and the same proof as its
//! single-tenant endpoint — `OrgAdmin` of the tenant for a setting, a deployment or a
//! notification, `Manager` for suspend and reactivate, `OrgAdmin` of the MSP for tags — so a
//! tenant the caller can't administer is reported `refused` and left alone, and one they can't
//! see is reported like one that doesn't exist. A dry run only checks and describes.
//!
//! A run has no lock of its own: each tenant's change is its own short transaction with its
//! own audit event (which names the run), processed in batches of [`BATCH`] with progress in
//! between; one `bulk.run` event in the MSP records the whole run. With
//! `Accept: application/x-ndjson` the answer is a stream of progress lines and a last result
//! line, like the import's. `suspend` may need a second admin (`bulk.suspend` in the MSP's
//! `approvals` setting): then the run answers 202 and waits, with the dry run's result.
use crate::approvals::{Gate, Held};
use crate::audit::{self, Event};
use crate::db::{new_id, parse_uuid};
use crate::http::context::{OrgCtx, org_for};
use crate::http::error::{ApiError, Result};
use crate::http::extract::Json;
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::api::{
    ApprovalHeld, BulkAction, BulkEvent, BulkItem, BulkProgress, BulkRequest, BulkResult, BulkStatus, BulkTargets, CreateDeployment,
    CreateNotification, Tag,
};
use shared::settings::SettingKey;
use shared::{OrgKind, OrgStatus};
use tokio::sync::mpsc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bulk))
}

/// The most tenants one request may name.
pub const MAX_TARGETS: usize = 5000;
/// Tenants handled between two progress reports.
pub const BATCH: usize = 50;

/// Where progress goes: to the stream when the client asked for one, else nowhere.
#[derive(Clone, Default)]
pub struct Progress(Option<mpsc::UnboundedSender<BulkEvent>>);

impl Progress {
    fn report(&self, done: usize, total: usize) {
        if let Some(tx) = &self.0 {
            let progress = BulkProgress { done: done as i64, total: total as i64 };
            let _ = tx.send(BulkEvent { progress: Some(progress), result: None, error: None, approval_id: None });
        }
    }
}

/// The action with its parameters, checked.
enum Plan {
    SetSetting { key: SettingKey, value: serde_json::Value },
    CreateDeployment(CreateDeployment),
    Notify(CreateNotification),
    Status(OrgStatus),
    Tag { tag: Tag, on: bool },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingParams {
    key: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagParams {
    tag: uuid::Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

fn params<T: DeserializeOwned>(v: &serde_json::Value) -> Result<T> {
    let v = if v.is_null() { serde_json::json!({}) } else { v.clone() };
    serde_json::from_value(v).map_err(|e| ApiError::field("params", e.to_string()))
}

/// A checked request: what to do, and to which orgs (ids, in order, each once).
pub struct Prepared {
    plan: Plan,
    targets: Vec<String>,
}

async fn prepare(state: &AppState, ctx: &OrgCtx, req: &BulkRequest) -> Result<Prepared> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::NotFound);
    }
    let tag_field = |field: &'static str| {
        move |e: ApiError| match e {
            ApiError::NotFound => ApiError::field(field, format!("is not a tag of {}", ctx.org.name)),
            e => e,
        }
    };
    let plan = match req.action {
        BulkAction::SetSetting => {
            let p: SettingParams = params(&req.params)?;
            let key = SettingKey::parse(&p.key).ok_or_else(|| ApiError::field("params.key", "is not a setting"))?;
            let value = key
                .validate(&p.value)
                .map_err(|errors| ApiError::Invalid(errors.into_iter().map(|(k, v)| (format!("params.value.{k}"), v)).collect()))?;
            Plan::SetSetting { key, value }
        }
        BulkAction::CreateDeployment => Plan::CreateDeployment(crate::deployments::check(&params(&req.params)?, "params.")?),
        BulkAction::Notify => Plan::Notify(crate::notifications::check(&params(&req.params)?, "params.")?),
        BulkAction::Suspend | BulkAction::Reactivate => {
            let _: NoParams = params(&req.params)?;
            Plan::Status(if req.action == BulkAction::Suspend { OrgStatus::Suspended } else { OrgStatus::Active })
        }
        BulkAction::AddTag | BulkAction::RemoveTag => {
            let p: TagParams = params(&req.params)?;
            let tag = crate::tags::tag_of(&state.db, ctx.org_id(), &p.tag.to_string()).await.map_err(tag_field("params.tag"))?;
            Plan::Tag { tag, on: req.action == BulkAction::AddTag }
        }
    };
    let targets: Vec<String> = match &req.targets {
        BulkTargets { org_ids: Some(ids), tag: None } => {
            if ids.is_empty() || ids.len() > MAX_TARGETS {
                return Err(ApiError::field("targets.org_ids", format!("must name 1 to {MAX_TARGETS} orgs")));
            }
            let mut seen = std::collections::HashSet::new();
            ids.iter().map(|id| id.to_string()).filter(|id| seen.insert(id.clone())).collect()
        }
        BulkTargets { org_ids: None, tag: Some(tag) } => {
            let tag = crate::tags::tag_of(&state.db, ctx.org_id(), &tag.to_string()).await.map_err(tag_field("targets.tag"))?;
            sqlx::query_scalar("SELECT t.org_id FROM org_tags t JOIN orgs o ON o.id = t.org_id WHERE t.tag_id = $1 ORDER BY lower(o.name), o.id")
                .bind(tag.id.to_string())
                .fetch_all(&state.db.pool)
                .await?
        }
        _ => return Err(ApiError::field("targets", "give exactly one of org_ids and tag")),
    };
    Ok(Prepared { plan, targets })
}

fn item(org_id: &str, org_name: Option<String>, status: BulkStatus, message: impl Into<String>, changed: bool) -> BulkItem {
    BulkItem { org_id: parse_uuid(org_id), org_name, status, message: message.into(), changed }
}

/// What the plan does (or would) to one tenant: whether it changes anything, and a line.
async fn apply(state: &AppState, tenant: &OrgCtx, msp: &OrgCtx, plan: &Plan, dry_run: bool) -> Result<(bool, String)> {
    let will = |done: String| if dry_run { format!("would {done}") } else { done };
    Ok(match plan {
        Plan::SetSetting { key, value } => {
            let changed = crate::settings::set_value(tenant.admin()?, state, *key, value, dry_run).await?;
            (changed, if changed { will(format!("set {key}")) } else { format!("{key} already has this value") })
        }
        Plan::CreateDeployment(d) => {
            let admin = tenant.admin()?;
            if !dry_run {
                crate::deployments::create_service(admin, state, d).await?;
            }
            (true, will(format!("create deployment {}", d.name)))
        }
        Plan::Notify(n) => {
            crate::notifications::create_service(tenant.admin()?, state, n.clone(), dry_run).await?;
            (true, will(format!("send \"{}\"", crate::settings::truncate(&n.title, 80))))
        }
        Plan::Status(status) => {
            let verb = if *status == OrgStatus::Suspended { "suspend" } else { "reactivate" };
            let manager = tenant.manager(format!("only whoever manages {} can {verb} it", tenant.org.name))?;
            let changed = crate::orgs::set_status(manager, state, *status, dry_run).await?;
            let state_word = if *status == OrgStatus::Suspended { "suspended" } else { "active" };
            (changed, if changed { will(verb.to_string()) } else { format!("already {state_word}") })
        }
        Plan::Tag { tag, on } => {
            let admin = msp.admin()?;
            let changed = crate::tags::set_org_tag(admin, state, &tenant.org.id, &tenant.org.name, tag, *on, dry_run).await?;
            let done = if *on { format!("tag {}", tag.name) } else { format!("remove tag {}", tag.name) };
            (changed, if changed { will(done) } else if *on { format!("already tagged {}", tag.name) } else { format!("not tagged {}", tag.name) })
        }
    })
}

/// One tenant, start to end; never fails the run.
async fn one(state: &AppState, msp: &OrgCtx, org_id: &str, plan: &Plan, dry_run: bool) -> BulkItem {
    let tenant = match org_for(state, &msp.caller, org_id).await {
        // Only the MSP's own tenants; any other org answers like one that doesn't exist.
        Ok(t) if t.path.nodes.len() >= 2 && t.path.msp_id() == Some(msp.org_id()) => t,
        Ok(_) | Err(ApiError::NotFound) => return item(org_id, None, BulkStatus::Refused, "not found", false),
        Err(e) => return item(org_id, None, BulkStatus::Error, e.detail().message, false),
    };
    let name = Some(tenant.org.name.clone());
    match apply(state, &tenant, msp, plan, dry_run).await {
        Ok((changed, message)) => item(org_id, name, BulkStatus::Ok, message, changed),
        Err(ApiError::Forbidden(why)) => item(org_id, name, BulkStatus::Refused, why, false),
        Err(ApiError::NotFound) => item(org_id, name, BulkStatus::Refused, "not found", false),
        Err(e) => {
            let detail = e.detail();
            let fields: Vec<String> = detail.fields.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let message = if fields.is_empty() { detail.message } else { format!("{}: {}", detail.message, fields.join("; ")) };
            item(org_id, name, BulkStatus::Error, message, false)
        }
    }
}

/// Runs (or dry-runs) a prepared request, batch after batch; `run_id` names a real run in
/// every audit event it causes.
async fn process(state: &AppState, ctx: &OrgCtx, action: BulkAction, prepared: &Prepared, dry_run: bool, run_id: Option<&str>, progress: &Progress) -> BulkResult {
    let mut msp = ctx.clone();
    msp.caller.bulk_run = run_id.map(str::to_string);
    let total = prepared.targets.len();
    let mut items = Vec::with_capacity(total);
    progress.report(0, total);
    for batch in prepared.targets.chunks(BATCH) {
        for org_id in batch {
            items.push(one(state, &msp, org_id, &prepared.plan, dry_run).await);
        }
        progress.report(items.len(), total);
        // Let other requests in between batches.
        tokio::task::yield_now().await;
    }
    let count = |s: BulkStatus| items.iter().filter(|i| i.status == s).count() as i64;
    BulkResult {
        id: run_id.map(parse_uuid),
        action,
        dry_run,
        total: total as i64,
        ok: count(BulkStatus::Ok),
        refused: count(BulkStatus::Refused),
        errors: count(BulkStatus::Error),
        changed: items.iter().filter(|i| i.changed).count() as i64,
        items,
    }
}

async fn execute(state: &AppState, ctx: &OrgCtx, req: BulkRequest, prepared: Prepared, progress: Progress) -> Result<Gate<BulkResult>> {
    if !req.dry_run && req.action == BulkAction::Suspend {
        if let Some(need) = crate::approvals::needed(state, &ctx.caller, Some(ctx.org_id()), "bulk.suspend").await? {
            let preview = process(state, ctx, req.action, &prepared, true, None, &Progress::default()).await;
            let summary = format!("suspend {} tenant(s) of {} ({} refused on the dry run)", preview.changed, ctx.org.name, preview.refused);
            let held = Held::BulkSuspend { msp_id: ctx.org_id().to_string(), request: req };
            let preview = serde_json::to_value(&preview).unwrap_or_default();
            return Ok(Gate::Held(crate::approvals::hold(state, &ctx.caller, need, held, summary, preview).await?));
        }
    }
    if req.dry_run {
        return Ok(Gate::Done(process(state, ctx, req.action, &prepared, true, None, &progress).await));
    }
    let run_id = new_id();
    let result = process(state, ctx, req.action, &prepared, false, Some(&run_id), &progress).await;
    let by = match &req.targets.tag {
        Some(_) => " (by tag)",
        None => "",
    };
    let mut tx = audit::begin(&state.db).await?;
    audit::record(&mut tx, &ctx.caller.own_actor(), Event {
        org_id: Some(ctx.org_id()),
        action: "bulk.run",
        object_type: "bulk",
        object_id: Some(&run_id),
        summary: format!(
            "bulk {} over {} tenant(s){by}: {} changed, {} unchanged, {} refused, {} failed; their events say \"bulk run {run_id}\"",
            req.action.as_str(),
            result.total,
            result.changed,
            result.ok - result.changed,
            result.refused,
            result.errors
        ),
    })
    .await?;
    tx.commit().await?;
    Ok(Gate::Done(result))
}

/// `POST /api/v1/bulk` in `ctx` (also as an approved request's requester), without a stream.
pub(crate) async fn run_as(state: &AppState, ctx: &OrgCtx, req: BulkRequest, progress: Progress) -> Result<Gate<BulkResult>> {
    let prepared = prepare(state, ctx, &req).await?;
    execute(state, ctx, req, prepared, progress).await
}

#[utoipa::path(post, path = "/api/v1/bulk", tag = "customers", request_body = BulkRequest,
    params(("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = BulkResult, description = "per tenant `ok`, `refused` (not the caller's to change, or not found) or `error`; a dry run changes nothing. With `Accept: application/x-ndjson`, a stream of `BulkEvent` lines: progress, then the result"),
        (status = 202, body = ApprovalHeld, description = "`suspend` when the MSP's `approvals` setting lists `bulk.suspend`: held for a second admin, with the dry run's result"),
        (status = 404, description = "the current org is not an MSP"), (status = 422, description = "bad `params.…` or `targets.…`; nothing touched")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn bulk(State(state): State<AppState>, ctx: OrgCtx, headers: HeaderMap, Json(req): Json<BulkRequest>) -> Result<Response> {
    let wants_stream = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/x-ndjson"));
    // Bad input answers plainly, before any stream starts.
    let prepared = prepare(&state, &ctx, &req).await?;
    if !wants_stream {
        return Ok(execute(&state, &ctx, req, prepared, Progress::default()).await?.map(axum::Json).into_response());
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let progress = Progress(Some(tx.clone()));
    // The run goes on to its end even if the client goes away.
    tokio::spawn(async move {
        let last = match execute(&state, &ctx, req, prepared, progress).await {
            Ok(Gate::Done(result)) => BulkEvent { progress: None, result: Some(result), error: None, approval_id: None },
            Ok(Gate::Held(id)) => BulkEvent { progress: None, result: None, error: None, approval_id: Some(parse_uuid(&id)) },
            Err(e) => BulkEvent { progress: None, result: None, error: Some(e.detail()), approval_id: None },
        };
        let _ = tx.send(last);
    });
    Ok(crate::http::ndjson::response(rx))
}
