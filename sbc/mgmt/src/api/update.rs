//! Firmware updates from the web UI: `POST /api/system/update` takes a RAUC bundle,
//! `GET /api/system/update` tells how its installation goes.
//!
//! Management runs without privileges, so it only hands the bundle over: the body is
//! streamed to `state_dir/update/upload.part` (up to [`MAX_BUNDLE`], each chunk within
//! [`CHUNK_TIMEOUT`]), checked to start like a bundle (a squashfs image), renamed to
//! `bundle.raucb`, and a `request` file is written next to it. On the appliance a systemd
//! path unit starts the privileged installer on that file (`image/rootfs/usr/lib/sbc/update`):
//! `rauc install` checks the signature against the image's keyring, writes the other slot
//! and the box reboots into it; the installer writes `status.json` here, which
//! `GET /api/system/update` returns as it is (`{"state": "idle"}` when there is none).
//! Without that installer (a development machine) the request just stays queued.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::guard::User;
use crate::state::AppState;

/// Largest bundle accepted (an image's bundle is ~90 MiB).
pub const MAX_BUNDLE: usize = 512 * 1024 * 1024;
/// Longest wait for the next piece of an upload.
pub const CHUNK_TIMEOUT: Duration = Duration::from_secs(30);
/// The folder under `state_dir` shared with the installer.
pub const DIR: &str = "update";
/// A RAUC bundle is a squashfs image: its first bytes (little-endian magic).
const SQUASHFS_MAGIC: &[u8; 4] = b"hsqs";

fn dir(state: &AppState) -> PathBuf {
    state.0.state_dir.join(DIR)
}

fn io_error(path: &Path, e: &std::io::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("{}: {e}", path.display()),
    )
}

/// `POST /api/system/update`: the bundle as the body (`application/octet-stream`).
pub async fn upload(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let dir = dir(&state);
    std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, &e))?;
    if dir.join("request").exists() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "an update is already waiting to be installed",
        ));
    }
    let part = dir.join("upload.part");
    let written = match receive(body, &part).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    let bundle = dir.join("bundle.raucb");
    std::fs::rename(&part, &bundle).map_err(|e| io_error(&bundle, &e))?;
    let request = dir.join("request");
    let text = json!({ "user": user.name, "bytes": written }).to_string();
    std::fs::write(&request, text).map_err(|e| io_error(&request, &e))?;
    state.0.audit.record(
        &user.name,
        "system.update",
        format!("bundle uploaded ({written} bytes)"),
    );
    tracing::info!(
        bytes = written,
        "management: update bundle uploaded; installation requested"
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "state": "queued", "bytes": written })),
    ))
}

/// Streams `body` into `part`; the number of bytes. Refuses what is too large, too slow
/// or does not start like a bundle.
async fn receive(body: Body, part: &Path) -> Result<u64, ApiError> {
    let mut file = std::fs::File::create(part).map_err(|e| io_error(part, &e))?;
    let mut stream = body.into_data_stream();
    let mut written: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(4);
    loop {
        let next = tokio::time::timeout(CHUNK_TIMEOUT, stream.next()).await;
        let chunk = match next {
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    format!("the upload stalled for {} s", CHUNK_TIMEOUT.as_secs()),
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(ApiError::bad_request(format!("upload: {e}"))),
            Ok(Some(Ok(chunk))) => chunk,
        };
        written += chunk.len() as u64;
        if written > MAX_BUNDLE as u64 {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a bundle is at most {} MiB", MAX_BUNDLE >> 20),
            ));
        }
        if head.len() < 4 {
            let take = (4 - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        file.write_all(&chunk).map_err(|e| io_error(part, &e))?;
    }
    if head.as_slice() != SQUASHFS_MAGIC {
        return Err(ApiError::unprocessable(
            "bundle",
            "not a RAUC bundle (it does not start with a squashfs image)",
        ));
    }
    file.sync_all().map_err(|e| io_error(part, &e))?;
    Ok(written)
}

/// `GET /api/system/update`: the installer's `status.json`, or `{"state": "queued"}`
/// while a request waits, or `{"state": "idle"}`.
pub async fn status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let dir = dir(&state);
    let status = dir.join("status.json");
    match std::fs::read_to_string(&status) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(v) => Ok(Json(v)),
            Err(e) => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{}: {e}", status.display()),
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let state = if dir.join("request").exists() {
                "queued"
            } else {
                "idle"
            };
            Ok(Json(json!({ "state": state })))
        }
        Err(e) => Err(io_error(&status, &e)),
    }
}
