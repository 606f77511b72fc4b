//! Test harness: each test spawns the whole app on a random port with a
//! fresh database, once per backend, and talks to it over HTTP.
#![allow(dead_code)]

pub mod server_process;

use std::net::SocketAddr;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use switchboard::{
    domain::{AppId, AppName, Email, Environment, KeyName, KeyScope, OperatorName, OperatorRole, Password, Region},
    server::{
        auth::{Caller, password::PasswordChecks},
        config::Config,
        db::Db,
        gateway::Gateway,
        http,
        service::{api_keys, apps, operators},
    },
};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each named scenario `async fn name(backend: Backend)`, one
/// test on SQLite and one on Postgres.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Backend::Sqlite).await })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if $crate::common::postgres_available() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            })+
        }
    };
}

const POSTGRES_ENV: &str = "SWITCHBOARD_TEST_POSTGRES_URL";

/// Postgres tests run when the test command points them at a server. When
/// it promised one (`SWITCHBOARD_REQUIRE_POSTGRES=1`), its absence fails.
pub fn postgres_available() -> bool {
    let available = std::env::var(POSTGRES_ENV).is_ok();
    if !available && std::env::var("SWITCHBOARD_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!("{POSTGRES_ENV} is not set, but the Postgres suite is required");
    }
    if !available {
        eprintln!("skipping the Postgres variant: {POSTGRES_ENV} is not set");
    }
    available
}

fn unique_name() -> String {
    let bytes: [u8; 6] = rand::random();
    format!("sb_test_{}", hex::encode(bytes))
}

/// A fresh, empty, migrated database of the given kind, and its URL.
pub async fn fresh_database(backend: Backend) -> (Db, String) {
    let url = match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
            format!("sqlite://{}", path.display())
        }
        Backend::Postgres => {
            let admin_url = std::env::var(POSTGRES_ENV).unwrap();
            let name = unique_name();
            let admin = Db::connect(&admin_url).await.expect("connect to the Postgres server");
            let Db::Postgres(pool) = &admin else { panic!("{POSTGRES_ENV} is not a postgres:// URL") };
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(pool).await.unwrap();
            admin.close().await;
            let (server, _) = admin_url.rsplit_once('/').unwrap();
            format!("{server}/{name}")
        }
    };
    let db = Db::connect(&url).await.expect("connect to the test database");
    db.migrate().await.expect("migrate");
    (db, url)
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub database_url: String,
    pub api: Client,
    pub gateway: Gateway,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let (db, database_url) = fresh_database(backend).await;
    spawn_on(db, database_url).await
}

/// A server on an existing database: a second one is another process of a
/// multi-process deployment, or the same one after a restart.
pub async fn spawn_on(db: Db, database_url: String) -> TestApp {
    spawn_configured(db, database_url, Config::default()).await
}

pub async fn spawn_configured(db: Db, database_url: String, config: Config) -> TestApp {
    spawn_serving(db, database_url, config, site_options()).await
}

/// The site's settings as `Cargo.toml` gives them.
pub fn site_options() -> leptos::config::LeptosOptions {
    leptos::config::get_configuration(Some("Cargo.toml")).unwrap().leptos_options
}

/// A server whose site (bundle folder, hashed names) is `leptos_options`.
pub async fn spawn_serving(
    db: Db,
    database_url: String,
    config: Config,
    leptos_options: leptos::config::LeptosOptions,
) -> TestApp {
    let http::Switchboard { router, gateway } = http::app(db.clone(), config, leptos_options).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        db,
        database_url,
        api: Client::builder().timeout(ANSWER_WITHIN).build().unwrap(),
        gateway,
    }
}

/// How long a test waits for an answer. Every answer here comes in well
/// under a second; one that never came would otherwise hold the whole run
/// until CI gave up on it, without naming the request.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

/// A cookie-keeping client that does not follow redirects: one browser.
pub fn new_browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ANSWER_WITHIN)
        .build()
        .unwrap()
}

