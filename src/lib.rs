// Leptos views are nested types; the users page's is deeper than the
// compiler's default limit for laying out its async render.
#![recursion_limit = "256"]

pub mod app;
pub mod domain;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

// Every request allocates and frees on whichever worker thread runs it, and
// sqlx's SQLite connections hand rows across threads: glibc's allocator
// spent a sixth of a dashboard render's time on that (perf, 1M users).
// Set in the library so the server, its tests and its benchmark share it.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
