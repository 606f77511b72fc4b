use leptos::prelude::*;

use super::activity_page::ActivityPage;

/// Changes to the team itself: operators added, roles changed, accounts disabled.
#[component]
pub fn TeamActivityPage() -> impl IntoView {
    view! {
        <main>
            <h1>"Team activity"</h1>
            <p><a href="/team">"Back to the team"</a></p>
            <ActivityPage />
        </main>
    }
}
