//! The Playground: an operator connects to a development app's realtime
//! gateway as one of its users, from the browser, exactly as a client app
//! would, and chats. A second tab as another user is the other side.

use std::collections::BTreeSet;

use leptos::{ev::SubmitEvent, prelude::*};
use wasm_bindgen::{JsCast, closure::Closure};

use super::{
    app_layout::use_app_id,
    error_notice::{ActionError, ErrorNotice},
    permitted::{Needs, Permitted, load_user_powers},
    users_page::list_users,
};
use crate::domain::{
    ApiError, ClientFrame, MessageView, PlaygroundLogin, Presence, ReceiverType, ServerFrame, UserFilter,
};

/// How often the page pings, well inside any ping timeout the server sets.
const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

#[server]
pub async fn playground_log_in(
    app_id: String,
    uid: String,
    #[server(default)] name: String,
) -> Result<PlaygroundLogin, ApiError> {
    use crate::domain::Uid;
    use crate::server::{auth::session::dashboard_app, service::gateway};
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let name = Some(name.trim().to_owned()).filter(|name| !name.is_empty());
    Ok(gateway::playground_log_in(&state.db, &caller, &app, Uid::parse(&uid)?, name).await?)
}

/// Sends a text as the Playground's user.
#[server]
pub async fn playground_send(
    app_id: String,
    uid: String,
    receiver: String,
    receiver_type: String,
    text: String,
) -> Result<MessageView, ApiError> {
    use crate::domain::{Content, Receiver, Uid};
    use crate::server::{
        auth::session::dashboard_app,
        service::messages::{self, Outgoing},
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let outgoing = Outgoing {
        receiver: Receiver::parse(receiver.trim(), &receiver_type)?,
        content: Content::parse("message", "text", serde_json::json!({ "text": text }))?,
        metadata: None,
        tags: Vec::new(),
        parent_id: None,
        muid: None,
    };
    Ok(messages::send(&state.db, &caller, &app, &Uid::parse(&uid)?, outgoing).await?)
}

/// The playground, for operators who may act as the app's users.
#[component]
pub fn PlaygroundPage() -> impl IntoView {
    let app_id = use_app_id();
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    view! {
        <section class="playground-page card">
            <h2>"Playground"</h2>
            <p class="muted">
                "Connect as one of this app's users, as its client app would, and chat live. "
                "Open a second tab as another user to be the other side."
            </p>
            <Permitted powers needs=Needs::ActAsUsers>
                <Playground app_id=app_id.get_untracked() />
            </Permitted>
        </section>
    }
}

/// Connects as a user, then chats over the realtime gateway: all of it in
/// the browser, downloaded when the page is opened.
#[island(lazy)]
fn Playground(app_id: String) -> impl IntoView {
    let log_in = ServerAction::<PlaygroundLogIn>::new();
    let logged_in = move || log_in.value().get().and_then(Result::ok);
    view! {
        // Outside the switch below, which disposes what it replaced.
        <ActionError value=log_in.value() />
        {move || match logged_in() {
            None => view! { <ConnectForm app_id=app_id.clone() log_in /> }.into_any(),
            Some(login) => {
                let disconnect = move || log_in.value().set(None);
                view! { <PlaygroundChat app_id=app_id.clone() login disconnect /> }.into_any()
            }
        }}
    }
}

#[component]
fn ConnectForm(app_id: String, log_in: ServerAction<PlaygroundLogIn>) -> impl IntoView {
    view! {
        <ActionForm action=log_in attr:class="playground-connect">
            <input type="hidden" name="app_id" value=app_id />
            <label>"UID" <input name="uid" required autocomplete="off" /></label>
            <label>"Name, to create the user" <input name="name" autocomplete="off" placeholder="leave empty for an existing user" /></label>
            <button type="submit">"Connect"</button>
        </ActionForm>
    }
}

/// A WebSocket and the handlers it calls, which live as long as it does.
struct Socket {
    ws: web_sys::WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_close: Closure<dyn FnMut(web_sys::CloseEvent)>,
    ping: Option<IntervalHandle>,
}

impl Socket {
    fn send(&self, frame: &ClientFrame) {
        if let Ok(text) = serde_json::to_string(frame) {
            let _ = self.ws.send_with_str(&text);
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        if let Some(ping) = self.ping.take() {
            ping.clear();
        }
        // The handlers go with this value: the socket must not call them
        // once it has, as it would on closing.
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// Opens the app's realtime socket in the browser and logs in with `token`;
/// each frame the server sends goes to `on_frame`.
fn open_socket(
    app_id: &str,
    token: String,
    on_frame: impl Fn(ServerFrame) + 'static,
    on_close: impl Fn(u16, String) + 'static,
) -> Result<Socket, String> {
    let location = window().location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
    let host = location.host().map_err(|_| "no host".to_owned())?;
    let ws = web_sys::WebSocket::new(&format!("{scheme}://{host}/v3/realtime?appid={app_id}"))
        .map_err(|_| "the browser could not open a WebSocket".to_owned())?;
    let login =
        ClientFrame::Login { auth_token: Some(token), auth_key: None, uid: None, platform: None, presence: None };
    let opened = ws.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        if let Ok(text) = serde_json::to_string(&login) {
            let _ = opened.send_with_str(&text);
        }
    });
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        if let Some(frame) = event.data().as_string().and_then(|text| serde_json::from_str(&text).ok()) {
            on_frame(frame);
        }
    });
    let on_close = Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |event: web_sys::CloseEvent| {
        on_close(event.code(), event.reason());
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let pinging = ws.clone();
    let ping = set_interval_with_handle(
        move || {
            if pinging.ready_state() == web_sys::WebSocket::OPEN
                && let Ok(text) = serde_json::to_string(&ClientFrame::Ping {})
            {
                let _ = pinging.send_with_str(&text);
            }
        },
        PING_EVERY,
    )
    .ok();
    Ok(Socket { ws, _on_open: on_open, _on_message: on_message, _on_close: on_close, ping })
}

/// What the chat shows, changed by the frames the socket receives.
#[derive(Clone, Copy)]
struct ChatState {
    status: RwSignal<String>,
    /// The socket was closed (by the server, say on a revoke): the chat
    /// shows it and offers to connect again, not to send.
    closed: RwSignal<bool>,
    messages: RwSignal<Vec<MessageView>>,
    online: RwSignal<BTreeSet<String>>,
    typing: RwSignal<Option<String>>,
}

impl ChatState {
    /// Who is online is no longer known once the socket is gone.
    fn closed_by_server(self, code: u16, reason: &str) {
        let why = if reason.is_empty() { String::new() } else { format!(": {reason}") };
        self.status.set(format!("Disconnected ({code}{why})"));
        self.closed.set(true);
        self.online.set(BTreeSet::new());
        self.typing.set(None);
    }

    fn receive(self, frame: ServerFrame) {
        match frame {
            ServerFrame::LoggedIn { uid, .. } => {
                self.status.set(format!("Connected as {uid}"));
                self.online.update(|online| {
                    online.insert(uid);
                });
            }
            ServerFrame::Message { message } => {
                self.typing.set(None);
                self.messages.update(|messages| messages.push(message));
            }
            ServerFrame::MessageEdited { message } | ServerFrame::MessageDeleted { message } => {
                self.messages.update(|messages| {
                    if let Some(shown) = messages.iter_mut().find(|m| m.id == message.id) {
                        *shown = message;
                    }
                });
            }
            ServerFrame::Presence { uid, status, .. } => self.online.update(|online| {
                match status {
                    Presence::Available => online.insert(uid),
                    Presence::Offline => online.remove(&uid),
                };
            }),
            ServerFrame::Typing { sender, started, .. } => self.typing.set(started.then_some(sender)),
            ServerFrame::Error { code, message } => self.status.set(format!("{code}: {message}")),
            ServerFrame::Pong | ServerFrame::Receipt { .. } => {}
        }
    }
}

#[component]
fn PlaygroundChat(
    app_id: String,
    login: PlaygroundLogin,
    disconnect: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let chat = ChatState {
        status: RwSignal::new("Connecting…".to_owned()),
        closed: RwSignal::new(false),
        messages: RwSignal::new(Vec::new()),
        online: RwSignal::new(BTreeSet::new()),
        typing: RwSignal::new(None),
    };
    let socket = StoredValue::new_local(None::<Socket>);
    // Users online before this tab connected; presence frames keep it current.
    let filter = UserFilter { status: Some(Presence::Available), ..UserFilter::default() };
    let already_online = Resource::new(|| (), {
        let app_id = app_id.clone();
        move |()| list_users(app_id.clone(), filter.clone(), None)
    });
    Effect::new(move |_| {
        if let Some(Ok(page)) = already_online.get() {
            chat.online.update(|online| online.extend(page.items.into_iter().map(|user| user.uid.to_string())));
        }
    });
    let (token, socket_app) = (login.auth_token.clone(), app_id.clone());
    Effect::new(move |_| {
        let opened = open_socket(
            &socket_app,
            token.clone(),
            move |frame| chat.receive(frame),
            move |code, reason| chat.closed_by_server(code, &reason),
        );
        match opened {
            Ok(opened) => socket.set_value(Some(opened)),
            Err(error) => chat.status.set(error),
        }
    });
    on_cleanup(move || socket.set_value(None));

    let receiver = RwSignal::new(String::new());
    let receiver_type = RwSignal::new(ReceiverType::User);
    let draft = RwSignal::new(String::new());
    let send = Action::new({
        let (app_id, uid) = (app_id.clone(), login.uid.clone());
        move |text: &String| {
            let (app_id, uid, text) = (app_id.clone(), uid.clone(), text.clone());
            let (to, kind) = (receiver.get_untracked(), receiver_type.get_untracked());
            async move { playground_send(app_id, uid, to, kind.as_str().to_owned(), text).await }
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            send.dispatch(text);
            draft.set(String::new());
        }
    };
    let typing_to = move |started: bool| {
        let to = receiver.get_untracked();
        if !to.is_empty() {
            let frame = ClientFrame::Typing { receiver: to, receiver_type: receiver_type.get_untracked(), started };
            socket.with_value(|socket| socket.as_ref().map(|s| s.send(&frame)));
        }
    };
    let me = login.uid.clone();
    view! {
        <div class="playground-chat">
            <p class="playground-status" data-testid="playground-status">{move || chat.status.get()}</p>
            <button type="button" on:click=move |_| disconnect()>
                {move || if chat.closed.get() { "Connect again" } else { "Disconnect" }}
            </button>
            <h3>"Online now"</h3>
            <ul class="playground-online" data-testid="playground-online">
                {move || chat.online.get().into_iter().map(|uid| view! { <li>{uid}</li> }).collect_view()}
            </ul>
            <form class="playground-send" on:submit=on_submit>
                <fieldset class="plain" prop:disabled=move || chat.closed.get()>
                <label>"To"
                    <input prop:value=move || receiver.get() on:input=move |ev| receiver.set(event_target_value(&ev)) required />
                </label>
                <label>"Type"
                    <select on:change=move |ev| {
                        receiver_type.set(ReceiverType::parse(&event_target_value(&ev)).unwrap_or(ReceiverType::User))
                    }>
                        <option value="user">"user"</option>
                        <option value="group">"group"</option>
                    </select>
                </label>
                <label>"Message"
                    <input
                        prop:value=move || draft.get()
                        on:input=move |ev| {
                            draft.set(event_target_value(&ev));
                            typing_to(true);
                        }
                        on:blur=move |_| typing_to(false)
                    />
                </label>
                <button type="submit">"Send"</button>
                </fieldset>
            </form>
            {move || send.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
            <p class="muted playground-typing">{move || chat.typing.get().map(|who| format!("{who} is typing…"))}</p>
            <ol class="playground-messages" data-testid="playground-messages">
                {move || {
                    let me = me.clone();
                    chat.messages.get().into_iter().map(move |message| view! { <ChatLine message me=me.clone() /> }).collect_view()
                }}
            </ol>
        </div>
    }
}

#[component]
fn ChatLine(message: MessageView, me: String) -> impl IntoView {
    let text = message.data.get("text").and_then(|t| t.as_str()).map(str::to_owned);
    let shown = match (message.deleted_at, text) {
        (Some(_), _) => "(deleted)".to_owned(),
        (None, Some(text)) => text,
        (None, None) => format!("[{}]", message.message_type),
    };
    let mine = message.sender == me;
    view! {
        <li class:mine=mine>
            <strong>{message.sender}</strong> " → " <span class="muted">{message.receiver}</span> ": " <span class="text">{shown}</span>
        </li>
    }
}
