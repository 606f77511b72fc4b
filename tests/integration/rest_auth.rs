//! Who may call `/v3`: every way a request can lack a valid key, and what it gets.

use reqwest::StatusCode;
use switchboard::domain::{Environment, KeyScope};

use crate::common::{Backend, data_of, error_of, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_request_without_an_app_id_gets_auth_err_empty_appid,
    a_malformed_or_unknown_app_id_gets_auth_err_invalid_appid,
    a_request_without_a_key_gets_auth_err_empty_apikey,
    an_unknown_key_gets_auth_err_apikey_not_found,
    a_key_of_app_a_is_refused_on_app_b,
    a_revoked_key_is_refused_on_its_next_request,
    an_expired_key_is_refused,
    a_key_of_a_deleted_app_is_refused,
    an_auth_key_may_not_list_keys,
    a_rest_api_key_lists_its_apps_keys_and_records_its_last_use,
);

async fn a_request_without_an_app_id_gets_auth_err_empty_appid(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.api.get(app.url("/v3/apikeys")).header("apikey", "whatever").send().await.unwrap();
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "AUTH_ERR_EMPTY_APPID".into()));
    let res = app.rest("GET", "/v3/apikeys", "  ", "whatever", None).await;
    assert_eq!(error_of(res).await.1, "AUTH_ERR_EMPTY_APPID");
}

async fn a_malformed_or_unknown_app_id_gets_auth_err_invalid_appid(backend: Backend) {
    let app = spawn_app(backend).await;
    for app_id in ["not-an-app-id", "0123456789abcdef", "0123456789ABCDEF"] {
        let res = app.rest("GET", "/v3/apikeys", app_id, "whatever", None).await;
        assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "AUTH_ERR_INVALID_APPID".into()), "{app_id}");
    }
}

async fn a_request_without_a_key_gets_auth_err_empty_apikey(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let res = app.api.get(app.url("/v3/apikeys")).header("appid", &app_id).send().await.unwrap();
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "AUTH_ERR_EMPTY_APIKEY".into()));
}

async fn an_unknown_key_gets_auth_err_apikey_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let res = app.rest("GET", "/v3/apikeys", &app_id, &"0".repeat(40), None).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "AUTH_ERR_APIKEY_NOT_FOUND".into()));
}

async fn a_key_of_app_a_is_refused_on_app_b(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.create_app(Environment::Development).await;
    let b = app.create_app(Environment::Development).await;
    let (_, key_of_a) = app.create_key(&a, KeyScope::FullAccess).await;
    let (id_of_b, key_of_b) = app.create_key(&b, KeyScope::FullAccess).await;
    let make_ana = serde_json::json!({"uid": "ana", "name": "Ana of B"});
    data_of(app.rest("POST", "/v3/users", &b, &key_of_b, Some(make_ana)).await).await;
    let token = data_of(app.rest("POST", "/v3/users/ana/auth_tokens", &b, &key_of_b, None).await).await;
    let token_id = token["id"].to_string();
    let make_team = serde_json::json!({"guid": "team", "name": "Team of B", "owner": "ana"});
    data_of(app.rest("POST", "/v3/groups", &b, &key_of_b, Some(make_team)).await).await;
    let hello = serde_json::json!({"receiver": "team", "receiverType": "group", "category": "message", "type": "text", "data": {"text": "hi"}});
    let sent = app.api.post(app.url("/v3/messages")).header("appid", &b).header("apikey", &key_of_b);
    let message = data_of(sent.header("onbehalfof", "ana").json(&hello).send().await.unwrap()).await;
    let message_id = message["id"].as_str().unwrap().to_owned();
    let before = (
        app.count("api_keys").await,
        app.count("users").await,
        app.count("auth_tokens").await,
        app.count("group_members").await,
        app.count("audit_log").await,
        app.count("messages").await,
    );

    let every_endpoint = [
        ("GET", "/v3/apikeys".to_owned()),
        ("POST", "/v3/apikeys".to_owned()),
        ("GET", format!("/v3/apikeys/{id_of_b}")),
        ("PUT", format!("/v3/apikeys/{id_of_b}")),
        ("DELETE", format!("/v3/apikeys/{id_of_b}")),
        ("GET", "/v3/users".to_owned()),
        ("POST", "/v3/users".to_owned()),
        ("PUT", "/v3/users".to_owned()),
        ("DELETE", "/v3/users".to_owned()),
        ("GET", "/v3/users/ana".to_owned()),
        ("PUT", "/v3/users/ana".to_owned()),
        ("DELETE", "/v3/users/ana".to_owned()),
        ("GET", "/v3/users/ana/auth_tokens".to_owned()),
        ("POST", "/v3/users/ana/auth_tokens".to_owned()),
        ("DELETE", "/v3/users/ana/auth_tokens".to_owned()),
        ("GET", format!("/v3/users/ana/auth_tokens/{token_id}")),
        ("DELETE", format!("/v3/users/ana/auth_tokens/{token_id}")),
        ("GET", "/v3/users/ana/friends".to_owned()),
        ("POST", "/v3/users/ana/friends".to_owned()),
        ("DELETE", "/v3/users/ana/friends".to_owned()),
        ("GET", "/v3/roles".to_owned()),
        ("POST", "/v3/roles".to_owned()),
        ("GET", "/v3/roles/default".to_owned()),
        ("PUT", "/v3/roles/default".to_owned()),
        ("DELETE", "/v3/roles/default".to_owned()),
        ("GET", "/v3/users/ana/groups".to_owned()),
        ("GET", "/v3/groups".to_owned()),
        ("POST", "/v3/groups".to_owned()),
        ("GET", "/v3/groups/team".to_owned()),
        ("PUT", "/v3/groups/team".to_owned()),
        ("DELETE", "/v3/groups/team".to_owned()),
        ("PATCH", "/v3/groups/team/owner".to_owned()),
        ("GET", "/v3/groups/team/members".to_owned()),
        ("POST", "/v3/groups/team/members".to_owned()),
        ("PUT", "/v3/groups/team/members/ana".to_owned()),
        ("DELETE", "/v3/groups/team/members/ana".to_owned()),
        ("POST", "/v3/groups/team/join".to_owned()),
        ("POST", "/v3/groups/team/leave".to_owned()),
        ("GET", "/v3/groups/team/bannedusers".to_owned()),
        ("POST", "/v3/groups/team/bannedusers/ana".to_owned()),
        ("DELETE", "/v3/groups/team/bannedusers/ana".to_owned()),
        ("GET", "/v3/messages".to_owned()),
        ("POST", "/v3/messages".to_owned()),
        ("GET", format!("/v3/messages/{message_id}")),
        ("PUT", format!("/v3/messages/{message_id}")),
        ("DELETE", format!("/v3/messages/{message_id}")),
        ("GET", format!("/v3/messages/{message_id}/thread")),
        ("GET", "/v3/users/ana/messages".to_owned()),
        ("GET", "/v3/groups/team/messages".to_owned()),
        ("GET", "/v3/users/ana/conversations".to_owned()),
        ("POST", "/v3/users/ana/conversations/read".to_owned()),
    ];
    for (method, path) in &every_endpoint {
        // Claiming to be app B with A's key: refused before anything is read.
        let res = app.rest(method, path, &b, &key_of_a, Some(serde_json::json!({}))).await;
        assert_eq!(
            error_of(res).await,
            (StatusCode::UNAUTHORIZED, "AUTH_ERR_APIKEY_NOT_FOUND".into()),
            "{method} {path}"
        );
    }
    // As app A, B's user does not exist.
    for (method, path) in
        [("GET", "/v3/users/ana"), ("GET", "/v3/users/ana/auth_tokens"), ("GET", "/v3/users/ana/friends")]
    {
        let res = app.rest(method, path, &a, &key_of_a, None).await;
        assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND".into()), "{method} {path} as A");
    }
    for path in ["/v3/groups/team", "/v3/groups/team/members", "/v3/groups/team/bannedusers"] {
        let res = app.rest("GET", path, &a, &key_of_a, None).await;
        assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_GUID_NOT_FOUND".into()), "GET {path} as A");
    }
    for path in ["/v3/users", "/v3/groups", "/v3/messages"] {
        let listed = data_of(app.rest("GET", path, &a, &key_of_a, None).await).await;
        assert_eq!(listed, serde_json::json!([]), "{path} as A");
    }
    let (status, code) =
        error_of(app.rest("GET", &format!("/v3/messages/{message_id}"), &a, &key_of_a, None).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::NOT_FOUND, "ERR_MESSAGE_ID_NOT_FOUND"), "B's message as A");
    let after = (
        app.count("api_keys").await,
        app.count("users").await,
        app.count("auth_tokens").await,
        app.count("group_members").await,
        app.count("audit_log").await,
        app.count("messages").await,
    );
    assert_eq!(before, after, "nothing changed in either app");
}

