//! The dashboard and the API under attack and on a bad day: a crowd of
//! sign-ins, guesses made at once, an attacker who would lock the team out,
//! requests from other sites, odd bytes, and a database that goes away.

use std::{net::IpAddr, time::Duration};

use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::json;
use switchboard::{
    domain::OperatorRole,
    server::{
        client_address::{TrustedProxies, parse_network},
        config::Config,
    },
    ui::{apps_page::CreateApp, sign_in_page::SignIn, team_page::AddOperator},
};

use crate::common::{
    Api, Backend, PASSWORD, TestApp, error_of, fresh_database, new_browser, path_of, server_process::ServerProcess,
    spawn_app, spawn_configured,
};
use crate::on_both_backends;

on_both_backends!(
    a_crowd_of_sign_ins_keeps_the_server_within_its_memory,
    guesses_made_at_once_get_no_further_than_guesses_in_turn,
    guessing_at_an_account_does_not_keep_its_operator_out_of_their_own_browser,
    failures_from_an_address_do_not_stop_the_known_browsers_behind_it,
    a_known_browser_has_a_limit_of_its_own_and_helps_no_other_account,
    behind_a_trusted_proxy_the_forwarded_client_is_throttled_and_audited,
    a_forwarded_address_from_anyone_else_is_ignored,
    cross_site_requests_with_the_operators_cookie_change_nothing,
    the_dashboards_own_forms_work_with_and_without_javascript,
    every_answer_carries_the_security_headers,
    text_with_a_nul_is_refused_in_every_field_on_either_database,
    a_database_that_is_gone_answers_503_at_once_with_retry_after,
);

fn sign_in_form<'a>(email: &'a str, password: &'a str) -> [(&'static str, &'a str); 2] {
    [("email", email), ("password", password)]
}

async fn sign_in_with(app: &TestApp, browser: &Client, email: &str, password: &str) -> reqwest::Response {
    app.server_fn(browser, path_of::<SignIn>(), &sign_in_form(email, password)).await
}

async fn code_of(res: reqwest::Response) -> String {
    if res.status().is_success() { "OK".to_owned() } else { error_of(res).await.1 }
}

/// A client whose requests come from `addr` (any 127.x.y.z is this machine).
fn client_from(addr: IpAddr) -> Client {
    Client::builder().local_address(addr).timeout(Duration::from_secs(60)).build().unwrap()
}

/// Each password check takes about 19 MiB while it runs; unbounded, 100
/// at once took the server from 29 MiB to 1.9 GB. Checks take turns, one
/// per core, and sign-ins that find every turn taken are answered 429 at
/// once. Measured on the server binary itself, from its own /proc status.
async fn a_crowd_of_sign_ins_keeps_the_server_within_its_memory(backend: Backend) {
    let (_db, url) = fresh_database(backend).await;
    let server = ServerProcess::start(&url, &[], "error").await;
    let before = server.peak_kib();
    let attempts = (0..200u32).map(|n| {
        let from: IpAddr = format!("127.0.{}.{}", 1 + n / 250, 1 + n % 250).parse().unwrap();
        let url = format!("http://{}{}", server.addr, path_of::<SignIn>());
        async move {
            let email = format!("nobody{n}@example.com");
            let res = client_from(from).post(url).form(&sign_in_form(&email, PASSWORD)).send().await.unwrap();
            let retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (res.status(), retry_after)
        }
    });
    let answers = join_all(attempts).await;
    let peak = server.peak_kib();
    assert!(peak < 200 * 1024, "peak memory {peak} KiB (from {before} KiB) stays under 200 MiB");
    let busy: Vec<_> = answers.iter().filter(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS).collect();
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
    assert!(!busy.is_empty(), "200 sign-ins at once find the checks busy");
    assert!(busy.iter().all(|(_, retry)| retry.as_deref() == Some("1")), "a busy answer says when to try again");
}

