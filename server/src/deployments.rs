//! Tenant deployments: `GET|POST /api/v1/deployments`, `DELETE /api/v1/deployments/{id}`.
//!
//! A deployment targets the org it is created in; marked `inheritable`, it targets that org's
//! descendants too. Listing in an org shows its own deployments and the inheritable ones of
//! its ancestors, each with the org it comes from. Reading needs any role; creating and
//! deleting need admin of the org that owns the deployment — an inherited one is changed
//! where it was made (403 in the child, which can see it).
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::assets::name_text;
use crate::audit::{self, Event};
use crate::http::context::{OrgAdmin, OrgCtx};
use crate::db::sql::Sql;
use crate::db::{new_id, now_ms, parse_uuid, rfc3339};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::{Path, Query};
use axum::http::StatusCode;
use crate::http::extract::Json;
use shared::api::{CreateDeployment, Deployment, ListQuery, Page};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(delete))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    package: String,
    inheritable: i64,
    org_id: String,
    org_name: String,
    created_at: i64,
}

/// The deployments that apply to the org at the head of `ctx.path`: its own, plus inheritable
/// ones of its ancestors. `only` narrows to one id.
async fn visible(state: &AppState, ctx: &OrgCtx, only: Option<&str>, limit: usize, offset: usize) -> Result<Vec<Deployment>> {
    let ancestors: Vec<&str> = ctx.path.nodes.iter().skip(1).map(|n| n.id.as_str()).collect();
    let mut sql = Sql::new(
        "SELECT d.id, d.name, d.package, d.inheritable, d.org_id, o.name AS org_name, d.created_at FROM deployments d JOIN orgs o ON o.id = d.org_id \
         WHERE (d.org_id = ",
    );
    sql.bind(ctx.org_id());
    if !ancestors.is_empty() {
        sql.push(" OR (d.inheritable = 1 AND d.org_id IN (").in_list(ancestors).push("))");
    }
    let only = sql.param(only.unwrap_or(""));
    sql.push(&format!(") AND ({only} = '' OR d.id = {only}) ORDER BY d.created_at DESC, d.id LIMIT {limit} OFFSET {offset}"));
    let q = sql.query_as::<Row>();
    let rows = q.fetch_all(&state.db.pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| Deployment {
            id: parse_uuid(&r.id),
            name: r.name,
            package: r.package,
            inheritable: r.inheritable != 0,
            inherited: r.org_id != ctx.org.id,
            org_id: parse_uuid(&r.org_id),
            org_name: r.org_name,
            created_at: rfc3339(r.created_at),
        })
        .collect())
}

#[utoipa::path(get, path = "/api/v1/deployments", tag = "schedules", params(ListQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Page<Deployment>, description = "the org's own deployments and inheritable ones from its ancestors, newest first"), (status = 401), (status = 404)))]
#[tracing::instrument(skip(state, ctx, q), fields(org = %ctx.org.id))]
pub async fn list(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<ListQuery>) -> Result<Json<Page<Deployment>>> {
    let (limit, offset) = crate::orgs::page_bounds(&q)?;
    let mut items = visible(&state, &ctx, None, limit + 1, offset).await?;
    let more = items.len() > limit;
    items.truncate(limit);
    Ok(Json(Page { items, next_cursor: more.then(|| (offset + limit).to_string()) }))
}

#[utoipa::path(post, path = "/api/v1/deployments", tag = "schedules", request_body = CreateDeployment, params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 201, body = Deployment), (status = 403, description = "admins only"), (status = 404), (status = 422)))]
#[tracing::instrument(skip(state, ctx, body), fields(org = %ctx.org.id))]
pub async fn create(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<CreateDeployment>) -> Result<(StatusCode, Json<Deployment>)> {
    let admin = ctx.admin()?;
    let checked = check(&body, "")?;
    let id = create_service(admin, &state, &checked).await?;
    let created = visible(&state, &ctx, Some(&id), 1, 0).await?.pop().ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A deployment's fields, checked and trimmed; errors are named `{prefix}name`, `{prefix}package`.
pub fn check(body: &CreateDeployment, prefix: &str) -> Result<CreateDeployment> {
    let mut errors = FieldErrors::default();
    let name = name_text(&mut errors, &format!("{prefix}name"), &body.name, 200);
    let package = name_text(&mut errors, &format!("{prefix}package"), &body.package, 20_000);
    errors.finish()?;
    Ok(CreateDeployment { name: name.expect("checked"), package: package.expect("checked"), inheritable: body.inheritable })
}

/// Creates a [`check`]ed deployment in the admin's org, with its audit event; its id.
pub async fn create_service(admin: OrgAdmin<'_>, state: &AppState, body: &CreateDeployment) -> Result<String> {
    let (name, package) = (&body.name, &body.package);
    let id = new_id();
    let ctx = admin.ctx();
    let org_id = ctx.org_id();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("INSERT INTO deployments (id, org_id, name, package, inheritable, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(org_id)
        .bind(name)
        .bind(package)
        .bind(i64::from(body.inheritable))
        .bind(&ctx.caller.user.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(org_id),
        action: "deployment.create",
        object_type: "deployment",
        object_id: Some(&id),
        summary: format!("created deployment {name}{}", if body.inheritable { " (inherited by child tenants)" } else { "" }),
    })
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[utoipa::path(delete, path = "/api/v1/deployments/{id}", tag = "schedules", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 204), (status = 403, description = "admins only; an inherited deployment is deleted in the org that made it"), (status = 404)))]
#[tracing::instrument(skip(state, ctx), fields(org = %ctx.org.id))]
pub async fn delete(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<StatusCode> {
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let found = visible(&state, &ctx, Some(&id), 1, 0).await?.pop().ok_or(ApiError::NotFound)?;
    if found.inherited {
        return Err(ApiError::Forbidden(format!("this deployment belongs to {}; change it there", found.org_name)));
    }
    let admin = ctx.admin()?;
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("DELETE FROM deployments WHERE org_id = $1 AND id = $2").bind(admin.ctx().org_id()).bind(&id).execute(&mut *tx).await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.ctx().org_id()),
        action: "deployment.delete",
        object_type: "deployment",
        object_id: Some(&id),
        summary: format!("deleted deployment {}", found.name),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
