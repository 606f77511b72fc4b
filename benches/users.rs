//! Users and groups at scale: seeds a fresh database, serves the app on a
//! random port, and measures the REST endpoints under concurrency.
//!
//!   cargo bench --features ssr --bench users -- [--users N] [--groups N] [--crowd N] [--messages N]
//!                                               [--backend sqlite|postgres|both]
//!                                               [--concurrency C] [--requests R] [--only TEXT]
//!
//! `--groups` groups of five members are seeded after the users (none with
//! `--groups 0`), and one group, `town-square`, of the first `--crowd` users.
//! `--messages` messages are seeded after the groups (none by default), and
//! the message scenarios run on them.
//! `--only` runs just the scenarios whose name contains TEXT (or one of
//! several, separated by commas).
//!
//! Postgres comes from SWITCHBOARD_BENCH_POSTGRES_URL (an admin URL such as
//! postgres://switchboard:switchboard@127.0.0.1:5432/postgres).

// The dashboard's views are deep nested types (see src/lib.rs); every
// crate that renders them needs the raised limit.
#![recursion_limit = "256"]
mod support;

use std::{net::SocketAddr, sync::Arc, time::Instant};

use serde_json::{Value, json};
use switchboard::{
    domain::{AppName, Email, Environment, KeyName, KeyScope, OperatorName, OperatorRole, Password, Region},
    server::{
        auth::{Caller, password::PasswordChecks},
        config::Config,
        db::Db,
        http,
        service::{api_keys, apps, operators, seed},
    },
};

struct Options {
    users: u64,
    groups: u64,
    crowd: u64,
    messages: u64,
    backends: Vec<&'static str>,
    concurrency: usize,
    requests: usize,
    only: Option<String>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let backends = match value("--backend").as_deref() {
        Some("postgres") => vec!["postgres"],
        Some("both") => vec!["sqlite", "postgres"],
        _ => vec!["sqlite"],
    };
    Options {
        users: value("--users").map_or(100_000, |v| v.parse().expect("--users N")),
        groups: value("--groups").map_or(100_000, |v| v.parse().expect("--groups N")),
        crowd: value("--crowd").map_or(100_000, |v| v.parse().expect("--crowd N")),
        messages: value("--messages").map_or(0, |v| v.parse().expect("--messages N")),
        backends,
        concurrency: value("--concurrency").map_or(16, |v| v.parse().expect("--concurrency C")),
        requests: value("--requests").map_or(2000, |v| v.parse().expect("--requests R")),
        only: value("--only"),
    }
}

/// The whole machine's CPU time, read from `/proc/stat`: what a scenario
/// cost, the database included when it runs here. Unlike requests per
/// second, it holds still when a neighbour on the host takes a core.
#[derive(Clone, Copy)]
struct MachineCpu {
    busy: u64,
    stolen: u64,
    total: u64,
}

impl MachineCpu {
    fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let ticks: Vec<u64> =
            stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|n| n.parse().ok()).collect();
        let at = |i: usize| ticks.get(i).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal
        let (busy, stolen) = (at(0) + at(1) + at(2) + at(5) + at(6), at(7));
        MachineCpu { busy, stolen, total: busy + stolen + at(3) + at(4) }
    }

    /// Milliseconds of busy CPU per `events` since `start`, and the share
    /// of the time the host took away (steal), in per cent.
    fn since(start: MachineCpu, events: usize) -> (f64, f64) {
        let end = MachineCpu::now();
        // /proc/stat counts in USER_HZ ticks, a hundred a second on Linux.
        let busy_ms = (end.busy - start.busy) as f64 * 10.0;
        let total = (end.total - start.total).max(1) as f64;
        (busy_ms / events.max(1) as f64, (end.stolen - start.stolen) as f64 * 100.0 / total)
    }
}

/// The columns `scenario` prints. CPU is the whole machine's busy time per
/// request (the database's too when it runs here); steal is the share of
/// the run the host gave to others, which the other columns suffer from.
fn print_heading() {
    println!(
        "{:<44} {:>10} {:>9} {:>9} {:>7} {:>10} {:>6}",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "CPU ms/req", "steal%"
    );
}

