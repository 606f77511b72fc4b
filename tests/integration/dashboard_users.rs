//! The dashboard's users, user and roles pages: their server functions
//! called over HTTP as the dashboard calls them, and the CSV download.

use std::collections::HashSet;

use reqwest::{
    Client, Response, StatusCode, header,
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use switchboard::{
    domain::{AppId, Environment, KeyScope, OperatorRole},
    server::{
        auth::Caller,
        csv::MAX_IMPORT_BYTES,
        service::{apps, auth_tokens, seed},
    },
    ui::{
        permitted::LoadUserPowers,
        roles_page::{DeleteRole, SaveRole},
        user_form::SaveUser,
        user_friends::{AddFriends, ListFriends, RemoveFriend},
        user_import::ImportUsers,
        users_bulk_bar::ChangeUsers,
        users_page::ListUsers,
    },
};

use crate::common::{Backend, TestApp, data_of, error_of, new_browser, path_of, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    the_users_table_filters_and_sorts_as_the_address_says,
    bulk_changes_apply_to_every_ticked_user_or_to_none,
    each_operator_role_may_make_only_its_own_bulk_changes,
    a_user_is_created_and_edited_with_checked_fields,
    the_csv_export_streams_exactly_the_filtered_users,
    an_import_reports_each_row_and_imports_only_whole_rows,
    an_export_imports_into_another_app_as_it_is,
    a_file_uploaded_without_the_pages_script_is_imported_and_reported_once,
    roles_are_managed_from_the_dashboard_by_the_rules_of_the_api,
    friends_are_added_and_removed_on_the_user_page,
);

/// An app seen from the dashboard, with a REST key to set scenes with.
pub(crate) struct Dashboard {
    pub(crate) app: TestApp,
    pub(crate) app_id: String,
    pub(crate) key: String,
    pub(crate) browser: Client,
}

impl Dashboard {
    /// An app, a REST key to set scenes with, and a developer signed in.
    pub(crate) async fn new(backend: Backend) -> Self {
        let app = spawn_app(backend).await;
        let app_id = app.create_app(Environment::Development).await;
        let (_, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
        let browser = app.browser_signed_in_as("dev@example.com", OperatorRole::Developer).await;
        Dashboard { app, app_id, key, browser }
    }

    pub(crate) async fn call(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.call_as(&self.browser, path, form).await
    }

    pub(crate) async fn call_as(&self, browser: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        let mut form = form.to_vec();
        form.push(("app_id", &self.app_id));
        browser.post(self.app.url(path)).header(header::ACCEPT, "application/json").form(&form).send().await.unwrap()
    }

    pub(crate) async fn ok(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let res = self.call(path, form).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub(crate) async fn rest(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        self.app.rest(method, path, &self.app_id, &self.key, body).await
    }

    pub(crate) async fn user(&self, body: Value) {
        data_of(self.rest("POST", "/v3/users", Some(body)).await).await;
    }

    async fn get_user(&self, uid: &str) -> Value {
        data_of(self.rest("GET", &format!("/v3/users/{uid}"), None).await).await
    }

    /// The UIDs the users table shows for a filter given as form fields.
    async fn table(&self, filter: &[(&str, &str)]) -> Vec<String> {
        let form = filter.iter().fold(NO_FILTER.to_vec(), |form, (key, value)| with(&form, key, value));
        let page = self.ok(path_of::<ListUsers>(), &form).await;
        page["items"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap().to_owned()).collect()
    }

    /// Ticks the UIDs and applies a bulk change.
    async fn bulk(&self, browser: &Client, change: &str, uids: &[&str], extra: &[(&str, &str)]) -> Response {
        let mut form: Vec<(&str, &str)> = uids.iter().map(|uid| ("uids[]", *uid)).collect();
        form.push(("change", change));
        form.extend_from_slice(extra);
        self.call_as(browser, path_of::<ChangeUsers>(), &form).await
    }

    async fn export(&self, browser: &Client, query: &str) -> Response {
        browser.get(self.app.url(&format!("/apps/{}/users.csv?{query}", self.app_id))).send().await.unwrap()
    }

    async fn active_and_deactivated(&self) -> (i64, i64) {
        self.app.db.one("SELECT active, deactivated FROM user_counts", &[]).await.unwrap()
    }
}

/// The form with `field` set to `value`, whether it had the field or not.
fn with<'a>(form: &[(&'a str, &'a str)], field: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<_> = form.iter().filter(|(k, _)| *k != field).copied().collect();
    form.push((field, value));
    form
}

const NO_FILTER: [(&str, &str); 3] = [("filter[search]", ""), ("filter[show]", "active"), ("filter[order]", "asc")];

/// The rows of a CSV text, header first, each as its cells.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

async fn the_users_table_filters_and_sorts_as_the_address_says(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    data_of(dash.rest("POST", "/v3/roles", Some(json!({"role": "premium"}))).await).await;
    for (uid, name, role, tags) in [
        ("ana", "Zoe Ana", "default", vec!["blue"]),
        ("anabel", "Bel", "premium", vec!["red"]),
        ("bo", "Anton", "premium", vec!["blue", "red"]),
        ("cy", "Cy", "default", vec![]),
    ] {
        dash.user(json!({"uid": uid, "name": name, "role": role, "tags": tags})).await;
    }
    data_of(dash.rest("DELETE", "/v3/users/cy", None).await).await;

    assert_eq!(dash.table(&[]).await, ["ana", "anabel", "bo"], "deactivated users are left out");
    assert_eq!(dash.table(&[("filter[show]", "deactivated")]).await, ["cy"]);
    assert_eq!(dash.table(&[("filter[show]", "all")]).await, ["ana", "anabel", "bo", "cy"]);
    assert_eq!(dash.table(&[("filter[search]", "AN")]).await, ["ana", "anabel", "bo"], "uid or name prefix");
    assert_eq!(dash.table(&[("filter[role]", "premium")]).await, ["anabel", "bo"]);
    assert_eq!(dash.table(&[("filter[tag]", "blue")]).await, ["ana", "bo"]);
    assert_eq!(dash.table(&[("filter[role]", "premium"), ("filter[tag]", "blue")]).await, ["bo"]);
    assert_eq!(dash.table(&[("filter[sort]", "name")]).await, ["bo", "anabel", "ana"], "Anton, Bel, Zoe Ana");
    assert_eq!(dash.table(&[("filter[sort]", "uid"), ("filter[order]", "desc")]).await, ["bo", "anabel", "ana"]);

    // A device using its token makes its user the most recently active.
    let token = data_of(dash.rest("POST", "/v3/users/anabel/auth_tokens", Some(json!({}))).await).await;
    let app = apps::get(&dash.app.db, &Caller::cli(), &AppId::parse(&dash.app_id).unwrap()).await.unwrap();
    auth_tokens::authenticate(&dash.app.db, &app, token["authToken"].as_str().unwrap()).await.unwrap();
    assert!(dash.get_user("anabel").await["lastActiveAt"].as_i64().is_some());
    let recent_first = [("filter[sort]", "lastActiveAt"), ("filter[order]", "desc")];
    assert_eq!(dash.table(&recent_first).await[0], "anabel");
    let rest: Value =
        dash.rest("GET", "/v3/users?sortBy=lastActiveAt&sortOrder=desc", None).await.json().await.unwrap();
    assert_eq!(rest["data"][0]["uid"], "anabel", "the REST list sorts the same way");

    for (field, value, code) in [
        ("filter[role]", "not a role", "ERR_BAD_REQUEST"),
        ("filter[show]", "everyone", "ERR_BAD_REQUEST"),
        ("filter[sort]", "email", "ERR_BAD_REQUEST"),
    ] {
        let res = dash.call(path_of::<ListUsers>(), &with(&NO_FILTER, field, value)).await;
        assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, code.to_owned()), "{field}={value}");
    }
}

