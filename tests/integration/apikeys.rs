//! The `/v3/apikeys` resource: what it does, and what each bad request gets.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::domain::{Environment, KeyScope};

use crate::common::{Backend, TestApp, data_of, error_of, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_created_key_is_shown_once_and_never_listed,
    a_new_key_works_at_once_and_its_creation_is_audited,
    a_key_can_be_renamed_and_given_or_cleared_an_expiry,
    a_key_may_not_update_or_revoke_itself,
    an_app_holds_at_most_twenty_five_active_keys,
    an_auth_key_for_a_production_app_needs_confirmation,
    each_kind_of_bad_input_gets_its_code_and_writes_nothing,
    a_body_over_the_limit_gets_payload_too_large,
    revoking_twice_changes_nothing,
);

async fn app_with_key(backend: Backend) -> (TestApp, String, i64, String) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let (id, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    (app, app_id, id, key)
}

async fn a_created_key_is_shown_once_and_never_listed(backend: Backend) {
    let (app, app_id, _, key) = app_with_key(backend).await;
    let created = data_of(
        app.rest("POST", "/v3/apikeys", &app_id, &key, Some(json!({"name": "Backend", "scope": "fullAccess"}))).await,
    )
    .await;
    let secret = created["apiKey"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 40);
    assert_eq!(created["prefix"].as_str().unwrap(), &secret[..8]);
    assert_eq!(created["scope"], "fullAccess");

    let id = created["id"].as_i64().unwrap();
    for path in ["/v3/apikeys".to_owned(), format!("/v3/apikeys/{id}")] {
        let text = app.rest("GET", &path, &app_id, &key, None).await.text().await.unwrap();
        assert!(!text.contains(&secret), "{path} shows the key");
        assert!(!text.contains("apiKey"), "{path} has an apiKey field");
    }
    for (_, _, object, details) in app.audit_rows().await {
        assert!(!object.contains(&secret) && !details.contains(&secret), "the audit log holds the key");
    }
}

async fn a_new_key_works_at_once_and_its_creation_is_audited(backend: Backend) {
    let (app, app_id, _, key) = app_with_key(backend).await;
    let created = data_of(
        app.rest("POST", "/v3/apikeys", &app_id, &key, Some(json!({"name": "Worker", "scope": "authOnly"}))).await,
    )
    .await;
    assert_eq!(created["createdBy"], format!("key:{}", &key[..8]));
    let (actor, action, object, _) = app.audit_rows().await.pop().unwrap();
    assert_eq!((actor.as_str(), action.as_str()), (format!("key:{}", &key[..8]).as_str(), "apikey.create"));
    assert_eq!(object, format!("apikey:{}", created["id"]));
    let new_key = created["apiKey"].as_str().unwrap();
    let res = app.rest("GET", "/v3/apikeys", &app_id, new_key, None).await;
    assert_eq!(error_of(res).await.1, "AUTH_ERR_NO_ACCESS", "the new Auth Key is known, and limited");
}

async fn a_key_can_be_renamed_and_given_or_cleared_an_expiry(backend: Backend) {
    let (app, app_id, _, key) = app_with_key(backend).await;
    let (other, _) = app.create_key(&app_id, KeyScope::AuthOnly).await;
    let path = format!("/v3/apikeys/{other}");
    let in_a_day = switchboard::server::service::now() + 86_400;

    let updated =
        data_of(app.rest("PUT", &path, &app_id, &key, Some(json!({"name": "Mobile", "expiresAt": in_a_day}))).await)
            .await;
    assert_eq!((updated["name"].clone(), updated["expiresAt"].clone()), (json!("Mobile"), json!(in_a_day)));

    let kept = data_of(app.rest("PUT", &path, &app_id, &key, Some(json!({"name": "Mobile 2"}))).await).await;
    assert_eq!(kept["expiresAt"], json!(in_a_day), "a field left out stays as it was");

    let cleared = data_of(app.rest("PUT", &path, &app_id, &key, Some(json!({"expiresAt": null}))).await).await;
    assert_eq!((cleared["name"].clone(), cleared["expiresAt"].clone()), (json!("Mobile 2"), Value::Null));

    let actions: Vec<String> = app.audit_rows().await.into_iter().map(|r| r.1).collect();
    assert_eq!(actions.iter().filter(|a| *a == "apikey.update").count(), 3);
}