/// Unless `--only` leaves it out, sends `requests` requests, `concurrency`
/// at a time (`make(i)` builds the i-th), and prints the scenario's row.
async fn scenario<F>(name: &str, opts: &Options, make: F)
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    if opts.only.as_ref().is_some_and(|only| !only.split(',').any(|part| name.contains(part))) {
        return;
    }
    let (concurrency, requests) = (opts.concurrency, opts.requests);
    let make = Arc::new(make);
    // The load comes from a thread and runtime of its own, with a client of
    // its own, as from another program: the server's workers then serve the
    // server alone, and a response is timed when it arrives, not when a
    // worker busy with the server gets round to its client task.
    let (started, cpu) = (Instant::now(), MachineCpu::now());
    let load = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(send_all(make, concurrency, requests))
    });
    let (mut timings, errors) = tokio::task::spawn_blocking(move || load.join().unwrap()).await.unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu_ms, steal) = MachineCpu::since(cpu, requests);
    timings.sort_by(f64::total_cmp);
    let at = |q: f64| timings[((timings.len() as f64 * q) as usize).min(timings.len() - 1)];
    println!(
        "{name:<44} {:>10.0} {:>9.2} {:>9.2} {:>7} {cpu_ms:>10.3} {steal:>6.1}",
        requests as f64 / elapsed,
        at(0.50),
        at(0.99),
        errors
    );
}

/// Sends `requests` requests, `concurrency` at a time, each built by
/// `make(i)` and sent by a client of this runtime; their times in
/// milliseconds, and how many failed.
async fn send_all<F>(make: Arc<F>, concurrency: usize, requests: usize) -> (Vec<f64>, usize)
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    // A redirect is an error, not a success: a page that sends the client
    // to sign in is not the page measured.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (make, next, client) = (make.clone(), next.clone(), client.clone());
            tokio::spawn(async move {
                let mut timings = Vec::new();
                let mut errors = 0;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= requests {
                        break;
                    }
                    let request = make(i).build().unwrap();
                    let sent = Instant::now();
                    // The whole answer, as a client reads it; an unread body
                    // would also cost the connection its reuse.
                    let ok = match client.execute(request).await {
                        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    timings.push(sent.elapsed().as_secs_f64() * 1000.0);
                    errors += usize::from(!ok);
                }
                (timings, errors)
            })
        })
        .collect();
    let mut timings = Vec::with_capacity(requests);
    let mut errors = 0;
    for worker in workers {
        let (t, e) = worker.await.unwrap();
        timings.extend(t);
        errors += e;
    }
    (timings, errors)
}

#[tokio::main]
async fn main() {
    let opts = options();
    println!("users: {}, concurrency: {}, requests per scenario: {}", opts.users, opts.concurrency, opts.requests);
    for backend in opts.backends.clone() {
        bench(backend, &opts).await;
    }
}