async fn a_revoked_key_is_refused_on_its_next_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let (_, admin_key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    let (doomed_id, doomed_key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    data_of(app.rest("GET", "/v3/apikeys", &app_id, &doomed_key, None).await).await;

    let revoked =
        data_of(app.rest("DELETE", &format!("/v3/apikeys/{doomed_id}"), &app_id, &admin_key, None).await).await;
    assert!(revoked["revokedAt"].is_i64());

    let res = app.rest("GET", "/v3/apikeys", &app_id, &doomed_key, None).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "AUTH_ERR_APIKEY_NOT_FOUND".into()));
}

async fn an_expired_key_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let (id, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    let mut tx = app.db.begin_write().await.unwrap();
    tx.execute("UPDATE api_keys SET expires_at = 1 WHERE id = $1", switchboard::args![id]).await.unwrap();
    tx.commit().await.unwrap();
    let res = app.rest("GET", "/v3/apikeys", &app_id, &key, None).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "AUTH_ERR_APIKEY_NOT_FOUND".into()));
}

async fn a_key_of_a_deleted_app_is_refused(backend: Backend) {
    use switchboard::{
        domain::AppId,
        server::{auth::Caller, service::apps},
    };
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let (_, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    apps::delete(&app.db, &Caller::cli(), &AppId::parse(&app_id).unwrap(), "Test app").await.unwrap();
    let res = app.rest("GET", "/v3/apikeys", &app_id, &key, None).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "AUTH_ERR_INVALID_APPID".into()));
}

async fn an_auth_key_may_not_list_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let (_, auth_key) = app.create_key(&app_id, KeyScope::AuthOnly).await;
    for (method, path) in [("GET", "/v3/apikeys"), ("POST", "/v3/apikeys"), ("GET", "/v3/apikeys/1")] {
        let body = serde_json::json!({"name": "x", "scope": "fullAccess"});
        let res = app.rest(method, path, &app_id, &auth_key, Some(body)).await;
        assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "AUTH_ERR_NO_ACCESS".into()), "{method} {path}");
    }
    assert_eq!(app.count("api_keys").await, 1);
}

async fn a_rest_api_key_lists_its_apps_keys_and_records_its_last_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let (id, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    let keys = data_of(app.rest("GET", "/v3/apikeys", &app_id, &key, None).await).await;
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["id"], id);
    let again = data_of(app.rest("GET", &format!("/v3/apikeys/{id}"), &app_id, &key, None).await).await;
    assert!(again["lastUsedAt"].is_i64(), "last use is recorded: {again}");
}
