//! The daemon's side of OPTIONS health checks: which trunk peers are watched (every peer
//! of a trunk with `options_interval > 0`, re-read on reload), the sans-IO
//! [`HealthMonitor`] driven through the engine, one log line per change, and the queries
//! routing and the UI make.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sbc_config::Config;
use sbc_core::TransportAddr;
use sbc_sip::b2bua::Engine;
use sbc_sip::health::{
    self, HealthConfig, HealthMonitor, PeerId, PeerStatus, ProbeFailure, ProbeTarget,
};
use sbc_sip::{ClientTxId, Message};
use tracing::{debug, info, warn};

use crate::ids::random_u64;
use crate::policy;

/// A watched peer: a trunk's name and one of its configured peers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerKey {
    pub trunk: String,
    pub peer: TransportAddr,
}

/// One watched peer's state, for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerReport {
    pub key: PeerKey,
    pub status: PeerStatus,
}

/// The health of every watched trunk peer.
#[derive(Debug)]
pub struct Health {
    monitor: HealthMonitor,
    ids: HashMap<PeerKey, PeerId>,
    keys: HashMap<PeerId, PeerKey>,
}

impl Health {
    pub fn new(now: Instant, config: &Config, agent: String) -> Self {
        let mut h = Health {
            monitor: HealthMonitor::new(Some(agent)),
            ids: HashMap::new(),
            keys: HashMap::new(),
        };
        h.reload(now, config);
        h
    }

    /// Watches exactly the peers `config` asks for: peers no longer wanted, or wanted
    /// differently (interval, thresholds, listener, advertised address), are dropped;
    /// new ones start Unknown. Unchanged peers keep their state.
    pub fn reload(&mut self, now: Instant, config: &Config) {
        let wanted = wanted(config);
        let stale: Vec<PeerId> = self
            .keys
            .iter()
            .filter(|&(&id, key)| {
                wanted.get(key).is_none_or(|(target, cfg)| {
                    self.monitor.target(id) != Some(target) || self.monitor.config(id) != Some(cfg)
                })
            })
            .map(|(&id, _)| id)
            .collect();
        for id in stale {
            self.monitor.remove(id);
            if let Some(key) = self.keys.remove(&id) {
                self.ids.remove(&key);
                info!(
                    "trunk {} peer {}: health checks stopped",
                    key.trunk, key.peer
                );
            }
        }
        for (key, (target, cfg)) in wanted {
            if self.ids.contains_key(&key) {
                continue;
            }
            match self.monitor.add(now, target, cfg, random_u64()) {
                Ok(id) => {
                    info!(
                        "trunk {} peer {}: OPTIONS every {} s",
                        key.trunk,
                        key.peer,
                        cfg.interval.as_secs()
                    );
                    self.ids.insert(key.clone(), id);
                    self.keys.insert(id, key);
                }
                Err(e) => warn!(
                    "trunk {} peer {}: no health checks: {e}",
                    key.trunk, key.peer
                ),
            }
        }
    }

    /// Whether calls to `peer` of `trunk` should be held back: its health checks say
    /// Down. Unwatched and Unknown peers are not down.
    pub fn is_down(&self, trunk: &str, peer: &TransportAddr) -> bool {
        let key = PeerKey {
            trunk: trunk.to_owned(),
            peer: *peer,
        };
        self.ids
            .get(&key)
            .and_then(|&id| self.monitor.state(id))
            .is_some_and(|h| h == health::Health::Down)
    }

    /// What the OPTIONS probes of `peer` of `trunk` found out (`None`: not probed).
    pub fn status(&self, trunk: &str, peer: &TransportAddr) -> Option<&PeerStatus> {
        let key = PeerKey {
            trunk: trunk.to_owned(),
            peer: *peer,
        };
        self.ids.get(&key).and_then(|&id| self.monitor.status(id))
    }

    /// Seconds after which a Down peer of `trunk` will have been probed again (for
    /// Retry-After when every peer is Down).
    pub fn retry_after(&self, trunk: &str) -> u64 {
        self.ids
            .iter()
            .filter(|(k, _)| k.trunk == trunk)
            .filter_map(|(_, &id)| self.monitor.config(id))
            .map(|c| c.interval.min(c.down_interval))
            .min()
            .unwrap_or(Duration::from_secs(5))
            .as_secs()
            .max(1)
    }

