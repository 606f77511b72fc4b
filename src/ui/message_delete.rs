use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::confirmed_submit::ConfirmedSubmit;
use crate::domain::ApiError;

/// Deletes a message as the app's moderator: marked deleted, with the
/// reason in the audit log, and its conversation told.
#[server]
pub async fn delete_message(
    app_id: String,
    id: i64,
    reason: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::parse_reason;
    use crate::server::{
        auth::session::dashboard_app,
        service::{groups::Acting, messages},
    };
    let reason = parse_reason(&reason)?;
    crate::ui::confirmed_submit::require_confirmation(&confirm, "delete the message")?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    messages::delete(&state.db, &caller, &app, &Acting::App, id, false, Some(reason)).await?;
    Ok(())
}

/// The delete control of one message: a reason, a tick, a button.
#[component]
pub fn MessageDelete(app_id: String, id: i64) -> impl IntoView {
    view! {
        <details class="delete-message">
            <summary>"Delete"</summary>
            <form method="post" action=DeleteMessage::url() class="form">
                <input type="hidden" name="app_id" value=app_id />
                <input type="hidden" name="id" value=id />
                <label>
                    "Reason"
                    <input type="text" name="reason" required maxlength="500" placeholder="Spam, abuse, …" />
                </label>
                <ConfirmedSubmit consequence="Delete this message for everyone in its conversation" button="Delete message" />
            </form>
        </details>
    }
}
