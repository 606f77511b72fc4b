use leptos::prelude::*;

use crate::domain::ApiError;

/// A refused request, in words, with its code for support.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    view! {
        <p class="notice error" role="alert">
            {error.message}
            <code class="code">{error.code}</code>
        </p>
    }
}

/// The error of an action's last run, if it failed.
#[component]
pub fn ActionError<T>(#[prop(into)] value: Signal<Option<Result<T, ApiError>>>) -> impl IntoView
where
    T: Send + Sync + Clone + 'static,
{
    move || match value.get() {
        Some(Err(error)) => Some(view! { <ErrorNotice error /> }),
        _ => None,
    }
}