    /// Hands every due OPTIONS to the engine; true if any was sent.
    pub fn send_probes(&mut self, now: Instant, engine: &mut Engine) -> bool {
        let mut busy = false;
        while let Some((id, request, peer)) = self.monitor.poll_request(now, random_u64()) {
            busy = true;
            match engine.send_request(now, request, peer) {
                Ok(tx) => self.monitor.sent(id, tx),
                Err(e) => {
                    debug!(peer = %peer.remote, "OPTIONS not sent: {e}");
                    self.monitor.send_failed(now, id);
                }
            }
        }
        busy
    }

    /// A response to an own request; false if it is not a health check's.
    pub fn handle_response(&mut self, now: Instant, tx: ClientTxId, response: &Message) -> bool {
        self.monitor.handle_response(now, tx, response)
    }

    /// An own request timed out; false if it is not a health check.
    pub fn handle_timeout_of(&mut self, now: Instant, tx: ClientTxId) -> bool {
        self.monitor.handle_timeout_of(now, tx)
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.monitor.handle_timeout(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.monitor.poll_timeout()
    }

    /// One log line per change of a peer's health.
    pub fn log_changes(&mut self) {
        while let Some((id, health)) = self.monitor.poll_change() {
            let (Some(key), Some(status)) = (self.keys.get(&id), self.monitor.status(id)) else {
                continue;
            };
            match health {
                health::Health::Down => warn!(
                    "trunk {} peer {} is DOWN ({})",
                    key.trunk,
                    key.peer,
                    why_down(status)
                ),
                health::Health::Up => info!(
                    "trunk {} peer {} is UP (answered {} in {} ms)",
                    key.trunk,
                    key.peer,
                    status.last_status.unwrap_or_default(),
                    status.last_rtt.unwrap_or_default().as_millis()
                ),
                health::Health::Unknown => {}
            }
        }
    }

    /// Every watched peer with its state, ordered by trunk and peer (for the UI).
    pub fn report(&self) -> Vec<PeerReport> {
        let mut out: Vec<PeerReport> = self
            .ids
            .iter()
            .filter_map(|(key, &id)| {
                let status = self.monitor.status(id)?.clone();
                Some(PeerReport {
                    key: key.clone(),
                    status,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.key.trunk, a.key.peer.to_string()).cmp(&(&b.key.trunk, b.key.peer.to_string()))
        });
        out
    }
}

fn why_down(s: &PeerStatus) -> String {
    let n = s.failures;
    match s.last_failure {
        Some(ProbeFailure::NoAnswer) | None => format!("no answer to {n} OPTIONS"),
        Some(ProbeFailure::Status(code)) => format!("{n} OPTIONS failed, the last answered {code}"),
        Some(ProbeFailure::SendFailed) => format!("{n} OPTIONS failed, the last could not be sent"),
    }
}

/// The peers `config` wants watched, each with its probe target and settings.
fn wanted(config: &Config) -> HashMap<PeerKey, (ProbeTarget, HealthConfig)> {
    let mut out = HashMap::new();
    for trunk in config.trunks() {
        let Some(ping) = trunk.options else {
            continue;
        };
        let realm = config.realm_of(trunk);
        for target in policy::targets(trunk, realm) {
            let key = PeerKey {
                trunk: trunk.name.clone(),
                peer: TransportAddr {
                    transport: target.peer.transport,
                    addr: target.peer.remote,
                },
            };
            let probe = ProbeTarget {
                name: trunk.name.clone(),
                peer: target.peer,
                host: target.host,
                advertised: policy::advertised(realm, target.peer.local),
                sips: trunk.tls.sips,
            };
            let cfg = HealthConfig {
                down_after: ping.down_after,
                up_after: ping.up_after,
                ..HealthConfig::every(ping.interval)
            };
            out.insert(key, (probe, cfg));
        }
    }
    out
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