async fn bench(backend: &'static str, opts: &Options) {
    let (db, _) = support::fresh_database(backend).await;
    let cli = Caller::cli();
    let app = apps::create(
        &db,
        &cli,
        apps::NewApp {
            name: AppName::parse("Bench").unwrap(),
            environment: Environment::Development,
            region: Region::Us,
        },
    )
    .await
    .unwrap();
    let new_key = api_keys::NewKey {
        name: KeyName::parse("bench").unwrap(),
        scope: KeyScope::FullAccess,
        expires_at: None,
        confirm_auth_key_in_production: false,
    };
    let key = api_keys::create(&db, &cli, &app, new_key).await.unwrap().api_key;

    let started = Instant::now();
    let report = seed::users(&db, &cli, &app, opts.users, |_| {}).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "\n== {backend}: seeded {} users, {} tags, {} tokens in {seconds:.1} s ({:.0} users/s)",
        report.users,
        report.tags,
        report.tokens,
        report.users as f64 / seconds
    );

    let options = leptos::config::get_configuration(Some("Cargo.toml")).unwrap().leptos_options;
    let router = http::app(db.clone(), Config::default(), options).await.unwrap().router;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let client = reqwest::Client::builder().pool_max_idle_per_host(opts.concurrency).build().unwrap();
    let app_id = app.view.app_id.to_string();
    let get = {
        let (client, base, app_id, key) = (client.clone(), base.clone(), app_id.clone(), key.clone());
        move |path: String| client.get(format!("{base}{path}")).header("appid", &app_id).header("apikey", &key)
    };
    let post = {
        let (client, base, app_id, key) = (client.clone(), base.clone(), app_id.clone(), key.clone());
        move |path: String, body: Value| {
            client.post(format!("{base}{path}")).header("appid", &app_id).header("apikey", &key).json(&body)
        }
    };

    // Sample UIDs from across the table by walking pages; the 500th page's cursor comes from the walk too.
    let mut sample = Vec::new();
    let mut cursor: Option<String> = None;
    let mut page_500 = None;
    let walk_started = Instant::now();
    for page in 1..=500 {
        let path = match &cursor {
            Some(c) => format!("/v3/users?perPage=100&cursor={c}"),
            None => "/v3/users?perPage=100".to_owned(),
        };
        if page == 500 {
            page_500 = Some(path.clone());
        }
        let body: Value = get(path).send().await.unwrap().json().await.unwrap();
        if let Some(first) = body["data"][0]["uid"].as_str() {
            sample.push(first.to_owned());
        }
        match body["meta"]["cursor"]["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    println!("walked {} pages of 100 by cursor in {:.2} s", sample.len(), walk_started.elapsed().as_secs_f64());
    let sample = Arc::new(sample);

    let prefixes = ["ana", "ben_k", "chl", "dev_o", "elif", "far", "gra", "hiro_s", "ine", "jon"];
    print_heading();

    let (g, s) = (get.clone(), sample.clone());
    scenario("GET /v3/users/{uid}", opts, move |i| g(format!("/v3/users/{}", s[i % s.len()]))).await;
    let g = get.clone();
    scenario("GET /v3/users?searchKey=… (uid or name)", opts, move |i| {
        g(format!("/v3/users?perPage=25&searchKey={}", prefixes[i % prefixes.len()]))
    })
    .await;
    let g = get.clone();
    scenario("GET /v3/users?searchKey=…&searchIn=name", opts, move |i| {
        g(format!("/v3/users?perPage=25&searchIn=name&searchKey={}", ["an", "ben", "zo", "maya s", "priya"][i % 5]))
    })
    .await;
    let g = get.clone();
    scenario("GET /v3/users (first page of 100)", opts, move |_| g("/v3/users?perPage=100".to_owned())).await;
    if let Some(path) = page_500 {
        let g = get.clone();
        scenario("GET /v3/users 500th page by cursor", opts, move |_| g(path.clone())).await;
    }
    let p = post.clone();
    let run = std::process::id();
    scenario("POST /v3/users", opts, move |i| {
        p("/v3/users".to_owned(), json!({"uid": format!("bench_{run}_{i}"), "name": format!("Bench {i}")}))
    })
    .await;
    let (p, s) = (post.clone(), sample.clone());
    scenario("POST /v3/users/{uid}/auth_tokens", opts, move |i| {
        p(format!("/v3/users/{}/auth_tokens", s[i % s.len()]), json!({"platform": "web"}))
    })
    .await;

    // The dashboard: an operator's browser asking for the users page with a search, rendered on the server.
    let operator = operators::NewOperator {
        email: Email::parse("bench@example.com").unwrap(),
        name: OperatorName::parse("Bench").unwrap(),
        role: OperatorRole::Owner,
        password: Password::parse("a long enough password").unwrap(),
    };
    operators::create(&db, &PasswordChecks::per_core(), &cli, operator).await.unwrap();
    let sign_in = <switchboard::ui::sign_in_page::SignIn as leptos::server_fn::ServerFn>::PATH;
    let signed_in = client
        .post(format!("{base}{sign_in}"))
        .form(&[("email", "bench@example.com"), ("password", "a long enough password")])
        .send()
        .await
        .unwrap();
    // The session's cookie by its name: sign-in sets the known-device cookie too.
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|c| c.starts_with("switchboard_session="))
        .expect("sign-in sets the session cookie")
        .to_owned();
    let (browser, page_base) = (client.clone(), format!("{base}/apps/{app_id}/users"));
    scenario("dashboard users page, search (server render)", opts, move |i| {
        browser
            .get(format!("{page_base}?q={}", prefixes[i % prefixes.len()]))
            .header("cookie", &cookie)
            .header("accept", "text/html")
    })
    .await;
    if opts.groups > 0 {
        bench_groups(&db, &app, opts, &get, &sample).await;
    }
    if opts.messages > 0 {
        bench_messages(&db, &app, opts, &get, &post, &sample).await;
    }
    db.close().await;
}

