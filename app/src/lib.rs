//! Tenantry's pages. Server-rendered by `server`, hydrated by `frontend`; all data comes from
//! the `/api/v1` endpoints through [`client`], so the UI can do nothing the API can't.
// The pages' view types are deep; hydrating them needs more than the default query depth.
#![recursion_limit = "256"]
pub mod client;
pub mod components;
mod confirm;
mod layout;
mod lazy_pages;
mod pages;
mod webauthn;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::path;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let module = page_module();
    let small = use_context::<SmallModules>().unwrap_or_default();
    let pkg = options.site_pkg_dir.to_string();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <HashedStylesheet id="tenantry" options=options.clone()/>
                // The WebAuthn calls for passkeys (app/src/webauthn.rs); before the app's own scripts.
                // The portal page has no use for them (its links load their page, which has them).
                {(module != PageModule::Portal).then(|| view! { <script src="/passkeys.js" defer=true></script> })}
                {match module {
                    PageModule::App => view! { <HydrationScripts options/> }.into_any(),
                    PageModule::SignedOut => view! { <SmallModuleScripts pkg files=small.signin/> }.into_any(),
                    PageModule::Portal => view! { <SmallModuleScripts pkg files=small.portal/> }.into_any(),
                }}
                <MetaTags/>
            </head>
            <body>
                {if module == PageModule::Portal { view! { <PortalHome/> }.into_any() } else { view! { <App/> }.into_any() }}
            </body>
        </html>
    }
}

/// The pages for people not signed in. They hydrate with their own small WASM module (the
/// `signin` crate, [`SignedOutApp`]) rather than the portal's, so a first visit to the sign-in
/// page doesn't download the portal. The server also lets signed-out visitors see only these.
pub const SIGNED_OUT_PAGES: [&str; 2] = ["/login", "/accept"];

/// The portal page, where signing in lands: rendered as [`PortalHome`] and hydrated by a small
/// module of its own (the `portal` crate), so the first page after signing in doesn't wait for
/// the whole app. Its links load their page, which brings the whole app's module.
pub const PORTAL_PAGE: &str = "/";

/// The WASM module that makes a page interactive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PageModule {
    /// The whole app (`frontend`): every page, a lazy route each in the release site.
    App,
    /// `signin`: [`SIGNED_OUT_PAGES`].
    SignedOut,
    /// `portal`: [`PORTAL_PAGE`].
    Portal,
}

impl PageModule {
    pub fn for_path(path: &str) -> Self {
        if SIGNED_OUT_PAGES.contains(&path) {
            PageModule::SignedOut
        } else if path == PORTAL_PAGE {
            PageModule::Portal
        } else {
            PageModule::App
        }
    }
}

/// The module of the page being rendered, from the request's path. Only the server renders
/// [`shell`]; the browser never asks.
fn page_module() -> PageModule {
    #[cfg(feature = "ssr")]
    return use_context::<http::request::Parts>().map_or(PageModule::App, |parts| PageModule::for_path(parts.uri.path()));
    #[cfg(not(feature = "ssr"))]
    PageModule::App
}

/// The file names of a small module in the site's `pkg/` (`signin.js`, `signin.wasm`; with a
/// content hash in the name when the build hashed the site's files: `signin.<hash>.wasm`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleFiles {
    pub js: String,
    pub wasm: String,
}

impl ModuleFiles {
    /// The plain names of the module `name`, as `./dev test` writes them.
    pub fn plain(name: &str) -> Self {
        ModuleFiles { js: format!("{name}.js"), wasm: format!("{name}.wasm") }
    }
}

/// The small modules' files as the server found them; it provides this to every page.
#[derive(Clone, Debug, PartialEq)]
pub struct SmallModules {
    pub signin: ModuleFiles,
    pub portal: ModuleFiles,
}

impl Default for SmallModules {
    fn default() -> Self {
        SmallModules { signin: ModuleFiles::plain("signin"), portal: ModuleFiles::plain("portal") }
    }
}

