//! Shared state of the handlers: the config store, credentials, sessions, audit log and
//! the link to the daemon. Cheap to clone (one `Arc`).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tokio::sync::oneshot;

use sbc_config::{Config, PersistError};

use crate::audit::Audit;
use crate::auth::password::Hasher;
use crate::auth::sessions::Sessions;
use crate::auth::setup::Credentials;
use crate::auth::throttle::Throttle;
use crate::error::ApiError;
use crate::live::{Command, LiveLink};
use crate::store::{Committed, Store};

/// Failure to start management.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("management state: {0}")]
    Persist(#[from] PersistError),
}

/// Everything the handlers share.
#[derive(Debug, Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

#[derive(Debug)]
pub(crate) struct Inner {
    pub store: Store,
    pub creds: tokio::sync::Mutex<Credentials>,
    pub hasher: Hasher,
    pub sessions: Mutex<Sessions>,
    pub throttle: Mutex<Throttle>,
    pub audit: Audit,
    pub live: LiveLink,
    pub started: Instant,
    pub state_dir: PathBuf,
    /// The configuration the daemon started with: what settings read only at start
    /// still hold ([`crate::restart`]).
    pub booted: Arc<Config>,
    /// Files replaced since the start that the daemon reads only at start (uploaded
    /// certificates in use).
    pub replaced: Mutex<BTreeSet<String>>,
}

/// Refuses a configuration that would cut the client making the change off from
/// management: its address outside `management.allow`, or (with the firewall on and the
/// client not on loopback, which the firewall never filters) inside `firewall.deny`,
/// which is dropped before the management rules. The operator would see the change
/// applied and saved, and could not undo it.
fn lockout(config: &Config, peer: IpAddr) -> Result<(), ApiError> {
    if !config.management().allows(peer) {
        return Err(ApiError::unprocessable(
            "management.allow",
            format!(
                "this change would lock you out: your address {peer} is not in management.allow"
            ),
        ));
    }
    let fw = config.firewall();
    if fw.enabled && !peer.is_loopback() {
        if let Some(i) = fw.deny.iter().position(|c| c.contains(peer)) {
            return Err(ApiError::unprocessable(
                format!("firewall.deny[{i}]"),
                format!(
                    "this change would lock you out: your address {peer} would be dropped \
                     by the firewall (firewall.deny)"
                ),
            ));
        }
    }
    Ok(())
}

/// How long a change waits for the daemon to apply it.
const APPLY_WAIT: Duration = Duration::from_secs(60);

impl AppState {
    /// State for the config file at `config_path`, whose valid content `config` runs.
    /// Creates `state_dir` and, when no admin password exists, the setup token.
    pub fn new(
        config_path: &Path,
        config: Arc<Config>,
        live: LiveLink,
    ) -> Result<AppState, StartError> {
        Self::with_idle_timeout(
            config_path,
            config,
            live,
            crate::auth::sessions::IDLE_TIMEOUT,
        )
    }

    /// [`AppState::new`] with another session idle timeout.
    pub fn with_idle_timeout(
        config_path: &Path,
        config: Arc<Config>,
        live: LiveLink,
        idle: Duration,
    ) -> Result<AppState, StartError> {
        let state_dir = config.system().state_dir.clone();
        let creds = Credentials::load_or_init(&state_dir)?;
        let config_path =
            std::path::absolute(config_path).map_err(|source| PersistError::Read {
                path: config_path.to_owned(),
                source,
            })?;
        let store = Store::open(&config_path, config.clone())?;
        Ok(AppState(Arc::new(Inner {
            store,
            creds: tokio::sync::Mutex::new(creds),
            hasher: Hasher::default(),
            sessions: Mutex::new(Sessions::new(idle)),
            throttle: Mutex::new(Throttle::default()),
            audit: Audit::new(state_dir.join(crate::audit::FILE)),
            live,
            started: Instant::now(),
            state_dir,
            booted: config,
            replaced: Mutex::new(BTreeSet::new()),
        })))
    }