pub const PASSWORD: &str = "a long enough password";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Calls a REST endpoint with the given App ID and key.
    pub async fn rest(&self, method: &str, path: &str, app_id: &str, key: &str, body: Option<Value>) -> Response {
        let mut req =
            self.api.request(method.parse().unwrap(), self.url(path)).header("appid", app_id).header("apikey", key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// Calls a REST endpoint as the user `uid`, through the `onbehalfof` header.
    pub async fn rest_as(&self, uid: &str, method: &str, path: &str, app_id: &str, key: &str, body: Value) -> Response {
        let req =
            self.api.request(method.parse().unwrap(), self.url(path)).header("appid", app_id).header("apikey", key);
        req.header("onbehalfof", uid).json(&body).send().await.unwrap()
    }

    /// Calls a dashboard server function the way an island of the page does.
    pub async fn server_fn(&self, browser: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        browser.post(self.url(path)).form(form).send().await.unwrap()
    }

    pub async fn create_operator(&self, email: &str, role: OperatorRole) -> i64 {
        let new = operators::NewOperator {
            email: Email::parse(email).unwrap(),
            name: OperatorName::parse("Test Operator").unwrap(),
            role,
            password: Password::parse(PASSWORD).unwrap(),
        };
        operators::create(&self.db, &PasswordChecks::per_core(), &Caller::cli(), new).await.unwrap().id
    }

    /// A new browser, signed in as a new operator with this role.
    pub async fn browser_signed_in_as(&self, email: &str, role: OperatorRole) -> Client {
        self.create_operator(email, role).await;
        self.sign_in(email).await
    }

    pub async fn sign_in(&self, email: &str) -> Client {
        let browser = new_browser();
        let res = self
            .server_fn(
                &browser,
                path_of::<switchboard::ui::sign_in_page::SignIn>(),
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert!(res.status().is_success(), "sign-in failed: {}", res.text().await.unwrap());
        browser
    }

    /// Creates an app through the service layer and returns its App ID.
    pub async fn create_app(&self, environment: Environment) -> String {
        let new = apps::NewApp { name: AppName::parse("Test app").unwrap(), environment, region: Region::Eu };
        apps::create(&self.db, &Caller::cli(), new).await.unwrap().view.app_id.to_string()
    }

    /// Creates a key for the app and returns `(id, key)`.
    pub async fn create_key(&self, app_id: &str, scope: KeyScope) -> (i64, String) {
        let app = apps::get(&self.db, &Caller::cli(), &AppId::parse(app_id).unwrap()).await.unwrap();
        let new = api_keys::NewKey {
            name: KeyName::parse("test key").unwrap(),
            scope,
            expires_at: None,
            confirm_auth_key_in_production: true,
        };
        let created = api_keys::create(&self.db, &Caller::cli(), &app, new).await.unwrap();
        (created.key.id, created.api_key)
    }

    /// Every audit row, oldest first, as `(actor, action, object, details)`.
    pub async fn audit_rows(&self) -> Vec<(String, String, String, String)> {
        self.db.all("SELECT actor, action, object, details FROM audit_log ORDER BY id", &[]).await.unwrap()
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) FROM {table}")).await
    }

    /// The one number a query answers.
    pub async fn scalar(&self, sql: &str) -> i64 {
        self.db.scalar(sql, &[]).await.unwrap()
    }
}

/// The URL a server function answers at.
pub fn path_of<F: leptos::server_fn::ServerFn>() -> &'static str {
    F::PATH
}

/// The status and `error.code` of an error answer, checking it has a message.
pub async fn error_of(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("error answer is not JSON: {text}"));
    let error = if body.get("error").is_some() { &body["error"] } else { &body };
    let code = error["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}")).to_owned();
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "no message in {body}");
    (status, code)
}