/// With turns enough for every attempt, 30 wrong passwords for one account
/// sent at once are checked 5 times, as 30 sent one after another would
/// be; 100 at once from one address over many accounts, 20 times.
async fn guesses_made_at_once_get_no_further_than_guesses_in_turn(backend: Backend) {
    let (db, url) = fresh_database(backend).await;
    let app = spawn_configured(db, url, Config { password_checks: 128, ..Config::default() }).await;
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    let guesses =
        (0..30).map(|_| async { code_of(sign_in_with(&app, &new_browser(), "ana@example.com", "guess").await).await });
    let codes = join_all(guesses).await;
    assert_eq!(codes.iter().filter(|c| *c == "ERR_WRONG_CREDENTIALS").count(), 5, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| *c == "ERR_TOO_MANY_ATTEMPTS").count(), 25, "{codes:?}");

    let sprayed = (0..100).map(|n| {
        let app = &app;
        async move {
            let email = format!("guess{n}@example.com");
            code_of(sign_in_with(app, &new_browser(), &email, "guess").await).await
        }
    });
    let codes = join_all(sprayed).await;
    // The five of the first round count against this address too.
    assert_eq!(codes.iter().filter(|c| *c == "ERR_WRONG_CREDENTIALS").count(), 15, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| *c == "ERR_TOO_MANY_ATTEMPTS").count(), 85, "{codes:?}");
}

/// Five wrong passwords for the owner made a correct one from anywhere
/// wait 15 minutes, and kept doing so for as long as someone kept guessing.
/// Now a new browser waits seconds, growing with each failure, and the
/// browser the owner signed in on before is not stopped at all.
async fn guessing_at_an_account_does_not_keep_its_operator_out_of_their_own_browser(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("owner@example.com", OperatorRole::Owner).await;
    let own_browser = app.sign_in("owner@example.com").await;
    for _ in 0..5 {
        let res = sign_in_with(&app, &new_browser(), "owner@example.com", "a guess").await;
        assert_eq!(code_of(res).await, "ERR_WRONG_CREDENTIALS");
    }
    let refused = sign_in_with(&app, &new_browser(), "owner@example.com", PASSWORD).await;
    let retry_after: i64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(error_of(refused).await, (StatusCode::TOO_MANY_REQUESTS, "ERR_TOO_MANY_ATTEMPTS".into()));
    assert!((1..=15).contains(&retry_after), "a new browser waits {retry_after} s, not a quarter of an hour");

    let res = sign_in_with(&app, &own_browser, "owner@example.com", PASSWORD).await;
    assert!(res.status().is_success(), "the owner's own browser signs in: {}", res.text().await.unwrap());
}

async fn failures_from_an_address_do_not_stop_the_known_browsers_behind_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("ana@example.com", OperatorRole::Admin).await;
    let anas_browser = app.sign_in("ana@example.com").await;
    for n in 0..20 {
        let res = sign_in_with(&app, &new_browser(), &format!("made-up{n}@example.com"), PASSWORD).await;
        assert_eq!(code_of(res).await, "ERR_WRONG_CREDENTIALS");
    }
    let res = sign_in_with(&app, &new_browser(), "ana@example.com", PASSWORD).await;
    assert_eq!(error_of(res).await.1, "ERR_TOO_MANY_ATTEMPTS", "a new browser on this address waits");
    let res = sign_in_with(&app, &anas_browser, "ana@example.com", PASSWORD).await;
    assert!(res.status().is_success(), "Ana's browser signs in: {}", res.text().await.unwrap());
}

async fn a_known_browser_has_a_limit_of_its_own_and_helps_no_other_account(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("ana@example.com", OperatorRole::Admin).await;
    app.create_operator("bo@example.com", OperatorRole::Owner).await;
    let anas_browser = app.sign_in("ana@example.com").await;
    // For another account, Ana's browser is any browser.
    for _ in 0..5 {
        assert_eq!(
            code_of(sign_in_with(&app, &anas_browser, "bo@example.com", "guess").await).await,
            "ERR_WRONG_CREDENTIALS"
        );
    }
    assert_eq!(
        code_of(sign_in_with(&app, &anas_browser, "bo@example.com", "guess").await).await,
        "ERR_TOO_MANY_ATTEMPTS"
    );
    // For Ana's own, ten failures, then it waits too.
    for _ in 0..10 {
        assert_eq!(
            code_of(sign_in_with(&app, &anas_browser, "ana@example.com", "typo").await).await,
            "ERR_WRONG_CREDENTIALS"
        );
    }
    let res = sign_in_with(&app, &anas_browser, "ana@example.com", PASSWORD).await;
    assert_eq!(error_of(res).await.1, "ERR_TOO_MANY_ATTEMPTS");
}

