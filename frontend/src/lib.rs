//! WASM entry point: hydrate the server-rendered page.
// The pages' view types are deep; hydrating them needs more than the default query depth.
#![recursion_limit = "256"]
use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets browser tests (and curious people) know the page is interactive.
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
