use leptos::prelude::*;

/// The send button of a form that destroys something: it sends only once
/// the box saying what will happen is ticked, and the server function
/// checks the tick (`confirm`) again.
#[component]
pub fn ConfirmedSubmit(consequence: &'static str, button: &'static str) -> impl IntoView {
    view! {
        <label class="choice">
            <input type="checkbox" name="confirm" value="yes" required />
            {consequence}
        </label>
        <button type="submit" class="danger">{button}</button>
    }
}

/// The server's half of a confirmation: a destructive change whose form
/// came without its tick is refused, and nothing changes. `what` finishes
/// "Tick the box to …".
pub fn require_confirmation(confirm: &Option<String>, what: &str) -> Result<(), crate::domain::Invalid> {
    match confirm {
        Some(_) => Ok(()),
        None => Err(crate::domain::Invalid::new("ERR_CONFIRMATION_REQUIRED", format!("Tick the box to {what}."))),
    }
}
