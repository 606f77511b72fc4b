//! The realtime gateway, on both databases: clients log in over a
//! WebSocket with their auth tokens and receive what concerns them; the
//! server closes them when their token, user or app goes, or when they stop
//! pinging; bad frames get an error or a close. On Postgres, two server
//! processes on one database act as one.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::{
    domain::{AppId, CloseReason, Environment, KeyScope},
    server::{auth::Caller, config::Config, service::apps},
};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

use crate::common::{
    Api, Backend, data_of, error_of, fresh_database, message_texts, path_of, postgres_available,
    server_process::ServerProcess, spawn_configured,
};
use crate::dashboard_users::Dashboard;
use crate::on_both_backends;

on_both_backends!(
    a_connected_user_receives_messages_edits_and_presence_as_they_happen,
    a_connection_without_pings_is_closed_and_its_user_goes_offline,
    presence_goes_where_the_role_and_the_subscription_allow,
    a_revoked_token_closes_its_socket_at_once_and_leaves_the_users_other_devices,
    a_deactivated_user_or_a_deleted_app_closes_its_sockets,
    a_stopping_server_closes_its_sockets_and_its_users_go_offline,
    a_kicked_member_stops_receiving_the_groups_messages_and_a_new_one_starts,
    typing_and_receipts_reach_the_other_side,
    what_no_device_said_it_got_is_listed_undelivered,
    an_auth_key_logs_in_where_the_app_allows_it_development_apps_at_first,
    each_kind_of_bad_login_gets_its_code_and_a_close,
    each_kind_of_bad_frame_gets_an_error_or_a_close_and_other_connections_carry_on,
    the_playground_connects_an_operator_as_a_development_user_and_the_overview_counts_them,
);

/// How long a test waits for a frame that should come.
const PATIENCE: Duration = Duration::from_secs(5);

/// One client's WebSocket.
struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What a client reads next: a frame, or the server's close code.
#[derive(Debug)]
enum Received {
    Frame(Value),
    Closed(u16),
}

impl Socket {
    /// Opens a socket to the server at `base` (`http://host:port`).
    async fn open(base: &str, app_id: &str) -> Socket {
        let url = format!("{}/v3/realtime?appid={app_id}", base.replacen("http", "ws", 1));
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("the WebSocket opens");
        Socket { ws }
    }

    /// Opens a socket and logs in with `token`; answers it with its `loggedIn` frame.
    async fn logged_in(base: &str, app_id: &str, token: &str) -> (Socket, Value) {
        let mut socket = Socket::open(base, app_id).await;
        socket.send(json!({"type": "login", "authToken": token})).await;
        let frame = socket.frame("loggedIn").await;
        (socket, frame)
    }

    async fn send(&mut self, frame: Value) {
        self.ws.send(Message::text(frame.to_string())).await.unwrap();
    }

    async fn next_within(&mut self, wait: Duration) -> Option<Received> {
        loop {
            let message = tokio::time::timeout(wait, self.ws.next()).await.ok()?;
            return Some(match message {
                Some(Ok(Message::Text(text))) => Received::Frame(serde_json::from_str(&text).unwrap()),
                Some(Ok(Message::Close(Some(close)))) => Received::Closed(close.code.into()),
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => Received::Closed(1006),
                Some(Ok(_)) => continue,
            });
        }
    }

    /// The next frame of type `kind`, passing over frames of other types.
    async fn frame(&mut self, kind: &str) -> Value {
        loop {
            match self.next_within(PATIENCE).await {
                Some(Received::Frame(frame)) if frame["type"] == kind => return frame,
                Some(Received::Frame(_)) => continue,
                other => panic!("waited for a {kind} frame, got {other:?}"),
            }
        }
    }

    /// The close code the server sends within `wait`, passing over frames.
    async fn closed_within(&mut self, wait: Duration) -> u16 {
        let until = tokio::time::Instant::now() + wait;
        loop {
            match self.next_within(until.saturating_duration_since(tokio::time::Instant::now())).await {
                Some(Received::Closed(code)) => return code,
                Some(Received::Frame(_)) => continue,
                None => panic!("the socket was not closed within {wait:?}"),
            }
        }
    }

    /// Every frame that arrives within `wait`.
    async fn frames_within(&mut self, wait: Duration) -> Vec<Value> {
        let until = tokio::time::Instant::now() + wait;
        let mut frames = Vec::new();
        while let Some(Received::Frame(frame)) =
            self.next_within(until.saturating_duration_since(tokio::time::Instant::now())).await
        {
            frames.push(frame);
        }
        frames
    }

