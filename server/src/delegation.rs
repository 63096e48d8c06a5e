//! Delegated admin: an MSP admin grants a technician (a non-admin MSP member) admin access to
//! one customer, optionally until a date. Endpoints `/api/v1/customers/{id}/delegations…`.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::audit::{self, Event};
use crate::http::context::{OrgAdmin, OrgCtx};
use crate::db::{now_ms, parse_time_or_date, parse_uuid, rfc3339};
use crate::http::error::{ApiError, Result};
use crate::db::rows::OrgRow;
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::Path;
use axum::http::StatusCode;
use crate::http::extract::Json;
use shared::api::{CreateDelegation, Delegation};
use shared::{OrgKind, Role};

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
    // Invitations the technician sent there while delegated don't outlive the delegation.
    crate::tags::revoke_orphaned_invitations(&mut tx, &admin.actor(), ctx.org_id(), &user_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
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
