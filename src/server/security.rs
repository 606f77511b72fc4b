//! What the dashboard asks of browsers: no request from another site may
//! act with an operator's cookie, and no page may be framed, sniffed,
//! cached or run scripts other than ours.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{Error, client_address::TrustedProxies, config::Config};

/// Refuses a state-changing request from another site, and bodies a
/// cross-site form can send without the browser asking first (`text/plain`).
/// The REST API is left alone: it is called with keys, never with cookies.
pub async fn same_origin_only(State(config): State<Arc<Config>>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || request.uri().path().starts_with("/v3/") {
        return next.run(request).await;
    }
    match cross_site(request.headers(), forwarded_host(&config.trusted_proxies, &request)) {
        Some(message) => Error::CrossSite { message }.into_response(),
        None => next.run(request).await,
    }
}

/// Why a request is refused as cross-site, if it is. Browsers say where a
/// request comes from in `Sec-Fetch-Site`; older ones only in `Origin`;
/// a request with neither comes from no browser, so no cookie was lent.
fn cross_site(headers: &HeaderMap, forwarded_host: Option<&str>) -> Option<&'static str> {
    let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if text(header::CONTENT_TYPE).is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/plain")) {
        return Some("The dashboard takes forms and JSON, not text/plain bodies.");
    }
    let refused = Some("This request came from another site; the dashboard only takes changes made on its own pages.");
    if let Some(site) = text(HeaderName::from_static("sec-fetch-site")) {
        return (!matches!(site, "same-origin" | "none")).then_some(refused).flatten();
    }
    let origin = text(header::ORIGIN)?;
    let host = forwarded_host.or(text(header::HOST));
    if host.is_some_and(|host| same_origin(origin, host)) { None } else { refused }
}

/// The host the browser asked for, as a trusted proxy forwards it.
fn forwarded_host<'r>(proxies: &TrustedProxies, request: &'r Request) -> Option<&'r str> {
    let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?.0.ip();
    if !proxies.trusts(&peer) {
        return None;
    }
    request.headers().get("x-forwarded-host")?.to_str().ok()?.split(',').next().map(str::trim)
}

/// Whether `origin` (`scheme://host[:port]`) names the server at `host`.
fn same_origin(origin: &str, host: &str) -> bool {
    let Ok(origin) = url::Url::parse(origin) else { return false };
    let Ok(server) = url::Url::parse(&format!("{}://{host}", origin.scheme())) else { return false };
    origin.host_str() == server.host_str() && origin.port_or_known_default() == server.port_or_known_default()
}

/// The policy of a page whose inline scripts carry `nonce`: only scripts
/// of ours, and whatever those load (`strict-dynamic`).
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// For answers that set no policy of their own: nothing inline at all.
const DEFAULT_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Sets the policy of the page being rendered, with the nonce the render
/// gave its inline scripts.
pub fn set_page_policy() {
    use leptos::prelude::use_context;
    if let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
        && let Ok(value) = HeaderValue::from_str(&page_policy(&nonce))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Headers every answer carries. Only the bundle and the public files may
/// be cached: everything else may show what only a signed-in operator sees.
pub async fn headers(State(config): State<Arc<Config>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let cacheable = path.starts_with("/pkg/") || path == "/favicon.svg";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, DEFAULT_POLICY);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    if !cacheable {
        set(header::CACHE_CONTROL, "no-store");
    }
    if config.secure_cookies {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn the_browsers_own_word_decides_when_it_gives_one() {
        let evil_but_says_same = headers(&[("sec-fetch-site", "same-origin"), ("origin", "http://evil.example")]);
        assert_eq!(cross_site(&evil_but_says_same, None), None, "Sec-Fetch-Site cannot be forged by a page");
        for site in ["cross-site", "same-site"] {
            let h = headers(&[("sec-fetch-site", site), ("host", "dash.example"), ("origin", "http://dash.example")]);
            assert!(cross_site(&h, None).is_some(), "{site}");
        }
    }

    #[test]
    fn without_it_the_origin_must_be_the_servers_own() {
        let own = headers(&[("origin", "http://dash.example:3000"), ("host", "dash.example:3000")]);
        assert_eq!(cross_site(&own, None), None);
        let https_default_port = headers(&[("origin", "https://dash.example"), ("host", "dash.example:443")]);
        assert_eq!(cross_site(&https_default_port, None), None);
        let sibling = headers(&[("origin", "http://evil.dash.example:3000"), ("host", "dash.example:3000")]);
        assert!(cross_site(&sibling, None).is_some());
        let opaque = headers(&[("origin", "null"), ("host", "dash.example")]);
        assert!(cross_site(&opaque, None).is_some());
        let proxied = headers(&[("origin", "https://dash.example"), ("host", "127.0.0.1:3000")]);
        assert_eq!(cross_site(&proxied, Some("dash.example")), None);
    }

    #[test]
    fn plain_text_bodies_are_refused_and_requests_from_no_browser_are_not() {
        assert!(cross_site(&headers(&[("content-type", "text/plain;charset=UTF-8")]), None).is_some());
        assert_eq!(cross_site(&headers(&[("content-type", "application/x-www-form-urlencoded")]), None), None);
    }
}
