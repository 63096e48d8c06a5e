//! Delegated admin: an MSP admin grants a technician (a non-admin MSP member) admin access to
//! one customer, optionally until a date. Endpoints `/api/v1/customers/{id}/delegations…`.
//!
//! The MSP's `delegation_policy` setting bounds how long a grant may last and whether it may
//! be open-ended; [`sweep`] (once a minute in every server, each piece of work claimed in the
//! database) tells the technician and the granting admin before a delegation ends, and ends
//! expired ones. Revoking or expiry also revokes what the technician made there with the
//! power they lost: pending invitations and personal access tokens
//! ([`crate::tags::revoke_orphans`]).
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::audit::{self, Event};
use crate::http::context::{OrgAdmin, OrgCtx};
use crate::db::{Db, now_ms, parse_time_or_date, parse_uuid, rfc3339};
use crate::http::error::{ApiError, Result};
use crate::db::rows::OrgRow;
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::Path;
use axum::http::StatusCode;
use crate::http::extract::Json;
use shared::api::{CreateDelegation, Delegation};
use shared::api::{NotificationTarget, Severity};
use shared::settings::{DelegationPolicy, SettingKey};
use shared::{OrgKind, Role};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, grant))
        .routes(routes!(revoke))
        .routes(routes!(list_all))
}

/// The customer `id` of the current org (an MSP the caller administers), or 404/403.
async fn customer_of<'a>(state: &AppState, ctx: &'a OrgCtx, id: &str) -> Result<(OrgAdmin<'a>, OrgRow)> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::NotFound);
    }
    let row: Option<OrgRow> = sqlx::query_as(&format!(
        "SELECT {} FROM orgs o WHERE o.id = $1 AND o.parent_id = $2 AND o.kind = 'customer'",
        crate::db::rows::ORG_COLUMNS
    ))
    .bind(id)
    .bind(ctx.org_id())
    .fetch_optional(&state.db.pool)
    .await?;
    let row = row.ok_or(ApiError::NotFound)?;
    let admin = ctx.admin()?;
    Ok((admin, row))
}

#[derive(sqlx::FromRow)]
struct DelegationRow {
    org_id: String,
    org_name: String,
    user_id: String,
    user_email: String,
    user_name: String,
    granted_by: String,
    created_at: i64,
    expires_at: Option<i64>,
    granted_by_email: String,
}

async fn load(state: &AppState, customer_id: &str, user_id: Option<&str>) -> Result<Vec<Delegation>> {
    load_where(state, "d.org_id = $1", customer_id, user_id).await
}

