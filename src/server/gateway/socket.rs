//! One client's WebSocket: login, then frames both ways until either side
//! closes, the client stops pinging, or the gateway closes it.

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
    extract::{
        Query, State,
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    response::{IntoResponse, Response},
};
use tokio::time::{Instant, sleep_until, timeout};

use super::{Inner, Registered, frame};
use crate::domain::{ClientFrame, CloseReason, Guid, ReceiverType, ServerFrame, Uid};
use crate::server::{
    Error, Result,
    service::{
        apps::App,
        auth_tokens::Device,
        events::{self, Event},
        gateway::{self, Login},
        members, messages,
    },
};

/// The largest frame a client may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// What a connection reads from its socket at a time.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

/// How long a client has, once connected, to send its login frame.
const LOGIN_WITHIN: Duration = Duration::from_secs(10);

/// How long a closing connection waits for the client's close frame.
const CLOSE_WITHIN: Duration = Duration::from_secs(1);

/// Frames a client may send in a burst, and then each second.
const FRAMES_BURST: f64 = 50.0;
const FRAMES_PER_SECOND: f64 = 20.0;

/// `GET /v3/realtime?appid=…`: upgrades to a WebSocket whose first frame
/// logs in. An unknown app is refused before the upgrade, with its code.
pub async fn connect(
    State(gateway): State<super::Gateway>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response> {
    let app_id = query.get("appid").ok_or(Error::EmptyAppId)?;
    let app = gateway::app(&gateway.inner.db, app_id).await?;
    let upgrade = upgrade.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let gateway = gateway.inner.clone();
    Ok(upgrade
        // tungstenite's 128 KiB buffers each way were most of a connection's
        // memory; frames here are small, and a larger one grows its buffer.
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| serve(gateway, app, socket))
        .into_response())
}

async fn serve(gateway: Arc<Inner>, app: App, mut socket: WebSocket) {
    let login = match log_in(&gateway, &app, &mut socket).await {
        Ok(login) => login,
        Err(error) => {
            if let Ok(message) = as_message(&server_error(&error)) {
                let _ = socket.send(message).await;
            }
            close(&mut socket, CloseReason::LoginFailed).await;
            return;
        }
    };
    let row = match gateway::connected(&gateway.db, &gateway.server, &app, &login).await {
        Ok(row) => row,
        Err(error) => {
            tracing::warn!(%error, "could not note a connection");
            close(&mut socket, CloseReason::ServerStopping).await;
            return;
        }
    };
    let registered = gateway.register(app.id, &login);
    let id = registered.id;
    run(&gateway, &app, &login, registered, socket).await;
    gateway.unregister(app.id, login.uid.as_str(), id);
    if let Err(error) = gateway::disconnected(&gateway.db, app.id, row, login.user_id, &login.uid).await {
        tracing::warn!(%error, "could not note a connection's end");
    }
}

/// Waits for the login frame and checks it.
async fn log_in(gateway: &Inner, app: &App, socket: &mut WebSocket) -> Result<Login> {
    let first = timeout(LOGIN_WITHIN, socket.recv())
        .await
        .map_err(|_| Error::invalid("ERR_LOGIN_REQUIRED", "Log in with the first frame, within 10 seconds."))?;
    let frame = match first {
        Some(Ok(Message::Text(text))) => serde_json::from_str(&text).ok(),
        _ => None,
    };
    let Some(ClientFrame::Login { auth_token, auth_key, uid, platform, presence }) = frame else {
        return Err(Error::invalid("ERR_LOGIN_REQUIRED", "The first frame logs in: {\"type\": \"login\", ...}."));
    };
    let login = match (auth_token, auth_key, uid) {
        (Some(token), None, None) => gateway::log_in(&gateway.db, app, &token).await?,
        (None, Some(key), Some(uid)) => {
            let device = Device { platform, user_agent: None };
            gateway::log_in_with_key(&gateway.db, app, &key, &Uid::parse(&uid)?, device).await?
        }
        _ => return Err(Error::invalid("ERR_LOGIN_REQUIRED", "Log in with authToken, or with authKey and uid.")),
    };
    Ok(Login { presence: login.presence.narrowed_to(presence.unwrap_or_default()), ..login })
}

