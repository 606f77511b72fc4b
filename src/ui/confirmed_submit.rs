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
