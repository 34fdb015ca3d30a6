//! The appliance's network settings: `GET/PUT /api/system/network`,
//! `POST /api/system/network/confirm`.
//!
//! Management runs unprivileged and only validates ([`sbc_config::network`]) and hands
//! over: a PUT writes `state_dir/network/request.json`, a confirm writes
//! `state_dir/network/confirm`. On the appliance path units run the privileged helper
//! (`sbc network apply|confirm`), which applies the settings with a 60 s safety net (not
//! confirmed in time: the previous settings come back), reports in `status.json` and keeps
//! a copy of the saved settings in `saved.json`; GET returns those and the interfaces.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sbc_config::network::NetworkSettings;
use serde_json::{Value, json};

use crate::body::{JsonValue, decode};
use crate::error::{ApiError, FieldError};
use crate::guard::User;
use crate::state::AppState;

/// The folder under `state_dir` shared with the helper.
pub const DIR: &str = "network";

fn read_json(path: &std::path::Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// `GET /api/system/network`: `settings` (saved), `status` (of the last change) and
/// `interfaces` (this host's, from /sys/class/net).
pub async fn get(State(state): State<AppState>) -> Json<Value> {
    let dir = state.0.state_dir.join(DIR);
    let settings = read_json(&dir.join("saved.json")).unwrap_or_else(|| json!({"interfaces": []}));
    let pending = dir.join("request.json").exists();
    let status = match read_json(&dir.join("status.json")) {
        _ if pending => json!({"state": "requested"}),
        Some(s) => s,
        None => json!({"state": "idle"}),
    };
    let mut interfaces: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "lo")
                .collect()
        })
        .unwrap_or_default();
    interfaces.sort();
    Json(json!({ "settings": settings, "status": status, "interfaces": interfaces }))
}

fn write(state: &AppState, name: &str, text: &str) -> Result<(), ApiError> {
    let dir = state.0.state_dir.join(DIR);
    std::fs::create_dir_all(&dir).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{}: {e}", dir.display()),
        )
    })?;
    sbc_config::write_atomic(&dir.join(name), text.as_bytes(), 0o600)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// `PUT /api/system/network`: validated, then handed to the helper (202).
pub async fn put(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    JsonValue(body): JsonValue,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let settings: NetworkSettings = decode(body, "")?;
    if let Err(errors) = settings.validate() {
        let first = &errors[0];
        let mut e = ApiError::unprocessable(first.path.clone(), first.message.clone());
        e.errors = errors
            .iter()
            .map(|e| FieldError {
                field: e.path.clone(),
                error: e.message.clone(),
            })
            .collect();
        return Err(e);
    }
    let text = serde_json::to_string_pretty(&settings)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    write(&state, "request.json", &text)?;
    state.0.audit.record(&user.name, "system.network", text);
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "state": "requested",
            "confirm_within_seconds": 60,
        })),
    ))
}

/// `POST /api/system/network/confirm`: keeps the settings applied last (202).
pub async fn confirm(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    write(&state, "confirm", "")?;
    state
        .0
        .audit
        .record(&user.name, "system.network.confirm", String::new());
    Ok((StatusCode::ACCEPTED, Json(json!({ "state": "confirming" }))))
}