fn behind_proxy() -> Config {
    Config { trusted_proxies: TrustedProxies::new(vec![parse_network("127.0.0.0/8").unwrap()]), ..Config::default() }
}

async fn behind_a_trusted_proxy_the_forwarded_client_is_throttled_and_audited(backend: Backend) {
    let (db, url) = fresh_database(backend).await;
    let app = spawn_configured(db, url, behind_proxy()).await;
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    let from = |browser: &Client, client: &str, email: &str, password: &str| {
        browser
            .post(app.url(path_of::<SignIn>()))
            .header("x-forwarded-for", client)
            .form(&sign_in_form(email, password))
            .send()
    };
    for n in 0..20 {
        let res = from(&new_browser(), "203.0.113.7", &format!("guess{n}@example.com"), PASSWORD).await.unwrap();
        assert_eq!(code_of(res).await, "ERR_WRONG_CREDENTIALS");
    }
    let res = from(&new_browser(), "203.0.113.7", "ana@example.com", PASSWORD).await.unwrap();
    assert_eq!(code_of(res).await, "ERR_TOO_MANY_ATTEMPTS", "the guessing client is stopped");
    let anas = new_browser();
    let res = from(&anas, "198.51.100.2", "ana@example.com", PASSWORD).await.unwrap();
    assert!(res.status().is_success(), "another client behind the same proxy is not");

    let create = [("name", "Chat"), ("environment", "development"), ("region", "eu")];
    let res = anas.post(app.url(path_of::<CreateApp>())).header("x-forwarded-for", "198.51.100.2").form(&create).send();
    assert!(res.await.unwrap().status().is_success());
    let ip: String = app.db.scalar("SELECT ip FROM audit_log WHERE action = 'app.create'", &[]).await.unwrap();
    assert_eq!(ip, "198.51.100.2");
}

async fn a_forwarded_address_from_anyone_else_is_ignored(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    for n in 0..20 {
        let res = new_browser()
            .post(app.url(path_of::<SignIn>()))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .form(&sign_in_form(&format!("guess{n}@example.com"), PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(code_of(res).await, "ERR_WRONG_CREDENTIALS");
    }
    let res = sign_in_with(&app, &new_browser(), "ana@example.com", PASSWORD).await;
    assert_eq!(code_of(res).await, "ERR_TOO_MANY_ATTEMPTS", "a made-up header buys no more guesses");
}

async fn cross_site_requests_with_the_operators_cookie_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    let create = [("name", "Evil"), ("environment", "production"), ("region", "eu")];
    let add = [("email", "evil@example.com"), ("name", "Eve"), ("role", "admin")];
    type Form<'a> = &'a [(&'a str, &'a str)];
    let attempts: [(&str, Form, Form); 5] = [
        (path_of::<CreateApp>(), &create, &[("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")]),
        (path_of::<AddOperator>(), &add, &[("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")]),
        (
            path_of::<CreateApp>(),
            &create,
            &[("origin", "http://sub.127.0.0.1.example"), ("sec-fetch-site", "same-site")],
        ),
        (path_of::<AddOperator>(), &add, &[("origin", "http://evil.example")]),
        (path_of::<CreateApp>(), &create, &[("origin", "null")]),
    ];
    for (path, form, headers) in attempts {
        let mut req = owner.post(app.url(path)).header("accept", "text/html").form(form);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        assert_eq!(
            error_of(req.send().await.unwrap()).await,
            (StatusCode::FORBIDDEN, "ERR_CROSS_SITE".into()),
            "{headers:?}"
        );
    }
    let plain = owner
        .post(app.url(path_of::<CreateApp>()))
        .header("content-type", "text/plain")
        .body("name=Evil&environment=production&region=eu")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(plain).await, (StatusCode::FORBIDDEN, "ERR_CROSS_SITE".into()));
    assert_eq!(app.count("apps").await, 0);
    assert_eq!(app.count("operators").await, 1);
}

