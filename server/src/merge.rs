//! Merging a tenant into another under the same MSP: `POST /api/v1/org/merge`.
//!
//! The current org (a customer or child tenant) moves everything — people (memberships and
//! home org), assets, groups, child tenants, schedules, deployments — into the target, then is deleted, all in one
//! transaction. A dry run reports the plan and every conflict; blocking conflicts make the
//! real run answer 409 without changing anything.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::load_path;
use crate::approvals::Gate;
use crate::audit::{self, Event};
use crate::settings::effective_all;
use crate::http::context::{Manager, OrgAdmin, OrgCtx, org_for};
use crate::db::{Tx, now_ms, parse_uuid};
use crate::http::error::{ApiError, Result, Step};
use crate::db::rows::OrgRow;
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::Json;
use shared::api::{MergeConflict, MergePlan, MergeRequest};
use shared::OrgKind;
use sqlx::AnyConnection;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(merge))
}

async fn count(conn: &mut AnyConnection, sql: &str, org: &str) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(sql).bind(org).fetch_one(conn).await?)
}

/// What merging `source` into `target` would move, and what collides.
async fn plan(conn: &mut AnyConnection, source: &OrgRow, target: &OrgRow, target_domain: &str) -> Result<MergePlan> {
    let (s, t) = (source.id.as_str(), target.id.as_str());
    let assets = count(conn, "SELECT CAST(COUNT(*) AS BIGINT) FROM assets WHERE org_id = $1", s).await?;
    let groups = count(conn, "SELECT CAST(COUNT(*) AS BIGINT) FROM asset_groups WHERE org_id = $1", s).await?;
    let memberships = count(conn, "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships WHERE org_id = $1", s).await?;
    let child_tenants = count(conn, "SELECT CAST(COUNT(*) AS BIGINT) FROM orgs WHERE parent_id = $1", s).await?;
    let schedules = count(conn, "SELECT CAST(COUNT(*) AS BIGINT) FROM schedules WHERE org_id = $1", s).await?;
    let deployments = count(conn, "SELECT CAST(COUNT(*) AS BIGINT) FROM deployments WHERE org_id = $1", s).await?;
    let mut conflicts = Vec::new();
    // Settings don't move: the merged people and assets live under the target's settings.
    // Every key whose effective value differs is reported, so nobody is surprised.
    if let (Some(sp), Some(tp)) = (load_path(&mut *conn, s).await?, load_path(&mut *conn, t).await?) {
        let (mine, theirs) = (effective_all(&mut *conn, &sp).await?, effective_all(&mut *conn, &tp).await?);
        for (m, th) in mine.iter().zip(theirs.iter()) {
            if m.value != th.value {
                let from = |e: &shared::settings::EffectiveSetting| e.source.org_name.clone().unwrap_or_else(|| "the default".into());
                conflicts.push(MergeConflict {
                    kind: "setting".into(),
                    value: m.key.as_str().to_string(),
                    blocking: false,
                    detail: format!(
                        "{} differs: {} has {}'s value, {} has {}'s; after the merge {}'s applies",
                        m.key, source.name, from(m), target.name, from(th), target.name
                    ),
                });
            }
        }
    }
    let pairs = |sql: &'static str| sqlx::query_scalar::<_, String>(sql).bind(s.to_string()).bind(t.to_string());
    for external_id in pairs(
        "SELECT DISTINCT a.external_id FROM assets a JOIN assets b ON b.external_id = a.external_id AND b.org_id = $2 \
         WHERE a.org_id = $1 ORDER BY a.external_id",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        conflicts.push(MergeConflict {
            kind: "external_id".into(),
            detail: format!("both orgs have an asset with external id {external_id}; change or remove one first"),
            value: external_id,
            blocking: true,
        });
    }
    for name in pairs(
        "SELECT DISTINCT a.name FROM assets a JOIN assets b ON b.name = a.name AND b.org_id = $2 WHERE a.org_id = $1 ORDER BY a.name",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        conflicts.push(MergeConflict {
            kind: "asset_name".into(),
            detail: format!("both orgs have an asset named {name}; both are kept"),
            value: name,
            blocking: false,
        });
    }
    for name in pairs(
        "SELECT a.name FROM asset_groups a JOIN asset_groups b ON b.name = a.name AND b.org_id = $2 WHERE a.org_id = $1 ORDER BY a.name",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        conflicts.push(MergeConflict {
            kind: "group_name".into(),
            detail: format!("both orgs have a group named {name}; its assets and viewers join the target's group"),
            value: name,
            blocking: false,
        });
    }
    let homed: Vec<String> = sqlx::query_scalar("SELECT email FROM users WHERE home_org_id = $1 ORDER BY email")
        .bind(s)
        .fetch_all(&mut *conn)
        .await?;
    let users = homed.len() as i64;
    for email in homed {
        let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if !domain.eq_ignore_ascii_case(target_domain) {
            conflicts.push(MergeConflict {
                kind: "user_domain".into(),
                detail: format!("{email} can't belong to {}, whose domain is {target_domain}", target.name),
                value: email,
                blocking: true,
            });
        }
    }
    Ok(MergePlan {
        source_org_id: parse_uuid(s),
        into_org_id: parse_uuid(t),
        dry_run: true,
        merged: false,
        assets,
        groups,
        users,
        memberships,
        child_tenants,
        schedules,
        deployments,
        conflicts,
    })
}

