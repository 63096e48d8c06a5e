pub mod accept;
pub mod apidocs;
pub mod approvals;
pub mod asset_detail;
pub mod assets;
pub mod audit;
pub mod bulk;
pub mod customers;
pub mod groups;
pub mod import;
pub mod inbox;
pub mod login;
pub mod merge;
pub mod operations;
pub mod overview;
pub mod people;
pub mod portal;
pub mod security;
pub mod scim;
pub mod settings;
pub mod sso;
pub mod tag_ui;
pub mod technicians;
pub mod tokens;
pub mod tree;

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum_status_not_found());
    }
    view! {
        <Title text="Not found"/>
        <div class="centered">
            <div class="card narrow">
                <h1>"Not found"</h1>
                <p class="muted">"There is nothing here, or you don't have access to it."</p>
                <a class="btn" href="/">"Go to your portal"</a>
            </div>
        </div>
    }
}

#[cfg(feature = "ssr")]
fn axum_status_not_found() -> http::StatusCode {
    http::StatusCode::NOT_FOUND
}