/// A plain form post comes back to its page; an island's call answers
/// JSON. Browsers send both as same-origin.
async fn the_dashboards_own_forms_work_with_and_without_javascript(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    let origin = app.base.clone();
    let create = [("name", "Chat"), ("environment", "development"), ("region", "eu")];
    let no_js = owner
        .post(app.url(path_of::<CreateApp>()))
        .header("accept", "text/html")
        .header("origin", &origin)
        .header("sec-fetch-site", "same-origin")
        .header("referer", app.url("/apps"))
        .form(&create)
        .send()
        .await
        .unwrap();
    assert!(no_js.status().is_redirection(), "{}", no_js.status());
    let hydrated =
        owner.post(app.url(path_of::<CreateApp>())).header("origin", &origin).form(&create).send().await.unwrap();
    assert_eq!(hydrated.status(), StatusCode::OK);
    assert_eq!(app.count("apps").await, 2);
}

async fn every_answer_carries_the_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("owner@example.com", OperatorRole::Owner).await;
    let page = new_browser().get(app.url("/sign-in")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let common = |res: &reqwest::Response| {
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{}", res.url());
        assert_eq!(h["referrer-policy"], "same-origin", "{}", res.url());
        assert_eq!(h["x-frame-options"], "DENY", "{}", res.url());
        assert_eq!(h["cache-control"], "no-store", "{}", res.url());
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{}", res.url());
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain http");
    };
    common(&page);
    let html = page.text().await.unwrap();
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("the policy has a nonce");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the policy's nonce");
    assert!(!csp.contains("unsafe-inline"), "{csp}");

    let owner = app.sign_in("owner@example.com").await;
    common(&owner.get(app.url("/apps")).send().await.unwrap());
    common(&owner.post(app.url(path_of::<switchboard::ui::apps_page::ListApps>())).send().await.unwrap());
    common(&app.api.get(app.url("/v3/users")).send().await.unwrap());

    let (db, url) = fresh_database(backend).await;
    let https = spawn_configured(db, url, Config { secure_cookies: true, ..Config::default() }).await;
    let page = new_browser().get(https.url("/sign-in")).send().await.unwrap();
    assert!(page.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
}

/// Postgres cannot store a NUL in text or JSON (it answered 500); SQLite
/// can, and kept what Postgres refused. Both now refuse it alike.
async fn text_with_a_nul_is_refused_in_every_field_on_either_database(backend: Backend) {
    let api = Api::new(backend).await;
    api.user("ana", "Ana").await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "type": "public"}))).await;
    let nul = "a\u{0}b";
    let queries = [
        "/v3/users?searchKey=a%00b",
        "/v3/users?tags=a%00b",
        "/v3/groups?searchKey=a%00b",
        "/v3/groups?tags=a%00b",
        "/v3/groups/club/members?searchKey=a%00b",
        "/v3/messages?tags=a%00b",
    ];
    for path in queries {
        assert_eq!(api.err("GET", path, None).await, (StatusCode::BAD_REQUEST, "ERR_NUL_IN_TEXT".into()), "{path}");
    }
    let link = format!("https://example.com/{nul}");
    let writes = [
        ("POST", "/v3/users", json!({"uid": "bo", "name": "Bo", "avatar": link})),
        ("POST", "/v3/users", json!({"uid": "bo", "name": "Bo", "link": link})),
        ("POST", "/v3/users", json!({"uid": "bo", "name": "Bo", "metadata": {"note": nul}})),
        ("POST", "/v3/users", json!({"uid": "bo", "name": "Bo", "metadata": {nul: 1}})),
        ("PUT", "/v3/users/ana", json!({"metadata": {"note": nul}})),
        ("POST", "/v3/groups", json!({"guid": "g2", "name": "G", "type": "public", "icon": link})),
        ("POST", "/v3/groups", json!({"guid": "g2", "name": "G", "type": "public", "metadata": {"a": [nul]}})),
        ("POST", "/v3/users/ana/auth_tokens", json!({"platform": nul})),
        ("POST", "/v3/users/ana/auth_tokens", json!({"userAgent": nul})),
        ("POST", "/v3/roles", json!({"role": "vip", "name": "VIP", "metadata": {"a": nul}})),
    ];
    for (method, path, body) in writes {
        let answer = api.err(method, path, Some(body.clone())).await;
        assert_eq!(answer, (StatusCode::BAD_REQUEST, "ERR_NUL_IN_TEXT".into()), "{method} {path} {body}");
    }
    let message = json!({"receiver": "club", "receiverType": "group", "category": "message", "type": "text", "data": {"text": nul}});
    let (status, code) = crate::common::error_of(api.call_as("ana", "POST", "/v3/messages", Some(message)).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "ERR_NUL_IN_TEXT"));
    let names = json!({"uid": "bo", "name": nul});
    assert_eq!(api.err("POST", "/v3/users", Some(names)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.app.count("users").await, 1, "nothing was written");
    assert_eq!(api.app.count("groups").await, 1);
    assert_eq!(api.app.count("auth_tokens").await, 0);
}