async fn bulk_changes_apply_to_every_ticked_user_or_to_none(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    for uid in ["ana", "bo", "cy"] {
        dash.user(json!({"uid": uid, "name": uid})).await;
    }
    data_of(dash.rest("POST", "/v3/users/bo/auth_tokens", Some(json!({}))).await).await;
    let dev = &dash.browser;

    let changed: Value =
        dash.bulk(dev, "deactivate", &["ana", "bo"], &[("confirm", "yes")]).await.json().await.unwrap();
    assert_eq!(changed, 2);
    assert_eq!(dash.active_and_deactivated().await, (1, 2));
    let changed: Value = dash.bulk(dev, "reactivate", &["ana", "cy"], &[]).await.json().await.unwrap();
    assert_eq!(changed, 1, "cy was active already");
    assert_eq!(dash.active_and_deactivated().await, (2, 1));

    data_of(dash.rest("POST", "/v3/roles", Some(json!({"role": "premium"}))).await).await;
    let changed: Value =
        dash.bulk(dev, "changeRole", &["ana", "cy"], &[("role", "premium")]).await.json().await.unwrap();
    assert_eq!(changed, 2);
    assert_eq!(dash.get_user("cy").await["role"], "premium");

    // Each refused request changes nobody.
    let audit_before = dash.app.audit_rows().await.len();
    for (change, uids, extra, status, code) in [
        ("changeRole", vec!["ana", "bo"], vec![("role", "gold")], StatusCode::NOT_FOUND, "ERR_ROLE_NOT_FOUND"),
        ("changeRole", vec!["bo"], vec![], StatusCode::BAD_REQUEST, "ERR_INVALID_ROLE"),
        ("delete", vec!["ana", "bo"], vec![], StatusCode::BAD_REQUEST, "ERR_CONFIRMATION_REQUIRED"),
        ("deactivate", vec!["ana", "bo"], vec![], StatusCode::BAD_REQUEST, "ERR_CONFIRMATION_REQUIRED"),
        ("deactivate", vec!["ana", "no such"], vec![], StatusCode::BAD_REQUEST, "ERR_INVALID_UID"),
        ("deactivate", vec![], vec![], StatusCode::BAD_REQUEST, "ERR_NO_UIDS"),
        ("rename", vec!["ana"], vec![], StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST"),
    ] {
        let res = dash.bulk(dev, change, &uids, &extra).await;
        assert_eq!(error_of(res).await, (status, code.to_owned()), "{change} {uids:?}");
    }
    let many: Vec<String> = (0..101).map(|n| format!("u{n}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let res = dash.bulk(dev, "deactivate", &many, &[("confirm", "yes")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_TOO_MANY_UIDS".to_owned()));
    assert_eq!(dash.app.audit_rows().await.len(), audit_before, "nothing was written");
    assert_eq!(dash.active_and_deactivated().await, (2, 1));
    assert_eq!(dash.get_user("bo").await["role"], "default");

    let changed: Value =
        dash.bulk(dev, "delete", &["ana", "bo", "zed"], &[("confirm", "yes")]).await.json().await.unwrap();
    assert_eq!(changed, 2, "zed was never there");
    assert_eq!(dash.active_and_deactivated().await, (1, 0));
    assert_eq!(dash.app.count("auth_tokens").await, 0, "bo's tokens went with bo");
    let res = dash.rest("GET", "/v3/users/bo", None).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND".to_owned()));
}

async fn each_operator_role_may_make_only_its_own_bulk_changes(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    dash.user(json!({"uid": "ana", "name": "Ana"})).await;
    let viewer = dash.app.browser_signed_in_as("view@example.com", OperatorRole::Viewer).await;
    let support = dash.app.browser_signed_in_as("help@example.com", OperatorRole::Support).await;
    let confirm = [("confirm", "yes")];
    for (who, change, extra) in [
        (&viewer, "deactivate", &confirm[..]),
        (&support, "delete", &confirm[..]),
        (&support, "changeRole", &[("role", "default")][..]),
    ] {
        let res = dash.bulk(who, change, &["ana"], extra).await;
        assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_FORBIDDEN".to_owned()), "{change}");
    }
    assert_eq!(dash.active_and_deactivated().await, (1, 0));
    let changed: Value = dash.bulk(&support, "deactivate", &["ana"], &confirm).await.json().await.unwrap();
    assert_eq!(changed, 1, "support staff deactivate users");
    let res = dash.bulk(&new_browser(), "deactivate", &["ana"], &confirm).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".to_owned()));

    // Each sees only the controls they may use, in the page the server renders.
    for (who, powers, bulk_bar, new_user) in [
        (
            &viewer,
            json!({"change_app": false, "delete_app": false, "manage_keys": false, "manage": false, "moderate": false,
                   "act_as_users": false}),
            false,
            false,
        ),
        (
            &support,
            json!({"change_app": false, "delete_app": false, "manage_keys": false, "manage": false, "moderate": true,
                   "act_as_users": false}),
            true,
            false,
        ),
        (
            &dash.browser,
            json!({"change_app": true, "delete_app": false, "manage_keys": true, "manage": true, "moderate": true,
                   "act_as_users": true}),
            true,
            true,
        ),
    ] {
        let res = dash.call_as(who, path_of::<LoadUserPowers>(), &[]).await;
        assert_eq!(res.json::<Value>().await.unwrap(), powers);
        let page = who.get(dash.app.url(&format!("/apps/{}/users?show=all", dash.app_id))).send().await.unwrap();
        let html = page.text().await.unwrap();
        assert!(html.contains("tr data-uid=\"ana\""), "the list is there for everyone");
        assert_eq!(html.contains("id=\"bulk-change\""), bulk_bar, "{powers}");
        assert_eq!(html.contains("aria-label=\"Tick ana\""), bulk_bar, "rows are ticked only for the bulk bar");
        assert_eq!(html.contains("New user"), new_user, "{powers}");
    }
}

async fn a_user_is_created_and_edited_with_checked_fields(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    let save = path_of::<SaveUser>();
    let new_user = [
        ("uid", "Marta_K"),
        ("name", " Marta Kowalski "),
        ("role", "default"),
        ("tags", "beta, vip"),
        ("avatar", "https://cdn.example.com/marta.png"),
        ("metadata", r#"{"plan": "pro"}"#),
    ];
    dash.ok(save, &new_user).await;
    let marta = dash.get_user("marta_k").await;
    assert_eq!(
        (&marta["name"], &marta["tags"], &marta["metadata"], &marta["avatar"]),
        (
            &json!("Marta Kowalski"),
            &json!(["beta", "vip"]),
            &json!({"plan": "pro"}),
            &json!("https://cdn.example.com/marta.png")
        )
    );

    let audit_before = dash.app.audit_rows().await.len();
    let too_many_tags = (0..26).map(|n| format!("t{n}")).collect::<Vec<_>>().join(",");
    for (form, status, code) in [
        (with(&new_user, "uid", "new one"), StatusCode::BAD_REQUEST, "ERR_INVALID_UID"),
        (with(&new_user, "uid", "marta_k"), StatusCode::CONFLICT, "ERR_UID_ALREADY_EXISTS"),
        (with(&new_user, "name", "  "), StatusCode::BAD_REQUEST, "ERR_INVALID_NAME"),
        (with(&with(&new_user, "uid", "fresh"), "role", "gold"), StatusCode::NOT_FOUND, "ERR_ROLE_NOT_FOUND"),
        (with(&new_user, "metadata", "{plan: pro}"), StatusCode::BAD_REQUEST, "ERR_INVALID_METADATA"),
        (with(&new_user, "metadata", "[1, 2]"), StatusCode::BAD_REQUEST, "ERR_INVALID_METADATA"),
        (with(&new_user, "avatar", "ftp://x"), StatusCode::BAD_REQUEST, "ERR_INVALID_AVATAR"),
        (with(&new_user, "tags", &too_many_tags), StatusCode::BAD_REQUEST, "ERR_INVALID_TAGS"),
    ] {
        let res = dash.call(save, &form).await;
        assert_eq!(error_of(res).await, (status, code.to_owned()), "{form:?}");
    }
    assert_eq!(dash.app.audit_rows().await.len(), audit_before, "nothing was written");
    assert_eq!(dash.app.count("users").await, 1);

    // Editing sends every field; an emptied one is cleared.
    let edit = [
        ("uid", "marta_k"),
        ("update", "true"),
        ("name", "Marta K."),
        ("role", "default"),
        ("tags", "vip"),
        ("avatar", ""),
        ("metadata", ""),
        ("status_message", "On holiday"),
    ];
    dash.ok(save, &edit).await;
    let marta = dash.get_user("marta_k").await;
    assert_eq!(marta["name"], "Marta K.");
    assert_eq!(marta["tags"], json!(["vip"]));
    assert_eq!(marta["statusMessage"], "On holiday");
    assert!(marta.get("avatar").is_none_or(Value::is_null) && marta.get("metadata").is_none_or(Value::is_null));
    let res = dash.call(save, &[("uid", "nobody"), ("update", "true"), ("name", "N"), ("role", "default")]).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND".to_owned()));
}

async fn the_csv_export_streams_exactly_the_filtered_users(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    let app = apps::get(&dash.app.db, &Caller::cli(), &AppId::parse(&dash.app_id).unwrap()).await.unwrap();
    // More than two export pages, so the download is streamed page by page.
    seed::users(&dash.app.db, &Caller::cli(), &app, 2_345, |_| ()).await.unwrap();

    let res = dash.export(&dash.browser, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = res.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().to_owned();
    assert_eq!(disposition, format!("attachment; filename=\"users-{}.csv\"", dash.app_id));
    let rows = csv_rows(&res.text().await.unwrap());
    assert_eq!(
        rows[0].join(","),
        "uid,name,role,tags,status,statusMessage,avatar,link,metadata,createdAt,lastActiveAt,deactivatedAt"
    );
    let uids: HashSet<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!((rows.len() - 1, uids.len()), (2_345, 2_345), "every user, each once");

    // A filtered export holds what the same filter lists, in the same order.
    let mut listed = Vec::new();
    let mut next = Some("?role=premium&perPage=1000".to_owned());
    while let Some(query) = next.take() {
        let page: Value = dash.rest("GET", &format!("/v3/users{query}"), None).await.json().await.unwrap();
        listed.extend(page["data"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap().to_owned()));
        next = page["meta"]["cursor"]["next"].as_str().map(|c| format!("?role=premium&perPage=1000&cursor={c}"));
    }
    assert!(!listed.is_empty());
    let rows = csv_rows(&dash.export(&dash.browser, "role=premium").await.text().await.unwrap());
    let exported: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(exported, listed);
    assert!(rows[1..].iter().all(|r| r[2] == "premium"));
    let actions: Vec<String> = dash.app.audit_rows().await.into_iter().map(|(_, action, ..)| action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "users.export").count(), 2, "each export is in the audit log");

    let res = dash.export(&new_browser(), "").await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".to_owned()));
    let res = dash.export(&dash.browser, "role=not+a+role").await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_ROLE".to_owned()));
    let res = dash.export(&dash.browser, "sort=email").await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_SORT".to_owned()));
    let other = dash.app.browser_signed_in_as("other@example.com", OperatorRole::Viewer).await;
    let res = other.get(dash.app.url("/apps/0000000000000000/users.csv")).send().await.unwrap();
    assert_eq!(error_of(res).await.0, StatusCode::NOT_FOUND);
}

async fn an_import_reports_each_row_and_imports_only_whole_rows(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    dash.user(json!({"uid": "taken", "name": "Taken"})).await;
    let file = "uid,name,role,tags,metadata\n\
                ana,Ana,default,\"beta, vip\",\"{\"\"plan\"\": \"\"pro\"\"}\"\n\
                taken,Someone,,,\n\
                bo,Bo,gold,,\n\
                no way,Cy,,,\n\
                dee,Dee,,,{broken\n\
                eve,Eve\n\
                fay,Fay,,,\n";
    let report = dash.ok(path_of::<ImportUsers>(), &[("csv", file)]).await;
    assert_eq!(report["accepted"], 2);
    let rejected: Vec<(i64, &str, &str)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["uid"].as_str().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rejected,
        [
            (3, "taken", "ERR_UID_ALREADY_EXISTS"),
            (4, "bo", "ERR_ROLE_NOT_FOUND"),
            (5, "no way", "ERR_INVALID_UID"),
            (6, "dee", "ERR_INVALID_METADATA"),
            (7, "eve", "ERR_INVALID_CSV_ROW"),
        ]
    );
    let ana = dash.get_user("ana").await;
    assert_eq!((&ana["tags"], &ana["metadata"]), (&json!(["beta", "vip"]), &json!({"plan": "pro"})));
    assert_eq!(dash.get_user("taken").await["name"], "Taken", "an existing user is left as it was");
    assert_eq!(dash.app.count("users").await, 3, "taken, ana and fay; no part of a refused row");
    assert_eq!(dash.app.count("user_tags").await, 2);

    let users_before = dash.app.count("users").await;
    for (file, code) in [
        ("uid,email\nzed,z@example.com\n", "ERR_INVALID_CSV"),
        ("name\nZed\n", "ERR_INVALID_CSV"),
        ("", "ERR_INVALID_CSV"),
    ] {
        let res = dash.call(path_of::<ImportUsers>(), &[("csv", file)]).await;
        assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, code.to_owned()), "{file:?}");
    }
    let huge = format!("uid,name\n{}", (0..10_001).map(|n| format!("u{n},U\n")).collect::<String>());
    let res = dash.call(path_of::<ImportUsers>(), &[("csv", &huge)]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_IMPORT_TOO_LARGE".to_owned()));
    let viewer = dash.app.browser_signed_in_as("view@example.com", OperatorRole::Viewer).await;
    let res = dash.call_as(&viewer, path_of::<ImportUsers>(), &[("csv", "uid,name\nzed,Zed\n")]).await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_FORBIDDEN".to_owned()));
    assert_eq!(dash.app.count("users").await, users_before, "no refused file wrote anything");
}

