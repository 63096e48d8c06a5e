//! "Sign out everywhere": `POST /api/v1/auth/logout-all` ends every session of the caller —
//! on the main host and on every tenant host (each host has its own session row, all of
//! them the user's). Personal access tokens are credentials of scripts, not sign-ins, and
//! stay; `DELETE /api/v1/tokens/{id}` revokes those.
use utoipa_axum::{router::OpenApiRouter, routes};
use super::routes::{csrf_cookie_name, expired_cookie};
use crate::audit::{self, Event};
use crate::http::context::Caller;
use crate::http::error::Result;
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(logout_all))
}

#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth",
    responses((status = 204, description = "every session of the caller, on every host, has ended; tokens stay"),
        (status = 401), (status = 403, description = "missing CSRF token")))]
pub async fn logout_all(State(state): State<AppState>, caller: Caller, jar: CookieJar) -> Result<impl IntoResponse> {
    let mut tx = audit::begin(&state.db).await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&caller.user.id).execute(&mut *tx).await?.rows_affected();
    // A handoff code waiting to be redeemed would open a new session: it goes too.
    sqlx::query("DELETE FROM handoffs WHERE user_id = $1").bind(&caller.user.id).execute(&mut *tx).await?;
    audit::record(&mut tx, &caller.own_actor(), Event {
        org_id: Some(&caller.user.home_org_id),
        action: "auth.logout_all",
        object_type: "session",
        object_id: Some(&caller.user.id),
        summary: format!("{} signed out everywhere ({} ended)", caller.user.email, shared::plural(ended as i64, "session", "sessions")),
    })
    .await?;
    tx.commit().await?;
    let jar = jar
        .remove(expired_cookie(state.config.session_cookie(), true, state.config.tls))
        .remove(expired_cookie(csrf_cookie_name(&state), false, state.config.tls));
    Ok((jar, StatusCode::NO_CONTENT))
}
