//! Destructive dashboard actions ask for a tick first, and the server
//! checks it: without it, nothing changes. A ban says why and for how long.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::{
    domain::{Environment, KeyScope, OperatorRole},
    ui::{
        group_bans::ListBanned,
        group_members::ChangeMembers,
        group_page::DeleteGroup,
        keys_page::RevokeKey,
        message_delete::DeleteMessage,
        roles_page::DeleteRole,
        team_page::{ResetTwoFactor, SetOperatorDisabled},
        user_friends::RemoveFriend,
        user_page::{DeleteUser, RevokeAllUserTokens, RevokeUserToken},
        users_bulk_bar::ChangeUsers,
    },
};

use crate::common::{Backend, TestApp, error_of, path_of, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    every_destructive_action_without_its_tick_is_refused_and_changes_nothing,
    a_ban_says_why_and_one_with_an_end_stops_counting_once_it_has_passed,
);

async fn rest(app: &TestApp, app_id: &str, key: &str, method: &str, path: &str, body: Value) -> Value {
    let res = app.rest(method, path, app_id, key, Some(body)).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {body}");
    body["data"].clone()
}

async fn every_destructive_action_without_its_tick_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    let dev_id = app.create_operator("dev@example.com", OperatorRole::Developer).await.to_string();
    let app_id = app.create_app(Environment::Development).await;
    let (key_id, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    let key_id = key_id.to_string();
    for uid in ["ana", "bo"] {
        rest(&app, &app_id, &key, "POST", "/v3/users", json!({"uid": uid, "name": uid})).await;
    }
    let token = rest(&app, &app_id, &key, "POST", "/v3/users/ana/auth_tokens", json!({})).await;
    let token_id = token["id"].to_string();
    rest(&app, &app_id, &key, "POST", "/v3/users/ana/friends", json!({"accepted": ["bo"]})).await;
    rest(&app, &app_id, &key, "POST", "/v3/roles", json!({"role": "gold", "name": "Gold"})).await;
    rest(&app, &app_id, &key, "POST", "/v3/groups", json!({"guid": "g1", "name": "G", "type": "public"})).await;
    rest(&app, &app_id, &key, "POST", "/v3/groups/g1/members", json!({"participants": ["ana", "bo"]})).await;
    let message = json!({"receiver": "g1", "receiverType": "group", "category": "message", "type": "text",
                         "data": {"text": "hi"}});
    let res = app.rest_as("ana", "POST", "/v3/messages", &app_id, &key, message).await;
    let message_id: Value = res.json().await.unwrap();
    let message_id = message_id["data"]["id"].as_str().unwrap().to_owned();

    let a = app_id.as_str();
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (path_of::<RevokeKey>(), vec![("app_id", a), ("id", &key_id)]),
        (path_of::<SetOperatorDisabled>(), vec![("id", &dev_id), ("disabled", "true")]),
        (path_of::<ResetTwoFactor>(), vec![("id", &dev_id)]),
        (path_of::<ChangeUsers>(), vec![("app_id", a), ("uids[]", "ana"), ("change", "deactivate")]),
        (path_of::<ChangeUsers>(), vec![("app_id", a), ("uids[]", "ana"), ("change", "delete")]),
        (path_of::<RevokeUserToken>(), vec![("app_id", a), ("uid", "ana"), ("id", &token_id)]),
        (path_of::<RevokeAllUserTokens>(), vec![("app_id", a), ("uid", "ana")]),
        (path_of::<DeleteUser>(), vec![("app_id", a), ("uid", "bo")]),
        (path_of::<RemoveFriend>(), vec![("app_id", a), ("uid", "ana"), ("friend", "bo")]),
        (path_of::<DeleteRole>(), vec![("app_id", a), ("role", "gold")]),
        (path_of::<ChangeMembers>(), vec![("app_id", a), ("guid", "g1"), ("action", "kick"), ("uids[]", "bo")]),
        (path_of::<ChangeMembers>(), vec![("app_id", a), ("guid", "g1"), ("action", "ban"), ("uids[]", "bo")]),
        (path_of::<DeleteGroup>(), vec![("app_id", a), ("guid", "g1")]),
        (path_of::<DeleteMessage>(), vec![("app_id", a), ("id", &message_id), ("reason", "spam")]),
    ];
    let audit_before = app.count("audit_log").await;
    for (path, form) in calls {
        let res = app.server_fn(&owner, path, &form).await;
        assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_CONFIRMATION_REQUIRED".into()), "{path}");
    }
    assert_eq!(app.count("audit_log").await, audit_before, "nothing changed");
    let res = app.rest("GET", "/v3/users/ana/auth_tokens", &app_id, &key, None).await;
    assert_eq!(res.status(), StatusCode::OK, "the key still works and the token is there");
}