    /// Pings and waits for the pong: the connection is alive and logged in.
    async fn answers_pings(&mut self) {
        self.send(json!({"type": "ping"})).await;
        self.frame("pong").await;
    }
}

impl Api {
    /// A new auth token for user `uid`.
    async fn token(&self, uid: &str) -> String {
        let issued = self.ok("POST", &format!("/v3/users/{uid}/auth_tokens"), Some(json!({"platform": "web"}))).await;
        issued["authToken"].as_str().unwrap().to_owned()
    }

    /// User `uid`, logged in on a new socket.
    async fn connect(&self, uid: &str) -> Socket {
        let token = self.token(uid).await;
        Socket::logged_in(&self.app.base, &self.app_id, &token).await.0
    }

    async fn status_of(&self, uid: &str) -> Value {
        self.ok("GET", &format!("/v3/users/{uid}"), None).await
    }

    /// Waits until user `uid`'s status reads `status`: a closed connection
    /// is noted just after the close.
    async fn until_status(&self, uid: &str, status: &str) -> Value {
        let until = tokio::time::Instant::now() + PATIENCE;
        loop {
            let user = self.status_of(uid).await;
            if user["status"] == status {
                return user;
            }
            assert!(tokio::time::Instant::now() < until, "{uid} is still {}", user["status"]);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn a_connected_user_receives_messages_edits_and_presence_as_they_happen(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let (mut ana, logged_in) = Socket::logged_in(&api.app.base, &api.app_id, &api.token("ana").await).await;
    assert_eq!(logged_in["uid"], "ana");
    assert_eq!(logged_in["pingTimeout"], 30);
    assert_eq!(api.status_of("ana").await["status"], "available");

    let mut ben = api.connect("ben").await;
    let online = ana.frame("presence").await;
    assert_eq!((online["uid"].as_str(), online["status"].as_str()), (Some("ben"), Some("available")));

    let sent = api.text("ben", "ana", "user", "hello ana").await;
    for socket in [&mut ana, &mut ben] {
        let pushed = socket.frame("message").await;
        assert_eq!(pushed["message"]["id"], sent["id"]);
        assert_eq!(pushed["message"]["data"]["text"], "hello ana");
    }
    let path = format!("/v3/messages/{}", sent["id"].as_str().unwrap());
    data_of(api.call_as("ben", "PUT", &path, Some(json!({"data": {"text": "hello, ana"}}))).await).await;
    let edited = ana.frame("messageEdited").await;
    assert_eq!(edited["message"]["data"]["text"], "hello, ana");
    data_of(api.call_as("ben", "DELETE", &path, None).await).await;
    let deleted = ana.frame("messageDeleted").await;
    assert!(deleted["message"]["deletedAt"].is_i64());

    ben.ws.close(None).await.unwrap();
    let offline = ana.frame("presence").await;
    assert_eq!((offline["uid"].as_str(), offline["status"].as_str()), (Some("ben"), Some("offline")));
    let ben_now = api.until_status("ben", "offline").await;
    assert!(ben_now["lastActiveAt"].is_i64());
}

async fn presence_goes_where_the_role_and_the_subscription_allow(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat", "dan", "eve", "fay"]).await;
    api.ok("POST", "/v3/users/ana/friends", Some(json!({"accepted": ["fay"]}))).await;
    api.ok("POST", "/v3/users/dan/friends", Some(json!({"accepted": ["fay"]}))).await;
    let private = json!({"role": "private", "name": "Private", "settings": {"listUsers": "friendsOnly"}});
    api.ok("POST", "/v3/roles", Some(private)).await;
    api.ok("PUT", "/v3/users/dan", Some(json!({"role": "private"}))).await;
    // ana asks for friends only; ben for nobody; cat leaves it to the role
    // (everyone); dan asks for everyone, and his role narrows it to friends.
    let mut watchers = Vec::new();
    for (uid, presence) in [("ana", Some("friends")), ("ben", Some("none")), ("cat", None), ("dan", Some("all"))] {
        let mut socket = Socket::open(&api.app.base, &api.app_id).await;
        let mut login = json!({"type": "login", "authToken": api.token(uid).await});
        if let Some(presence) = presence {
            login["presence"] = json!(presence);
        }
        socket.send(login).await;
        socket.frame("loggedIn").await;
        watchers.push((uid, socket));
    }
    let _eve = api.connect("eve").await;
    let _fay = api.connect("fay").await;
    for (uid, socket) in &mut watchers {
        let told: Vec<String> = socket
            .frames_within(Duration::from_millis(700))
            .await
            .iter()
            .filter(|f| f["type"] == "presence" && f["status"] == "available")
            .map(|f| f["uid"].as_str().unwrap().to_owned())
            .collect();
        let expected: &[&str] = match *uid {
            "ana" | "dan" => &["fay"],
            "ben" => &[],
            _ => &["dan", "eve", "fay"],
        };
        assert_eq!(told, expected, "{uid} was told of");
    }
}

async fn a_connection_without_pings_is_closed_and_its_user_goes_offline(backend: Backend) {
    let (db, url) = fresh_database(backend).await;
    let config = Config { ping_timeout: Duration::from_secs(1), ..Config::default() };
    let api = Api::on(spawn_configured(db, url, config).await).await;
    api.users(&["ana"]).await;
    let (mut ana, logged_in) = Socket::logged_in(&api.app.base, &api.app_id, &api.token("ana").await).await;
    assert_eq!(logged_in["pingTimeout"], 1);
    // Pings keep it open past the timeout...
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        ana.answers_pings().await;
    }
    assert_eq!(api.status_of("ana").await["status"], "available");
    // ...and without them it closes.
    assert_eq!(ana.closed_within(Duration::from_secs(3)).await, CloseReason::PingTimeout.code());
    api.until_status("ana", "offline").await;
}

async fn a_revoked_token_closes_its_socket_at_once_and_leaves_the_users_other_devices(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana"]).await;
    let (phone_token, laptop_token) = (api.token("ana").await, api.token("ana").await);
    let (mut phone, _) = Socket::logged_in(&api.app.base, &api.app_id, &phone_token).await;
    let (mut laptop, _) = Socket::logged_in(&api.app.base, &api.app_id, &laptop_token).await;

    let revoked = api.call("DELETE", &format!("/v3/users/ana/auth_tokens/{phone_token}"), None).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(phone.closed_within(Duration::from_secs(1)).await, CloseReason::TokenRevoked.code());
    laptop.answers_pings().await;
    assert_eq!(api.status_of("ana").await["status"], "available", "the laptop is still connected");

    // The revoked token cannot log in again.
    let mut again = Socket::open(&api.app.base, &api.app_id).await;
    again.send(json!({"type": "login", "authToken": phone_token})).await;
    assert_eq!(again.frame("error").await["code"], "AUTH_ERR_AUTH_TOKEN_NOT_FOUND");

    api.ok("DELETE", "/v3/users/ana/auth_tokens", None).await;
    assert_eq!(laptop.closed_within(Duration::from_secs(1)).await, CloseReason::TokenRevoked.code());
    api.until_status("ana", "offline").await;
}

async fn a_deactivated_user_or_a_deleted_app_closes_its_sockets(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let mut ana = api.connect("ana").await;
    let mut ben = api.connect("ben").await;
    api.ok("DELETE", "/v3/users/ana", None).await;
    assert_eq!(ana.closed_within(Duration::from_secs(1)).await, CloseReason::UserGone.code());
    ben.answers_pings().await;

    let app_id = AppId::parse(&api.app_id).unwrap();
    apps::delete(&api.app.db, &Caller::cli(), &app_id, "Test app").await.unwrap();
    assert_eq!(ben.closed_within(Duration::from_secs(1)).await, CloseReason::AppGone.code());
}

async fn a_stopping_server_closes_its_sockets_and_its_users_go_offline(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let (mut ana, mut ben) = (api.connect("ana").await, api.connect("ben").await);
    api.app.gateway.stop().await;
    for socket in [&mut ana, &mut ben] {
        assert_eq!(socket.closed_within(PATIENCE).await, CloseReason::ServerStopping.code());
    }
    for uid in ["ana", "ben"] {
        assert_eq!(api.status_of(uid).await["status"], "offline", "{uid} is offline once the server has stopped");
    }
}

async fn a_kicked_member_stops_receiving_the_groups_messages_and_a_new_one_starts(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    let body = json!({"guid": "team", "name": "Team", "owner": "ana", "members": {"participants": ["ben"]}});
    api.ok("POST", "/v3/groups", Some(body)).await;
    let (mut ana, mut ben, mut cat) = (api.connect("ana").await, api.connect("ben").await, api.connect("cat").await);

    api.text("ana", "team", "group", "before").await;
    assert_eq!(ben.frame("message").await["message"]["data"]["text"], "before");
    assert_eq!(ana.frame("message").await["message"]["data"]["text"], "before");

    api.ok("DELETE", "/v3/groups/team/members/ben", None).await;
    let kicked = ben.frame("message").await;
    assert_eq!(
        (kicked["message"]["category"].as_str(), kicked["message"]["data"]["action"].as_str()),
        (Some("action"), Some("kicked"))
    );
    api.ok("POST", "/v3/groups/team/members", Some(json!({"participants": ["cat"]}))).await;
    let added = cat.frame("message").await;
    assert_eq!(added["message"]["data"]["action"], "added");

    api.text("ana", "team", "group", "after").await;
    assert_eq!(cat.frame("message").await["message"]["data"]["text"], "after");
    ana.frame("message").await;
    let ben_saw: Vec<Value> = ben.frames_within(Duration::from_millis(500)).await;
    assert!(ben_saw.iter().all(|f| f["type"] != "message"), "ben still hears the group: {ben_saw:?}");
}

async fn typing_and_receipts_reach_the_other_side(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let (mut ana, mut ben) = (api.connect("ana").await, api.connect("ben").await);
    ana.send(json!({"type": "typing", "receiver": "ben", "receiverType": "user", "started": true})).await;
    let typing = ben.frame("typing").await;
    assert_eq!((typing["sender"].as_str(), typing["started"].as_bool()), (Some("ana"), Some(true)));

    let sent = api.text("ana", "ben", "user", "are you there").await;
    ben.frame("message").await;
    ben.send(json!({"type": "delivered", "messageId": sent["id"]})).await;
    let delivered = ana.frame("receipt").await;
    assert_eq!((delivered["kind"].as_str(), delivered["by"].as_str()), (Some("delivered"), Some("ben")));
    assert_eq!(delivered["messageId"], sent["id"]);

    let read =
        api.call_as("ben", "POST", "/v3/users/ben/conversations/read", Some(json!({"messageId": sent["id"]}))).await;
    assert!(read.status().is_success(), "{}", read.text().await.unwrap());
    let receipt = ana.frame("receipt").await;
    assert_eq!((receipt["kind"].as_str(), receipt["by"].as_str()), (Some("read"), Some("ben")));

    // Only a receiver confirms delivery.
    ana.send(json!({"type": "delivered", "messageId": sent["id"]})).await;
    assert_eq!(ana.frame("error").await["code"], "ERR_MESSAGE_ID_NOT_FOUND");
}

async fn what_no_device_said_it_got_is_listed_undelivered(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.club(&["ben"]).await;
    let mut ben = api.connect("ben").await;
    let one = api.text("ana", "ben", "user", "one").await;
    api.text("ana", "ben", "user", "two").await;
    let in_club = api.text("ana", "club", "group", "in club").await;
    for message in [&one, &in_club] {
        ben.send(json!({"type": "delivered", "messageId": message["id"]})).await;
    }
    let mut cat = api.connect("cat").await;
    cat.send(json!({"type": "delivered", "messageId": in_club["id"]})).await;
    assert_eq!(cat.frame("error").await["code"], "ERR_MESSAGE_ID_NOT_FOUND", "cat is not in the club");
    let undelivered = |path: &'static str| {
        let api = &api;
        async move { message_texts(&data_of(api.call_as("ben", "GET", path, None).await).await) }
    };
    // A delivered frame is written before the next frame of its socket is read.
    ben.send(json!({"type": "ping"})).await;
    ben.frame("pong").await;
    assert_eq!(undelivered("/v3/users/ana/messages?undelivered=true").await, ["two"]);
    assert_eq!(undelivered("/v3/groups/club/messages?undelivered=true").await, Vec::<String>::new());
    assert_eq!(undelivered("/v3/users/ana/messages?unread=true").await, ["one", "two"], "delivered is not read");
    api.call_as("ben", "POST", "/v3/users/ben/conversations/read", Some(json!({"messageId": one["id"]}))).await;
    assert_eq!(undelivered("/v3/users/ana/messages?undelivered=true").await, ["two"], "a mark never goes back");
}

/// Logs `uid` in on a new socket of app `app_id` with an Auth Key;
/// answers the first frame of the answer: `loggedIn` or `error`.
async fn key_login(api: &Api, app_id: &str, key: &str, uid: &str) -> (Socket, Value) {
    let mut socket = Socket::open(&api.app.base, app_id).await;
    socket.send(json!({"type": "login", "authKey": key, "uid": uid, "platform": "web"})).await;
    let Some(Received::Frame(first)) = socket.next_within(PATIENCE).await else { panic!("no answer to a login") };
    (socket, first)
}

async fn an_auth_key_logs_in_where_the_app_allows_it_development_apps_at_first(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana"]).await;
    let (_, auth_key) = api.app.create_key(&api.app_id, KeyScope::AuthOnly).await;
    let (_, logged_in) = key_login(&api, &api.app_id, &auth_key, "ana").await;
    assert_eq!(logged_in["type"], "loggedIn");
    let minted = logged_in["authToken"].as_str().expect("the minted token is shown once");
    let tokens = api.ok("GET", "/v3/users/ana/auth_tokens", None).await;
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert!(!tokens.to_string().contains(minted));

    let production = api.app.create_app(Environment::Production).await;
    let (_, production_key) = api.app.create_key(&production, KeyScope::AuthOnly).await;
    let ana = json!({"uid": "ana", "name": "Ana"});
    data_of(api.app.rest("POST", "/v3/users", &production, &production_key, Some(ana)).await).await;
    let (mut refused, answer) = key_login(&api, &production, &production_key, "ana").await;
    assert_eq!(answer["code"], "ERR_AUTH_KEY_LOGIN_DISABLED");
    assert_eq!(refused.closed_within(PATIENCE).await, CloseReason::LoginFailed.code());

    // Each app's setting decides, whatever its environment.
    let cli = Caller::cli();
    for (app_id, allowed) in [(&api.app_id, false), (&production, true)] {
        apps::set_auth_key_login(&api.app.db, &cli, &AppId::parse(app_id).unwrap(), allowed).await.unwrap();
    }
    let (_, dev_now) = key_login(&api, &api.app_id, &auth_key, "ana").await;
    assert_eq!(dev_now["code"], "ERR_AUTH_KEY_LOGIN_DISABLED");
    let (_, production_now) = key_login(&api, &production, &production_key, "ana").await;
    assert_eq!(production_now["type"], "loggedIn", "{production_now}");
}

async fn each_kind_of_bad_login_gets_its_code_and_a_close(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana"]).await;
    let unknown_app = api.app.api.get(api.app.url("/v3/realtime?appid=0123456789abcdef")).send().await.unwrap();
    assert_eq!(error_of(unknown_app).await.1, "AUTH_ERR_INVALID_APPID");
    let no_app = api.app.api.get(api.app.url("/v3/realtime")).send().await.unwrap();
    assert_eq!(error_of(no_app).await.1, "AUTH_ERR_EMPTY_APPID");

    let cases = [
        (json!({"type": "login", "authToken": "not-a-token"}), "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"),
        (json!({"type": "ping"}), "ERR_LOGIN_REQUIRED"),
        (json!({"type": "login"}), "ERR_LOGIN_REQUIRED"),
        (json!({"type": "login", "authKey": "k", "uid": "no spaces allowed"}), "ERR_INVALID_UID"),
    ];
    for (first, code) in cases {
        let mut socket = Socket::open(&api.app.base, &api.app_id).await;
        socket.send(first.clone()).await;
        assert_eq!(socket.frame("error").await["code"], code, "{first}");
        assert_eq!(socket.closed_within(PATIENCE).await, CloseReason::LoginFailed.code(), "{first}");
    }
    assert_eq!(api.status_of("ana").await["status"], "offline");
}

async fn each_kind_of_bad_frame_gets_an_error_or_a_close_and_other_connections_carry_on(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let mut bystander = api.connect("ben").await;
    let mut ana = api.connect("ana").await;

    let answered = [
        (Message::text("{not json"), "ERR_BAD_FRAME"),
        (Message::text(json!({"type": "explode"}).to_string()), "ERR_BAD_FRAME"),
        (Message::text(json!({"type": "ping", "extra": 1}).to_string()), "ERR_BAD_FRAME"),
        (Message::binary(vec![1, 2, 3]), "ERR_BAD_FRAME"),
        (Message::text(json!({"type": "login", "authToken": "x"}).to_string()), "ERR_ALREADY_LOGGED_IN"),
        (
            Message::text(
                json!({"type": "typing", "receiver": "nogroup", "receiverType": "group", "started": true}).to_string(),
            ),
            "ERR_NOT_A_MEMBER",
        ),
        (Message::text(json!({"type": "delivered", "messageId": 999999}).to_string()), "ERR_MESSAGE_ID_NOT_FOUND"),
    ];
    for (frame, code) in answered {
        ana.ws.send(frame.clone()).await.unwrap();
        assert_eq!(ana.frame("error").await["code"], code, "{frame:?}");
    }
    ana.answers_pings().await;

    // An oversize frame closes the connection; so does a flood.
    ana.ws.send(Message::text("x".repeat(70 * 1024))).await.unwrap();
    assert_eq!(ana.closed_within(PATIENCE).await, 1009);
    let mut flooding = api.connect("ana").await;
    for _ in 0..200 {
        if flooding.ws.send(Message::text(json!({"type": "ping"}).to_string())).await.is_err() {
            break;
        }
    }
    assert_eq!(flooding.closed_within(PATIENCE).await, CloseReason::Flood.code());

    bystander.answers_pings().await;
    api.text("ana", "ben", "user", "still here").await;
    assert_eq!(bystander.frame("message").await["message"]["data"]["text"], "still here");
}

async fn the_playground_connects_an_operator_as_a_development_user_and_the_overview_counts_them(backend: Backend) {
    use switchboard::ui::{
        live_counts::LoadLiveCounts,
        playground_page::{PlaygroundLogIn, PlaygroundSend},
    };
    let dash = Dashboard::new(backend).await;
    let counts = || dash.ok(path_of::<LoadLiveCounts>(), &[]);
    assert_eq!(counts().await, json!({"connections": 0, "online_users": 0}));

    // A name creates the user first; without one the user must exist.
    let login = dash.ok(path_of::<PlaygroundLogIn>(), &[("uid", "pg_ana"), ("name", "Ana")]).await;
    assert_eq!(login["uid"], "pg_ana");
    let unknown = dash.call(path_of::<PlaygroundLogIn>(), &[("uid", "nobody")]).await;
    assert_eq!(error_of(unknown).await.1, "ERR_UID_NOT_FOUND");
    let again = dash.ok(path_of::<PlaygroundLogIn>(), &[("uid", "pg_ana")]).await;
    assert_ne!(again["auth_token"], login["auth_token"], "each tab gets a token of its own");

    let (mut socket, _) = Socket::logged_in(&dash.app.base, &dash.app_id, login["auth_token"].as_str().unwrap()).await;
    assert_eq!(counts().await, json!({"connections": 1, "online_users": 1}));
    let form = [("uid", "pg_ana"), ("receiver", "pg_ana"), ("receiver_type", "user"), ("text", "note to self")];
    dash.ok(path_of::<PlaygroundSend>(), &form).await;
    assert_eq!(socket.frame("message").await["message"]["data"]["text"], "note to self");

    // The settings page turns Auth Key login off (an unticked box is left
    // out of the form) and on again.
    let setting = path_of::<switchboard::ui::app_settings_page::SetAuthKeyLogin>();
    assert_eq!(dash.ok(setting, &[]).await, json!(false));
    assert_eq!(dash.ok(setting, &[("allowed", "on")]).await, json!(true));
    assert!(dash.app.audit_rows().await.iter().any(|(_, action, ..)| action == "app.auth_key_login"));

    let production = dash.app.create_app(Environment::Production).await;
    let refused = dash
        .browser
        .post(dash.app.url(path_of::<PlaygroundLogIn>()))
        .header("accept", "application/json")
        .form(&[("app_id", production.as_str()), ("uid", "pg_ana"), ("name", "Ana")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(refused).await.1, "ERR_PLAYGROUND_DEVELOPMENT_ONLY");
}

/// Two server processes on one Postgres database: a message sent through
/// one reaches a client of the other, and presence crosses between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_deliver_across_each_other() {
    if !postgres_available() {
        return;
    }
    let api = Api::new(Backend::Postgres).await;
    api.users(&["ana", "ben"]).await;
    let second = ServerProcess::start(&api.app.database_url, &[], "warn").await;
    let second_base = format!("http://{}", second.addr);

    let mut ana = api.connect("ana").await;
    let (mut ben, _) = Socket::logged_in(&second_base, &api.app_id, &api.token("ben").await).await;
    let online = ana.frame("presence").await;
    assert_eq!((online["uid"].as_str(), online["status"].as_str()), (Some("ben"), Some("available")));

    let across = json!({"receiver": "ana", "receiverType": "user", "category": "message", "type": "text", "data": {"text": "across"}});
    let sent = api
        .app
        .api
        .post(format!("{second_base}/v3/messages"))
        .header("appid", &api.app_id)
        .header("apikey", &api.key)
        .header("onbehalfof", "ben")
        .json(&across)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    assert_eq!(ana.frame("message").await["message"]["data"]["text"], "across");
    assert_eq!(ben.frame("message").await["message"]["data"]["text"], "across");

    ben.ws.close(None).await.unwrap();
    assert_eq!(ana.frame("presence").await["status"], "offline");
}

/// The listener of a process loses its connection to Postgres again and
/// again, and a token is revoked through another process meanwhile: the
/// revocation's notification may reach nobody. The process re-checks its
/// sockets each time it listens again, so no revoked socket stays open.
/// Before, such a socket stayed open for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_made_while_a_listener_is_cut_off_still_closes_its_socket() {
    if !postgres_available() {
        return;
    }
    let api = Api::new(Backend::Postgres).await;
    api.users(&["ana"]).await;
    let second = ServerProcess::start(&api.app.database_url, &[], "error").await;
    let through_second = |path: String| {
        api.app
            .api
            .delete(format!("http://{}{path}", second.addr))
            .header("appid", &api.app_id)
            .header("apikey", &api.key)
    };
    let cut_listeners = || cut_listeners_for_a_while(&api);
    for cycle in 0..20 {
        let token = api.token("ana").await;
        let (mut socket, _) = Socket::logged_in(&api.app.base, &api.app_id, &token).await;
        let revoke = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            through_second(format!("/v3/users/ana/auth_tokens/{token}")).send().await.unwrap().status()
        };
        let (cut, revoked) = tokio::join!(cut_listeners(), revoke);
        assert!(cut >= 1, "cycle {cycle}: the listeners were cut off");
        assert_eq!(revoked, StatusCode::OK);
        assert_eq!(
            socket.closed_within(Duration::from_secs(10)).await,
            CloseReason::TokenRevoked.code(),
            "cycle {cycle}"
        );
    }
}