/// What `HydrationScripts` writes, for a small module (written by `./dev build` and `./dev
/// test` beside the whole app's).
#[component]
fn SmallModuleScripts(pkg: String, files: ModuleFiles) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let (js, wasm) = (format!("/{pkg}/{}", files.js), format!("/{pkg}/{}", files.wasm));
    let script = format!("import('{js}').then(m => m.default({{module_or_path: '{wasm}'}}).then(() => m.hydrate()));");
    view! {
        <link rel="modulepreload" href=js/>
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin=""/>
        <script type="module" nonce=nonce>{script}</script>
    }
}

/// "Assets · Tenantry"; "Tenantry" for a page without a title of its own.
fn page_title(title: String) -> String {
    if title.is_empty() { "Tenantry".to_string() } else { format!("{title} · Tenantry") }
}

/// The signed-out pages as their own app: the same markup the server renders for them
/// within [`App`], and nothing of the portal.
#[component]
pub fn SignedOutApp() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=page_title/>
        <Router>
            <Routes fallback=LoadFromServer>
                <Route path=path!("/login") view=pages::login::LoginPage/>
                <Route path=path!("/accept") view=pages::accept::AcceptPage/>
            </Routes>
        </Router>
    }
}

/// A link from a signed-out page to another page of the app (the portal, "not found"): this
/// module doesn't have it, so the browser loads the address the router just went to from the
/// server, which renders it and names the module it needs.
#[component]
fn LoadFromServer() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// The portal page as its own app, without the router: the shell and the portal page. The
/// server renders it for [`PORTAL_PAGE`] and the `portal` module hydrates it; its links and
/// tiles load their page from the server ([`layout::Navigation::page_loads`]). Within the whole app, `/` is
/// the same page under the app's router (a click on "Portal" there stays in the app).
#[component]
pub fn PortalHome() -> impl IntoView {
    provide_meta_context();
    provide_context(layout::Navigation::page_loads());
    view! {
        <Title formatter=page_title/>
        <layout::ShellFrame>
            <pages::portal::PortalPage/>
        </layout::ShellFrame>
    }
}

/// Lets browser tests (and curious people) know the page is interactive.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=page_title/>
        <Router>
            <Routes fallback=pages::NotFound>
                // Also in SignedOutApp, which the browser runs on these two pages.
                <Route path=path!("/login") view={lazy_pages::login()}/>
                <Route path=path!("/accept") view={lazy_pages::accept()}/>
                <ParentRoute path=path!("") view=layout::Shell>
                    // About the signed-in person, in whichever org the tab acts in.
                    <Route path=path!("") view={lazy_pages::portal()}/>
                    <Route path=path!("inbox") view={lazy_pages::inbox()}/>
                    <Route path=path!("tokens") view={lazy_pages::tokens()}/>
                    <Route path=path!("security") view={lazy_pages::security()}/>
                    <Route path=path!("api-docs") view={lazy_pages::api_docs()}/>
                    // An org's pages: the org is in the address (`/o/acme-contoso/assets`).
                    <ParentRoute path=path!("o/:org") view=Outlet>
                        <Route path=path!("") view=layout::OrgHome/>
                        <Route path=path!("overview") view={lazy_pages::overview()}/>
                        <Route path=path!("customers") view={lazy_pages::customers()}/>
                        <Route path=path!("technicians") view={lazy_pages::technicians()}/>
                        <Route path=path!("bulk") view={lazy_pages::bulk()}/>
                        <Route path=path!("approvals") view={lazy_pages::approvals()}/>
                        <Route path=path!("organizations") view={lazy_pages::organizations()}/>
                        <Route path=path!("assets") view={lazy_pages::assets()}/>
                        <Route path=path!("assets/:id") view={lazy_pages::asset_detail()}/>
                        <Route path=path!("groups") view={lazy_pages::groups()}/>
                        <Route path=path!("import") view={lazy_pages::import()}/>
                        <Route path=path!("merge") view={lazy_pages::merge()}/>
                        <Route path=path!("settings") view={lazy_pages::settings()}/>
                        <Route path=path!("sso") view={lazy_pages::sso()}/>
                        <Route path=path!("branding") view={lazy_pages::branding()}/>
                        <Route path=path!("operations") view={lazy_pages::operations()}/>
                        <Route path=path!("people") view={lazy_pages::people()}/>
                        <Route path=path!("audit") view={lazy_pages::audit()}/>
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
