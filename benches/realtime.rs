//! The realtime gateway under load: many clients connected to `switchboard
//! serve` processes, and messages to a large group delivered to them.
//!
//!   cargo bench --features ssr --bench realtime -- [--connections N] [--group N] [--messages M]
//!                                                  [--backend sqlite|postgres|both] [--processes P]
//!
//! Seeds `--connections` users (default 10,000), each with an auth token,
//! and a group of the first `--group` of them (default 1,000). Starts the
//! server binary as its own process (on Postgres, `--processes` of them,
//! default 1 and 2 in turn; SQLite has one), connects every user, a
//! connection per user spread across the processes, and reports:
//! - connections opened and logged in per second;
//! - the server's memory per connection (its resident set before and after);
//! - the delivery latency of a group message to every connected member
//!   (from the send request to each member's receipt), one message at a time;
//! - messages and deliveries per second with messages sent back to back.
//!
//! The clients log in without presence (`"presence": "none"`): subscribed to
//! everyone's, each of 10,000 connections coming online would be told to all
//! the others, a hundred million frames.
//!
//! Postgres comes from SWITCHBOARD_BENCH_POSTGRES_URL, as for `users`.

#![recursion_limit = "256"]
// Shared with the tests, which use more of it.
#[allow(dead_code)]
#[path = "../tests/integration/common/server_process.rs"]
mod server_process;
mod support;

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use server_process::ServerProcess;

use futures::{SinkExt, StreamExt, stream};
use serde_json::{Value, json};
use switchboard::{
    domain::{AppName, Environment, Guid, KeyName, KeyScope, Region, UserFilter, UserSummary},
    server::{
        auth::Caller,
        db::Db,
        service::{
            Paging, api_keys, apps, auth_tokens, members,
            seed::{self, CROWD_GUID},
            users::{self, UserQuery},
        },
    },
};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Message, protocol::WebSocketConfig};

struct Options {
    connections: u64,
    group: u64,
    messages: usize,
    backends: Vec<&'static str>,
    processes: Vec<usize>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    Options {
        connections: value("--connections").map_or(10_000, |v| v.parse().expect("--connections N")),
        group: value("--group").map_or(1_000, |v| v.parse().expect("--group N")),
        messages: value("--messages").map_or(200, |v| v.parse().expect("--messages M")),
        backends: match value("--backend").as_deref() {
            Some("sqlite") => vec!["sqlite"],
            Some("postgres") => vec!["postgres"],
            None | Some("both") => vec!["sqlite", "postgres"],
            Some(other) => panic!("unknown backend {other}"),
        },
        processes: value("--processes").map_or(vec![1, 2], |v| vec![v.parse().expect("--processes P")]),
    }
}

#[tokio::main]
async fn main() {
    let opts = options();
    println!("connections: {}, group members: {}, messages: {}", opts.connections, opts.group, opts.messages);
    for backend in &opts.backends {
        let processes: Vec<usize> = if *backend == "sqlite" { vec![1] } else { opts.processes.clone() };
        for count in processes {
            bench(backend, count, &opts).await;
        }
    }
}

/// An app of `connections` users with a token each, and the crowd group.
struct Scene {
    url: String,
    app_id: String,
    key: String,
    tokens: Vec<String>,
    /// Which of the users (by their place in `tokens`) are group members.
    members: Vec<bool>,
    /// A member, who sends the group's messages.
    sender: String,
}

async fn scene(db: &Db, url: String, opts: &Options) -> Scene {
    let cli = Caller::cli();
    let new_app = apps::NewApp {
        name: AppName::parse("Bench").unwrap(),
        environment: Environment::Development,
        region: Region::Us,
    };
    let app = apps::create(db, &cli, new_app).await.unwrap();
    let new_key = api_keys::NewKey {
        name: KeyName::parse("bench").unwrap(),
        scope: KeyScope::FullAccess,
        expires_at: None,
        confirm_auth_key_in_production: false,
    };
    let key = api_keys::create(db, &cli, &app, new_key).await.unwrap().api_key;
    seed::users(db, &cli, &app, opts.connections, |_| {}).await.unwrap();
    seed::groups(db, &cli, &app, 0, opts.group, |_| {}).await.unwrap();

    let mut uids = Vec::new();
    let mut cursor = None;
    loop {
        let query = UserQuery::filtered(UserFilter::default(), 1000, cursor);
        let page = users::list::<UserSummary>(db, &cli, &app, query).await.unwrap();
        uids.extend(page.items.into_iter().map(|u| u.uid));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut in_group = std::collections::HashSet::new();
    let mut paging = Paging::first(1000);
    loop {
        let query = members::MemberQuery { paging: paging.clone(), ..members::MemberQuery::default() };
        let guid = Guid::parse(CROWD_GUID).unwrap();
        let page = members::list(db, &cli, &app, &switchboard::server::service::groups::Acting::App, &guid, query)
            .await
            .unwrap();
        in_group.extend(page.items.into_iter().map(|m| m.uid.to_string()));
        match page.next_cursor {
            Some(next) => paging = Paging::after(1000, Some(next)),
            None => break,
        }
    }
    let started = Instant::now();
    let tokens: Vec<String> = stream::iter(uids.iter().cloned())
        .map(|uid| {
            let (db, cli, app) = (db.clone(), cli.clone(), &app);
            async move {
                let device = auth_tokens::Device { platform: Some("bench".into()), user_agent: None };
                auth_tokens::issue(&db, &cli, app, &uid, device).await.unwrap().auth_token
            }
        })
        .buffered(32)
        .collect()
        .await;
    println!("issued {} tokens in {:.1} s", tokens.len(), started.elapsed().as_secs_f64());
    let members: Vec<bool> = uids.iter().map(|uid| in_group.contains(uid.as_str())).collect();
    let sender = uids.iter().find(|uid| in_group.contains(uid.as_str())).unwrap().to_string();
    Scene { url, app_id: app.view.app_id.to_string(), key, tokens, members, sender }
}

/// A group message's text carries its number; members report when it came.
fn numbered(text: &str) -> Option<usize> {
    text.strip_prefix("bench ").and_then(|n| n.parse().ok())
}

/// Connects one client and reports its login and, for a group member, each
/// numbered group message it receives (login as `usize::MAX`).
async fn client(
    base: String,
    app_id: String,
    token: String,
    member: bool,
    arrived: mpsc::UnboundedSender<(usize, Instant)>,
) {
    // Small buffers: ten thousand clients share this process.
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let url = format!("ws://{base}/v3/realtime?appid={app_id}");
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false).await.expect("connect");
    ws.send(Message::text(json!({"type": "login", "authToken": token, "presence": "none"}).to_string())).await.unwrap();
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else { continue };
        let frame: Value = serde_json::from_str(&text).unwrap();
        match frame["type"].as_str() {
            Some("loggedIn") => {
                let _ = arrived.send((usize::MAX, Instant::now()));
            }
            Some("message") if member => {
                if let Some(n) = frame["message"]["data"]["text"].as_str().and_then(numbered) {
                    let _ = arrived.send((n, Instant::now()));
                }
            }
            _ => {}
        }
    }
}