async fn a_key_may_not_update_or_revoke_itself(backend: Backend) {
    let (app, app_id, id, key) = app_with_key(backend).await;
    let path = format!("/v3/apikeys/{id}");
    let res = app.rest("PUT", &path, &app_id, &key, Some(json!({"name": "me"}))).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_APIKEY_NO_SELF_ACTION".into()));
    let res = app.rest("DELETE", &path, &app_id, &key, None).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_APIKEY_NO_SELF_ACTION".into()));
    data_of(app.rest("GET", "/v3/apikeys", &app_id, &key, None).await).await;
}

async fn an_app_holds_at_most_twenty_five_active_keys(backend: Backend) {
    let (app, app_id, _, key) = app_with_key(backend).await;
    let mut last = 0;
    for _ in 1..25 {
        last = app.create_key(&app_id, KeyScope::AuthOnly).await.0;
    }
    let new_key = json!({"name": "one too many", "scope": "fullAccess"});
    let res = app.rest("POST", "/v3/apikeys", &app_id, &key, Some(new_key.clone())).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_APIKEY_LIMIT_EXCEEDED".into()));
    assert_eq!(app.count("api_keys").await, 25);

    data_of(app.rest("DELETE", &format!("/v3/apikeys/{last}"), &app_id, &key, None).await).await;
    data_of(app.rest("POST", "/v3/apikeys", &app_id, &key, Some(new_key)).await).await;
}

async fn an_auth_key_for_a_production_app_needs_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Production).await;
    let (_, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    let res = app.rest("POST", "/v3/apikeys", &app_id, &key, Some(json!({"name": "iOS", "scope": "authOnly"}))).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_CONFIRMATION_REQUIRED".into()));
    let confirmed = json!({"name": "iOS", "scope": "authOnly", "confirmAuthKeyInProduction": true});
    data_of(app.rest("POST", "/v3/apikeys", &app_id, &key, Some(confirmed)).await).await;
    let rest_key = json!({"name": "server", "scope": "fullAccess"});
    data_of(app.rest("POST", "/v3/apikeys", &app_id, &key, Some(rest_key)).await).await;
}

