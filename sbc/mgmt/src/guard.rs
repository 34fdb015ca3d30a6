//! Middleware run before the handlers: the management allow list (403 before anything
//! else), the session check (401) and the CSRF check on state-changing methods (403),
//! and security headers on every answer.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::sessions::{COOKIE, cookie_value};
use crate::error::ApiError;
use crate::state::AppState;

/// The logged-in user of a request (inserted by [`require_session`]).
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub session_id: String,
    pub csrf: String,
    /// The client's address (to refuse a change that would lock it out).
    pub peer: Option<std::net::IpAddr>,
}

/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Refuses clients outside `management.allow` with 403. A request without a known
/// peer address (never the case when served by [`crate::serve`]) is refused too.
pub async fn allow_list(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    match peer {
        Some(ip) if state.allows(ip) => next.run(req).await,
        _ => ApiError::forbidden("management access is not allowed from this address")
            .into_response(),
    }
}

/// The session id in the request's cookie.
pub fn session_id(req_headers: &axum::http::HeaderMap) -> Option<String> {
    req_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| cookie_value(v, COOKIE).map(str::to_owned))
}

/// 401 without a live session; 403 when a state-changing request lacks the session's
/// CSRF token.
pub async fn require_session(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(id) = session_id(req.headers()) else {
        return ApiError::unauthorized().into_response();
    };
    let Some(session) = state.lock_sessions().get(Instant::now(), &id, true) else {
        return ApiError::unauthorized().into_response();
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let token = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !crate::auth::constant_time_eq(token.as_bytes(), session.csrf.as_bytes()) {
            return ApiError::forbidden("missing or invalid CSRF token").into_response();
        }
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    req.extensions_mut().insert(User {
        peer,
        name: session.user,
        session_id: id,
        csrf: session.csrf,
    });
    next.run(req).await
}

/// Refuses public state-changing requests (login, setup) a browser sent on behalf of
/// another site: such a page cannot read the answer, but five wrong passwords posted
/// from it would lock the operator's address and the admin account out. Browsers mark
/// them with `Sec-Fetch-Site: cross-site` / `same-site` and an `Origin` that is not this
/// host; clients that are not browsers (curl, scripts) send neither and pass.
pub async fn same_origin(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && cross_site(req.headers())
    {
        return ApiError::forbidden("cross-site request refused").into_response();
    }
    next.run(req).await
}

/// Whether a browser says the request comes from another site.
pub fn cross_site(headers: &axum::http::HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if matches!(text("sec-fetch-site"), Some("cross-site" | "same-site")) {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = text("host").unwrap_or("");
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, h)| h.trim_end_matches('/'));
    origin_host.is_none_or(|h| !h.eq_ignore_ascii_case(host))
}

/// Headers every answer carries: no sniffing, no framing, same-origin scripts only, no
/// caching of API answers.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
