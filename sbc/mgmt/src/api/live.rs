//! Live views: `/api/status`, `/api/calls`, `/api/events` (SSE), `/api/bans`, and
//! `/api/system` with restart.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::guard::User;
use crate::live::{
    BanView, CallView, Command, PeerView, RegistrationView, Snapshot, TrunkRegistrationView,
    TrunkView,
};
use crate::state::AppState;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `/api/status`
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    pub name: String,
    pub version: &'static str,
    pub uptime_seconds: u64,
    pub calls: CallsSummary,
    pub trunks: Vec<TrunkView>,
    /// Phones registered through the SBC.
    pub registrations: Vec<RegistrationView>,
    /// The SBC's own registrations at trunks.
    pub trunk_registrations: Vec<TrunkRegistrationView>,
    pub bans: Vec<BanView>,
    pub firewall: FirewallStatus,
    /// New calls and OPTIONS refused with 503 while `calls.active` run to their end.
    pub draining: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallsSummary {
    pub active: usize,
    pub cps: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FirewallStatus {
    pub enabled: bool,
}

/// The status from the latest snapshot, with every configured trunk listed (peers the
/// core has not reported on yet count as up).
pub fn status_of(state: &AppState, snap: &Snapshot) -> StatusView {
    let (config, _) = state.config();
    let trunks = config
        .trunks()
        .iter()
        .map(|t| {
            snap.trunks
                .iter()
                .find(|v| v.name == t.name)
                .cloned()
                .unwrap_or_else(|| TrunkView {
                    name: t.name.clone(),
                    realm: t.realm.clone(),
                    peers: t
                        .peers
                        .iter()
                        .map(|p| PeerView {
                            address: p.to_string(),
                            up: true,
                        })
                        .collect(),
                    active_calls: 0,
                    down: None,
                    profile: t.profile.map(|p| p.as_str().to_owned()),
                    ..TrunkView::default()
                })
        })
        .collect();
    StatusView {
        name: config.system().name.clone(),
        version: VERSION,
        uptime_seconds: state.0.started.elapsed().as_secs(),
        calls: CallsSummary {
            active: usize::try_from(snap.active_calls).unwrap_or(usize::MAX),
            cps: snap.cps,
        },
        trunks,
        registrations: snap.registrations.clone(),
        trunk_registrations: snap.trunk_registrations.clone(),
        bans: snap.bans.clone(),
        firewall: FirewallStatus {
            enabled: config.firewall().enabled,
        },
        draining: snap.draining,
    }
}

pub async fn status(State(state): State<AppState>) -> Json<StatusView> {
    let snap = state.0.live.snapshot.borrow().clone();
    Json(status_of(&state, &snap))
}

/// How long `GET /api/calls` waits for the daemon to list its calls when nobody was looking.
const LIST_WAIT: Duration = Duration::from_secs(3);

pub async fn calls(State(state): State<AppState>) -> Json<Vec<CallView>> {
    let live = &state.0.live;
    live.demand.want();
    let mut rx = live.snapshot.clone();
    if !rx.borrow_and_update().calls_listed {
        // The core lists the calls in its next snapshot (within a second).
        let _ = tokio::time::timeout(LIST_WAIT, async {
            while rx.changed().await.is_ok() {
                if rx.borrow_and_update().calls_listed {
                    break;
                }
            }
        })
        .await;
    }
    Json(rx.borrow().calls.clone())
}

pub async fn bans(State(state): State<AppState>) -> Json<Vec<BanView>> {
    Json(state.0.live.snapshot.borrow().bans.clone())
}

/// How long an unban waits for the daemon's answer.
const UNBAN_WAIT: Duration = Duration::from_secs(5);

pub async fn unban(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    Path(address): Path<String>,
) -> Result<StatusCode, ApiError> {
    let ip: IpAddr = address.parse().map_err(|_| {
        ApiError::unprocessable("address", format!("not an IP address: {address:?}"))
    })?;
    let (reply, answer) = oneshot::channel();
    let unavailable =
        || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the daemon did not answer");
    state
        .0
        .live
        .commands
        .send(Command::Unban { address: ip, reply })
        .await
        .map_err(|_| unavailable())?;
    match tokio::time::timeout(UNBAN_WAIT, answer).await {
        Ok(Ok(Ok(true))) => {
            state
                .0
                .audit
                .record(&user.name, &format!("unban {ip}"), String::new());
            Ok(StatusCode::NO_CONTENT)
        }
        Ok(Ok(Ok(false))) => Err(ApiError::not_found(format!("{ip} is not banned"))),
        Ok(Ok(Err(reason))) => Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reason)),
        _ => Err(unavailable()),
    }
}

