//! The endpoints client apps call with a user's own auth token, on both
//! databases: they act as that user and only that user, and every other
//! endpoint still asks for an API key.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::common::{Api, Backend, data_of, error_of};
use crate::on_both_backends;

on_both_backends!(
    an_auth_token_acts_as_its_user_on_the_client_endpoints,
    an_auth_token_opens_no_server_endpoint_and_never_acts_for_another_user,
    a_revoked_token_is_refused_on_its_next_call,
);

/// One user's client: the app's App ID and that user's auth token.
struct Client<'a> {
    api: &'a Api,
    token: String,
}

impl Client<'_> {
    async fn of<'a>(api: &'a Api, uid: &str) -> Client<'a> {
        let issued = api.ok("POST", &format!("/v3/users/{uid}/auth_tokens"), None).await;
        Client { api, token: issued["authToken"].as_str().unwrap().to_owned() }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let mut req = self.request(method, path, &self.api.app_id);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// A request with this user's token, to the app `app_id`.
    fn request(&self, method: &str, path: &str, app_id: &str) -> reqwest::RequestBuilder {
        let app = &self.api.app;
        app.api.request(method.parse().unwrap(), app.url(path)).header("appid", app_id).header("authtoken", &self.token)
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        data_of(self.call(method, path, body).await).await
    }

    async fn err(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, String) {
        error_of(self.call(method, path, body).await).await
    }
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array().unwrap().iter().map(|item| item[field].as_str().unwrap().to_owned()).collect()
}

async fn an_auth_token_acts_as_its_user_on_the_client_endpoints(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    for (guid, kind) in [("lobby", "public"), ("secret", "private")] {
        api.ok("POST", "/v3/groups", Some(json!({"guid": guid, "name": guid, "type": kind, "owner": "cat"}))).await;
    }
    let ana = Client::of(&api, "ana").await;
    assert_eq!(ana.ok("GET", "/v3/me", None).await["uid"], "ana");
    assert_eq!(ids(&ana.ok("GET", "/v3/users", None).await, "uid"), ["ana", "ben", "cat"]);
    assert_eq!(ids(&ana.ok("GET", "/v3/groups", None).await, "guid"), ["lobby"], "a private group stays hidden");

    ana.ok("POST", "/v3/groups/lobby/join", None).await;
    let hello = json!({"receiver": "lobby", "receiverType": "group", "category": "message", "type": "text", "data": {"text": "hello"}});
    let sent = ana.ok("POST", "/v3/messages", Some(hello)).await;
    assert_eq!(sent["sender"], "ana");
    let texts = ana.ok("GET", "/v3/groups/lobby/messages", None).await;
    assert!(texts.as_array().unwrap().iter().any(|m| m["id"] == sent["id"]));
    assert_eq!(ana.ok("GET", &format!("/v3/messages/{}", sent["id"].as_str().unwrap()), None).await["id"], sent["id"]);

    let to_ben = json!({"receiver": "ben", "receiverType": "user", "category": "message", "type": "text", "data": {"text": "hi ben"}});
    let direct = ana.ok("POST", "/v3/messages", Some(to_ben)).await;
    assert_eq!(ids(&ana.ok("GET", "/v3/users/ben/messages", None).await, "sender"), ["ana"]);
    let read = ana.call("POST", "/v3/users/ana/conversations/read", Some(json!({"messageId": direct["id"]}))).await;
    assert_eq!(read.status(), StatusCode::OK);
    let conversations = ana.call("GET", "/v3/users/ana/conversations", None).await;
    assert_eq!(conversations.status(), StatusCode::OK);
    ana.ok("POST", "/v3/groups/lobby/leave", None).await;
    assert_eq!(ana.err("GET", "/v3/groups/lobby/messages", None).await.1, "ERR_NOT_A_MEMBER");

    // A friends-only role lists the user's friends, as with `onbehalfof`.
    let private = json!({"role": "private", "name": "Private", "settings": {"listUsers": "friendsOnly"}});
    api.ok("POST", "/v3/roles", Some(private)).await;
    api.ok("PUT", "/v3/users/ana", Some(json!({"role": "private"}))).await;
    api.ok("POST", "/v3/users/ana/friends", Some(json!({"accepted": ["cat"]}))).await;
    assert_eq!(ids(&ana.ok("GET", "/v3/users", None).await, "uid"), ["cat"]);
}

async fn an_auth_token_opens_no_server_endpoint_and_never_acts_for_another_user(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let ana = Client::of(&api, "ana").await;
    let server_only = [
        ("GET", "/v3/users/ana/auth_tokens", None),
        ("POST", "/v3/users", Some(json!({"uid": "eve", "name": "Eve"}))),
        ("PUT", "/v3/users/ben", Some(json!({"name": "Hacked"}))),
        ("DELETE", "/v3/users/ben", None),
        ("GET", "/v3/messages", None),
        ("GET", "/v3/roles", None),
        ("GET", "/v3/apikeys", None),
    ];
    for (method, path, body) in server_only {
        assert_eq!(
            ana.err(method, path, body).await,
            (StatusCode::UNAUTHORIZED, "AUTH_ERR_EMPTY_APIKEY".into()),
            "{method} {path}"
        );
    }
    assert_eq!(api.name_of("ben").await, "User ben");

    let as_ben = ana.request("GET", "/v3/me", &api.app_id).header("onbehalfof", "ben").send().await.unwrap();
    assert_eq!(error_of(as_ben).await, (StatusCode::FORBIDDEN, "ERR_ONBEHALFOF_NOT_ALLOWED".into()));
    assert_eq!(ana.err("GET", "/v3/users/ben/conversations", None).await.1, "ERR_CONVERSATION_NOT_ACCESSIBLE");

    // The token of one app opens nothing in another.
    let other = api.app.create_app(switchboard::domain::Environment::Development).await;
    let elsewhere = ana.request("GET", "/v3/me", &other).send().await.unwrap();
    assert_eq!(error_of(elsewhere).await, (StatusCode::UNAUTHORIZED, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND".into()));
}

async fn a_revoked_token_is_refused_on_its_next_call(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana"]).await;
    let ana = Client::of(&api, "ana").await;
    assert_eq!(ana.ok("GET", "/v3/me", None).await["uid"], "ana");
    api.ok("DELETE", "/v3/users/ana/auth_tokens", None).await;
    assert_eq!(
        ana.err("GET", "/v3/me", None).await,
        (StatusCode::UNAUTHORIZED, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND".into())
    );
}

impl Api {
    async fn name_of(&self, uid: &str) -> String {
        self.ok("GET", &format!("/v3/users/{uid}"), None).await["name"].as_str().unwrap().to_owned()
    }
}
