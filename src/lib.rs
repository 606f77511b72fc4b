// Leptos views are nested types; the users page's is deeper than the
// compiler's default limit for laying out its async render.
#![recursion_limit = "256"]

pub mod app;
pub mod domain;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

// Requests allocate on one worker thread and free on another, and sqlx's
// SQLite connections hand rows across threads, which glibc's allocator
// handles poorly (see benches/README.md). Set in the library so that the
// server, its tests and its benchmark share it.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Hydration waits for the chunks of the lazy routes on the page; the
    // marker tells browser tests (and anyone debugging) that it is done.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body().expect("a page has a body");
        leptos::mount::hydrate_from_async(body.clone(), app::App).await.forget();
        let _ = body.set_attribute("data-hydrated", "");
    });
}