async fn a_ban_says_why_and_one_with_an_end_stops_counting_once_it_has_passed(backend: Backend) {
    let app = spawn_app(backend).await;
    let support = app.browser_signed_in_as("help@example.com", OperatorRole::Support).await;
    let app_id = app.create_app(Environment::Development).await;
    let (_, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    for uid in ["ana", "bo"] {
        rest(&app, &app_id, &key, "POST", "/v3/users", json!({"uid": uid, "name": uid})).await;
    }
    rest(&app, &app_id, &key, "POST", "/v3/groups", json!({"guid": "g1", "name": "G", "type": "public"})).await;
    rest(&app, &app_id, &key, "POST", "/v3/groups/g1/members", json!({"participants": ["ana", "bo"]})).await;
    let ban = async |uid: &'static str, length: &'static str| {
        let form = [
            ("app_id", app_id.as_str()),
            ("guid", "g1"),
            ("action", "ban"),
            ("uids[]", uid),
            ("confirm", "yes"),
            ("reason", "Spamming the group"),
            ("length", length),
        ];
        app.server_fn(&support, path_of::<ChangeMembers>(), &form).await
    };
    let res = ban("ana", "2y").await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_BAN_LENGTH".into()));
    assert!(ban("ana", "1h").await.status().is_success());
    assert!(ban("bo", "").await.status().is_success());

    let list = [("app_id", app_id.as_str()), ("guid", "g1")];
    let banned: Value = app.server_fn(&support, path_of::<ListBanned>(), &list).await.json().await.unwrap();
    let ana = banned["items"].as_array().unwrap().iter().find(|b| b["uid"] == "ana").unwrap().clone();
    let bo = banned["items"].as_array().unwrap().iter().find(|b| b["uid"] == "bo").unwrap().clone();
    assert_eq!(ana["reason"], "Spamming the group");
    let hour_later = ana["bannedAt"].as_i64().unwrap() + 3600;
    assert_eq!(ana["until"].as_i64(), Some(hour_later), "an hour's ban");
    assert!(bo.get("until").is_none(), "a ban for good has no end: {bo}");

    let res = app.rest("POST", "/v3/groups/g1/members", &app_id, &key, Some(json!({"participants": ["ana"]}))).await;
    let body: Value = res.json().await.unwrap();
    assert!(body.to_string().contains("ERR_BANNED_GROUPMEMBER"), "banned while the ban lasts: {body}");
    // An hour on: the ban has passed.
    app.db.execute("UPDATE group_bans SET until = until - 7200", &[]).await.unwrap();
    let banned: Value = app.server_fn(&support, path_of::<ListBanned>(), &list).await.json().await.unwrap();
    let uids: Vec<&str> = banned["items"].as_array().unwrap().iter().map(|b| b["uid"].as_str().unwrap()).collect();
    assert_eq!(uids, ["bo"], "a ban that has passed is not listed");
    let res = app.rest("POST", "/v3/groups/g1/members", &app_id, &key, Some(json!({"participants": ["ana"]}))).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["participants"]["ana"]["success"], true, "{body}");
    assert!(ban("ana", "").await.status().is_success(), "and may be banned again");
}