async fn an_export_imports_into_another_app_as_it_is(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    data_of(dash.rest("POST", "/v3/roles", Some(json!({"role": "premium"}))).await).await;
    let people = [
        json!({"uid": "ana", "name": "Ana, \"the\" first", "role": "premium", "tags": ["beta", "vip"],
               "metadata": {"plan": "pro", "seats": 3}, "statusMessage": "Here", "avatar": "https://x.example/a.png",
               "link": "https://x.example/ana"}),
        json!({"uid": "bo", "name": "Bo"}),
    ];
    for person in people {
        dash.user(person).await;
    }
    let file = dash.export(&dash.browser, "").await.text().await.unwrap();

    let other_app = dash.app.create_app(Environment::Development).await;
    let (_, other_key) = dash.app.create_key(&other_app, KeyScope::FullAccess).await;
    data_of(dash.app.rest("POST", "/v3/roles", &other_app, &other_key, Some(json!({"role": "premium"}))).await).await;
    let res = dash
        .browser
        .post(dash.app.url(path_of::<ImportUsers>()))
        .header(header::ACCEPT, "application/json")
        .form(&[("app_id", other_app.as_str()), ("csv", file.as_str())])
        .send()
        .await
        .unwrap();
    let report: Value = res.json().await.unwrap();
    assert_eq!(report, json!({"accepted": 2, "rejected": []}));
    for uid in ["ana", "bo"] {
        let original = dash.get_user(uid).await;
        let copy = data_of(dash.app.rest("GET", &format!("/v3/users/{uid}"), &other_app, &other_key, None).await).await;
        for field in ["uid", "name", "role", "tags", "metadata", "statusMessage", "avatar", "link"] {
            assert_eq!(copy.get(field), original.get(field), "{uid}.{field}");
        }
    }
}

