use leptos::prelude::*;

use super::sessions_table::{EndSession, SessionsTable, list_team_sessions};

/// `/team/sessions`: every operator's sessions, for owners and admins to
/// end any of them.
#[component]
pub fn TeamSessionsPage() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(|| (), |_| list_team_sessions());
    view! {
        <main>
            <h1>"Team sessions"</h1>
            <p><a href="/team">"Team"</a></p>
            <SessionsTable sessions end show_operator=true />
        </main>
    }
}
