//! Health probes, the OpenAPI document and the dashboard's entry pages.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{Api, Backend, new_browser, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    health_and_readiness_answer,
    the_openapi_document_describes_every_resource,
    the_openapi_document_and_the_router_agree,
    a_fresh_installation_sends_visitors_to_set_up,
    an_unknown_page_is_a_404_page,
);

async fn health_and_readiness_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.api.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(app.api.get(app.url("/readyz")).send().await.unwrap().status(), StatusCode::OK);
    // The gateway's listener holds a connection while the app runs; the
    // close must end it rather than wait for it.
    let closed = tokio::time::timeout(Duration::from_secs(20), app.db.close()).await;
    assert!(closed.is_ok(), "closing the database waited for a connection that never came back");
    assert_eq!(app.api.get(app.url("/readyz")).send().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
}

async fn the_openapi_document_describes_every_resource(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc: Value = app.api.get(app.url("/v3/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v3/apikeys",
        "/v3/apikeys/{apiKey}",
        "/v3/users/{uid}",
        "/v3/roles",
        "/v3/groups",
        "/v3/groups/{guid}/members/{uid}",
        "/v3/groups/{guid}/bannedusers/{uid}",
        "/v3/users/{uid}/groups",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["components"]["securitySchemes"]["apikey"].is_object());
    assert!(doc["info"]["description"].as_str().unwrap().contains("shown once"));
}

/// The document's schema for `schema`, following a `$ref` into the components.
fn resolved<'a>(schema: &'a Value, doc: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

/// Every documented operation declares its path parameters, answers the
/// `{"data": ...}` envelope, lists its error answers with their codes, and
/// is served; what the document does not name is not.
async fn the_openapi_document_and_the_router_agree(backend: Backend) {
    let api = Api::new(backend).await;
    let doc: Value = api.app.api.get(api.app.url("/v3/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut operation_ids = std::collections::HashSet::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{} {path}", method.to_uppercase());
            assert!(
                operation_ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "{name}: a unique operationId"
            );
            let declared = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut url = path.clone();
            for param in path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')) {
                let found = declared.iter().any(|p| p["name"] == param && p["in"] == "path" && p["required"] == true);
                assert!(found, "{name} declares its path parameter {param}");
                url = url.replace(&format!("{{{param}}}"), if param == "id" { "999999" } else { "nobody" });
            }
            let ok = resolved(&op["responses"]["200"]["content"]["application/json"]["schema"], &doc);
            let data = ok["properties"]["data"].is_object()
                || ok["allOf"]
                    .as_array()
                    .is_some_and(|parts| parts.iter().any(|p| resolved(p, &doc)["properties"]["data"].is_object()));
            assert!(data, "{name} documents the {{\"data\": ...}} envelope: {ok}");
            for status in ["400", "401", "403", "503"] {
                let answer = &op["responses"][status];
                assert!(
                    answer["description"].as_str().unwrap_or_default().contains("ERR_"),
                    "{name} lists its {status} codes"
                );
                assert_eq!(answer["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorAnswer");
            }
            let body = (method != "get").then(|| serde_json::json!({}));
            let res = api.call(&method.to_uppercase(), &url, body).await;
            let status = res.status();
            let text = res.text().await.unwrap();
            assert!(status.is_success() || status.is_client_error(), "{name}: {status} {text}");
            assert!(
                status != StatusCode::METHOD_NOT_ALLOWED && !text.contains("\"ERR_API_NOT_FOUND\""),
                "{name} is served: {text}"
            );
        }
    }
    assert_eq!(operations, 69, "every route of the API is documented");
    for (method, path, status) in
        [("PATCH", "/v3/users", 405), ("GET", "/v3/no-such-thing", 404), ("POST", "/v3/roles/default", 405)]
    {
        let res = api.call(method, path, None).await;
        assert_eq!(res.status().as_u16(), status, "{method} {path} is neither documented nor served");
        let code = res.json::<Value>().await.unwrap()["error"]["code"].clone();
        assert_eq!(code, "ERR_API_NOT_FOUND", "what the check above looks for in an unserved route's answer");
    }
}

async fn a_fresh_installation_sends_visitors_to_set_up(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = new_browser().get(app.url("/")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/setup");
    let page = new_browser().get(app.url("/setup")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Create owner account"), "the set-up form renders on the server");
}

async fn an_unknown_page_is_a_404_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = new_browser().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
