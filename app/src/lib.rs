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
                <script src="/passkeys.js" defer=true></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "Tenantry".to_string() } else { format!("{t} · Tenantry") }/>
        <Router>
            <Routes fallback=pages::NotFound>
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
