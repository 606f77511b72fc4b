use leptos::prelude::*;

use crate::domain::FieldCheck;

/// A labelled input that checks itself as the person types, with the same
/// parser the server will use, and says what is wrong before submitting.
#[component]
pub fn CheckedInput(
    label: &'static str,
    name: &'static str,
    check: FieldCheck,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] value: String,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] placeholder: &'static str,
    /// May be left empty.
    #[prop(optional)]
    optional: bool,
    /// Tells this field's id from its namesakes in other forms on the page.
    #[prop(optional, into)]
    scope: String,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let id = if scope.is_empty() { format!("field-{name}") } else { format!("field-{scope}-{name}") };
    let hint = format!("{id}-problem");
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            name=name
            type=kind
            value=value
            autocomplete=autocomplete
            placeholder=placeholder
            required=!optional
            aria-describedby=hint.clone()
            aria-invalid=move || problem.get().is_some().to_string()
            on:input=move |ev| {
                let typed = event_target_value(&ev);
                let found = if typed.is_empty() { None } else { check.check(&typed).err().map(|e| e.message) };
                // The browser then holds the form back itself: the problem is
                // said once, here, not again by the server in a banner.
                event_target::<web_sys::HtmlInputElement>(&ev).set_custom_validity(found.as_deref().unwrap_or(""));
                problem.set(found);
            }
        />
        <small id=hint class="field-problem">{move || problem.get()}</small>
    }
}
