use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{
    app_layout::use_app_id,
    error_notice::{ActionError, ErrorNotice},
    message_body::MessageBody,
    message_delete::{DeleteMessage, MessageDelete},
    permitted::load_user_powers,
    timestamp::Timestamp,
};
use crate::domain::{ApiError, MessagePage, MessageView};

/// One page of a conversation, newest first: between users `user` and
/// `with`, or in group `group`.
#[server]
pub async fn conversation_messages(
    app_id: String,
    #[server(default)] user: Option<String>,
    #[server(default)] with: Option<String>,
    #[server(default)] group: Option<String>,
    cursor: Option<String>,
) -> Result<MessagePage, ApiError> {
    use crate::domain::{Guid, Uid};
    use crate::server::{
        Error,
        auth::session::dashboard_app,
        service::{
            groups::Acting,
            messages::{self, MessageQuery},
        },
    };
    /// Messages loaded at a time, going back.
    const CONVERSATION_PAGE: i64 = 30;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let query = MessageQuery { limit: CONVERSATION_PAGE, cursor, ..MessageQuery::default() };
    let page = match (user, with, group) {
        (_, _, Some(guid)) => {
            messages::of_group(&state.db, &caller, &app, &Acting::App, &Guid::parse(&guid)?, query).await?
        }
        (Some(user), Some(with), None) => {
            messages::between(&state.db, &caller, &app, &Uid::parse(&user)?, &Uid::parse(&with)?, query).await?
        }
        _ => return Err(Error::invalid("ERR_INVALID_CONVERSATION", "Name two users, or a group.").into()),
    };
    Ok(page)
}

/// A conversation as its members saw it, oldest at the top; scrolling up
/// (or the button) loads earlier messages. Support operators delete here.
#[component]
pub fn ConversationPage() -> impl IntoView {
    let app_id = use_app_id();
    let query = use_query_map();
    let named = Memo::new(move |_| {
        let query = query.read();
        (query.get("user"), query.get("with"), query.get("group"))
    });
    let delete = ServerAction::<DeleteMessage>::new();
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    let latest = Resource::new(
        move || (app_id.get(), named.get()),
        |(app_id, (user, with, group))| conversation_messages(app_id, user, with, group, None),
    );
    let title = move || match named.get() {
        (_, _, Some(group)) => format!("Group {group}"),
        (Some(user), Some(with), _) => format!("{user} and {with}"),
        _ => "Conversation".to_owned(),
    };
    view! {
        <section class="conversation-page">
            <h2>{title}</h2>
            <ActionError value=delete.value() />
            <Transition fallback=|| view! { <p class="muted">"Loading the conversation…"</p> }>
                {move || Suspend::new(async move {
                    let may_delete = powers.await.is_ok_and(|p| p.moderate);
                    match latest.await {
                        Ok(page) => view! { <Transcript page named=named.get_untracked() app_id=app_id.get_untracked() may_delete /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The messages, the earliest loaded first, and the way further back.
#[island(lazy)]
fn Transcript(
    page: MessagePage,
    named: (Option<String>, Option<String>, Option<String>),
    app_id: String,
    may_delete: bool,
) -> impl IntoView {
    let earlier = RwSignal::new(Vec::<MessageView>::new());
    let next = RwSignal::new(page.next_cursor.clone());
    let loading = RwSignal::new(false);
    let failed = RwSignal::new(None::<ApiError>);
    let load_earlier = {
        let (app_id, named) = (app_id.clone(), named.clone());
        move || {
            let Some(cursor) = next.get_untracked() else { return };
            if loading.get_untracked() {
                return;
            }
            loading.set(true);
            let (app_id, (user, with, group)) = (app_id.clone(), named.clone());
            leptos::task::spawn_local(async move {
                match conversation_messages(app_id, user, with, group, Some(cursor)).await {
                    Ok(older) => {
                        earlier.update(|shown| shown.extend(older.items));
                        next.set(older.next_cursor);
                    }
                    Err(error) => failed.set(Some(error)),
                }
                loading.set(false);
            });
        }
    };
    let on_scroll = {
        let load_earlier = load_earlier.clone();
        move |ev: leptos::ev::Event| {
            use wasm_bindgen::JsCast;
            let near_top = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|list| list.scroll_top() < 40);
            if near_top {
                load_earlier();
            }
        }
    };
    let latest = page.items;
    let row = move |message: MessageView| view! { <TranscriptLine message app_id=app_id.clone() may_delete /> };
    let row_earlier = row.clone();
    view! {
        <div class="transcript" on:scroll=on_scroll>
            {move || next.get().is_some().then(|| {
                let load_earlier = load_earlier.clone();
                view! {
                    <button type="button" class="secondary load-earlier" disabled=move || loading.get() on:click=move |_| load_earlier()>
                        "Load earlier messages"
                    </button>
                }
            })}
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
            <ol class="messages-list">
                {move || earlier.get().into_iter().rev().map(row_earlier.clone()).collect_view()}
                {latest.into_iter().rev().map(row).collect_view()}
            </ol>
        </div>
    }
}

#[component]
fn TranscriptLine(message: MessageView, app_id: String, may_delete: bool) -> impl IntoView {
    let deletable =
        may_delete && message.deleted_at.is_none() && message.category != crate::domain::MessageCategory::Action;
    let (id, sender, sent_at) = (message.id, message.sender.clone(), message.sent_at);
    view! {
        <li class="message" data-message=id>
            <span class="sender">{sender}</span>
            <Timestamp at=Some(sent_at) />
            <div class="body"><MessageBody message /></div>
            {deletable.then(|| view! { <MessageDelete app_id id /> })}
        </li>
    }
}
