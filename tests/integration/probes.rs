//! Health probes, the OpenAPI document and the dashboard's entry pages.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{Backend, new_browser, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    health_and_readiness_answer,
    the_openapi_document_describes_every_resource,
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
        "/v3/apikeys/{id}",
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