/// Uploads `file` as the import form does, and
/// answers where the browser is sent back to.
async fn upload(dash: &Dashboard, browser: &Client, file: Vec<u8>) -> String {
    let part = Part::bytes(file).file_name("users.csv").mime_str("text/csv").unwrap();
    let form = Form::new().part("file", part).text("csv", "");
    let res = browser
        .post(dash.app.url(&format!("/apps/{}/users/import", dash.app_id)))
        .header(header::ACCEPT, "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    res.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

async fn page_text(dash: &Dashboard, browser: &Client, path: &str) -> String {
    let res = browser.get(dash.app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

async fn a_file_uploaded_without_the_pages_script_is_imported_and_reported_once(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    let back = upload(&dash, &dash.browser, b"uid,name\nana,Ana\nno way,No\nbo,Bo\n".to_vec()).await;
    assert_eq!(back, format!("/apps/{}/users?imported=1", dash.app_id));
    let page = page_text(&dash, &dash.browser, &back).await;
    assert!(page.contains("2 users imported, 1 row rejected."), "the report is on the page: {page}");
    assert!(page.contains("ERR_INVALID_UID"), "with the refused row's reason");
    assert_eq!(dash.get_user("bo").await["name"], "Bo");
    let again = page_text(&dash, &dash.browser, &back).await;
    assert!(!again.contains("imported, "), "a report is shown once");

    let users_before = dash.app.count("users").await;
    let too_large = format!("uid,name\n{}", "x".repeat(MAX_IMPORT_BYTES + 70_000)).into_bytes();
    let viewer = dash.app.browser_signed_in_as("view@example.com", OperatorRole::Viewer).await;
    for (browser, file, code) in [
        (&dash.browser, vec![0xff, 0xfe, b'u'], "ERR_INVALID_CSV"),
        (&dash.browser, b"name\nNo uid\n".to_vec(), "ERR_INVALID_CSV"),
        (&dash.browser, Vec::new(), "ERR_INVALID_CSV"),
        (&dash.browser, too_large, "ERR_IMPORT_TOO_LARGE"),
        (&viewer, b"uid,name\nzed,Zed\n".to_vec(), "ERR_FORBIDDEN"),
    ] {
        let back = upload(&dash, browser, file).await;
        let page = page_text(&dash, browser, &back).await;
        assert!(page.contains(code), "{code} is said on the page it comes back to");
    }
    let res = new_browser()
        .post(dash.app.url(&format!("/apps/{}/users/import", dash.app_id)))
        .multipart(Form::new().text("csv", "uid,name\nzed,Zed\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await.0, StatusCode::UNAUTHORIZED, "nobody signed in imports nothing");
    assert_eq!(dash.app.count("users").await, users_before, "no refused upload wrote anything");
}

async fn roles_are_managed_from_the_dashboard_by_the_rules_of_the_api(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    let (save, delete) = (path_of::<SaveRole>(), path_of::<DeleteRole>());
    // The form always sends both settings, as its two selects.
    let form = |fields: &[(&'static str, &'static str)]| {
        let mut form = vec![("list_users", "all"), ("send_messages_to", "all")];
        form.retain(|(name, _)| !fields.iter().any(|(given, _)| given == name));
        form.extend_from_slice(fields);
        form
    };
    let created =
        form(&[("role", "Premium"), ("name", "Premium"), ("description", "Pays"), ("metadata", r#"{"tier": 2}"#)]);
    dash.ok(save, &created).await;
    let role = data_of(dash.rest("GET", "/v3/roles/premium", None).await).await;
    assert_eq!((&role["description"], &role["metadata"]), (&json!("Pays"), &json!({"tier": 2})));
    let edited = form(&[
        ("role", "premium"),
        ("update", "true"),
        ("name", "Gold"),
        ("metadata", ""),
        ("send_messages_to", "friendsOnly"),
    ]);
    dash.ok(save, &edited).await;
    let role = data_of(dash.rest("GET", "/v3/roles/premium", None).await).await;
    assert_eq!((&role["name"], &role["description"]), (&json!("Gold"), &json!("")));
    assert_eq!(role["settings"], json!({"listUsers": "all", "sendMessagesTo": "friendsOnly"}));

    dash.user(json!({"uid": "ana", "name": "Ana", "role": "premium"})).await;
    for (path, form, status, code) in [
        (save, form(&[("role", "premium"), ("name", "Again")]), StatusCode::CONFLICT, "ERR_ROLE_ALREADY_EXISTS"),
        (save, form(&[("role", "no good"), ("name", "X")]), StatusCode::BAD_REQUEST, "ERR_INVALID_ROLE"),
        (save, form(&[("role", "x"), ("name", " ")]), StatusCode::BAD_REQUEST, "ERR_INVALID_ROLE_NAME"),
        (
            save,
            form(&[("role", "x"), ("name", "X"), ("metadata", "[]")]),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_METADATA",
        ),
        (
            save,
            form(&[("role", "x"), ("name", "X"), ("list_users", "some")]),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_ROLE_SETTING",
        ),
        (delete, vec![("role", "premium")], StatusCode::BAD_REQUEST, "ERR_CONFIRMATION_REQUIRED"),
        (delete, vec![("role", "default"), ("confirm", "yes")], StatusCode::BAD_REQUEST, "ERR_ROLE_DELETE_DENIED"),
        (delete, vec![("role", "premium"), ("confirm", "yes")], StatusCode::CONFLICT, "ERR_ROLE_IN_USE"),
    ] {
        let res = dash.call(path, &form).await;
        assert_eq!(error_of(res).await, (status, code.to_owned()), "{form:?}");
    }
    data_of(dash.rest("PUT", "/v3/users/ana", Some(json!({"role": "default"}))).await).await;
    dash.ok(delete, &[("role", "premium"), ("confirm", "yes")]).await;
    let roles = data_of(dash.rest("GET", "/v3/roles", None).await).await;
    assert_eq!(roles.as_array().unwrap().len(), 1, "only default is left");
}

async fn friends_are_added_and_removed_on_the_user_page(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    for uid in ["ana", "bo", "cy"] {
        dash.user(json!({"uid": uid, "name": uid})).await;
    }
    let refused = dash.ok(path_of::<AddFriends>(), &[("uid", "ana"), ("friends", "bo, cy, nobody, ana")]).await;
    let refused: Vec<&str> = refused.as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].starts_with("nobody: ") && refused[1].starts_with("ana: "), "{refused:?}");
    let friends = |page: Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(friends(dash.ok(path_of::<ListFriends>(), &[("uid", "ana")]).await), ["bo", "cy"]);
    assert_eq!(friends(dash.ok(path_of::<ListFriends>(), &[("uid", "bo")]).await), ["ana"], "both ways");
    let res = dash.call(path_of::<RemoveFriend>(), &[("uid", "bo"), ("friend", "ana")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_CONFIRMATION_REQUIRED".to_owned()), "unticked");
    assert_eq!(friends(dash.ok(path_of::<ListFriends>(), &[("uid", "ana")]).await), ["bo", "cy"]);
    dash.ok(path_of::<RemoveFriend>(), &[("uid", "bo"), ("friend", "ana"), ("confirm", "yes")]).await;
    assert_eq!(friends(dash.ok(path_of::<ListFriends>(), &[("uid", "ana")]).await), ["cy"]);
    let res = dash.call(path_of::<AddFriends>(), &[("uid", "ana"), ("friends", "bad uid")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_UID".to_owned()));
}
