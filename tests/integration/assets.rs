//! The browser bundle as browsers get it: precompressed when they take
//! it, cached for good under hashed names, and every other answer
//! compressed as it goes. The database plays no part: SQLite only.

use std::path::{Path, PathBuf};

use reqwest::{StatusCode, header};
use switchboard::server::config::Config;

use crate::common::{Backend, TestApp, fresh_database, site_options, spawn_app, spawn_serving};

/// A site folder made for one test, with a bundle in `pkg/` under `stem`
/// (`switchboard` or `switchboard.<hash>`), brotli and gzip copies beside
/// each file whose bytes say which copy was sent.
struct Site {
    root: PathBuf,
}

impl Site {
    fn new(stem: &str) -> Self {
        let root = std::env::temp_dir().join(format!("sb_test_site_{}", rand::random::<u64>()));
        let pkg = root.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        for ext in ["js", "wasm", "css"] {
            let file = pkg.join(format!("{stem}.{ext}"));
            std::fs::write(&file, format!("plain {ext}")).unwrap();
            std::fs::write(with_suffix(&file, "br"), format!("brotli {ext}")).unwrap();
            std::fs::write(with_suffix(&file, "gz"), format!("gzip {ext}")).unwrap();
        }
        Site { root }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{suffix}", file.display()))
}

/// A server on `site`; with `hash`, its build's hash file lies beside the
/// running binary, as cargo-leptos leaves it beside the server.
async fn serve(site: &Site, hash: Option<&str>) -> (TestApp, Option<PathBuf>) {
    let mut options = site_options();
    options.site_root = site.root.display().to_string().into();
    let hash_file = hash.map(|hash| {
        let name = format!("sb_test_hash_{}.txt", rand::random::<u64>());
        let path = std::env::current_exe().unwrap().parent().unwrap().join(&name);
        std::fs::write(&path, format!("js: {hash}\nwasm: {hash}\ncss: {hash}\n")).unwrap();
        options.hash_files = true;
        options.hash_file = name.into();
        path
    });
    let (db, url) = fresh_database(Backend::Sqlite).await;
    (spawn_serving(db, url, Config::default(), options).await, hash_file)
}

async fn get(app: &TestApp, path: &str, accept_encoding: &str) -> reqwest::Response {
    let req = app.api.get(app.url(path));
    let req = if accept_encoding.is_empty() { req } else { req.header(header::ACCEPT_ENCODING, accept_encoding) };
    req.send().await.unwrap()
}

fn header_of(res: &reqwest::Response, name: header::HeaderName) -> Option<&str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn a_hashed_bundle_is_sent_precompressed_and_cached_for_good() {
    let site = Site::new("switchboard.Ab3_x9");
    let (app, hash_file) = serve(&site, Some("Ab3_x9")).await;

    let page = get(&app, "/sign-in", "").await.text().await.unwrap();
    assert!(page.contains("/pkg/switchboard.Ab3_x9.js"), "pages load the hashed names");
    assert!(page.contains("/pkg/switchboard.Ab3_x9.wasm"));
    assert!(page.contains("/pkg/switchboard.Ab3_x9.css"));

    for (accepts, encoding, body) in
        [("br, gzip", Some("br"), "brotli wasm"), ("gzip", Some("gzip"), "gzip wasm"), ("", None, "plain wasm")]
    {
        let res = get(&app, "/pkg/switchboard.Ab3_x9.wasm", accepts).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header_of(&res, header::CONTENT_ENCODING), encoding, "{accepts:?}");
        assert_eq!(header_of(&res, header::CACHE_CONTROL), Some("public, max-age=31536000, immutable"));
        assert_eq!(header_of(&res, header::CONTENT_TYPE), Some("application/wasm"));
        assert_eq!(res.text().await.unwrap(), body);
    }
    let res = get(&app, "/pkg/switchboard.Ab3_x9.js", "br").await;
    assert_eq!(header_of(&res, header::CONTENT_ENCODING), Some("br"));
    let missing = get(&app, "/pkg/nothing.wasm", "br").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(header_of(&missing, header::CACHE_CONTROL), Some("no-store"), "a missing file is not kept missing");
    std::fs::remove_file(hash_file.unwrap()).unwrap();
}

#[tokio::test]
async fn without_hashes_the_bundle_is_asked_for_each_time() {
    let site = Site::new("switchboard");
    let (app, _) = serve(&site, None).await;
    let page = get(&app, "/sign-in", "").await.text().await.unwrap();
    assert!(page.contains("/pkg/switchboard.js") && page.contains("/pkg/switchboard.css"));
    let res = get(&app, "/pkg/switchboard.wasm", "br").await;
    assert_eq!(header_of(&res, header::CACHE_CONTROL), Some("no-cache"));
    assert_eq!(header_of(&res, header::CONTENT_ENCODING), Some("br"), "its brotli copy");
    std::fs::remove_file(site.root.join("pkg/switchboard.wasm.br")).unwrap();
    std::fs::remove_file(site.root.join("pkg/switchboard.wasm.gz")).unwrap();
    let res = get(&app, "/pkg/switchboard.wasm", "br, gzip").await;
    assert_eq!(header_of(&res, header::CONTENT_ENCODING), None, "the bundle is never compressed on the fly");
    let css = get(&app, "/pkg/switchboard.css", "br").await;
    assert_eq!(header_of(&css, header::CONTENT_ENCODING), Some("br"));
    let modified = header_of(&res, header::LAST_MODIFIED).unwrap().to_owned();
    let again =
        app.api.get(app.url("/pkg/switchboard.wasm")).header(header::IF_MODIFIED_SINCE, modified).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "an unchanged file is not sent again");
}

#[tokio::test]
async fn pages_and_api_answers_are_compressed_when_the_client_asks() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = get(&app, "/sign-in", "br, gzip").await;
    assert_eq!(header_of(&page, header::CONTENT_ENCODING), Some("br"));
    assert_eq!(header_of(&page, header::CACHE_CONTROL), Some("no-store"), "pages are never kept");
    let page = get(&app, "/sign-in", "gzip").await;
    assert_eq!(header_of(&page, header::CONTENT_ENCODING), Some("gzip"));
    let plain = get(&app, "/sign-in", "").await;
    assert_eq!(header_of(&plain, header::CONTENT_ENCODING), None, "nor for a client that does not ask");

    let api = get(&app, "/v3/openapi.json", "gzip").await;
    assert_eq!(header_of(&api, header::CONTENT_ENCODING), Some("gzip"));
}
