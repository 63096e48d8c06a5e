//! WASM entry point of the signed-out pages (`/login`, `/accept`): hydrates them with
//! `app::SignedOutApp`, which routes only those two pages. The server loads this module on
//! those pages instead of the portal's (`app::shell`), so a first visit downloads the sign-in
//! form's code, not the whole portal's.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::SignedOutApp);
    app::mark_hydrated();
}