/// Ends every listener's connection to the database, every few
/// milliseconds for 400 ms: each time, the listener connects again.
/// Answers how many connections it ended.
async fn cut_listeners_for_a_while(api: &Api) -> i64 {
    let until = tokio::time::Instant::now() + Duration::from_millis(400);
    let mut cut = 0;
    while tokio::time::Instant::now() < until {
        let sql = "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
                   WHERE datname = current_database() AND usename = current_user AND query ILIKE 'LISTEN%' \
                   AND pid <> pg_backend_pid()";
        cut += api.app.db.scalar::<i64>(sql, &[]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    cut
}

/// Messages sent while a process's listener is cut off again and again
/// all reach its socket, once each and in order: it reads what it missed
/// from the event log when it listens again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_while_a_listener_is_cut_off_are_caught_up() {
    if !postgres_available() {
        return;
    }
    let api = Api::new(Backend::Postgres).await;
    api.users(&["ana", "ben"]).await;
    let second = ServerProcess::start(&api.app.database_url, &[], "error").await;
    let mut ana = api.connect("ana").await;
    let send = |n: usize| {
        let text = json!({"receiver": "ana", "receiverType": "user", "category": "message", "type": "text", "data": {"text": format!("m{n}")}});
        api.app
            .api
            .post(format!("http://{}/v3/messages", second.addr))
            .header("appid", &api.app_id)
            .header("apikey", &api.key)
            .header("onbehalfof", "ben")
            .json(&text)
            .send()
    };
    let sending = async {
        for n in 0..40 {
            assert_eq!(send(n).await.unwrap().status(), StatusCode::OK);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (cut, ()) = tokio::join!(cut_listeners_for_a_while(&api), sending);
    assert!(cut >= 1);
    let texts: Vec<String> = ana
        .frames_within(Duration::from_secs(3))
        .await
        .into_iter()
        .filter(|f| f["type"] == "message")
        .map(|f| f["message"]["data"]["text"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..40).map(|n| format!("m{n}")).collect();
    assert_eq!(texts, expected, "every message once, in order");
}
