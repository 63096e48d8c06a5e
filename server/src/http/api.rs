//! The HTTP surface: every capability's router merged, the OpenAPI document, security
//! headers, request ids, and the Leptos pages.
use crate::config::Config;
use crate::db::Db;
use crate::http::openapi::ErrorResponses;
use crate::http::state::AppState;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{any, get};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry API", version = "1", description = "Multi-tenant MSP portal. Authenticate with the session cookie (plus `X-CSRF-Token` on writes) or `Authorization: Bearer <token>`. Org-scoped endpoints act in the org named by `X-Org-Id`, else the tenant subdomain, else your home org. Every POST/PUT/PATCH/DELETE under /api/v1 takes an optional `Idempotency-Key` header (1-255 visible characters, per user, kept 24 h): a repeat with the same request gets the first answer back (`Idempotent-Replayed: true`) without doing the work again; the same key with another request is 422; a repeat whose first answer is not available is 409 (`Idempotency-Status: in-flight` - retry, or `completed` - done, answer lost). A database that is unavailable or read-only (a failover) answers 503 with `Retry-After`."),
    components(schemas(shared::ApiErrorBody, shared::ErrorCode, shared::settings::SignInPolicy, shared::settings::MfaMethod, shared::settings::DelegationPolicy, shared::settings::Approvals)),
    tags((name = "auth"), (name = "orgs"), (name = "customers"), (name = "people"), (name = "audit"), (name = "assets"), (name = "settings"), (name = "schedules"), (name = "notifications"), (name = "operations"), (name = "sso"))
)]
pub struct ApiDoc;

/// The whole application: API, pages and static files.
pub fn build_app(state: AppState) -> Router {
    // Each route is registered once, in its capability's router, and documents itself there.
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::auth::routes::router())
        .merge(crate::auth::handoff::router())
        .merge(crate::auth::everywhere::router())
        .merge(crate::auth::mfa::router())
        .merge(crate::auth::passkeys::router())
        .merge(crate::orgs::router())
        .merge(crate::overview::router())
        .merge(crate::tags::router())
        .merge(crate::bulk::router())
        .merge(crate::approvals::router())
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
        .merge(crate::sso::router())
        .merge(crate::scim::router())
        .split_for_parts();
    let (health, health_doc) = crate::http::health::router().split_for_parts();
    doc.merge(health_doc);
    ErrorResponses.modify(&mut doc);
    let doc_json = axum::body::Bytes::from(doc.to_json().expect("the OpenAPI document serializes"));
    let api = api
        .merge(crate::auth::form_login::router())
        .route("/api/openapi.json", get(move || async move { ([(header::CONTENT_TYPE, "application/json")], doc_json) }))
        .route("/api/{*rest}", any(|| async { crate::http::error::ApiError::NotFound }))
        // Inside the API router so it sees the route's own body limit and runs per request.
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::idempotency::layer))
        // API responses are data, never documents to render or frame.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        // Whatever answers an error under /api answers it in the envelope (415/413/405 included).
        .layer(axum::middleware::map_response(crate::http::extract::envelope_errors));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api)
        .merge(health)
        // SCIM's own protocol, outside the API's error envelope.
        .merge(crate::scim::protocol_router())
        .merge(crate::http::web::pages(&state))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::client_ip::layer))
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unsafe_request_id))
}

/// A client's `X-Request-Id` is kept only when it is a short token of safe characters
/// (1–64 of `[A-Za-z0-9._-]`); anything else is dropped so the server makes its own. The id
/// lands in logs, audit events and CSV exports, so it must not carry markup, newlines or a
/// megabyte of text.
pub fn request_id_is_safe(id: &[u8]) -> bool {
    (1..=64).contains(&id.len()) && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

async fn drop_unsafe_request_id(mut req: axum::extract::Request) -> axum::extract::Request {
    let name = HeaderName::from_static("x-request-id");
    let values: Vec<&HeaderValue> = req.headers().get_all(&name).iter().collect();
    if values.len() != 1 || !request_id_is_safe(values[0].as_bytes()) {
        req.headers_mut().remove(&name);
    }
    req
}

/// Connects the database (migrating it) and builds the state.
pub async fn make_state(config: Config) -> anyhow::Result<AppState> {
    let mut db = Db::connect(&config.database_url).await?;
    if let Some(read_url) = &config.database_read_url {
        db = db.with_reader(read_url).await?;
    }
    let leptos_options = crate::http::web::leptos_options(&config);
    Ok(AppState { db, config: Arc::new(config), leptos_options, clock: crate::http::state::Clock::system() })
}

/// Serves until the process ends. `listener` may be bound to port 0 (tests).
/// Also releases notifications held by Do Not Disturb once a minute (inbox reads release
/// them too, so a late tick only delays mail, never what the bell shows).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    crate::http::web::check_site(&state.leptos_options);
    tokio::spawn(crate::notifications::release_ticker(state.clone()));
    tokio::spawn(crate::http::idempotency::purge_ticker(state.clone()));
    tokio::spawn(crate::delegation::ticker(state.clone()));
    let app = build_app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await
}