/// The moves, in an order the foreign keys accept.
async fn apply(tx: &mut Tx, source: &str, target: &str) -> Result<()> {
    let now = now_ms();
    // Same-named groups become one: the source's assets and viewer limits join the target's group.
    let same: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.id, t.id FROM asset_groups s JOIN asset_groups t ON t.name = s.name AND t.org_id = $2 WHERE s.org_id = $1",
    )
    .bind(source)
    .bind(target)
    .fetch_all(&mut **tx)
    .await?;
    for (from, into) in &same {
        sqlx::query("UPDATE assets SET group_id = $1 WHERE group_id = $2").bind(into).bind(from).execute(&mut **tx).await?;
        sqlx::query("UPDATE membership_groups SET group_id = $1 WHERE group_id = $2").bind(into).bind(from).execute(&mut **tx).await?;
        sqlx::query("UPDATE schedule_groups SET group_id = $1 WHERE group_id = $2").bind(into).bind(from).execute(&mut **tx).await?;
        sqlx::query("DELETE FROM asset_groups WHERE id = $1").bind(from).execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE asset_groups SET org_id = $1 WHERE org_id = $2").bind(target).bind(source).execute(&mut **tx).await?;
    sqlx::query("UPDATE assets SET org_id = $1, updated_at = $2 WHERE org_id = $3").bind(target).bind(now).bind(source).execute(&mut **tx).await?;
    // Someone already in the target keeps their role there; everyone else brings theirs along.
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id IN (SELECT user_id FROM memberships WHERE org_id = $2)")
        .bind(source)
        .bind(target)
        .execute(&mut **tx)
        .await?;
    // membership_groups follows through its ON UPDATE CASCADE key.
    sqlx::query("UPDATE memberships SET org_id = $1 WHERE org_id = $2").bind(target).bind(source).execute(&mut **tx).await?;
    sqlx::query("UPDATE users SET home_org_id = $1 WHERE home_org_id = $2").bind(target).bind(source).execute(&mut **tx).await?;
    // Schedules (with their targets, which moved above), deployments and the notification
    // history go along; the source's own settings end with it (see the plan's conflicts).
    for table in ["schedules", "deployments", "notifications"] {
        sqlx::query(&format!("UPDATE {table} SET org_id = $1 WHERE org_id = $2")).bind(target).bind(source).execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE orgs SET parent_id = $1, updated_at = $2 WHERE parent_id = $3").bind(target).bind(now).bind(source).execute(&mut **tx).await?;
    // The source's child tenants now roll up into the target's customer (and MSP).
    crate::db::counters::refresh(tx, &[source]).await.step("refreshing counters")?;
    crate::db::counters::refresh_subtree(tx, target).await.step("refreshing counters")?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/org/merge", tag = "orgs", request_body = MergeRequest, params(("X-Org-Id" = Option<String>, Header, description = "the org to merge away")),
    responses((status = 200, body = MergePlan, description = "the plan (dry run) or what was merged"),
        (status = 202, body = shared::api::ApprovalHeld, description = "the MSP's `approvals` setting lists `org.merge`: held for a second admin, with the dry run's plan"),
        (status = 403, description = "needs admin of both orgs and of the org that manages this one"),
        (status = 404, description = "target not visible"), (status = 409, description = "blocking conflicts; nothing changed"), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn merge(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<MergeRequest>) -> Result<Gate<Json<MergePlan>>> {
    Ok(merge_as(&state, &ctx, &body).await?.map(Json))
}

/// `POST /api/v1/org/merge` in `ctx` (also as an approved request's requester).
pub(crate) async fn merge_as(state: &AppState, ctx: &OrgCtx, body: &MergeRequest) -> Result<Gate<MergePlan>> {
    let _admin = ctx.admin()?;
    let source = &ctx.org;
    if source.kind() == OrgKind::Msp {
        return Err(ApiError::BadRequest("an MSP org can't be merged into another org".into()));
    }
    // Merging ends the source org, so it takes the same power as deleting it.
    let manager = ctx.manager(format!("only whoever manages {} can merge it away", source.name))?;
    let into = org_for(state, &ctx.caller, &body.into_org_id.to_string()).await?;
    let into_admin = into.admin().map_err(|_| ApiError::Forbidden(format!("merging into {} needs the admin role there", into.org.name)))?;
    if !body.dry_run {
        if let Some(need) = crate::approvals::needed(state, &ctx.caller, ctx.path.msp_id(), "org.merge").await? {
            let plan = merge_service(manager, into_admin, state, true).await?;
            if plan.conflicts.iter().any(|c| c.blocking) {
                return Err(ApiError::Conflict { field: "into_org_id", message: "can't merge: there are blocking conflicts; try a dry run for details".into() });
            }
            let summary = format!("merge {} into {}", source.name, into.org.name);
            let held = crate::approvals::Held::OrgMerge { org_id: source.id.clone(), request: body.clone() };
            let preview = serde_json::to_value(&plan).unwrap_or_default();
            return Ok(Gate::Held(crate::approvals::hold(state, &ctx.caller, need, held, summary, preview).await?));
        }
    }
    merge_service(manager, into_admin, state, body.dry_run).await.map(Gate::Done)
}

/// Merges the manager's org into `into` (or plans it, on a dry run): needs admin from above
/// over the source and admin in the target.
async fn merge_service(manager: Manager<'_>, into: OrgAdmin<'_>, state: &AppState, dry_run: bool) -> Result<MergePlan> {
    let ctx = manager.ctx();
    let source = &ctx.org;
    let (target, target_path) = (&into.ctx().org, &into.ctx().path);
    if target.id == source.id {
        return Err(ApiError::field("into_org_id", "is the org being merged"));
    }
    if target.kind() == OrgKind::Msp || target_path.msp_id().is_none() || target_path.msp_id() != ctx.path.msp_id() {
        return Err(ApiError::field("into_org_id", "must be a customer or child tenant under the same MSP"));
    }
    if target_path.contains(&source.id) {
        return Err(ApiError::field("into_org_id", "is inside the org being merged"));
    }
    crate::tree_limits::check_merge(&state.db, &source.id, &target_path).await?;
    let target_domain = target_path.effective_domain().to_string();
    if dry_run {
        let mut conn = state.db.pool.acquire().await?;
        return plan(&mut conn, source, target, &target_domain).await;
    }
    let mut tx = audit::begin(&state.db).await?;
    // Planned inside the transaction, so what is checked is what gets moved.
    let mut plan = plan(&mut *tx, source, target, &target_domain).await.step("planning the merge")?;
    let blocking: Vec<String> =
        plan.conflicts.iter().filter(|c| c.blocking).map(|c| format!("{} {}", c.kind, c.value)).collect();
    if !blocking.is_empty() {
        return Err(ApiError::Conflict {
            field: "into_org_id",
            message: format!("can't merge: {}; try a dry run for details", blocking.join(", ")),
        });
    }
    apply(&mut tx, &source.id, &target.id).await.step("moving the tenant's contents")?;
    let actor = manager.actor();
    audit::record(&mut tx, &actor, Event {
        org_id: Some(&target.id),
        action: "org.merge",
        object_type: "org",
        object_id: Some(&source.id),
        summary: format!(
            "merged {} ({}) into {}: {} assets, {} groups, {} users, {} memberships, {} child tenants, {} schedules, {} deployments",
            source.name, source.slug, target.name, plan.assets, plan.groups, plan.users, plan.memberships, plan.child_tenants,
            plan.schedules, plan.deployments
        ),
    })
    .await?;
    sqlx::query("DELETE FROM orgs WHERE id = $1").bind(&source.id).execute(&mut *tx).await.step("deleting the merged tenant")?;
    audit::record(&mut tx, &actor, Event {
        org_id: source.parent_id.as_deref(),
        action: "org.delete",
        object_type: "org",
        object_id: Some(&source.id),
        summary: format!("deleted {} {} ({}) after merging it into {}", source.kind, source.name, source.slug, target.name),
    })
    .await?;
    tx.commit().await?;
    plan.dry_run = false;
    plan.merged = true;
    Ok(plan)
}
