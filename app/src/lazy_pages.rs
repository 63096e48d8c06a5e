//! The pages as the router gets them (`<Route view=lazy_pages::assets()/>`).
//!
//! In the release site (`./dev build`: `cargo leptos build --release --split --lib-features
//! split`) each page is a lazy route: its code is a WASM chunk of its own, fetched the first time
//! the page is shown (and preloaded by the server for the page it renders), so a first visit
//! downloads the shell and one page instead of the whole app.
//!
//! Without the `split` feature (the debug site the browser tests build with plain cargo and
//! wasm-bindgen) the pages are ordinary routes: a lazy route's WASM imports only resolve after
//! cargo-leptos' splitter has run. The server always renders the lazy form; a route's view is
//! awaited either way, so both render the same markup, and the lazy form lets the server name
//! the page's chunk in a `modulepreload` link when the site has one.
//!
//! A new page: one line in the list below, and its route's `view=lazy_pages::its_name()`.

#[cfg(any(feature = "ssr", feature = "split"))]
use leptos::prelude::{AnyView, IntoAny};
#[cfg(any(feature = "ssr", feature = "split"))]
use leptos_router::{Lazy, LazyRoute, lazy_route};
use leptos_router::ChooseView;

macro_rules! pages {
    ($($name:ident: $route:ident => $page:path),* $(,)?) => {$(
        #[cfg(any(feature = "ssr", feature = "split"))]
        pub fn $name() -> impl ChooseView {
            Lazy::<$route>::new()
        }

        #[cfg(not(any(feature = "ssr", feature = "split")))]
        pub fn $name() -> impl ChooseView {
            $page
        }

        #[cfg(any(feature = "ssr", feature = "split"))]
        pub struct $route;

        #[cfg(any(feature = "ssr", feature = "split"))]
        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    )*};
}

pages! {
    login: LoginRoute => crate::pages::login::LoginPage,
    accept: AcceptRoute => crate::pages::accept::AcceptPage,
    portal: PortalRoute => crate::pages::portal::PortalPage,
    overview: OverviewRoute => crate::pages::overview::OverviewPage,
    customers: CustomersRoute => crate::pages::customers::CustomersPage,
    technicians: TechniciansRoute => crate::pages::technicians::TechniciansPage,
    bulk: BulkRoute => crate::pages::bulk::BulkPage,
    approvals: ApprovalsRoute => crate::pages::approvals::ApprovalsPage,
    organizations: OrganizationsRoute => crate::pages::tree::OrganizationsPage,
    assets: AssetsRoute => crate::pages::assets::AssetsPage,
    asset_detail: AssetDetailRoute => crate::pages::asset_detail::AssetDetailPage,
    groups: GroupsRoute => crate::pages::groups::GroupsPage,
    import: ImportRoute => crate::pages::import::ImportPage,
    merge: MergeRoute => crate::pages::merge::MergePage,
    settings: SettingsRoute => crate::pages::settings::SettingsPage,
    sso: SsoRoute => crate::pages::sso::SsoPage,
    branding: BrandingRoute => crate::pages::branding::BrandingPage,
    operations: OperationsRoute => crate::pages::operations::OperationsPage,
    inbox: InboxRoute => crate::pages::inbox::InboxPage,
    people: PeopleRoute => crate::pages::people::PeoplePage,
    audit: AuditRoute => crate::pages::audit::AuditPage,
    tokens: TokensRoute => crate::pages::tokens::TokensPage,
    security: SecurityRoute => crate::pages::security::SecurityPage,
    api_docs: ApiDocsRoute => crate::pages::apidocs::ApiDocsPage,
}
