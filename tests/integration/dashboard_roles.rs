//! Each role walks every dashboard page and uses every control it is
//! shown: the server refuses none of them. A control shown to a role that
//! may not use it is the defect this finds.

use std::collections::HashSet;

use reqwest::{Client, StatusCode};
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};
use switchboard::domain::{Environment, KeyScope, OperatorRole};

use crate::common::{Backend, TestApp, spawn_app};
use crate::on_both_backends;

on_both_backends!(every_role_is_shown_only_controls_the_server_lets_it_use);

/// Server functions the walk does not submit, since they would end or
/// narrow the walker's own session: the pages would then show it nothing.
const SPARED: [&str; 6] = [
    "/api/session/",
    "set_two_factor_policy",
    "change_password",
    "end_other_sessions",
    "disable_two_factor",
    "confirm_totp_setup",
];

async fn every_role_is_shown_only_controls_the_server_lets_it_use(backend: Backend) {
    let mut tried_by = Vec::new();
    for role in OperatorRole::ALL.iter().rev() {
        let app = spawn_app(backend).await;
        let apps = scene(&app).await;
        let walker = app.browser_signed_in_as("walker@example.com", *role).await;
        let mut walk = Walk { app: &app, browser: &walker, tried: 0, refused: Vec::new(), actions: HashSet::new() };
        for page in pages(&apps) {
            walk.page(&page).await;
        }
        assert!(
            walk.refused.is_empty(),
            "{role:?} was shown controls the server refuses:\n{}",
            walk.refused.join("\n")
        );
        let still = app.server_fn(&walker, crate::common::path_of::<switchboard::ui::apps_page::ListApps>(), &[]).await;
        assert_eq!(still.status(), StatusCode::OK, "{role:?} walked signed in to the end");
        tried_by.push((*role, walk.tried, walk.actions.len()));
    }
    let tried = |role: OperatorRole| tried_by.iter().find(|(r, ..)| *r == role).unwrap();
    assert!(tried(OperatorRole::Owner).1 >= 40, "the owner's walk used many controls: {tried_by:?}");
    assert!(tried(OperatorRole::Viewer).2 < tried(OperatorRole::Support).2, "{tried_by:?}");
    assert!(tried(OperatorRole::Support).2 < tried(OperatorRole::Developer).2, "{tried_by:?}");
    assert!(tried(OperatorRole::Developer).2 < tried(OperatorRole::Admin).2, "{tried_by:?}");
}

/// A development and a production app, each with keys, users (one with a
/// token, friends and messages), a role and a group with a banned user;
/// and other operators, an owner among them. Answers the App IDs.
async fn scene(app: &TestApp) -> [String; 2] {
    app.create_operator("boss@example.com", OperatorRole::Owner).await;
    app.create_operator("dev@example.com", OperatorRole::Developer).await;
    let mut ids = Vec::new();
    for environment in [Environment::Development, Environment::Production] {
        let app_id = app.create_app(environment).await;
        let (_, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
        let rest = |method: &'static str, path: &'static str, body: Value| {
            let (app_id, key) = (app_id.clone(), key.clone());
            async move {
                let res = app.rest(method, path, &app_id, &key, Some(body)).await;
                assert!(res.status().is_success(), "{method} {path}: {}", res.text().await.unwrap());
            }
        };
        for (uid, name) in [("ana", "Ana"), ("bo", "Bo"), ("cy", "Cy")] {
            rest("POST", "/v3/users", json!({"uid": uid, "name": name})).await;
        }
        rest("POST", "/v3/users/ana/auth_tokens", json!({})).await;
        rest("POST", "/v3/users/ana/friends", json!({"accepted": ["bo"]})).await;
        rest("POST", "/v3/roles", json!({"role": "moderator", "name": "Moderator"})).await;
        rest("POST", "/v3/groups", json!({"guid": "g1", "name": "Group one", "type": "public"})).await;
        rest("POST", "/v3/groups/g1/members", json!({"participants": ["ana", "bo"], "usersToBan": ["cy"]})).await;
        let message = json!({"receiver": "bo", "receiverType": "user", "category": "message", "type": "text",
                             "data": {"text": "hello"}});
        let res = app.rest_as("ana", "POST", "/v3/messages", &app_id, &key, message).await;
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
        ids.push(app_id);
    }
    [ids[0].clone(), ids[1].clone()]
}

/// Every page, the app pages of both apps.
fn pages(apps: &[String; 2]) -> Vec<String> {
    let mut pages: Vec<String> =
        ["/apps", "/team", "/team/sessions", "/team/activity", "/account", "/account/two-factor"]
            .map(String::from)
            .into();
    // A page about one thing comes before the pages whose forms delete it.
    let app_pages = [
        "/overview",
        "",
        "/messages",
        "/conversation?user=ana&with=bo",
        "/conversation?group=g1",
        "/groups/g1",
        "/users/bo",
        "/users/ana",
        "/users",
        "/roles",
        "/groups",
        "/activity",
        "/playground",
        "/settings",
    ];
    for page in app_pages {
        for app_id in apps {
            pages.push(format!("/apps/{app_id}{page}"));
        }
    }
    pages
}

struct Walk<'a> {
    app: &'a TestApp,
    browser: &'a Client,
    tried: usize,
    /// What the server refused, one line each.
    refused: Vec<String>,
    /// The server functions used.
    actions: HashSet<String>,
}

