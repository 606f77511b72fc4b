use leptos::prelude::*;

use crate::domain::{MAX_METADATA_BYTES, parse_metadata};

/// Metadata as formatted JSON in a text area, checked as it is typed with
/// the parser the server uses. While the JSON is wrong, the form it sits in
/// cannot be sent: the text area reports itself invalid to the browser.
#[island(lazy)]
pub fn MetadataEditor(#[prop(into)] id: String, value: Option<serde_json::Value>) -> impl IntoView {
    let text = value.map(|v| serde_json::to_string_pretty(&v).unwrap_or_default()).unwrap_or_default();
    let problem = RwSignal::new(None::<String>);
    let hint = format!("{id}-problem");
    let area = NodeRef::<leptos::html::Textarea>::new();
    let check = move |typed: &str| {
        let found = parse_metadata(typed).err().map(|e| e.message);
        if let Some(area) = area.get() {
            area.set_custom_validity(found.as_deref().unwrap_or(""));
        }
        problem.set(found);
    };
    view! {
        <label for=id.clone()>"Metadata " <small class="muted">{format!("(a JSON object, at most {} KB)", MAX_METADATA_BYTES / 1024)}</small></label>
        <textarea
            id=id
            name="metadata"
            class="metadata"
            rows="6"
            spellcheck="false"
            node_ref=area
            aria-describedby=hint.clone()
            aria-invalid=move || problem.get().is_some().to_string()
            on:input=move |ev| check(&event_target_value(&ev))
        >
            {text}
        </textarea>
        <small id=hint class="field-problem">{move || problem.get()}</small>
    }
}
