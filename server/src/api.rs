//! The HTTP surface: every capability's router merged, the OpenAPI document, security
//! headers, request ids, and the Leptos pages.
use crate::config::Config;
use crate::db::Db;
use crate::state::AppState;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{any, get};
use axum::{Json, Router};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry API", version = "1", description = "Multi-tenant MSP portal. Authenticate with the session cookie (plus `X-CSRF-Token` on writes) or `Authorization: Bearer <token>`. Org-scoped endpoints act in the org named by `X-Org-Id`, else the tenant subdomain, else your home org."),
    paths(
        crate::auth::routes::login, crate::auth::routes::logout, crate::auth::routes::create_token,
        crate::auth::routes::me, crate::auth::routes::list_tokens, crate::auth::routes::revoke_token,
        crate::auth::handoff::create,
        crate::orgs::list_orgs, crate::orgs::create_org, crate::orgs::get_org, crate::orgs::update_org,
        crate::orgs::delete_org, crate::orgs::set_parent, crate::orgs::current_org,
        crate::orgs::list_customers, crate::overview::overview, crate::orgs::create_customer,
        crate::delegation::list, crate::delegation::grant, crate::delegation::revoke, crate::delegation::list_all,
        crate::people::list_members, crate::people::add_user, crate::people::update_member, crate::people::remove_member,
        crate::invitations::list, crate::invitations::create, crate::invitations::revoke, crate::invitations::resend,
        crate::invitations::lookup, crate::invitations::accept, crate::mail::list,
        crate::audit::list,
        crate::assets::list_assets, crate::assets::create_asset, crate::assets::summary, crate::assets::get_asset,
        crate::assets::update_asset, crate::assets::delete_asset, crate::assets::move_assets,
        crate::assets::list_groups, crate::assets::create_group, crate::assets::get_group, crate::assets::rename_group,
        crate::assets::delete_group, crate::merge::merge, crate::import::import, crate::import::tenants::import,
        crate::tree::roots, crate::tree::children,
        crate::settings::list, crate::settings::get_one, crate::settings::set, crate::settings::revert,
        crate::schedules::list, crate::schedules::create, crate::schedules::get_one, crate::schedules::update, crate::schedules::delete,
        crate::deployments::list, crate::deployments::create, crate::deployments::delete,
        crate::notifications::create, crate::notifications::inbox, crate::notifications::me_notifications, crate::notifications::mark_read, crate::notifications::mark_all_read,
    ),
    components(schemas(shared::ApiErrorBody, shared::ErrorCode)),
    tags((name = "auth"), (name = "orgs"), (name = "customers"), (name = "people"), (name = "audit"), (name = "assets"), (name = "settings"), (name = "schedules"), (name = "notifications"))
)]
pub struct ApiDoc;

/// The whole application: API, pages and static files.
pub fn build_app(state: AppState) -> Router {
    let api = Router::new()
        .merge(crate::auth::routes::router())
        .merge(crate::auth::form_login::router())
        .merge(crate::auth::handoff::router())
        .merge(crate::orgs::router())
        .merge(crate::overview::router())
        .merge(crate::people::router())
        .merge(crate::delegation::router())
        .merge(crate::invitations::router())
        .merge(crate::mail::router())
        .merge(crate::audit::router())
        .merge(crate::assets::router())
        .merge(crate::merge::router())
        .merge(crate::import::router())
        .merge(crate::tree::router())
        .merge(crate::settings::router())
        .merge(crate::schedules::router())
        .merge(crate::deployments::router())
        .merge(crate::notifications::router())
        .route("/api/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .route("/api/{*rest}", any(|| async { crate::error::ApiError::NotFound }))
        // API responses are data, never documents to render or frame.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api)
        .merge(crate::web::pages(&state))
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Connects the database (migrating it) and builds the state.
pub async fn make_state(config: Config) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url).await?;
    let leptos_options = crate::web::leptos_options(&config);
    Ok(AppState { db, config: Arc::new(config), leptos_options, clock: crate::state::Clock::system() })
}

/// Serves until the process ends. `listener` may be bound to port 0 (tests).
/// Also releases notifications held by Do Not Disturb once a minute (inbox reads release
/// them too, so a late tick only delays mail, never what the bell shows).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    tokio::spawn(crate::notifications::release_ticker(state.clone()));
    let app = build_app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await
}