    /// The one-time setup token while the admin password is not set (to be logged).
    pub async fn setup_token(&self) -> Option<String> {
        self.0.creds.lock().await.setup_token().map(str::to_owned)
    }

    /// Whether `ip` may use management (the current config's `management.allow`).
    pub fn allows(&self, ip: IpAddr) -> bool {
        let (config, _) = self.0.store.current();
        config.management().allows(ip.to_canonical())
    }

    /// The current config and version.
    pub fn config(&self) -> (Arc<Config>, u64) {
        self.0.store.current()
    }

    /// Validates a change of the config file, has the daemon apply it and, only when
    /// it runs, saves and audits it. A change the daemon refuses is answered with its
    /// reason (422 naming the key when it is the configuration's fault, else 500/503)
    /// and the file stays as it was.
    pub(crate) async fn commit(
        &self,
        user: &crate::guard::User,
        action: &str,
        if_match: u64,
        make: impl FnOnce(&str) -> Result<String, ApiError>,
    ) -> Result<Committed, ApiError> {
        let prepared = self.0.store.prepare(if_match, make).await?;
        let changes = prepared.changes();
        if changes && let Some(peer) = user.peer {
            lockout(prepared.config(), peer)?;
        }
        let user = user.name.as_str();
        if changes {
            self.apply(prepared.config().clone()).await?;
        }
        let mut committed = match prepared.save(user) {
            Ok(c) => c,
            Err(e) => {
                // Running but not saved: put the daemon back on what the file holds.
                let (old, _) = self.0.store.current();
                if let Err(back) = self.apply(old).await {
                    tracing::error!(
                        "management: the change was applied but not saved ({}), and going back \
                         failed: {}; the daemon runs what the file does not say",
                        e.message,
                        back.message
                    );
                }
                return Err(e);
            }
        };
        if committed.changed {
            self.0.audit.record(user, action, committed.diff.clone());
        }
        committed.restart = self.restart_required();
        if !committed.restart.is_empty() && changes {
            tracing::info!(
                "management: {}: {}",
                crate::restart::NOTE,
                committed.restart.join(", ")
            );
        }
        Ok(committed)
    }

    /// Asks the daemon to apply `config` and waits for its answer.
    async fn apply(&self, config: Arc<Config>) -> Result<(), ApiError> {
        let (reply, answer) = oneshot::channel();
        let unavailable = |why: &str| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{why}; the change was not saved"),
            )
        };
        self.0
            .live
            .commands
            .send(Command::Apply { config, reply })
            .await
            .map_err(|_| unavailable("the daemon is stopping"))?;
        match tokio::time::timeout(APPLY_WAIT, answer).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(e.into()),
            Ok(Err(_)) => Err(unavailable("the daemon stopped before applying it")),
            Err(_) => {
                tracing::error!(
                    "management: the daemon did not answer within {} s; the change was not \
                     saved (the daemon may still apply it)",
                    APPLY_WAIT.as_secs()
                );
                Err(unavailable("the daemon did not answer in time"))
            }
        }
    }

    /// Saved settings and replaced files that wait for a restart of the daemon.
    pub fn restart_required(&self) -> Vec<String> {
        let (current, _) = self.0.store.current();
        let mut keys = crate::restart::pending(&self.0.booted, &current);
        keys.extend(
            self.0
                .replaced
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned(),
        );
        keys
    }

    /// Notes a file the daemon reads only at start that was replaced (`what` names it).
    pub(crate) fn replaced(&self, what: String) {
        self.0
            .replaced
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(what);
    }

    pub(crate) fn lock_sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.0.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn lock_throttle(&self) -> std::sync::MutexGuard<'_, Throttle> {
        self.0.throttle.lock().unwrap_or_else(|p| p.into_inner())
    }
}
