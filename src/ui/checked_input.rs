use leptos::prelude::*;

use crate::domain::FieldCheck;

/// A labelled input that checks itself as the person types, with the same
/// parser the server will use, and says what is wrong before submitting.
#[island]
pub fn CheckedInput(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    check: FieldCheck,
    #[prop(optional, into)] kind: Option<String>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional, into)] autocomplete: Option<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    /// May be left empty.
    #[prop(optional)]
    optional: Option<bool>,
    /// Tells this field's id from its namesakes in other forms on the page.
    #[prop(optional, into)]
    scope: Option<String>,
) -> impl IntoView {
    let (optional, scope) = (optional.unwrap_or(false), scope.unwrap_or_default());
    let kind = kind.unwrap_or_else(|| "text".to_owned());
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
