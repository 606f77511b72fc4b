use leptos::prelude::*;

use crate::domain::{ApiError, RoleView};

/// The app's roles as a select. With `any`, a first choice of no role in
/// particular, for filters.
#[component]
pub fn RoleSelect(
    roles: Resource<Result<Vec<RoleView>, ApiError>>,
    name: &'static str,
    id: &'static str,
    #[prop(optional, into)] selected: Option<String>,
    #[prop(optional)] any: Option<&'static str>,
    #[prop(optional, into)] form: Option<String>,
) -> impl IntoView {
    let selected = selected.unwrap_or_default();
    view! {
        <Transition fallback=|| view! { <select disabled><option>"Loading roles…"</option></select> }>
            {move || {
                let (selected, form) = (selected.clone(), form.clone());
                Suspend::new(async move {
                    let roles = roles.await.unwrap_or_default();
                    view! {
                        <select id=id name=name form=form>
                            {any.map(|label| view! { <option value="">{label}</option> })}
                            {roles
                                .into_iter()
                                .map(|role| {
                                    let value = role.role.to_string();
                                    let chosen = value == selected;
                                    view! { <option value=value selected=chosen>{role.name}</option> }
                                })
                                .collect_view()}
                        </select>
                    }
                })
            }}
        </Transition>
    }
}
