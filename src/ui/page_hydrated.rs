use leptos::prelude::*;

/// The page's last island, drawn after the rest of the body. The browser
/// brings islands to life in page order, waiting for each (and for the
/// part of the bundle it needs), so when this one runs every island above
/// it is live: it says so on `<body data-hydrated>`, for browser tests and
/// anyone debugging.
#[island]
pub fn PageHydrated() -> impl IntoView {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
}
