//! Tenant schedules: `GET|POST /api/v1/schedules`, `GET|PATCH|DELETE /api/v1/schedules/{id}`.
//!
//! A schedule belongs to one org and targets computers (assets) and groups of that same org;
//! an id from elsewhere is refused exactly like one that doesn't exist. Reading needs any
//! role (a group-limited viewer sees only the targets in their groups); creating, changing
//! and deleting need admin.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::GroupScope;
use crate::assets::name_text;
use crate::audit::{self, Event};
use crate::http::context::OrgCtx;
use crate::db::sql::Sql;
use crate::db::{Tx, new_id, now_ms, parse_uuid, rfc3339};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::{Path, Query};
use axum::http::StatusCode;
use crate::http::extract::Json;
use shared::api::{CreateSchedule, Frequency, ListQuery, Page, Schedule, ScheduleTarget, UpdateSchedule};
use shared::settings::parse_hhmm;
use sqlx::AnyConnection;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
}

type ScheduleRow = (String, String, String, String, String, String, i64, i64);
const COLUMNS: &str = "s.id, s.org_id, s.name, s.frequency, s.window_start, s.window_end, s.created_at, s.updated_at";

/// The schedules of `org_id` (all, or just `only`), with the targets `scope` lets the caller
/// see (a group-limited viewer sees only their groups' assets, as everywhere else): three
/// queries, not N+1.
async fn load(conn: &mut AnyConnection, org_id: &str, scope: &GroupScope, only: Option<&str>, q: Option<&str>, limit: usize, offset: usize) -> Result<Vec<Schedule>> {
    let needle = format!("%{}%", q.unwrap_or("").trim().to_lowercase());
    let rows: Vec<ScheduleRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM schedules s WHERE s.org_id = $1 AND ($2 = '' OR s.id = $2) AND lower(s.name) LIKE $3 \
         ORDER BY lower(s.name), s.id LIMIT $4 OFFSET $5"
    ))
    .bind(org_id)
    .bind(only.unwrap_or(""))
    .bind(&needle)
    .bind(limit as i64)
    .bind(offset as i64)
    .fetch_all(&mut *conn)
    .await?;
    // Targets are joined through their own org, so nothing of another org can show up.
    let targets = |sql: &'static str| sqlx::query_as::<_, (String, String, String, Option<String>)>(sql).bind(org_id.to_string());
    let assets: Vec<(String, String, String)> = targets(
        "SELECT t.schedule_id, a.id, a.name, a.group_id FROM schedule_assets t JOIN schedules s ON s.id = t.schedule_id \
         JOIN assets a ON a.id = t.asset_id AND a.org_id = s.org_id WHERE s.org_id = $1 ORDER BY lower(a.name), a.id",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .filter(|t| scope.allows(t.3.as_deref()))
    .map(|t| (t.0, t.1, t.2))
    .collect();
    let groups: Vec<(String, String, String)> = targets(
        "SELECT t.schedule_id, g.id, g.name, g.id FROM schedule_groups t JOIN schedules s ON s.id = t.schedule_id \
         JOIN asset_groups g ON g.id = t.group_id AND g.org_id = s.org_id WHERE s.org_id = $1 ORDER BY lower(g.name), g.id",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .filter(|t| scope.allows(t.3.as_deref()))
    .map(|t| (t.0, t.1, t.2))
    .collect();
    let pick = |all: &[(String, String, String)], id: &str| -> Vec<ScheduleTarget> {
        all.iter().filter(|t| t.0 == id).map(|t| ScheduleTarget { id: parse_uuid(&t.1), name: t.2.clone() }).collect()
    };
    Ok(rows
        .into_iter()
        .map(|(id, org, name, frequency, start, end, created, updated)| Schedule {
            assets: pick(&assets, &id),
            groups: pick(&groups, &id),
            id: parse_uuid(&id),
            org_id: parse_uuid(&org),
            name,
            frequency: Frequency::parse(&frequency).unwrap_or(Frequency::Daily),
            window_start: start,
            window_end: end,
            created_at: rfc3339(created),
            updated_at: rfc3339(updated),
        })
        .collect())
}

async fn find(state: &AppState, ctx: &OrgCtx, id: &str) -> Result<Schedule> {
    if Uuid::parse_str(id).is_err() {
        return Err(ApiError::NotFound);
    }
    let scope = crate::assets::scope(state, ctx).await?;
    let mut conn = state.db.pool.acquire().await?;
    load(&mut conn, ctx.org_id(), &scope, Some(id), None, 1, 0).await?.pop().ok_or(ApiError::NotFound)
}

/// Ids that are not the org's, in `table` (`assets` or `asset_groups`).
async fn foreign_ids(conn: &mut AnyConnection, table: &str, org_id: &str, ids: &[String]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!("SELECT id FROM {table} WHERE org_id = "));
    sql.bind(org_id).push(" AND id IN (").in_list(ids).push(")");
    let found: Vec<String> = sql.query_scalar().fetch_all(conn).await?;
    Ok(ids.iter().filter(|i| !found.contains(i)).cloned().collect())
}

