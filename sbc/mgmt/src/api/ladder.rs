//! `GET /api/calls/{call}/ladder` (JSON, [`LadderView`]) and `GET /api/calls/{call}/pcap`
//! (a pcap download): one recent call's SIP messages on both legs and, if it was picked
//! for RTP capture, its RTP/RTCP, asked of the daemon, which keeps them for live calls and
//! the last ended ones (404 once they are gone). Picking a call: [`super::capture`].

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::ladder::{LadderView, pcap};
use crate::live::Command;
use crate::state::AppState;

/// How long a request waits for the daemon's answer.
const WAIT: Duration = Duration::from_secs(5);

async fn fetch(state: &AppState, call: u64, media: bool) -> Result<LadderView, ApiError> {
    let (reply, answer) = oneshot::channel();
    let unavailable =
        || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the daemon did not answer");
    state
        .0
        .live
        .commands
        .send(Command::Ladder { call, media, reply })
        .await
        .map_err(|_| unavailable())?;
    match tokio::time::timeout(WAIT, answer).await {
        Ok(Ok(Some(ladder))) => Ok(ladder),
        Ok(Ok(None)) => Err(ApiError::not_found(format!(
            "no SIP messages kept for call {call} (too old, or no such call)"
        ))),
        _ => Err(unavailable()),
    }
}

/// `GET /api/calls/{call}/ladder`
pub async fn ladder(
    State(state): State<AppState>,
    Path(call): Path<u64>,
) -> Result<Json<LadderView>, ApiError> {
    fetch(&state, call, false).await.map(Json)
}

/// `GET /api/calls/{call}/pcap`
pub async fn pcap_file(
    State(state): State<AppState>,
    Path(call): Path<u64>,
) -> Result<Response, ApiError> {
    let ladder = fetch(&state, call, true).await?;
    let mut r = pcap::pcap(&ladder).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.tcpdump.pcap"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"call-{call}.pcap\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