impl Walk<'_> {
    /// Loads `page` as the browser would and submits each of its forms,
    /// once per submit button, with the values it holds and a plausible one
    /// in each empty field.
    async fn page(&mut self, page: &str) {
        let res = self.browser.get(self.app.url(page)).send().await.unwrap();
        // A page the role may not see at all says so with a 403 (Team sessions, to a viewer).
        assert!(matches!(res.status(), StatusCode::OK | StatusCode::FORBIDDEN), "{page}: {}", res.status());
        let html = Html::parse_document(&res.text().await.unwrap());
        for (action, fields) in submissions(&html) {
            if SPARED.iter().any(|spared| action.contains(spared)) {
                continue;
            }
            let res = self.browser.post(self.app.url(&action)).form(&fields).send().await.unwrap();
            let status = res.status();
            let body = res.text().await.unwrap();
            assert!(!status.is_server_error(), "{page}: {action} {fields:?} answered {status}: {body}");
            if status == StatusCode::FORBIDDEN {
                self.refused.push(format!("{page}: {action} {fields:?}: {body}"));
            }
            self.tried += 1;
            self.actions.insert(action.trim_end_matches(char::is_numeric).to_owned());
        }
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// Each form posting to a server function, once per submit button: its
/// action and the fields it sends.
fn submissions(html: &Html) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    for form in html.select(&selector("form[action^='/api/']")) {
        let action = form.attr("action").unwrap().to_owned();
        let id = form.attr("id");
        let belongs = |el: &ElementRef| match el.attr("form") {
            Some(owner) => Some(owner) == id,
            None => el.ancestors().filter_map(ElementRef::wrap).find(|a| a.value().name() == "form") == Some(form),
        };
        let fields: Vec<ElementRef> =
            html.select(&selector("input, select, textarea")).filter(|el| belongs(el)).collect();
        let values = filled(&fields);
        let buttons: Vec<ElementRef> =
            html.select(&selector("button")).filter(|b| belongs(b) && b.attr("type") != Some("button")).collect();
        for button in buttons {
            let mut values = values.clone();
            if let (Some(name), Some(value)) = (button.attr("name"), button.attr("value")) {
                values.push((name.to_owned(), value.to_owned()));
            }
            found.push((action.clone(), values));
        }
    }
    found
}

/// A form's fields as a person filling it in would send them: every box
/// ticked, the first choice of each group, and something in every empty
/// field.
fn filled(fields: &[ElementRef]) -> Vec<(String, String)> {
    let mut values = Vec::new();
    let mut radios = HashSet::new();
    for field in fields {
        let Some(name) = field.attr("name") else { continue };
        let value = field.attr("value").unwrap_or_default();
        let kind = field.attr("type").unwrap_or("text");
        let sent = match (field.value().name(), kind) {
            ("input", "file") => continue,
            ("input", "radio") if !radios.insert(name) => continue,
            ("input", "checkbox" | "radio") => if value.is_empty() { "on" } else { value }.to_owned(),
            ("input", _) if !value.is_empty() => value.to_owned(),
            ("input", "email") => "someone@example.com".to_owned(),
            ("input", "password") => "a long enough password".to_owned(),
            ("input", "number") => "1".to_owned(),
            ("input", "date") => "2099-01-01".to_owned(),
            ("input", _) => "walk1".to_owned(),
            ("select", _) => {
                let options: Vec<ElementRef> = field.select(&selector("option")).collect();
                let chosen = options.iter().find(|o| o.attr("selected").is_some()).or(options.first());
                chosen.and_then(|o| o.attr("value")).unwrap_or_default().to_owned()
            }
            _ => {
                let text: String = field.text().collect();
                if text.is_empty() { "{}".to_owned() } else { text }
            }
        };
        values.push((name.to_owned(), sent));
    }
    values
}
