//! The Leptos pages: server-side rendered, hydrated by the WASM bundle from `pkg/`.
use crate::config::Config;
use crate::http::state::AppState;
use axum::Router;
use axum::routing::get;
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
        // cargo-leptos (`hash-files`) leaves hash.txt next to the binary it built.
        .hash_files(hash_file().is_some())
        .build()
}

/// The hash.txt cargo-leptos wrote next to this binary, if it did.
fn hash_file() -> Option<std::path::PathBuf> {
    let file = std::env::current_exe().ok()?.parent()?.join("hash.txt");
    file.exists().then_some(file)
}

/// The content hash hash.txt lists for `kind` (`wasm`, `js`, `signin_wasm`, …), if any.
fn listed_hash(kind: &str) -> Option<String> {
    let hashes = std::fs::read_to_string(hash_file()?).ok()?;
    hashes.lines().find_map(|l| Some(l.trim().strip_prefix(kind)?.strip_prefix(':')?.trim().to_string()))
}

/// The WASM file the pages will ask for, as Leptos names it (see `HydrationScripts`).
fn expected_wasm(options: &LeptosOptions) -> String {
    let name = options.output_name.to_string();
    if options.hash_files {
        format!("{name}.{}.wasm", listed_hash("wasm").unwrap_or_default())
    } else if option_env!("LEPTOS_OUTPUT_NAME").is_none() {
        format!("{name}_bg.wasm")
    } else {
        format!("{name}.wasm")
    }
}

/// The small modules' files (`app::SmallModules`: the signed-out pages' and the portal page's):
/// `./dev build` hashes their names and lists them in hash.txt (`signin_js`, `portal_wasm`, …)
/// when cargo-leptos hashed the site's.
pub fn small_modules(options: &LeptosOptions) -> app::SmallModules {
    let files = |name: &str| {
        let plain = app::ModuleFiles::plain(name);
        let hashed = |ext: &str| {
            let hash = options.hash_files.then(|| listed_hash(&format!("{name}_{ext}"))).flatten()?;
            Some(format!("{name}.{hash}.{ext}"))
        };
        app::ModuleFiles { js: hashed("js").unwrap_or(plain.js), wasm: hashed("wasm").unwrap_or(plain.wasm) }
    };
    app::SmallModules { signin: files("signin"), portal: files("portal") }
}

/// Says loudly, at start, when the pages this binary renders would ask for files the site
/// doesn't have (a server and site from different builds, or a server built by plain cargo
/// for a site built by cargo-leptos): every page would render and then never come alive.
pub fn check_site(options: &LeptosOptions) {
    let pkg = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    if !pkg.is_dir() {
        tracing::warn!("no site at {} (build it with `./dev build`): pages will not load their code", pkg.display());
        return;
    }
    // The small modules (app::SmallModules) are built beside the whole app's.
    let small = small_modules(options);
    for (wasm, page) in [(small.signin.wasm, "the sign-in page"), (small.portal.wasm, "the portal page")] {
        if !pkg.join(&wasm).is_file() {
            tracing::error!(
                "THE SITE HAS NO {}/{wasm}: {page} will render and never come alive. Build the site with `./dev build`.",
                pkg.display()
            );
        }
    }
    let wasm = expected_wasm(options);
    if !pkg.join(&wasm).is_file() {
        let found: Vec<String> = std::fs::read_dir(&pkg)
            .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.ends_with(".wasm")).collect())
            .unwrap_or_default();
        tracing::error!(
            "THE SITE DOES NOT MATCH THIS SERVER: pages will ask for {}/{wasm}, which is not there (found: {}). \
             Build server and site together with `./dev build` (cargo leptos build); pages served now will not hydrate.",
            pkg.display(),
            found.join(", ")
        );
    }
}

