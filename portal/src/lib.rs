//! WASM entry point of the portal page (`/`, where signing in lands): hydrates it with
//! `app::PortalHome`, the shell and that one page without the router. The server loads this
//! module on that page instead of the whole app's (`app::shell`), so the first page after
//! signing in is interactive before the app's module has downloaded; a link from it loads its
//! page, which brings the app's module.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::PortalHome);
    app::mark_hydrated();
}