async fn bench_groups<G>(db: &Db, app: &apps::App, opts: &Options, get: &G, sample: &Arc<Vec<String>>)
where
    G: Fn(String) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static,
{
    let started = Instant::now();
    let report = seed::groups(db, &Caller::cli(), app, opts.groups, opts.crowd, |_| {}).await.unwrap();
    println!(
        "\n== seeded {} groups, {} memberships in {:.1} s",
        report.groups,
        report.memberships,
        started.elapsed().as_secs_f64()
    );
    let crowd = seed::CROWD_GUID;
    // The 500th page of the crowd's members, by cursor.
    let mut path = format!("/v3/groups/{crowd}/members?perPage=100");
    for _ in 1..500 {
        let body: Value = get(path.clone()).send().await.unwrap().json().await.unwrap();
        let Some(next) = body["meta"]["cursor"]["next"].as_str() else { break };
        path = format!("/v3/groups/{crowd}/members?perPage=100&cursor={next}");
    }
    print_heading();
    let g = get.clone();
    scenario("GET /v3/groups (first page of 100)", opts, move |_| g("/v3/groups?perPage=100".to_owned())).await;
    let g = get.clone();
    let topics = ["book", "chess", "coo", "jazz", "photo c", "travel squad", "g00012", "g0099"];
    scenario("GET /v3/groups?searchKey=… (name or guid)", opts, move |i| {
        g(format!("/v3/groups?perPage=25&searchKey={}", topics[i % topics.len()]))
    })
    .await;
    let g = get.clone();
    scenario("GET /v3/groups/{guid} (the crowd)", opts, move |_| g(format!("/v3/groups/{crowd}"))).await;
    let g = get.clone();
    scenario("GET /v3/groups/{guid}/members (first 100)", opts, move |_| {
        g(format!("/v3/groups/{crowd}/members?perPage=100"))
    })
    .await;
    let g = get.clone();
    scenario("GET /v3/groups/{guid}/members 500th page", opts, move |_| g(path.clone())).await;
    let g = get.clone();
    scenario("GET …/members?scopes=moderator (groups)", opts, move |_| {
        g(format!("/v3/groups/{crowd}/members?perPage=100&scopes=moderator"))
    })
    .await;
    let g = get.clone();
    scenario("GET …/members?searchKey=… (groups)", opts, move |i| {
        g(format!("/v3/groups/{crowd}/members?perPage=25&searchKey={}", ["ana", "ben_k", "zoe", "hiro_s"][i % 4]))
    })
    .await;
    let (g, s) = (get.clone(), sample.clone());
    scenario("GET /v3/users/{uid}/groups", opts, move |i| g(format!("/v3/users/{}/groups", s[i % s.len()]))).await;
}

