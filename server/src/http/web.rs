//! The Leptos pages: server-side rendered, hydrated by the WASM bundle from `pkg/`.
use crate::config::Config;
use crate::http::state::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, ResponseOptions, generate_route_list};

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("tenantry")
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build()
}

/// Each page gets a fresh CSP nonce: only Leptos's own hydration script runs inline.
fn page_context() {
    leptos::nonce::provide_nonce();
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string()).unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    );
    if let (Some(options), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&csp)) {
        options.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

pub fn pages(state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(app::App);
    let options = state.leptos_options.clone();
    Router::new()
        .leptos_routes_with_context(state, routes, page_context, {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .route_layer(middleware::from_fn_with_state(state.clone(), signed_out_to_login))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
}

/// A signed-out visit to a page of the app goes straight to the sign-in page, instead of
/// rendering a shell whose first API call answers 401 (an error in the console) and then
/// moving on in the browser. The sign-in and accept-invitation pages are for signed-out people.
async fn signed_out_to_login(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path != "/login" && path != "/accept" {
        let jar = CookieJar::from_headers(req.headers());
        let live = match jar.get(state.config.session_cookie()) {
            None => false,
            // A database hiccup renders the page; its API calls will say what is wrong.
            Some(c) => crate::auth::session::lookup(&state.db, c.value()).await.map_or(true, |s| s.is_some()),
        };
        if !live {
            return Redirect::to("/login").into_response();
        }
    }
    next.run(req).await
}
