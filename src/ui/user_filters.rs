use leptos::prelude::*;
use leptos_router::components::Form;

use super::{app_layout::use_app_id, auto_submit::AutoSubmit, role_select::RoleSelect};
use crate::domain::{ApiError, Presence, RoleView, Showing, SortOrder, UserFilter};

/// The search and filters of the users list: a GET form, so that the list
/// it shows is in the address. Typing or choosing sends it at once; without
/// JavaScript the Apply button does.
#[component]
pub fn UserFilters(filter: Signal<UserFilter>, roles: Resource<Result<Vec<RoleView>, ApiError>>) -> impl IntoView {
    let app_id = use_app_id();
    // The fields keep what was typed; the sort, set by the column headings, follows the address.
    let sort = move || filter.with(|f| f.sort.map(|sort| sort.as_str()));
    let descending = move || filter.with(|f| f.order == SortOrder::Desc);
    let filter = filter.get_untracked();
    let status = filter.status.map(Presence::as_str).unwrap_or_default();
    view! {
            <Form method="GET" action=move || format!("/apps/{}/users", app_id.get()) replace=true noscroll=true>
                <AutoSubmit>
    <div class="filters" role="search">
                    <label class="search" for="user-search">
                        "Find a user by UID or name"
                        <input
                            id="user-search"
                            type="search"
                            name="q"
                            value=filter.search.clone()
                            placeholder="Start typing a UID or a name"
                            autocomplete="off"
                        />
                    </label>
                    <label for="filter-role">
                        "Role"
                        <RoleSelect roles name="role" id="filter-role" any="Any role" selected=filter.role.as_ref().map(|r| r.to_string()).unwrap_or_default() />
                    </label>
                    <label for="filter-tag">
                        "Tag"
                        <input id="filter-tag" type="text" name="tag" value=filter.tag.clone() placeholder="Any tag" />
                    </label>
                    <label for="filter-status">
                        "Status"
                        <select id="filter-status" name="status">
                            <option value="" selected=status.is_empty()>"Any status"</option>
                            {Presence::ALL
                                .iter()
                                .map(|p| view! { <option value=p.as_str() selected=p.as_str() == status>{p.as_str()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label for="filter-show">
                        "Show"
                        <select id="filter-show" name="show">
                            {Showing::ALL
                                .iter()
                                .map(|s| view! { <option value=s.as_str() selected=*s == filter.show>{s.label()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    {move || sort().map(|sort| view! { <input type="hidden" name="sort" value=sort /> })}
                    {move || descending().then(|| view! { <input type="hidden" name="order" value="desc" /> })}
                    <button type="submit" class="secondary">"Apply"</button>
                </div>
                </AutoSubmit>
            </Form>
        }
}
