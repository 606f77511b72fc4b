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
    leptos::mount::hydrate_body(app::App);
}