async fn bench(backend: &str, processes: usize, opts: &Options) {
    let (db, url) = support::fresh_database(backend).await;
    println!("\n== {backend}, {processes} server process(es)");
    let scene = Arc::new(scene(&db, url, opts).await);
    let mut servers = Vec::new();
    for _ in 0..processes {
        // A connection storm makes logins wait for the pool; that shows in the figures.
        let log = "warn,sqlx::pool::acquire=error";
        servers.push(ServerProcess::start(&scene.url, &["--ping-timeout", "600"], log).await);
    }
    let idle_kib: Vec<u64> = servers.iter().map(ServerProcess::resident_kib).collect();

    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let started = Instant::now();
    let mut member_clients = 0;
    for (i, token) in scene.tokens.iter().enumerate() {
        let base = servers[i % processes].addr.clone();
        member_clients += usize::from(scene.members[i]);
        tokio::spawn(client(base, scene.app_id.clone(), token.clone(), scene.members[i], arrived.clone()));
        // A burst of thousands of handshakes at once overflows the listen queue.
        if i % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let mut logged_in = 0;
    while logged_in < scene.tokens.len() {
        let (n, _) = tokio::time::timeout(Duration::from_secs(60), arrivals.recv()).await.unwrap().unwrap();
        if n == usize::MAX {
            logged_in += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("connected and logged in {logged_in} clients in {seconds:.1} s ({:.0}/s)", logged_in as f64 / seconds);
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (server, idle) in servers.iter().zip(&idle_kib) {
        let now = server.resident_kib();
        let per_process = (logged_in / processes) as f64;
        println!(
            "server memory: {:.0} MiB idle, {:.0} MiB with {per_process:.0} connections: {:.1} KiB per connection",
            *idle as f64 / 1024.0,
            now as f64 / 1024.0,
            (now.saturating_sub(*idle)) as f64 / per_process
        );
    }

    let http = reqwest::Client::new();
    let send = |n: usize| {
        let body = json!({"receiver": CROWD_GUID, "receiverType": "group", "category": "message", "type": "text", "data": {"text": format!("bench {n}")}});
        http.post(format!("http://{}/v3/messages", servers[0].addr))
            .header("appid", &scene.app_id)
            .header("apikey", &scene.key)
            .header("onbehalfof", &scene.sender)
            .json(&body)
            .send()
    };
    let expected = member_clients;

    // Latency: one message at a time, each waited for by every member.
    let mut latencies = Vec::with_capacity(opts.messages * expected);
    for n in 0..opts.messages {
        let sent_at = Instant::now();
        assert!(send(n).await.unwrap().status().is_success());
        let mut got = 0;
        while got < expected {
            let (m, at) = tokio::time::timeout(Duration::from_secs(30), arrivals.recv()).await.unwrap().unwrap();
            if m == n {
                latencies.push(at.duration_since(sent_at).as_secs_f64() * 1000.0);
                got += 1;
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "group message to {expected} connected members, one at a time: delivery p50 {:.1} ms, p99 {:.1} ms ({} deliveries)",
        at(0.5),
        at(0.99),
        latencies.len()
    );

    // Throughput: messages back to back, 8 sends in flight.
    let burst = opts.messages;
    let first = opts.messages;
    let started = Instant::now();
    let sending = stream::iter(first..first + burst)
        .map(|n| async move { assert!(send(n).await.unwrap().status().is_success()) })
        .buffer_unordered(8)
        .collect::<Vec<()>>();
    let receiving = async {
        let mut per_message: HashMap<usize, usize> = HashMap::new();
        let mut delivered = 0;
        while delivered < burst * expected {
            let (m, _) = tokio::time::timeout(Duration::from_secs(60), arrivals.recv()).await.unwrap().unwrap();
            if (first..first + burst).contains(&m) {
                *per_message.entry(m).or_default() += 1;
                delivered += 1;
            }
        }
        delivered
    };
    let ((), delivered) = tokio::join!(
        async {
            sending.await;
        },
        receiving
    );
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{burst} group messages back to back: {:.0} messages/s sent and delivered, {:.0} deliveries/s",
        burst as f64 / seconds,
        delivered as f64 / seconds
    );
    drop(servers);
    db.close().await;
}
