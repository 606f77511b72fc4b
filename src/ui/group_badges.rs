use leptos::prelude::*;

use crate::domain::{GroupType, Scope};

#[component]
pub fn GroupTypeBadge(group_type: GroupType) -> impl IntoView {
    view! { <span class=format!("badge type-{}", group_type.as_str())>{group_type.label()}</span> }
}

#[component]
pub fn ScopeBadge(scope: Scope) -> impl IntoView {
    view! { <span class=format!("badge scope-{}", scope.as_str())>{scope.label()}</span> }
}
