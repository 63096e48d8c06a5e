//! Probes for a load balancer or orchestrator: `/healthz` (the process answers) and
//! `/readyz` (the database answers and takes writes). During a failover `/readyz` is 503
//! while `/healthz` stays 200, so a balancer stops sending traffic without restarting us.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::db::Dialect;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::time::Duration;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// 200 while the process runs; touches nothing.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "the process is alive")))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// 200 when the database is reachable and writable (on PostgreSQL: not a replica), else 503
/// in the error envelope with `Retry-After`. Bounded to 2 s so a probe never hangs.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "the database is reachable and writable"),
    (status = 503, body = shared::ApiErrorBody, description = "unreachable or read-only (a failover); see Retry-After")))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), writable(&state)).await {
        Ok(Ok(())) => Json(json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            ApiError::Unavailable.into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within 2 s");
            ApiError::Unavailable.into_response()
        }
    }
}

async fn writable(state: &AppState) -> anyhow::Result<()> {
    let db = &state.db;
    match db.dialect {
        Dialect::Postgres => {
            let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&db.pool).await?;
            anyhow::ensure!(!in_recovery, "the database is a read-only replica");
        }
        Dialect::Sqlite => {
            let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&db.pool).await?;
            anyhow::ensure!(one == 1, "unexpected answer");
        }
    }
    Ok(())
}
