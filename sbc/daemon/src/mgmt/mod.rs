//! The management interface: the HTTPS server of `sbc-mgmt` on `[management] listen`,
//! and the pieces of the live views that are management's own: what a trunk's names,
//! OPTIONS and certificate look like on the Trunks page ([`names`], `trunk_checks`), and
//! the session hook's wrapper that remembers what each leg negotiated ([`hook`]). The
//! calls and streams the UI lists are observation's ([`crate::observe::views`]).
//!
//! [`start`] binds the listener, makes the TLS identity ([`cert`]), opens the state
//! (setup token, admin hash, config versions), logs the setup token while no admin
//! password exists, and spawns the server. It returns the daemon's ends of the
//! [`sbc_mgmt::live`] channels: the snapshot sender goes to the core task (whose observer
//! refreshes it from [`crate::observe::views::Views`] once a second), the command
//! receiver to the signal loop in `run.rs` (apply = the SIGHUP reload path, [`apply`],
//! whose answer decides whether management saves the file; unban; restart).

pub mod apply;
pub mod cert;
pub mod hook;
pub mod names;
pub(crate) mod trunk_checks;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use sbc_config::Config;
use sbc_mgmt::live::LiveDaemon;
use sbc_mgmt::{AppState, router};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// The running server.
#[derive(Debug)]
pub struct Management {
    pub task: JoinHandle<()>,
    pub live: LiveDaemon,
}

/// Starts serving management; fails when the listener cannot be bound or the state
/// directory is unusable (the daemon does not start then).
pub async fn start(path: &Path, config: Arc<Config>) -> anyhow::Result<Management> {
    let listen = config.management().listen;
    let tls = cert::server_config(&config).context("management TLS certificate")?;
    let (link, live) = sbc_mgmt::live::link();
    let state = AppState::new(path, config.clone(), link).context("management state")?;
    if let Some(token) = state.setup_token().await {
        warn!(
            "management: no admin password yet; set it at https://{listen}/ with the setup \
             token {token} (also in {})",
            config
                .system()
                .state_dir
                .join(sbc_mgmt::auth::setup::TOKEN_FILE)
                .display()
        );
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("management: binding {listen}"))?;
    info!("management on https://{listen}/");
    let task = tokio::spawn(sbc_mgmt::serve::serve_tls(listener, tls, router(state)));
    Ok(Management { task, live })
}

static RESTART: AtomicBool = AtomicBool::new(false);

/// Marks that the daemon stops to start again (`POST /api/system/restart`).
pub fn request_restart() {
    RESTART.store(true, Ordering::SeqCst);
}

/// Whether the daemon stopped for a restart.
pub fn restart_requested() -> bool {
    RESTART.load(Ordering::SeqCst)
}

/// Replaces this process with a fresh `sbc` with the same arguments (after a clean
/// stop). Returns only when that fails.
pub fn exec_self() -> anyhow::Error {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return anyhow::anyhow!("restart: locating the executable: {e}"),
    };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .exec();
    anyhow::anyhow!("restart: exec: {err}")
}