/// How long a drain or undrain waits for the daemon to take it.
const DRAIN_WAIT: Duration = Duration::from_secs(5);

/// `POST /api/drain`: new calls and OPTIONS are answered 503 with Retry-After (peers
/// fail over), calls in progress go on; `/api/status` says `draining` and counts them.
pub async fn drain(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
) -> Result<StatusCode, ApiError> {
    set_draining(&state, &user, true).await
}

/// `POST /api/undrain`: new calls and OPTIONS are accepted again.
pub async fn undrain(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
) -> Result<StatusCode, ApiError> {
    set_draining(&state, &user, false).await
}

async fn set_draining(state: &AppState, user: &User, drain: bool) -> Result<StatusCode, ApiError> {
    let (reply, answer) = oneshot::channel();
    let unavailable =
        || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the daemon did not answer");
    state
        .0
        .live
        .commands
        .send(Command::Drain { drain, reply })
        .await
        .map_err(|_| unavailable())?;
    match tokio::time::timeout(DRAIN_WAIT, answer).await {
        Ok(Ok(())) => {
            let what = if drain { "drain" } else { "undrain" };
            state.0.audit.record(&user.name, what, String::new());
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(unavailable()),
    }
}

/// `text/event-stream`: `status` and `calls` events each time the daemon refreshes its
/// snapshot (about once a second); ends when the session does.
pub async fn events(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.0.live.snapshot.clone();
    let init = (state, user.session_id, rx, VecDeque::<Event>::new(), true);
    let stream = futures_util::stream::unfold(
        init,
        |(state, session, mut rx, mut queue, first)| async move {
            loop {
                if let Some(ev) = queue.pop_front() {
                    return Some((Ok(ev), (state, session, rx, queue, false)));
                }
                if !first && rx.changed().await.is_err() {
                    return None;
                }
                // Ends with the session (logout, idle expiry); not a refresh of it.
                state.lock_sessions().get(Instant::now(), &session, false)?;
                // A dashboard is open: keep the calls listed.
                state.0.live.demand.want();
                let snap = rx.borrow_and_update().clone();
                let status = status_of(&state, &snap);
                for (name, data) in [
                    ("status", serde_json::to_string(&status)),
                    ("calls", serde_json::to_string(&snap.calls)),
                ] {
                    if let Ok(data) = data {
                        queue.push_back(Event::default().event(name).data(data));
                    }
                }
                if first {
                    return queue
                        .pop_front()
                        .map(|ev| (Ok(ev), (state, session, rx, queue, false)));
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

pub async fn system(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "version": VERSION,
        "uptime_seconds": state.0.started.elapsed().as_secs(),
        "config_path": state.0.store.path().display().to_string(),
        "name": state.config().0.system().name,
        "restart_required": state.restart_required(),
    }))
}

pub async fn restart(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
) -> Result<StatusCode, ApiError> {
    state
        .0
        .audit
        .record(&user.name, "system.restart", String::new());
    state
        .0
        .live
        .commands
        .send(Command::Restart)
        .await
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the daemon is stopping"))?;
    Ok(StatusCode::ACCEPTED)
}