async fn each_kind_of_bad_input_gets_its_code_and_writes_nothing(backend: Backend) {
    let (app, app_id, id, key) = app_with_key(backend).await;
    let (other, _) = app.create_key(&app_id, KeyScope::AuthOnly).await;
    let (keys_before, audit_before) = (app.count("api_keys").await, app.count("audit_log").await);
    let past = 1_000_000_000;
    let cases: Vec<(&str, String, Option<Value>, StatusCode, &str)> = vec![
        (
            "POST",
            "/v3/apikeys".into(),
            Some(json!({"name": "x", "scope": "fullAccess", "admin": true})),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        (
            "POST",
            "/v3/apikeys".into(),
            Some(json!({"name": "x", "scope": 5})),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        (
            "POST",
            "/v3/apikeys".into(),
            Some(json!({"scope": "fullAccess"})),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        ("POST", "/v3/apikeys".into(), Some(json!([1, 2])), StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST"),
        (
            "POST",
            "/v3/apikeys".into(),
            Some(json!({"name": "x", "scope": "root"})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_APIKEY_SCOPE",
        ),
        (
            "POST",
            "/v3/apikeys".into(),
            Some(json!({"name": "  ", "scope": "fullAccess"})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_APIKEY_NAME",
        ),
        (
            "POST",
            "/v3/apikeys".into(),
            Some(json!({"name": "x".repeat(101), "scope": "fullAccess"})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_APIKEY_NAME",
        ),
        (
            "POST",
            "/v3/apikeys".into(),
            Some(json!({"name": "x", "scope": "fullAccess", "expiresAt": past})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_EXPIRY",
        ),
        (
            "POST",
            "/v3/apikeys".into(),
            Some(json!({"name": "x", "scope": "fullAccess", "expiresAt": "tomorrow"})),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        (
            "PUT",
            format!("/v3/apikeys/{other}"),
            Some(json!({"expiresAt": past})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_EXPIRY",
        ),
        (
            "PUT",
            format!("/v3/apikeys/{other}"),
            Some(json!({"name": ""})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_APIKEY_NAME",
        ),
        (
            "PUT",
            format!("/v3/apikeys/{other}"),
            Some(json!({"colour": "red"})),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        ("GET", "/v3/apikeys/abc".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_APIKEY"),
        ("GET", "/v3/apikeys/-4".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_APIKEY"),
        ("GET", "/v3/apikeys/99999999999999999999".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_APIKEY"),
        ("GET", format!("/v3/apikeys/{}", "0".repeat(40)), None, StatusCode::NOT_FOUND, "ERR_APIKEY_NOT_FOUND"),
        ("GET", format!("/v3/apikeys/{}", id + 1000), None, StatusCode::NOT_FOUND, "ERR_APIKEY_NOT_FOUND"),
        ("DELETE", format!("/v3/apikeys/{}", id + 1000), None, StatusCode::NOT_FOUND, "ERR_APIKEY_NOT_FOUND"),
        ("PATCH", "/v3/apikeys".into(), None, StatusCode::METHOD_NOT_ALLOWED, "ERR_API_NOT_FOUND"),
        ("GET", "/v3/nothing-here".into(), None, StatusCode::NOT_FOUND, "ERR_API_NOT_FOUND"),
    ];
    for (method, path, body, status, code) in cases {
        let shown = format!("{method} {path} {body:?}");
        let res = app.rest(method, &path, &app_id, &key, body).await;
        assert_eq!(error_of(res).await, (status, code.to_owned()), "{shown}");
    }

    let raw = |body: &'static str, content_type: &'static str| {
        app.api
            .post(app.url("/v3/apikeys"))
            .header("appid", &app_id)
            .header("apikey", &key)
            .header("content-type", content_type)
            .body(body)
    };
    let res = raw("{\"name\": ", "application/json").send().await.unwrap();
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST".into()), "truncated JSON");
    let res = raw("name=x&scope=fullAccess", "application/x-www-form-urlencoded").send().await.unwrap();
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST".into()), "not JSON");

    assert_eq!(app.count("api_keys").await, keys_before, "no key was written");
    assert_eq!(app.count("audit_log").await, audit_before, "no audit row was written");
}

async fn a_body_over_the_limit_gets_payload_too_large(backend: Backend) {
    let (app, app_id, _, key) = app_with_key(backend).await;
    let huge = json!({"name": "x".repeat(70 * 1024), "scope": "fullAccess"});
    let res = app.rest("POST", "/v3/apikeys", &app_id, &key, Some(huge)).await;
    assert_eq!(error_of(res).await, (StatusCode::PAYLOAD_TOO_LARGE, "ERR_PAYLOAD_TOO_LARGE".into()));
    assert_eq!(app.count("api_keys").await, 1);
}

async fn revoking_twice_changes_nothing(backend: Backend) {
    let (app, app_id, _, key) = app_with_key(backend).await;
    let (other, _) = app.create_key(&app_id, KeyScope::AuthOnly).await;
    let path = format!("/v3/apikeys/{other}");
    let first = data_of(app.rest("DELETE", &path, &app_id, &key, None).await).await;
    let second = data_of(app.rest("DELETE", &path, &app_id, &key, None).await).await;
    assert_eq!(first["revokedAt"], second["revokedAt"]);
    let revocations = app.audit_rows().await.into_iter().filter(|r| r.1 == "apikey.revoke").count();
    assert_eq!(revocations, 1);
}
