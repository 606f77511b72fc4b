use leptos::prelude::*;

use crate::domain::format_timestamp;

/// A moment, or a dash when it has not happened.
#[component]
pub fn Timestamp(at: Option<i64>) -> impl IntoView {
    match at {
        Some(at) => view! { <time>{format_timestamp(at)}</time> }.into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    }
}
