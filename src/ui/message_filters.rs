use leptos::prelude::*;
use leptos_router::components::Form;

use super::{app_layout::use_app_id, auto_submit::AutoSubmit};
use crate::domain::{MessageCategory, MessageFilter, format_date};

/// The message explorer's filters: a GET form, so the list it shows lives
/// in the address. Choosing sends it at once; the Apply button does too.
#[component]
pub fn MessageFilters(filter: MessageFilter) -> impl IntoView {
    let app_id = use_app_id();
    let text = |value: Option<String>| value.unwrap_or_default();
    let category = filter.category.map(MessageCategory::as_str).unwrap_or_default();
    view! {
            <Form method="GET" action=move || format!("/apps/{}/messages", app_id.get()) replace=true noscroll=true>
                <AutoSubmit>
    <div class="filters" role="search">
                    <label for="filter-sender">
                        "Sender"
                        <input id="filter-sender" type="text" name="sender" value=text(filter.sender.map(|u| u.to_string())) placeholder="Any UID" autocomplete="off" />
                    </label>
                    <label for="filter-to">
                        "To user"
                        <input id="filter-to" type="text" name="to" value=text(filter.receiver.map(|u| u.to_string())) placeholder="Any UID" autocomplete="off" />
                    </label>
                    <label for="filter-group">
                        "In group"
                        <input id="filter-group" type="text" name="group" value=text(filter.group.map(|g| g.to_string())) placeholder="Any GUID" autocomplete="off" />
                    </label>
                    <label for="filter-category">
                        "Category"
                        <select id="filter-category" name="category">
                            <option value="" selected=category.is_empty()>"Any category"</option>
                            {MessageCategory::ALL
                                .iter()
                                .map(|c| view! { <option value=c.as_str() selected=c.as_str() == category>{c.as_str()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label for="filter-type">
                        "Type"
                        <input id="filter-type" type="text" name="type" value=text(filter.message_type) placeholder="Any type" />
                    </label>
                    <label for="filter-from">
                        "From"
                        <input id="filter-from" type="date" name="from" value=text(filter.from.map(format_date)) />
                    </label>
                    <label for="filter-until">
                        "Until"
                        <input id="filter-until" type="date" name="until" value=text(filter.until.map(format_date)) />
                    </label>
                    <label class="choice">
                        <input type="checkbox" name="hide_deleted" value="on" checked=filter.hide_deleted />
                        "Hide deleted"
                    </label>
                    <button type="submit" class="secondary">"Apply"</button>
                </div>
                </AutoSubmit>
            </Form>
        }
}