fn ids(v: &[Uuid]) -> Vec<String> {
    let mut ids: Vec<String> = v.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Checks a target list; an id of another org gets the same answer as a made-up one.
async fn check_targets(state: &AppState, org_id: &str, errors: &mut FieldErrors, field: &str, table: &str, ids: &[String]) -> Result<()> {
    if ids.len() > 1000 {
        errors.add(field, "can name at most 1000");
        return Ok(());
    }
    let mut conn = state.db.pool.acquire().await?;
    let missing = foreign_ids(&mut conn, table, org_id, ids).await?;
    if !missing.is_empty() {
        let what = if table == "assets" { "asset" } else { "group" };
        errors.add(field, format!("no such {what} in this org: {}", missing.join(", ")));
    }
    Ok(())
}

fn check_time(errors: &mut FieldErrors, field: &str, v: &str) -> Option<String> {
    let v = v.trim();
    if parse_hhmm(v).is_none() {
        errors.add(field, "must be a time HH:MM (00:00 to 23:59)");
        return None;
    }
    Some(v.to_string())
}

async fn write_targets(tx: &mut Tx, id: &str, assets: Option<&[String]>, groups: Option<&[String]>) -> Result<()> {
    if let Some(assets) = assets {
        sqlx::query("DELETE FROM schedule_assets WHERE schedule_id = $1").bind(id).execute(&mut **tx).await?;
        for a in assets {
            sqlx::query("INSERT INTO schedule_assets (schedule_id, asset_id) VALUES ($1, $2)").bind(id).bind(a).execute(&mut **tx).await?;
        }
    }
    if let Some(groups) = groups {
        sqlx::query("DELETE FROM schedule_groups WHERE schedule_id = $1").bind(id).execute(&mut **tx).await?;
        for g in groups {
            sqlx::query("INSERT INTO schedule_groups (schedule_id, group_id) VALUES ($1, $2)").bind(id).bind(g).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules", params(ListQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Page<Schedule>), (status = 401), (status = 404)))]
#[tracing::instrument(skip(state, ctx, q), fields(org = %ctx.org.id))]
pub async fn list(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<ListQuery>) -> Result<Json<Page<Schedule>>> {
    let (limit, offset) = crate::orgs::page_bounds(&q)?;
    let scope = crate::assets::scope(&state, &ctx).await?;
    let mut conn = state.db.pool.acquire().await?;
    let mut items = load(&mut conn, ctx.org_id(), &scope, None, q.q.as_deref(), limit + 1, offset).await?;
    let more = items.len() > limit;
    items.truncate(limit);
    Ok(Json(Page { items, next_cursor: more.then(|| (offset + limit).to_string()) }))
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Schedule), (status = 404)))]
#[tracing::instrument(skip(state, ctx), fields(org = %ctx.org.id))]
pub async fn get_one(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<Json<Schedule>> {
    Ok(Json(find(&state, &ctx, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", request_body = CreateSchedule, params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 201, body = Schedule), (status = 403, description = "admins only"), (status = 404),
        (status = 422, description = "bad field; an asset or group of another org is named like a missing one")))]
#[tracing::instrument(skip(state, ctx, body), fields(org = %ctx.org.id))]
pub async fn create(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<CreateSchedule>) -> Result<(StatusCode, Json<Schedule>)> {
    let admin = ctx.admin()?;
    let org_id = admin.ctx().org_id();
    let mut errors = FieldErrors::default();
    let name = name_text(&mut errors, "name", &body.name, 200);
    let frequency = Frequency::parse(body.frequency.trim()).or_else(|| {
        errors.add("frequency", "must be one of: daily, weekly, monthly");
        None
    });
    let start = check_time(&mut errors, "window_start", &body.window_start);
    let end = check_time(&mut errors, "window_end", &body.window_end);
    if start.is_some() && start == end {
        errors.add("window_end", "must differ from window_start");
    }
    let (assets, groups) = (ids(&body.asset_ids), ids(&body.group_ids));
    check_targets(&state, org_id, &mut errors, "asset_ids", "assets", &assets).await?;
    check_targets(&state, org_id, &mut errors, "group_ids", "asset_groups", &groups).await?;
    errors.finish()?;
    let (name, frequency) = (name.expect("checked"), frequency.expect("checked"));
    let id = new_id();
    let mut tx = audit::begin(&state.db).await?;
    // Checked again inside the transaction: an asset may have moved away since.
    if !foreign_ids(&mut tx, "assets", org_id, &assets).await?.is_empty() || !foreign_ids(&mut tx, "asset_groups", org_id, &groups).await?.is_empty() {
        return Err(ApiError::field("asset_ids", "an asset or group is no longer in this org"));
    }
    sqlx::query(
        "INSERT INTO schedules (id, org_id, name, frequency, window_start, window_end, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(&name)
    .bind(frequency.as_str())
    .bind(start.as_deref())
    .bind(end.as_deref())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    write_targets(&mut tx, &id, Some(&assets), Some(&groups)).await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(org_id),
        action: "schedule.create",
        object_type: "schedule",
        object_id: Some(&id),
        summary: format!(
            "created {} schedule {name} ({}–{}) for {} and {}",
            frequency.as_str(),
            start.as_deref().unwrap_or(""),
            end.as_deref().unwrap_or(""),
            shared::plural(assets.len() as i64, "asset", "assets"),
            shared::plural(groups.len() as i64, "group", "groups")
        ),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(find(&state, &ctx, &id).await?)))
}

#[utoipa::path(patch, path = "/api/v1/schedules/{id}", tag = "schedules", request_body = UpdateSchedule,
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Schedule), (status = 403, description = "admins only"), (status = 404), (status = 422)))]
#[tracing::instrument(skip(state, ctx, body), fields(org = %ctx.org.id))]
pub async fn update(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>, Json(body): Json<UpdateSchedule>) -> Result<Json<Schedule>> {
    let current = find(&state, &ctx, &id).await?;
    let admin = ctx.admin()?;
    let org_id = admin.ctx().org_id();
    let mut errors = FieldErrors::default();
    let name = body.name.as_deref().and_then(|n| name_text(&mut errors, "name", n, 200));
    let frequency = body.frequency.as_deref().and_then(|f| {
        Frequency::parse(f.trim()).or_else(|| {
            errors.add("frequency", "must be one of: daily, weekly, monthly");
            None
        })
    });
    let start = body.window_start.as_deref().and_then(|v| check_time(&mut errors, "window_start", v));
    let end = body.window_end.as_deref().and_then(|v| check_time(&mut errors, "window_end", v));
    let assets = body.asset_ids.as_deref().map(ids);
    let groups = body.group_ids.as_deref().map(ids);
    if let Some(a) = &assets {
        check_targets(&state, org_id, &mut errors, "asset_ids", "assets", a).await?;
    }
    if let Some(g) = &groups {
        check_targets(&state, org_id, &mut errors, "group_ids", "asset_groups", g).await?;
    }
    let next_start = start.clone().unwrap_or(current.window_start.clone());
    let next_end = end.clone().unwrap_or(current.window_end.clone());
    if next_start == next_end {
        errors.add("window_end", "must differ from window_start");
    }
    errors.finish()?;
    let mut changes = Vec::new();
    let next_name = name.unwrap_or(current.name.clone());
    if next_name != current.name {
        changes.push(format!("renamed to {next_name}"));
    }
    let next_frequency = frequency.unwrap_or(current.frequency);
    if next_frequency != current.frequency {
        changes.push(format!("frequency {}", next_frequency.as_str()));
    }
    if (&next_start, &next_end) != (&current.window_start, &current.window_end) {
        changes.push(format!("window {next_start}–{next_end}"));
    }
    let same = |new: &Option<Vec<String>>, old: &[ScheduleTarget]| {
        new.as_ref().is_none_or(|n| *n == ids(&old.iter().map(|t| t.id).collect::<Vec<_>>()))
    };
    if !same(&assets, &current.assets) {
        changes.push(shared::plural(assets.as_ref().map_or(0, Vec::len) as i64, "target asset", "target assets"));
    }
    if !same(&groups, &current.groups) {
        changes.push(shared::plural(groups.as_ref().map_or(0, Vec::len) as i64, "target group", "target groups"));
    }
    if changes.is_empty() {
        return Ok(Json(current));
    }
    let mut tx = audit::begin(&state.db).await?;
    let empty: Vec<String> = Vec::new();
    if !foreign_ids(&mut tx, "assets", org_id, assets.as_ref().unwrap_or(&empty)).await?.is_empty()
        || !foreign_ids(&mut tx, "asset_groups", org_id, groups.as_ref().unwrap_or(&empty)).await?.is_empty()
    {
        return Err(ApiError::field("asset_ids", "an asset or group is no longer in this org"));
    }
    sqlx::query("UPDATE schedules SET name = $1, frequency = $2, window_start = $3, window_end = $4, updated_at = $5 WHERE org_id = $6 AND id = $7")
        .bind(&next_name)
        .bind(next_frequency.as_str())
        .bind(&next_start)
        .bind(&next_end)
        .bind(now_ms())
        .bind(org_id)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    write_targets(&mut tx, &id, assets.as_deref(), groups.as_deref()).await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(org_id),
        action: "schedule.update",
        object_type: "schedule",
        object_id: Some(&id),
        summary: format!("updated schedule {}: {}", current.name, changes.join("; ")),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(find(&state, &ctx, &id).await?))
}

#[utoipa::path(delete, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 204), (status = 403, description = "admins only"), (status = 404)))]
#[tracing::instrument(skip(state, ctx), fields(org = %ctx.org.id))]
pub async fn delete(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<StatusCode> {
    let current = find(&state, &ctx, &id).await?;
    let admin = ctx.admin()?;
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("DELETE FROM schedules WHERE org_id = $1 AND id = $2").bind(admin.ctx().org_id()).bind(&id).execute(&mut *tx).await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.ctx().org_id()),
        action: "schedule.delete",
        object_type: "schedule",
        object_id: Some(&id),
        summary: format!("deleted schedule {}", current.name),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
