//! The daemon as a systemd service (`Type=notify`, `WatchdogSec=`): readiness, status
//! lines and the watchdog, over [`crate::notify`].
//!
//! * `READY=1` once the firewall, every listener and management are up (`run.rs`), and
//!   again after a reload (`RELOADING=1` before it); `STOPPING=1` at shutdown.
//! * `STATUS=` says what the daemon is doing (starting, serving N listeners, reloading).
//! * The watchdog task wakes every quarter of `WatchdogSec` and sends `WATCHDOG=1` only
//!   while the core task and every media worker ticked within half of it
//!   ([`crate::liveness`]); otherwise it logs the part that hangs and stays silent, and
//!   systemd kills and restarts the daemon when the interval runs out.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::liveness::{Beat, stale};
use crate::notify::{Notifier, watchdog_interval};

/// The daemon's link to systemd; every method is a no-op outside systemd.
#[derive(Debug, Clone, Default)]
pub struct Service {
    notifier: Option<Arc<Notifier>>,
}

impl Service {
    pub fn from_env() -> Self {
        Service {
            notifier: Notifier::from_env().map(Arc::new),
        }
    }

    fn send(&self, state: &str) {
        if let Some(n) = &self.notifier {
            if let Err(e) = n.send(state) {
                warn!("sd_notify {state:?}: {e}");
            }
        }
    }

    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={status}"));
    }

    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={status}"));
    }

    pub fn reloading(&self) {
        self.send("RELOADING=1\nSTATUS=reloading the configuration");
    }

    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping");
    }

    /// Starts the watchdog task when systemd asked for one; `beats` are the parts that
    /// must keep ticking.
    pub fn watchdog(&self, beats: Vec<Beat>) -> Option<JoinHandle<()>> {
        let notifier = self.notifier.clone()?;
        let interval = watchdog_interval()?;
        info!(
            "systemd watchdog: {} s, {} parts watched",
            interval.as_secs(),
            beats.len()
        );
        Some(tokio::spawn(pet(notifier, interval, beats)))
    }
}

async fn pet(notifier: Arc<Notifier>, interval: Duration, beats: Vec<Beat>) {
    let max_age = interval / 2;
    let mut every = tokio::time::interval(interval / 4);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut hung = false;
    loop {
        every.tick().await;
        match stale(&beats, max_age) {
            None => {
                if hung {
                    info!("watchdog: every part ticks again");
                    hung = false;
                }
                if let Err(e) = notifier.send("WATCHDOG=1") {
                    warn!("sd_notify WATCHDOG=1: {e}");
                }
            }
            Some((beat, age)) => {
                if !hung {
                    error!(
                        "watchdog: {} has not ticked for {} ms; not petting systemd's \
                         watchdog (the daemon is restarted if it does not recover)",
                        beat.name(),
                        age.as_millis()
                    );
                }
                hung = true;
            }
        }
    }
}