/// The `data` of a successful answer.
/// The texts of the text messages in a list (a page `{"data": [...]}`, or
/// its `data`), oldest first; actions left out.
pub fn message_texts(list: &Value) -> Vec<String> {
    let items = list.get("data").unwrap_or(list).as_array().expect("a list of messages");
    let mut texts: Vec<(i64, String)> = items
        .iter()
        .filter(|m| m["category"] == "message" && m["type"] == "text")
        .map(|m| (m["id"].as_str().unwrap().parse().unwrap(), m["data"]["text"].as_str().unwrap().to_owned()))
        .collect();
    texts.sort();
    texts.into_iter().map(|(_, text)| text).collect()
}

pub async fn data_of(res: Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "unexpected answer {body}");
    body["data"].clone()
}

/// One app with a REST API Key, called as the app or, through
/// `onbehalfof`, as one of its users.
pub struct Api {
    pub app: TestApp,
    pub app_id: String,
    pub key: String,
}

impl Api {
    /// Calls `/v3` as the user `uid`, through the `onbehalfof` header.
    pub async fn call_as(&self, uid: &str, method: &str, path: &str, body: Option<Value>) -> Response {
        let mut req = self
            .app
            .api
            .request(method.parse().unwrap(), self.app.url(path))
            .header("appid", &self.app_id)
            .header("apikey", &self.key)
            .header("onbehalfof", uid);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn new(backend: Backend) -> Api {
        Api::on(spawn_app(backend).await).await
    }

    /// A development app with a REST API Key on the server `app`.
    pub async fn on(app: TestApp) -> Api {
        let app_id = app.create_app(Environment::Development).await;
        let (_, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
        Api { app, app_id, key }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> reqwest::Response {
        self.app.rest(method, path, &self.app_id, &self.key, body).await
    }

    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        data_of(self.call(method, path, body).await).await
    }

    pub async fn err(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, String) {
        error_of(self.call(method, path, body).await).await
    }

    pub async fn user(&self, uid: &str, name: &str) -> Value {
        self.ok("POST", "/v3/users", Some(json!({"uid": uid, "name": name}))).await
    }

    /// Group `club`, owned by ana, with `participants`: where most tests talk.
    pub async fn club(&self, participants: &[&str]) -> Value {
        let body = json!({"guid": "club", "name": "Club", "owner": "ana", "members": {"participants": participants}});
        self.ok("POST", "/v3/groups", Some(body)).await
    }

    /// Creates a user for each UID, named after it.
    pub async fn users(&self, uids: &[&str]) {
        for uid in uids {
            self.user(uid, &format!("User {uid}")).await;
        }
    }

    pub async fn listed(&self, query: &str) -> Value {
        self.listed_at(&format!("/v3/users{query}")).await
    }

    /// The whole answer of a list: `data` and `meta`.
    pub async fn listed_at(&self, path: &str) -> Value {
        let res = self.call("GET", path, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.json().await.unwrap()
    }

    pub async fn uids(&self, query: &str) -> Vec<String> {
        self.uids_of(&format!("/v3/users{query}")).await
    }

    /// Every page of `/v3/users{query}`, following the cursors.
    pub async fn pages(&self, query: &str) -> Vec<Value> {
        let mut pages = vec![self.listed(query).await];
        while let Some(next) = pages.last().unwrap()["meta"]["cursor"]["next"].as_str() {
            let next = self.listed(&format!("{query}&cursor={next}")).await;
            pages.push(next);
        }
        pages
    }

    pub async fn uids_of(&self, path: &str) -> Vec<String> {
        let res = self.call("GET", path, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let page: Value = res.json().await.unwrap();
        page["data"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap().to_owned()).collect()
    }
}

/// The text of each element of a rendered page that `css` selects, as a
/// reader sees it: the renderer's comment markers are not text.
pub fn texts_of(html: &str, css: &str) -> Vec<String> {
    let page = scraper::Html::parse_document(html);
    page.select(&scraper::Selector::parse(css).unwrap()).map(|e| e.text().collect::<String>()).collect()
}
