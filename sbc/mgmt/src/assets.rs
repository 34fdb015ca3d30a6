//! The embedded web UI (the workspace's `webui/` folder, embedded by `build.rs`).
//!
//! `GET /` is `index.html`; `GET /assets/<path>` and `GET /<path>` are the file at
//! `webui/<path>`. Lookup is an exact match in the embedded table, so no request path
//! can reach anything outside it; paths with `..`, `.` or empty segments are refused
//! before the lookup anyway.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The embedded file at `path` (relative to `webui/`).
pub fn get(path: &str) -> Option<&'static [u8]> {
    ASSETS.iter().find(|(p, _)| *p == path).map(|(_, b)| *b)
}

/// Content type by extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file a request path names, if the path is acceptable.
fn resolve(path: &str) -> Option<&'static str> {
    let rel = path.strip_prefix('/')?;
    let rel = if rel.is_empty() { "index.html" } else { rel };
    if rel
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == ".." || seg.contains('\\'))
    {
        return None;
    }
    let candidates = [Some(rel), rel.strip_prefix("assets/")];
    candidates
        .into_iter()
        .flatten()
        .find_map(|c| ASSETS.iter().find(|(p, _)| *p == c).map(|(p, _)| *p))
}

/// The fallback handler: UI files, JSON 404 for anything else.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path == "/api" {
        return ApiError::not_found(format!("no API resource {path}")).into_response();
    }
    match resolve(path).and_then(|p| get(p).map(|b| (p, b))) {
        Some((p, bytes)) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(p)),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            bytes,
        )
            .into_response(),
        None => ApiError::not_found(format!("no such file: {path}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape() {
        for p in [
            "/../Cargo.toml",
            "/assets/../../etc/passwd",
            "/a//b",
            "/./index.html",
        ] {
            assert_eq!(resolve(p), None, "{p}");
        }
    }
}
