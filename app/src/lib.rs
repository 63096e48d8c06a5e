//! Tenantry's pages. Server-rendered by `server`, hydrated by `frontend`; all data comes from
//! the `/api/v1` endpoints through [`client`], so the UI can do nothing the API can't.
// The pages' view types are deep; hydrating them needs more than the default query depth.
#![recursion_limit = "256"]
pub mod client;
pub mod components;
mod confirm;
mod layout;
mod pages;
mod webauthn;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
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
                <Route path=path!("/login") view=pages::login::LoginPage/>
                <Route path=path!("/accept") view=pages::accept::AcceptPage/>
                <ParentRoute path=path!("") view=layout::Shell>
                    <Route path=path!("") view=pages::portal::PortalPage/>
                    <Route path=path!("overview") view=pages::overview::OverviewPage/>
                    <Route path=path!("customers") view=pages::customers::CustomersPage/>
                    <Route path=path!("technicians") view=pages::technicians::TechniciansPage/>
                    <Route path=path!("bulk") view=pages::bulk::BulkPage/>
                    <Route path=path!("approvals") view=pages::approvals::ApprovalsPage/>
                    <Route path=path!("organizations") view=pages::tree::OrganizationsPage/>
                    <Route path=path!("assets") view=pages::assets::AssetsPage/>
                    <Route path=path!("assets/:id") view=pages::asset_detail::AssetDetailPage/>
                    <Route path=path!("groups") view=pages::groups::GroupsPage/>
                    <Route path=path!("import") view=pages::import::ImportPage/>
                    <Route path=path!("merge") view=pages::merge::MergePage/>
                    <Route path=path!("settings") view=pages::settings::SettingsPage/>
                    <Route path=path!("sso") view=pages::sso::SsoPage/>
                    <Route path=path!("operations") view=pages::operations::OperationsPage/>
                    <Route path=path!("inbox") view=pages::inbox::InboxPage/>
                    <Route path=path!("people") view=pages::people::PeoplePage/>
                    <Route path=path!("audit") view=pages::audit::AuditPage/>
                    <Route path=path!("tokens") view=pages::tokens::TokensPage/>
                    <Route path=path!("security") view=pages::security::SecurityPage/>
                    <Route path=path!("api-docs") view=pages::apidocs::ApiDocsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
