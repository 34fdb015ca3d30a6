//! `POST /api/calls/{call}/capture` and `DELETE /api/calls/{call}/capture`: pick a call
//! in progress for RTP capture, or stop. While picked, the media plane keeps the call's
//! streams in userspace and copies every RTP/RTCP packet of both legs (SRTP decrypted,
//! telephone-events masked unless both trunks show digits); the copies are kept with the
//! call's ladder and come with its pcap (`GET /api/calls/{call}/pcap`). Both answer the
//! capture's state ([`RtpCapture`]); 404 for a call not in progress, 409 when as many
//! calls as allowed are captured already. Audited (`capture call N`, `stop capture call N`).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::guard::User;
use crate::ladder::RtpCapture;
use crate::live::{CaptureRefused, Command};
use crate::state::AppState;

/// How long a request waits for the daemon's answer.
const WAIT: Duration = Duration::from_secs(5);

/// `POST /api/calls/{call}/capture`
pub async fn start(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    Path(call): Path<u64>,
) -> Result<Json<RtpCapture>, ApiError> {
    set(&state, &user, call, true).await
}

/// `DELETE /api/calls/{call}/capture`
pub async fn stop(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    Path(call): Path<u64>,
) -> Result<Json<RtpCapture>, ApiError> {
    set(&state, &user, call, false).await
}

async fn set(
    state: &AppState,
    user: &User,
    call: u64,
    on: bool,
) -> Result<Json<RtpCapture>, ApiError> {
    let (reply, answer) = oneshot::channel();
    let unavailable =
        || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the daemon did not answer");
    state
        .0
        .live
        .commands
        .send(Command::Capture { call, on, reply })
        .await
        .map_err(|_| unavailable())?;
    match tokio::time::timeout(WAIT, answer).await {
        Ok(Ok(Ok(capture))) => {
            let what = if on { "capture" } else { "stop capture" };
            state
                .0
                .audit
                .record(&user.name, &format!("{what} call {call}"), String::new());
            Ok(Json(capture))
        }
        Ok(Ok(Err(refused))) => Err(match refused {
            CaptureRefused::NotLive { .. } => ApiError::not_found(refused.to_string()),
            CaptureRefused::Full { .. } => ApiError::new(StatusCode::CONFLICT, refused.to_string()),
        }),
        _ => Err(unavailable()),
    }
}