async fn load_where(state: &AppState, scope: &str, scope_id: &str, user_id: Option<&str>) -> Result<Vec<Delegation>> {
    let rows: Vec<DelegationRow> = sqlx::query_as(&format!(
        "SELECT d.org_id, o.name AS org_name, d.user_id, u.email AS user_email, u.name AS user_name, d.granted_by, d.created_at, \
                d.expires_at, COALESCE(g.email, '') AS granted_by_email \
         FROM delegations d JOIN orgs o ON o.id = d.org_id JOIN users u ON u.id = d.user_id \
         LEFT JOIN users g ON g.id = d.granted_by \
         WHERE {scope} AND ($2 = '' OR d.user_id = $2) ORDER BY lower(u.name), lower(o.name)",
    ))
    .bind(scope_id)
    .bind(user_id.unwrap_or(""))
    .fetch_all(&state.db.pool)
    .await?;
    let now = now_ms();
    Ok(rows
        .into_iter()
        .map(|r| Delegation {
            customer_id: parse_uuid(&r.org_id),
            customer_name: r.org_name,
            user_id: parse_uuid(&r.user_id),
            user_email: r.user_email,
            user_name: r.user_name,
            granted_by: parse_uuid(&r.granted_by),
            granted_by_email: r.granted_by_email,
            created_at: rfc3339(r.created_at),
            expires_at: r.expires_at.map(rfc3339),
            active: r.expires_at.is_none_or(|t| now < t),
        })
        .collect())
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/delegations", tag = "customers",
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = Vec<Delegation>), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<Json<Vec<Delegation>>> {
    let (_admin, customer) = customer_of(&state, &ctx, &id).await?;
    Ok(Json(load(&state, &customer.id, None).await?))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/delegations", tag = "customers", request_body = CreateDelegation,
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 201, body = Delegation), (status = 403), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn grant(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>, Json(body): Json<CreateDelegation>) -> Result<(StatusCode, Json<Delegation>)> {
    let (admin, customer) = customer_of(&state, &ctx, &id).await?;
    let user_id = body.user_id.to_string();
    let tech: Option<(String, String)> = sqlx::query_as(
        "SELECT u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2",
    )
    .bind(ctx.org_id())
    .bind(&user_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some((email, role)) = tech else {
        return Err(ApiError::field("user_id", format!("is not a member of {}", ctx.org.name)));
    };
    if role == Role::Admin.as_str() {
        return Err(ApiError::field("user_id", "is already an admin of every customer; delegate to technicians only"));
    }
    let expires_at = match body.expires_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let t = parse_time_or_date(s).ok_or_else(|| ApiError::field("expires_at", "must be an RFC 3339 time or YYYY-MM-DD"))?;
            if t <= now_ms() {
                return Err(ApiError::field("expires_at", "must be in the future"));
            }
            Some(t)
        }
    };
    let policy: DelegationPolicy = {
        let mut conn = state.db.pool.acquire().await?;
        crate::settings::effective(&mut conn, &ctx.path, SettingKey::DelegationPolicy).await?
    };
    check_policy(&policy, &ctx.org.name, expires_at, now_ms())?;
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("DELETE FROM delegations WHERE user_id = $1 AND org_id = $2").bind(&user_id).bind(&customer.id).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO delegations (user_id, org_id, granted_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&user_id)
        .bind(&customer.id)
        .bind(&ctx.caller.user.id)
        .bind(now_ms())
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    let until = expires_at.map(|t| format!(" until {}", rfc3339(t))).unwrap_or_default();
    // Recorded in the customer, so its own admins see what the MSP did there.
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(&customer.id),
        action: "delegation.grant",
        object_type: "delegation",
        object_id: Some(&user_id),
        summary: format!("delegated admin of {} to {email}{until}", customer.name),
    })
    .await?;
    tx.commit().await?;
    let created = load(&state, &customer.id, Some(&user_id)).await?.pop().ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(delete, path = "/api/v1/customers/{id}/delegations/{user_id}", tag = "customers",
    params(("id" = String, Path), ("user_id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 204), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn revoke(State(state): State<AppState>, ctx: OrgCtx, Path((id, user_id)): Path<(String, String)>) -> Result<StatusCode> {
    let (admin, customer) = customer_of(&state, &ctx, &id).await?;
    let mut tx = audit::begin(&state.db).await?;
    let done = sqlx::query("DELETE FROM delegations WHERE user_id = $1 AND org_id = $2").bind(&user_id).bind(&customer.id).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(&customer.id),
        action: "delegation.revoke",
        object_type: "delegation",
        object_id: Some(&user_id),
        summary: format!("revoked a technician's delegated admin of {}", customer.name),
    })
    .await?;
    // Invitations and tokens the technician made there while delegated don't outlive it.
    crate::tags::revoke_orphans(&mut tx, &admin.actor(), ctx.org_id(), &user_id, now_ms()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Refuses an end (`None`: open-ended) that the MSP's delegation policy doesn't allow.
fn check_policy(policy: &DelegationPolicy, msp: &str, expires_at: Option<i64>, now: i64) -> Result<()> {
    match expires_at {
        None if !policy.allow_open_ended => {
            Err(ApiError::field("expires_at", format!("is required: the delegation policy of {msp} allows no open-ended delegation")))
        }
        Some(t) if policy.max_days > 0 && t > now + i64::from(policy.max_days) * DAY_MS => Err(ApiError::field(
            "expires_at",
            format!("must be at most {} days from now (the delegation policy of {msp})", policy.max_days),
        )),
        _ => Ok(()),
    }
}

/// The delegation policy's due work at `now`, each piece claimed by a conditional update (so
/// several servers and ticks do it once) in its own short transaction:
/// - a delegation ending within its MSP's `remind_days_before` gets a notification to the
///   technician and to the admin who granted it (`delegation.remind`);
/// - an expired delegation is ended (`delegation.expire`): the invitations and tokens the
///   technician made there with that power are revoked.
///
/// Returns the ids of the mails queued, for SMTP delivery.
pub async fn sweep(db: &Db, now: i64) -> Result<Vec<String>> {
    let mut mails = remind(db, now).await?;
    expire(db, now).await?;
    mails.sort();
    Ok(mails)
}

#[derive(sqlx::FromRow)]
struct Due {
    user_id: String,
    org_id: String,
    granted_by: String,
    expires_at: i64,
    msp_id: String,
    org_name: String,
    user_email: String,
}

async fn due(db: &Db, condition: &str, from: i64, to: i64) -> Result<Vec<Due>> {
    Ok(sqlx::query_as(&format!(
        "SELECT d.user_id, d.org_id, d.granted_by, d.expires_at, o.parent_id AS msp_id, o.name AS org_name, u.email AS user_email \
         FROM delegations d JOIN orgs o ON o.id = d.org_id JOIN users u ON u.id = d.user_id \
         WHERE d.ended_at IS NULL AND d.expires_at > $1 AND d.expires_at <= $2 AND {condition} ORDER BY d.expires_at, d.user_id, d.org_id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?)
}

fn system_actor() -> audit::Actor {
    audit::Actor { email: Some("system:delegation-policy".into()), ..audit::Actor::default() }
}

async fn remind(db: &Db, now: i64) -> Result<Vec<String>> {
    // Reminders can be asked for at most 365 days ahead (the setting's limit).
    let candidates = due(db, "d.reminded_at IS NULL", now, now + 365 * DAY_MS).await?;
    let mut policies: std::collections::HashMap<String, DelegationPolicy> = std::collections::HashMap::new();
    let mut mails = Vec::new();
    for d in candidates {
        let mut conn = db.pool.acquire().await?;
        let Some(msp_path) = crate::access::load_path(&mut conn, &d.msp_id).await? else { continue };
        if !policies.contains_key(&d.msp_id) {
            let policy = crate::settings::effective(&mut conn, &msp_path, SettingKey::DelegationPolicy).await?;
            policies.insert(d.msp_id.clone(), policy);
        }
        drop(conn);
        let days = policies[&d.msp_id].remind_days_before;
        if days == 0 || d.expires_at - i64::from(days) * DAY_MS > now {
            continue;
        }
        let mut tx = audit::begin(db).await?;
        let claimed = sqlx::query(
            "UPDATE delegations SET reminded_at = $1 WHERE user_id = $2 AND org_id = $3 AND expires_at = $4 AND reminded_at IS NULL AND ended_at IS NULL",
        )
        .bind(now)
        .bind(&d.user_id)
        .bind(&d.org_id)
        .bind(d.expires_at)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let mut people = vec![d.user_id.clone()];
        if !d.granted_by.is_empty() && d.granted_by != d.user_id {
            people.push(d.granted_by.clone());
        }
        let title = format!("Delegated admin of {} ends {}", d.org_name, rfc3339(d.expires_at));
        let body = format!(
            "{}'s delegated admin of {} ends at {}. Ask an admin of the MSP to extend it if the work isn't done; \
             invitations and tokens made there with it are revoked when it ends.",
            d.user_email,
            d.org_name,
            rfc3339(d.expires_at)
        );
        for user_id in &people {
            let n = crate::notifications::NewNotification {
                org_id: &d.msp_id,
                target: NotificationTarget::User { user_id: parse_uuid(user_id) },
                title: title.clone(),
                body: body.clone(),
                severity: Severity::Warning,
                created_by: None,
                about_asset: None,
            };
            mails.extend(crate::notifications::send(&mut tx, &msp_path, n, now).await?.outbox_ids);
        }
        audit::record(&mut tx, &system_actor(), Event {
            org_id: Some(&d.org_id),
            action: "delegation.remind",
            object_type: "delegation",
            object_id: Some(&d.user_id),
            summary: format!("told {} and the admin who granted it that the delegated admin of {} ends {}", d.user_email, d.org_name, rfc3339(d.expires_at)),
        })
        .await?;
        tx.commit().await?;
    }
    Ok(mails)
}

async fn expire(db: &Db, now: i64) -> Result<()> {
    for d in due(db, "1 = 1", i64::MIN, now).await? {
        let mut tx = audit::begin(db).await?;
        let claimed = sqlx::query("UPDATE delegations SET ended_at = $1 WHERE user_id = $2 AND org_id = $3 AND expires_at = $4 AND ended_at IS NULL")
            .bind(now)
            .bind(&d.user_id)
            .bind(&d.org_id)
            .bind(d.expires_at)
            .execute(&mut *tx)
            .await?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let actor = system_actor();
        audit::record(&mut tx, &actor, Event {
            org_id: Some(&d.org_id),
            action: "delegation.expire",
            object_type: "delegation",
            object_id: Some(&d.user_id),
            summary: format!("the delegated admin of {} for {} ended at {}", d.org_name, d.user_email, rfc3339(d.expires_at)),
        })
        .await?;
        crate::tags::revoke_orphans(&mut tx, &actor, &d.msp_id, &d.user_id, now).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Runs [`sweep`] once a minute for as long as the server runs, then hands mails to SMTP.
pub async fn ticker(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sweep(&state.db, state.clock.now_ms()).await {
            Ok(mails) => {
                for id in mails {
                    crate::mail::deliver(&state, &id).await;
                }
            }
            Err(e) => tracing::warn!(error = ?e, "delegation policy sweep"),
        }
    }
}

/// `?user_id=` to narrow to one technician.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct DelegationFilter {
    pub user_id: Option<String>,
}

/// Every delegation in the current MSP — the reverse view: which customers each technician
/// administers and until when. MSP admins only.
#[utoipa::path(get, path = "/api/v1/delegations", tag = "customers",
    params(DelegationFilter, ("X-Org-Id" = Option<String>, Header, description = "the MSP")),
    responses((status = 200, body = Vec<Delegation>), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list_all(State(state): State<AppState>, ctx: OrgCtx, crate::http::extract::Query(f): crate::http::extract::Query<DelegationFilter>) -> Result<Json<Vec<Delegation>>> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::NotFound);
    }
    ctx.admin()?;
    let user = f.user_id.as_deref().filter(|u| !u.is_empty());
    Ok(Json(load_where(&state, "o.parent_id = $1", ctx.org_id(), user).await?))
}