/// Each page gets a fresh CSP nonce: only Leptos's own hydration script runs inline. And the
/// names of the small modules' files, for `app::shell`.
fn page_context(small: app::SmallModules) {
    provide_context(small);
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
    let small = small_modules(&options);
    Router::new()
        .leptos_routes_with_context(state, routes, move || page_context(small.clone()), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .route_layer(middleware::from_fn_with_state(state.clone(), signed_out_to_login))
        .merge(old_org_addresses())
        .merge(pkg_files(&options))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
}

/// `/pkg/…`: the WASM, JS and CSS every page loads. Sent as the `.br` or `.gz` file next to
/// the asked-for one when the browser takes it and the build made one
/// (`cargo leptos build --release --precompress`); otherwise as is. A name carrying its
/// content's hash (cargo-leptos `hash-files`) never changes meaning, so the browser keeps it
/// for a year without asking; anything else is revalidated on every load.
fn pkg_files(options: &LeptosOptions) -> Router<AppState> {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let files = tower_http::services::ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{}", options.site_pkg_dir), files)
        .layer(middleware::from_fn(pkg_cache_control))
}

async fn pkg_cache_control(req: Request, next: Next) -> Response {
    let immutable = req.uri().path().rsplit('/').next().is_some_and(has_content_hash);
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == axum::http::StatusCode::NOT_MODIFIED {
        let policy = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    res
}

/// `name.<hash>.ext`, the hash being cargo-leptos' (an MD5 in 22 characters of URL-safe base64).
/// Without `hash-files` the split loader is `__wasm_split.______________________.js`: 22
/// underscores standing in for a hash, and a content that changes with every build.
fn has_content_hash(file: &str) -> bool {
    let mut parts = file.rsplit('.');
    let (_ext, hash, stem) = (parts.next(), parts.next(), parts.next());
    stem.is_some()
        && hash.is_some_and(|h| {
            h.len() == 22 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') && h.bytes().any(|b| b != b'_')
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_hashed_names_are_immutable() {
        assert!(super::has_content_hash("tenantry.Zm9vYmFyYmF6cXV4cXV1eA.wasm"));
        assert!(!super::has_content_hash("tenantry.wasm"));
        assert!(!super::has_content_hash("tenantry_bg.wasm"));
        assert!(!super::has_content_hash("Zm9vYmFyYmF6cXV4cXV1eA.wasm"));
        assert!(!super::has_content_hash("tenantry.not-a-hash.css"));
        assert!(!super::has_content_hash("__wasm_split.______________________.js"));
    }
}

/// The addresses an org's pages had before they moved under `/o/{slug}/` (bookmarks, links in
/// old mails).
const OLD_ORG_PAGES: [&str; 16] = [
    "overview", "customers", "technicians", "bulk", "approvals", "organizations", "assets", "groups",
    "import", "merge", "settings", "sso", "branding", "operations", "people", "audit",
];

fn old_org_addresses() -> Router<AppState> {
    // Of them only assets had pages below it (`/assets/{id}`).
    let router = Router::new().route("/assets/{*rest}", get(old_org_address));
    OLD_ORG_PAGES.iter().fold(router, |router, page| router.route(&format!("/{page}"), get(old_org_address)))
}

/// An old address goes to the same page of the org the host names (a tenant's own host), else
/// of the person's home org; signed out, to the sign-in page.
async fn old_org_address(State(state): State<AppState>, req: Request) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let session = match jar.get(state.config.session_cookie()) {
        Some(c) => crate::auth::session::lookup(&state.db, c.value()).await.ok().flatten(),
        None => None,
    };
    let Some(session) = session else { return Redirect::to("/login").into_response() };
    let host_slug = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).and_then(|h| state.config.slug_from_host(h));
    let slug = match host_slug {
        Some(slug) => Some(slug),
        None => sqlx::query_scalar::<_, String>("SELECT slug FROM orgs WHERE id = $1")
            .bind(&session.user.home_org_id)
            .fetch_optional(&state.db.pool)
            .await
            .ok()
            .flatten(),
    };
    let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    match slug {
        Some(slug) => Redirect::to(&format!("/o/{slug}{}{query}", req.uri().path())).into_response(),
        None => Redirect::to("/").into_response(),
    }
}

/// A signed-out visit to a page of the app goes straight to the sign-in page, instead of
/// rendering a shell whose first API call answers 401 (an error in the console) and then
/// moving on in the browser. The sign-in and accept-invitation pages are for signed-out people.
async fn signed_out_to_login(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !app::SIGNED_OUT_PAGES.contains(&path) {
        let jar = CookieJar::from_headers(req.headers());
        let live = match jar.get(state.config.session_cookie()) {
            None => false,
            // A database hiccup renders the page; its API calls will say what is wrong.
            Some(c) => crate::auth::session::lookup(&state.db, c.value()).await.map_or(true, |s| s.is_some()),
        };
        if !live {
            // An org's page (a shared link) opens again once signed in.
            let org_page = path.starts_with("/o/") && path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'));
            return Redirect::to(&if org_page { format!("/login?next={path}") } else { "/login".into() }).into_response();
        }
    }
    next.run(req).await
}
