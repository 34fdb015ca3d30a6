//! `/api/setup`, `/api/login`, `/api/logout`, `/api/session`.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Extension;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::auth::password;
use crate::auth::sessions::{clear_cookie, set_cookie};
use crate::body::{JsonValue, decode};
use crate::error::ApiError;
use crate::guard::User;
use crate::state::AppState;

/// The only account.
pub const ADMIN: &str = "admin";

pub async fn get_setup(State(state): State<AppState>) -> Json<serde_json::Value> {
    let needed = state.0.creds.lock().await.needs_setup();
    Json(json!({ "needed": needed }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupBody {
    token: String,
    password: String,
}

pub async fn post_setup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonValue(body): JsonValue,
) -> Result<StatusCode, ApiError> {
    let body: SetupBody = decode(body, "")?;
    let key = format!("setup:{}", peer.ip().to_canonical());
    locked_out(&state, &[&key])?;
    let mut creds = state.0.creds.lock().await;
    if !creds.needs_setup() {
        return Err(ApiError::forbidden("the admin password is already set"));
    }
    if !creds.token_matches(body.token.trim()) {
        state.lock_throttle().failed(Instant::now(), &key);
        return Err(ApiError::forbidden("wrong setup token"));
    }
    password::acceptable(&body.password)
        .map_err(|e| ApiError::unprocessable("password", e.to_string()))?;
    let hash = state
        .0
        .hasher
        .hash(body.password)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    creds.set_hash(hash)?;
    drop(creds);
    state
        .0
        .audit
        .record(ADMIN, "setup: admin password set", String::new());
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    #[serde(default = "admin")]
    username: String,
    password: String,
}

fn admin() -> String {
    ADMIN.to_owned()
}

/// 429 with Retry-After when any of `keys` is locked.
fn locked_out(state: &AppState, keys: &[&str]) -> Result<(), ApiError> {
    let now = Instant::now();
    let mut throttle = state.lock_throttle();
    let wait = keys.iter().filter_map(|k| throttle.locked(now, k)).max();
    match wait {
        Some(wait) => {
            let secs = wait.as_secs().max(1);
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many failed attempts; try again in {secs} s"),
            );
            e.retry_after = Some(secs);
            Err(e)
        }
        None => Ok(()),
    }
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonValue(body): JsonValue,
) -> Result<Response, ApiError> {
    let body: LoginBody = decode(body, "")?;
    let ip_key = format!("ip:{}", peer.ip().to_canonical());
    let user_key = format!(
        "user:{}",
        body.username.chars().take(64).collect::<String>()
    );
    locked_out(&state, &[&ip_key, &user_key])?;
    let hash = state.0.creds.lock().await.hash().map(str::to_owned);
    let Some(hash) = hash else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the admin password is not set yet: use the setup token first",
        ));
    };
    let ok = body.username == ADMIN
        && body.password.len() <= 4 * password::MAX_LEN
        && state.0.hasher.verify(body.password, hash).await;
    if !ok {
        let mut throttle = state.lock_throttle();
        throttle.failed(Instant::now(), &ip_key);
        throttle.failed(Instant::now(), &user_key);
        drop(throttle);
        // Debug-quoted and cut: whatever a client sends cannot forge log lines.
        let user: String = body.username.chars().take(64).collect();
        tracing::warn!(from = %peer.ip(), user = ?user, "management login failed");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong user name or password",
        ));
    }
    {
        let mut throttle = state.lock_throttle();
        throttle.succeeded(&ip_key);
        throttle.succeeded(&user_key);
    }
    let (id, session) = state.lock_sessions().create(Instant::now(), ADMIN);
    tracing::info!(from = %peer.ip(), "management login");
    Ok((
        [(header::SET_COOKIE, set_cookie(&id))],
        Json(json!({ "user": session.user, "csrf": session.csrf })),
    )
        .into_response())
}

pub async fn logout(State(state): State<AppState>, Extension(user): Extension<User>) -> Response {
    state.lock_sessions().remove(&user.session_id);
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie())],
    )
        .into_response()
}

pub async fn session(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
) -> Json<serde_json::Value> {
    let idle = state.lock_sessions().idle_timeout().as_secs();
    Json(json!({ "user": user.name, "csrf": user.csrf, "idle_expires_in": idle }))
}
