//! The browser bundle under `/pkg`: sent as the release build compressed
//! it (`.br`, `.gz` beside each file) when the browser takes that, and
//! cached for good once its names carry a hash of their content. Whatever
//! else the server answers is compressed as it goes (see `http`).

use std::path::{Path, PathBuf};

use axum::{
    Router,
    body::Body,
    http::{HeaderValue, Response, StatusCode, Version, header},
};
use leptos::config::LeptosOptions;
use tower_http::{
    CompressionLevel,
    compression::{CompressionLayer, DefaultPredicate, Predicate, predicate::NotForContentType},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
};

use super::state::AppState;

/// A hashed name changes with its content: the file under it never does.
const FOREVER: &str = "public, max-age=31536000, immutable";

/// Without hashes a name keeps its place across builds: ask each time, and
/// download only what changed (`If-Modified-Since`).
const ASK_EACH_TIME: &str = "no-cache";

/// Turns hashed names on when the build that made the bundle hashed them:
/// its hash file lies beside the server binary (cargo-leptos `hash-files`),
/// whether or not cargo-leptos started the server. A server built apart
/// from the bundle (the tests') keeps plain names.
pub fn settle_names(options: &mut LeptosOptions) {
    options.hash_files = hash_file(options).is_some_and(|file| file.exists());
}

fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// A file that is missing now (a page of a newer build, asked for before
/// the build's files arrived) may be there on the next request.
const NOT_KEPT: &str = "no-store";

/// `/pkg`, served from the site folder.
pub fn bundle(options: &LeptosOptions) -> Router<AppState> {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let cache = if options.hash_files { FOREVER } else { ASK_EACH_TIME };
    let cache_control = move |response: &Response<Body>| {
        let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
        Some(HeaderValue::from_static(if found { cache } else { NOT_KEPT }))
    };
    Router::new()
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, cache_control))
}

/// Compresses answers on the fly (brotli or gzip, as the client asks): the
/// pages, server functions and `/v3`'s JSON. Not the bundle: the release
/// build compresses it once, at its best; a debug build's 32 MB of wasm took
/// the debug server 6 s to compress for each browser. A WebSocket upgrade
/// has no body to compress.
pub fn compression() -> CompressionLayer<impl Predicate> {
    let not_an_upgrade = |status: StatusCode, _: Version, _: &_, _: &_| status != StatusCode::SWITCHING_PROTOCOLS;
    let answers = DefaultPredicate::new().and(NotForContentType::const_new("application/wasm")).and(not_an_upgrade);
    CompressionLayer::new().quality(ON_THE_FLY).compress_when(answers)
}

/// Brotli's own default (11) is for files compressed once; level 4 keeps
/// most of its gain at gzip's speed.
const ON_THE_FLY: CompressionLevel = CompressionLevel::Precise(4);