async fn bench_messages<G, P>(db: &Db, app: &apps::App, opts: &Options, get: &G, post: &P, sample: &Arc<Vec<String>>)
where
    G: Fn(String) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static,
    P: Fn(String, Value) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static,
{
    let started = Instant::now();
    let report = seed::messages(db, &Caller::cli(), app, opts.messages, |_| {}).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "\n== seeded {} messages in {seconds:.1} s ({:.0} messages/s)",
        report.messages,
        report.messages as f64 / seconds
    );
    // Conversations to read: those of sampled users who talk, as the API lists them.
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for uid in sample.iter().take(400) {
        let body: Value =
            get(format!("/v3/users/{uid}/conversations?limit=5")).send().await.unwrap().json().await.unwrap();
        for conversation in body["data"].as_array().into_iter().flatten() {
            let with = conversation["conversationWith"].as_str().unwrap().to_owned();
            match conversation["conversationType"].as_str() {
                Some("user") => pairs.push((uid.clone(), with)),
                _ => groups.push(with),
            }
        }
    }
    groups.push(seed::CROWD_GUID.to_owned());
    println!("{} conversations and {} groups to read", pairs.len(), groups.len());
    let (pairs, groups) = (Arc::new(pairs), Arc::new(groups));
    let senders: Arc<Vec<String>> = Arc::new(pairs.iter().map(|(uid, _)| uid.clone()).collect());
    let middle = seed_day_window();
    print_heading();
    let (g, c) = (get.clone(), pairs.clone());
    scenario("GET /v3/users/{uid}/messages (latest 50)", opts, move |i| {
        let (me, other) = &c[i % c.len()];
        g(format!("/v3/users/{other}/messages?limit=50")).header("onbehalfof", me.as_str())
    })
    .await;
    let (g, gs) = (get.clone(), groups.clone());
    scenario("GET /v3/groups/{guid}/messages (latest 50)", opts, move |i| {
        g(format!("/v3/groups/{}/messages?limit=50", gs[i % gs.len()]))
    })
    .await;
    let (g, s) = (get.clone(), sample.clone());
    scenario("GET /v3/users/{uid}/conversations", opts, move |i| {
        g(format!("/v3/users/{}/conversations?limit=25", s[i % s.len()]))
    })
    .await;
    let explorer: Vec<(&str, Box<dyn Fn(usize) -> String + Send + Sync>)> = vec![
        ("explorer: newest 50", Box::new(|_| "/v3/messages?limit=50".to_owned())),
        ("explorer: by sender", {
            let s = senders.clone();
            Box::new(move |i| format!("/v3/messages?limit=50&sender={}", s[i % s.len()]))
        }),
        ("explorer: by receiver", {
            let s = senders.clone();
            Box::new(move |i| format!("/v3/messages?limit=50&receiver={}&receiverType=user", s[i % s.len()]))
        }),
        ("explorer: by group", {
            let gs = groups.clone();
            Box::new(move |i| format!("/v3/messages?limit=50&receiver={}&receiverType=group", gs[i % gs.len()]))
        }),
        ("explorer: category call", Box::new(|_| "/v3/messages?limit=50&category=call".to_owned())),
        (
            "explorer: category message, type image",
            Box::new(|_| "/v3/messages?limit=50&category=message&type=image".to_owned()),
        ),
        ("explorer: tag", Box::new(|_| "/v3/messages?limit=50&tags=important".to_owned())),
        (
            "explorer: one day, 15 days ago",
            Box::new(move |_| format!("/v3/messages?limit=50&from={}&to={}", middle.0, middle.1)),
        ),
        ("explorer: sender and category", {
            let s = senders.clone();
            Box::new(move |i| format!("/v3/messages?limit=50&category=message&sender={}", s[i % s.len()]))
        }),
        // The filters on a message's text scan what the other filters leave:
        // a word in one text of ten fills a page soon, a word in none reads all.
        (
            "explorer: searchKey in a tenth of texts",
            Box::new(|_| "/v3/messages?limit=50&searchKey=tomorrow".to_owned()),
        ),
        (
            "explorer: searchKey in no text (reads all)",
            Box::new(|_| "/v3/messages?limit=50&searchKey=zebra".to_owned()),
        ),
        (
            "explorer: hasMentions, none seeded (reads all)",
            Box::new(|_| "/v3/messages?limit=50&hasMentions=true".to_owned()),
        ),
    ];
    for (name, path) in explorer {
        let g = get.clone();
        scenario(name, opts, move |i| g(path(i))).await;
    }
    let (g, c) = (get.clone(), pairs.clone());
    scenario("conversation: searchKey in no text", opts, move |i| {
        let (me, other) = &c[i % c.len()];
        g(format!("/v3/users/{other}/messages?limit=50&searchKey=zebra")).header("onbehalfof", me.as_str())
    })
    .await;
    let (g, c) = (get.clone(), pairs.clone());
    scenario("conversation: unread, with its count", opts, move |i| {
        let (me, other) = &c[i % c.len()];
        g(format!("/v3/users/{other}/messages?limit=50&unread=true&count=true")).header("onbehalfof", me.as_str())
    })
    .await;
    let (g, s) = (get.clone(), senders.clone());
    scenario("GET /v3/messages read for a user (their conversations)", opts, move |i| {
        g("/v3/messages?limit=50".to_owned()).header("onbehalfof", s[i % s.len()].as_str())
    })
    .await;
    let (p, c) = (post.clone(), pairs.clone());
    scenario("POST /v3/messages (text to a user)", opts, move |i| {
        let (me, other) = &c[i % c.len()];
        let body = json!({"receiver": other, "receiverType": "user", "category": "message", "type": "text", "data": {"text": format!("bench {i}")}});
        p("/v3/messages".to_owned(), body).header("onbehalfof", me.as_str())
    })
    .await;
}

/// The day from 15 to 14 days ago, in seconds since 1970.
fn seed_day_window() -> (i64, i64) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    (now - 15 * 86_400, now - 14 * 86_400)
}
