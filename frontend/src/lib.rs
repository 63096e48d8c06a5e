//! WASM entry point: hydrate the server-rendered page.
// The pages' view types are deep; hydrating them needs more than the default query depth.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    #[cfg(not(feature = "split"))]
    {
        leptos::mount::hydrate_body(app::App);
        app::mark_hydrated();
    }
    // Lazy routes (the split release site): the page's chunk loads before the page hydrates,
    // so hydration finishes later, in a task (what `leptos::mount::hydrate_lazy` does, plus
    // the mark when it is done).
    #[cfg(feature = "split")]
    {
        // hydrate_from_async starts Leptos' executor itself.
        wasm_bindgen_futures::spawn_local(async {
            let body = leptos::prelude::document().body().expect("the page has a body");
            leptos::mount::hydrate_from_async(body, app::App).await.forget();
            app::mark_hydrated();
        });
    }
}
