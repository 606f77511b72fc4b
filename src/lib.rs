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

/// The browser's entry point: the page is the server's HTML, and only its
/// islands (`#[island]`) come to life, each from the props it was drawn with.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A server function that answers with a redirect, called by an island,
    // loads the page it names: there is no router in the browser.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        let _ = leptos::prelude::window().location().set_href(to);
    });
    leptos::mount::hydrate_islands();
}