/// The connection's life after login.
async fn run(gateway: &Inner, app: &App, login: &Login, mut registered: Registered, mut socket: WebSocket) {
    let logged_in = ServerFrame::LoggedIn {
        uid: login.uid.to_string(),
        ping_timeout: gateway.ping_timeout.as_secs(),
        auth_token: login.minted_token.clone(),
    };
    let Ok(logged_in) = as_message(&logged_in) else { return };
    if socket.send(logged_in).await.is_err() {
        return;
    }
    let mut ping_by = Instant::now() + gateway.ping_timeout;
    let mut allowance = Allowance::new();
    let reason = loop {
        tokio::select! {
            () = sleep_until(ping_by) => break Some(CloseReason::PingTimeout),
            changed = registered.close.changed() => match changed {
                Ok(()) => if let Some(reason) = *registered.close.borrow() { break Some(reason) },
                Err(_) => break Some(CloseReason::ServerStopping),
            },
            Some(out) = registered.outbox.recv() => {
                if socket.send(text(&out)).await.is_err() {
                    break None;
                }
            }
            received = socket.recv() => {
                let message = match received {
                    Some(Ok(message)) => message,
                    Some(Err(error)) => {
                        // An oversize frame ends the connection with 1009.
                        // axum does not name the underlying error type, so
                        // it is told by tungstenite's wording.
                        if error.to_string().contains("too long") {
                            close_with(&mut socket, 1009, "frame too large").await;
                        }
                        break None;
                    }
                    None => break None,
                };
                if !allowance.take() {
                    break Some(CloseReason::Flood);
                }
                let answer = match message {
                    Message::Text(text) => match serde_json::from_str::<ClientFrame>(&text) {
                        Ok(ClientFrame::Ping {}) => {
                            ping_by = Instant::now() + gateway.ping_timeout;
                            Some(ServerFrame::Pong)
                        }
                        Ok(frame) => act(gateway, app, login, frame).await.err().map(|e| server_error(&e)),
                        Err(error) => Some(ServerFrame::Error { code: "ERR_BAD_FRAME".into(), message: error.to_string() }),
                    },
                    Message::Ping(_) | Message::Pong(_) => {
                        ping_by = Instant::now() + gateway.ping_timeout;
                        None
                    }
                    Message::Binary(_) => Some(ServerFrame::Error {
                        code: "ERR_BAD_FRAME".into(),
                        message: "Frames are JSON text.".into(),
                    }),
                    Message::Close(_) => break None,
                };
                if let Some(answer) = answer.as_ref().map(as_message) {
                    let Ok(answer) = answer else { break None };
                    if socket.send(answer).await.is_err() {
                        break None;
                    }
                }
            }
        }
    };
    if let Some(reason) = reason {
        close(&mut socket, reason).await;
    }
}

/// Does what a client frame after login asks.
async fn act(gateway: &Inner, app: &App, login: &Login, frame: ClientFrame) -> Result<()> {
    let uid = login.uid.as_str();
    match frame {
        ClientFrame::Login { .. } => {
            Err(Error::invalid("ERR_ALREADY_LOGGED_IN", "This connection is logged in already."))
        }
        ClientFrame::Ping {} => Ok(()),
        ClientFrame::Typing { receiver, receiver_type, started } => {
            let to_group = receiver_type == ReceiverType::Group;
            if to_group && !gateway.is_member(app.id, uid, &receiver) {
                return Err(members::not_a_member(&login.uid, &Guid::parse(&receiver)?));
            }
            let typing = Event::Typing { app: app.id, sender: uid.to_owned(), receiver, to_group, started };
            events::publish(&gateway.db, &[typing]).await
        }
        ClientFrame::Delivered { message_id } => {
            messages::mark_delivered(&gateway.db, app.id, &login.uid, message_id).await
        }
    }
}

fn server_error(error: &Error) -> ServerFrame {
    if matches!(error, Error::Internal(_) | Error::Unavailable) {
        tracing::warn!(%error, "a realtime frame failed");
    }
    ServerFrame::Error { code: error.code().to_owned(), message: error.to_string() }
}

/// A frame as a WebSocket message; one that cannot be written is logged
/// (by `frame`'s error) and ends the connection.
fn as_message(server_frame: &ServerFrame) -> crate::server::Result<Message> {
    let written = frame(server_frame).map(|f| text(&f));
    if let Err(error) = &written {
        tracing::error!(%error, "could not write a realtime frame");
    }
    written
}

fn text(frame: &Arc<str>) -> Message {
    Message::Text(frame.as_ref().into())
}

async fn close(socket: &mut WebSocket, reason: CloseReason) {
    close_with(socket, reason.code(), reason.describe()).await;
}

/// Sends a close frame and waits, briefly, for the client's: dropping the
/// connection while the client still sends would reset it, and the client
/// could lose the close frame and its code.
async fn close_with(socket: &mut WebSocket, code: u16, reason: &str) {
    if socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await.is_err() {
        return;
    }
    let _ = timeout(CLOSE_WITHIN, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// A token bucket: bursts up to `FRAMES_BURST`, then `FRAMES_PER_SECOND`.
struct Allowance {
    tokens: f64,
    at: Instant,
}

impl Allowance {
    fn new() -> Self {
        Allowance { tokens: FRAMES_BURST, at: Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * FRAMES_PER_SECOND).min(FRAMES_BURST);
        self.at = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}
