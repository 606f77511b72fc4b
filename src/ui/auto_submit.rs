use leptos::prelude::*;

/// How long typing pauses before the form is sent.
#[cfg(feature = "hydrate")]
const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// The fields of a GET form (the filters of a list) that send the form as
/// they change: at once for a choice, after a pause in typing for text.
/// Sending loads the page again; the field typed in keeps the focus, and
/// its caret stays at the end. Without the script, the form's own button
/// sends it.
#[island]
pub fn AutoSubmit(children: Children) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let typing = StoredValue::new_local(None::<TimeoutHandle>);
        Effect::new(move |_| browser::refocus());
        view! {
            <div
                class="auto-submit"
                on:change=move |ev| browser::send_form_of(&ev)
                on:input=move |ev| {
                    if let Some(pending) = typing.get_value() {
                        pending.clear();
                    }
                    let ev = ev.clone();
                    let handle = set_timeout_with_handle(move || browser::send_form_of(&ev), TYPING_PAUSE).ok();
                    typing.set_value(handle);
                }
            >
                {children()}
            </div>
        }
    }
    #[cfg(not(feature = "hydrate"))]
    view! { <div class="auto-submit">{children()}</div> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    /// Where the id of the field typed in waits for the page sent back.
    const FOCUSED: &str = "switchboard-refocus";

    /// Sends the form the event's field belongs to, as its button would.
    pub fn send_form_of(ev: &leptos::ev::Event) {
        let field = ev.target().and_then(|target| target.dyn_into::<web_sys::Element>().ok());
        let Some(field) = field else { return };
        if let Some(storage) = window().session_storage().ok().flatten() {
            let _ = storage.set_item(FOCUSED, &field.id());
        }
        let form =
            field.closest("form").ok().flatten().and_then(|form| form.dyn_into::<web_sys::HtmlFormElement>().ok());
        if let Some(form) = form {
            let _ = form.request_submit();
        }
    }

    /// Gives the focus back to the field the last page was sent from.
    pub fn refocus() {
        let Some(storage) = window().session_storage().ok().flatten() else { return };
        let Some(id) = storage.get_item(FOCUSED).ok().flatten() else { return };
        let _ = storage.remove_item(FOCUSED);
        let input = document().get_element_by_id(&id).and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(input) = input {
            let _ = input.focus();
            let end = input.value().len() as u32;
            let _ = input.set_selection_range(end, end);
        }
    }
}
