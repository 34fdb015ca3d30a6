//! Trunk state that outlives single requests: the health of every trunk peer (OPTIONS
//! pings) and the per-trunk call limits.
//!
//! The core task owns one [`Trunks`] next to the engine and drives it from its loop:
//!
//! * start and SIGHUP: [`Trunks::new`] / [`Trunks::reload`] (peers added and removed,
//!   limits replaced, counts of calls in progress kept);
//! * each loop turn: sleep until the earlier of the engine's and
//!   [`Health::poll_timeout`], then [`Health::handle_timeout`];
//!   [`Health::send_probes`] hands due OPTIONS to the engine, and
//!   [`Health::log_changes`] logs each Up/Down change;
//! * engine events: `Response`/`Timeout` of own requests go to
//!   [`Health::handle_response`] / [`Health::handle_timeout_of`]; `CallEnded` and the
//!   [`ReleaseHook`]'s releases to [`Limits::released`];
//! * each new call: the policy leaves Down peers out of the targets
//!   ([`Health::is_down`]), then [`Limits::admit`] may refuse it (503), and
//!   [`Limits::relayed`] counts it once the engine took it.
//!
//! Nothing here reads a clock: `now` comes from the core.

mod health;
mod hook;
mod limits;

use std::time::Instant;

use sbc_config::Config;
use tracing::info;

pub use health::Health;
pub use hook::ReleaseHook;
pub use limits::Limits;

/// Health and limits of every trunk.
#[derive(Debug)]
pub struct Trunks {
    pub health: Health,
    pub limits: Limits,
}

impl Trunks {
    pub fn new(now: Instant, config: &Config, agent: String) -> Self {
        Trunks {
            health: Health::new(now, config, agent),
            limits: Limits::new(config),
        }
    }

    pub fn reload(&mut self, now: Instant, config: &Config) {
        self.health.reload(now, config);
        self.limits.reload(config);
    }

    /// Logs the health of every watched peer and the calls of every limited trunk (after
    /// a reload, so the operator sees where things stand).
    pub fn log_summary(&self, config: &Config) {
        for p in self.health.report() {
            info!(
                "trunk {} peer {} is {}",
                p.key.trunk, p.key.peer, p.status.health
            );
        }
        for trunk in config.trunks() {
            if let Some(max) = trunk.limits.max_calls {
                let calls = self.limits.calls(&trunk.name);
                info!(
                    "trunk {}: {calls} of max_calls {max} in progress",
                    trunk.name
                );
            }
        }
    }
}