/// A closed pool stands for a database that went away: readiness says so
/// within 2 s, and requests answer 503 with a Retry-After, never 500.
async fn a_database_that_is_gone_answers_503_at_once_with_retry_after(backend: Backend) {
    let api = Api::new(backend).await;
    api.app.db.close().await;
    let started = std::time::Instant::now();
    let ready = api.app.api.get(api.app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    for (method, path) in [("GET", "/v3/users"), ("POST", "/v3/users")] {
        let res = api.call(method, path, Some(json!({"uid": "ana", "name": "Ana"}))).await;
        assert_eq!(res.headers()["retry-after"], "5");
        assert_eq!(error_of(res).await, (StatusCode::SERVICE_UNAVAILABLE, "ERR_UNAVAILABLE".into()), "{method}");
    }
    let res = sign_in_with(&api.app, &new_browser(), "ana@example.com", PASSWORD).await;
    assert_eq!(error_of(res).await, (StatusCode::SERVICE_UNAVAILABLE, "ERR_UNAVAILABLE".into()));
}

/// Postgres ends the app's connections (a restart, a failover, an
/// administrator) while requests are in flight: they answer 503 with a
/// Retry-After, or succeed on a fresh connection, never 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_cut_off_by_postgres_answer_503_never_500() {
    if !crate::common::postgres_available() {
        return;
    }
    let api = Api::new(Backend::Postgres).await;
    api.user("ana", "Ana").await;
    let (admin, _) = fresh_database(Backend::Postgres).await;
    let database: String = api.app.db.scalar("SELECT current_database()", &[]).await.unwrap();
    let cutting = async {
        for _ in 0..10 {
            let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                       WHERE datname = $1 AND usename = current_user AND backend_type = 'client backend'";
            admin.execute(sql, switchboard::args![&database]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    };
    let requests = async {
        let mut statuses = Vec::new();
        for n in 0..150 {
            let res = if n % 2 == 0 {
                api.call("GET", "/v3/users/ana", None).await
            } else {
                api.call("PUT", "/v3/users/ana", Some(json!({"name": format!("Ana {n}")}))).await
            };
            if res.status() == StatusCode::SERVICE_UNAVAILABLE {
                assert!(res.headers().contains_key("retry-after"));
            }
            statuses.push(res.status());
        }
        statuses
    };
    let ((), statuses) = tokio::join!(cutting, requests);
    let failed: Vec<_> =
        statuses.iter().filter(|s| !s.is_success() && **s != StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(statuses.iter().any(|s| s.is_success()));
}
