//! The certificates TLS listeners present, replaceable while running: a reload (SIGHUP or
//! a change through management) loads each `tls:` realm's files again and swaps them in,
//! so a renewed certificate is served without a restart. Connections already open keep
//! the certificate they were set up with; each new handshake takes the current one.
//!
//! Only listeners that exist since start-up are served (a new listener needs a restart);
//! the files were loaded once already by the reload's checks, so a failure here is only
//! a race with a file being rewritten, logged and leaving the old certificate in place.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use sbc_config::Config;
use sbc_core::Transport;
use tracing::{info, warn};

use super::certs::server_config;

/// One listener's current TLS configuration.
pub type LiveServerConfig = Arc<RwLock<Arc<ServerConfig>>>;

/// Every `tls:` listener's current configuration, by listening address.
#[derive(Debug, Default, Clone)]
pub struct ServerIdentities {
    by_listener: HashMap<SocketAddr, LiveServerConfig>,
}

impl ServerIdentities {
    /// Registers the listener at `addr` serving `config`; returns the handle it reads.
    pub fn add(&mut self, addr: SocketAddr, config: Arc<ServerConfig>) -> LiveServerConfig {
        let live = Arc::new(RwLock::new(config));
        self.by_listener.insert(addr, live.clone());
        live
    }

    /// Loads the certificates of `config`'s TLS realms again and swaps them in for the
    /// listeners that exist. Returns how many listeners were updated.
    pub fn reload(&self, config: &Config) -> usize {
        let mut updated = 0;
        for realm in config.realms() {
            let listeners: Vec<&LiveServerConfig> = realm
                .listen
                .iter()
                .filter(|l| l.transport == Transport::Tls)
                .filter_map(|l| self.by_listener.get(&l.addr))
                .collect();
            if listeners.is_empty() {
                continue;
            }
            let fresh = match server_config(realm) {
                Ok(c) => c,
                Err(e) => {
                    warn!(realm = %realm.name, "TLS certificate not reloaded, the old one stays: {e}");
                    continue;
                }
            };
            for live in listeners {
                // A poisoned lock only means a reader panicked; the value is still whole.
                let mut slot = live.write().unwrap_or_else(|p| p.into_inner());
                *slot = fresh.clone();
                updated += 1;
            }
        }
        if updated > 0 {
            info!(listeners = updated, "TLS certificates reloaded");
        }
        updated
    }
}

/// The configuration a new handshake on `live` uses.
pub fn current(live: &LiveServerConfig) -> Arc<ServerConfig> {
    live.read().unwrap_or_else(|p| p.into_inner()).clone()
}
