use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{
    app_layout::use_app_id,
    error_notice::{ActionError, ErrorNotice},
    message_body::MessageBody,
    message_delete::{DeleteMessage, MessageDelete},
    message_filters::MessageFilters,
    permitted::load_user_powers,
    timestamp::Timestamp,
};
use crate::domain::{ApiError, MessageCategory, MessageFilter, MessagePage, MessageView, ReceiverType, SYSTEM_SENDER};

/// Messages a page of the explorer shows.
pub const EXPLORER_PAGE: i64 = 50;

/// A page of the app's messages as `filter` picks them, newest first.
#[server]
pub async fn list_messages(
    app_id: String,
    filter: MessageFilter,
    cursor: Option<String>,
) -> Result<MessagePage, ApiError> {
    use crate::server::{
        auth::session::dashboard_app,
        service::{
            groups::Acting,
            messages::{self, MessageQuery},
        },
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(messages::list(&state.db, &caller, &app, &Acting::App, MessageQuery::filtered(filter, EXPLORER_PAGE, cursor))
        .await?)
}

/// Finds messages for moderation: by sender, receiver, group, category,
/// type and days, newest first, with the filter in the address; each
/// opens its conversation, and support operators delete with a reason.
#[component]
pub fn MessagesPage() -> impl IntoView {
    let app_id = use_app_id();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let query = query.read();
        MessageFilter::from_params(|key| query.get(key)).map_err(ApiError::from)
    });
    let cursor = Memo::new(move |_| query.read().get("after"));
    let delete = ServerAction::<DeleteMessage>::new();
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    let page = Resource::new(
        move || (app_id.get(), filter.get(), cursor.get()),
        |(app_id, filter, cursor)| async move { list_messages(app_id, filter?, cursor).await },
    );
    view! {
        <section class="messages-page">
            <MessageFilters filter=filter.get_untracked().unwrap_or_default() />
            <ActionError value=delete.value() />
            <Transition fallback=|| view! { <p class="muted">"Loading messages…"</p> }>
                {move || Suspend::new(async move {
                    let may_delete = powers.await.is_ok_and(|p| p.moderate);
                    match page.await {
                        Ok(page) => {
                            let filter = filter.get_untracked().unwrap_or_default();
                            view! { <MessageTable page app_id=app_id.get_untracked() filter may_delete /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A UID as a link to its user's page; the app's own sender is no user.
fn user_link(app_id: &str, uid: &str) -> AnyView {
    if uid == SYSTEM_SENDER {
        return view! { <span class="muted">{uid.to_owned()}</span> }.into_any();
    }
    view! { <a href=format!("/apps/{app_id}/users/{uid}")>{uid.to_owned()}</a> }.into_any()
}

/// Where a message's conversation is read in the dashboard.
pub fn conversation_href(app_id: &str, message: &MessageView) -> String {
    match message.receiver_type {
        ReceiverType::Group => format!("/apps/{app_id}/conversation?group={}", message.receiver),
        ReceiverType::User => format!("/apps/{app_id}/conversation?user={}&with={}", message.sender, message.receiver),
    }
}

#[component]
fn MessageTable(page: MessagePage, app_id: String, filter: MessageFilter, may_delete: bool) -> impl IntoView {
    let older = page.next_cursor.map(|cursor| {
        let query = filter.to_query();
        let joiner = if query.is_empty() { "" } else { "&" };
        format!("/apps/{app_id}/messages?{query}{joiner}after={cursor}")
    });
    if page.items.is_empty() {
        return view! { <p class="muted">"No message matches."</p> }.into_any();
    }
    view! {
        <table class="messages">
            <thead>
                <tr><th>"Sent"</th><th>"From"</th><th>"To"</th><th>"Kind"</th><th>"Message"</th><th></th></tr>
            </thead>
            <tbody>
                {page
                    .items
                    .into_iter()
                    .map(|message| view! { <MessageRow message app_id=app_id.clone() may_delete /> })
                    .collect_view()}
            </tbody>
        </table>
        {older.map(|href| view! { <a href=href class="button secondary">"Older messages"</a> })}
    }
    .into_any()
}

#[component]
fn MessageRow(message: MessageView, app_id: String, may_delete: bool) -> impl IntoView {
    let conversation = conversation_href(&app_id, &message);
    let receiver = match message.receiver_type {
        ReceiverType::Group => view! {
            "group " <a href=format!("/apps/{app_id}/groups/{}", message.receiver)>{message.receiver.clone()}</a>
        }
        .into_any(),
        ReceiverType::User => user_link(&app_id, &message.receiver),
    };
    // Action messages tell of what happened (a member joined, say): no one deletes them.
    let deletable = may_delete && message.deleted_at.is_none() && message.category != MessageCategory::Action;
    let (id, sender, kind) =
        (message.id, user_link(&app_id, &message.sender), format!("{} / {}", message.category, message.message_type));
    view! {
        <tr data-message=id>
            <td><a href=conversation><Timestamp at=Some(message.sent_at) /></a></td>
            <td>{sender}</td>
            <td>{receiver}</td>
            <td class="muted">{kind}</td>
            <td class="message-cell"><MessageBody message /></td>
            <td class="row-actions">{deletable.then(|| view! { <MessageDelete app_id id /> })}</td>
        </tr>
    }
}
