//! The background resolver: one tokio task that keeps every trunk name resolved.
//!
//! It holds each name's [`NameState`] and when to ask again: at the expiry of the
//! shortest TTL of its answer (clamped to [`MIN_REFRESH`]..[`MAX_REFRESH`]), after
//! [`RETRY`] when it failed. A name that does not exist gives no target (its trunk is
//! down, with the reason); a server that does not answer leaves the last good targets in
//! use. Whenever what a name gives changes (addresses, order, state), the whole
//! [`Resolved`] is sent on the channel; the daemon turns it into the effective
//! configuration. Nothing here is on the call path: calls read that configuration.
//!
//! Addresses that are the SBC's own (a record pointing at the SBC itself) are dropped
//! with a log line: a call to them would loop.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sbc_config::resolved::{NameState, Resolved, ResolvedTarget};
use sbc_config::{Config, PeerSpec};
use sbc_core::{Transport, TransportAddr};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::lookup::{Dns, Hickory, LookupError};
use super::rfc3263::{ResolveError, resolve};

/// Shortest time between two resolutions of a name (a TTL of 0 must not spin).
pub const MIN_REFRESH: Duration = Duration::from_secs(1);
/// Longest: a name is asked again at least this often.
pub const MAX_REFRESH: Duration = Duration::from_secs(3600);
/// After a failure.
pub const RETRY: Duration = Duration::from_secs(5);
/// One resolution (all its questions) at most.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(15);

/// What is resolved: a peer as written, or a `sources` name (A/AAAA only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Peer(PeerSpec),
    Source(String),
}

#[derive(Debug)]
struct Entry {
    state: NameState,
    changed: SystemTime,
    due: Instant,
}

/// Every name `config` asks for.
fn keys(config: &Config) -> Vec<Key> {
    let mut v = Vec::new();
    for t in config.trunks() {
        for s in t.names() {
            let k = Key::Peer(s.clone());
            if !v.contains(&k) {
                v.push(k);
            }
        }
        for n in &t.source_names {
            let k = Key::Source(n.clone());
            if !v.contains(&k) {
                v.push(k);
            }
        }
    }
    v
}

/// The SBC's own addresses (listeners, media, management).
fn own_addresses(config: &Config) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = config
        .realms()
        .iter()
        .flat_map(|r| {
            r.listen
                .iter()
                .map(|l| l.addr.ip())
                .chain([r.media_ip])
                .chain(r.public_ip)
        })
        .map(|ip| ip.to_canonical())
        .collect();
    v.push(config.management().listen.ip().to_canonical());
    v
}

/// Starts the resolver for the names of `config`; a new file configuration is sent on the
/// returned sender, every change of what the names give arrives on the receiver.
pub fn start(config: &Config) -> (watch::Sender<Arc<Config>>, mpsc::Receiver<Resolved>) {
    let (config_tx, config_rx) = watch::channel(Arc::new(config.clone()));
    let (tx, rx) = mpsc::channel(4);
    let dns = Hickory::from_system();
    tokio::spawn(async move {
        match dns {
            Ok(dns) => run(dns, config_rx, tx).await,
            Err(e) => run(Unconfigured(e.to_string()), config_rx, tx).await,
        }
    });
    (config_tx, rx)
}

/// Every question fails: the system's resolver configuration did not load.
struct Unconfigured(String);

impl Dns for Unconfigured {
    async fn naptr(
        &self,
        name: &str,
    ) -> Result<super::lookup::Answer<super::lookup::Naptr>, LookupError> {
        Err(self.fail(name))
    }
    async fn srv(
        &self,
        name: &str,
    ) -> Result<super::lookup::Answer<super::lookup::Srv>, LookupError> {
        Err(self.fail(name))
    }
    async fn ip(&self, name: &str) -> Result<super::lookup::Answer<IpAddr>, LookupError> {
        Err(self.fail(name))
    }
}

impl Unconfigured {
    fn fail(&self, name: &str) -> LookupError {
        LookupError::Failed {
            name: name.to_owned(),
            rtype: "any",
            reason: format!("no DNS configuration: {}", self.0),
        }
    }
}

pub(super) async fn run<D: Dns>(
    dns: D,
    mut config: watch::Receiver<Arc<Config>>,
    tx: mpsc::Sender<Resolved>,
) {
    let mut entries: HashMap<Key, Entry> = HashMap::new();
    let mut own = Vec::new();
    let mut fresh_config = true;
    loop {
        if fresh_config {
            let c = config.borrow_and_update().clone();
            own = own_addresses(&c);
            let wanted = keys(&c);
            entries.retain(|k, _| wanted.contains(k));
            let now = Instant::now();
            for k in wanted {
                entries.entry(k).or_insert(Entry {
                    state: NameState::Pending,
                    changed: SystemTime::now(),
                    due: now,
                });
            }
            fresh_config = false;
        }
        let due: Vec<Key> = {
            let now = Instant::now();
            entries
                .iter()
                .filter(|(_, e)| e.due <= now)
                .map(|(k, _)| k.clone())
                .collect()
        };
        let mut changed = false;
        let refreshed = !due.is_empty();
        for key in due {
            let outcome = tokio::time::timeout(RESOLVE_TIMEOUT, resolve_key(&dns, &key))
                .await
                .unwrap_or_else(|_| {
                    Err(ResolveError::Failed(format!(
                        "no answer within {} s",
                        RESOLVE_TIMEOUT.as_secs()
                    )))
                });
            let Some(entry) = entries.get_mut(&key) else {
                continue;
            };
            let now = Instant::now();
            let next = match outcome {
                Ok(mut targets) => {
                    targets.retain(|t| {
                        let ours = own.contains(&t.addr.addr.ip().to_canonical());
                        if ours {
                            warn!(name = %key_text(&key), address = %t.addr, "DNS: a record points at the SBC itself; ignored");
                        }
                        !ours
                    });
                    keep_order(entry.state.targets(), &mut targets);
                    let expiry = targets.iter().map(|t| t.expires).min();
                    let due = expiry.map_or(now + RETRY, |e| {
                        e.max(now + MIN_REFRESH).min(now + MAX_REFRESH)
                    });
                    (NameState::Resolved { targets }, due)
                }
                Err(ResolveError::NotFound(reason)) => (
                    NameState::Failed {
                        reason,
                        targets: Vec::new(),
                        retry_at: now + RETRY,
                    },
                    now + RETRY,
                ),
                Err(ResolveError::Failed(reason)) => (
                    NameState::Failed {
                        reason,
                        targets: entry.state.targets().to_vec(),
                        retry_at: now + RETRY,
                    },
                    now + RETRY,
                ),
            };
            entry.due = next.1;
            if material(&entry.state) != material(&next.0) {
                log_change(&key, &next.0);
                entry.changed = SystemTime::now();
                changed = true;
            }
            entry.state = next.0;
        }
        if changed || refreshed {
            // Sent after every refresh too, so the TTLs the API shows stay current; the
            // daemon re-renders the firewall only when addresses changed.
            if tx.send(snapshot(&entries)).await.is_err() {
                return;
            }
        }
        let next = entries.values().map(|e| e.due).min();
        let sleep = async {
            match next {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => {}
            c = config.changed() => {
                if c.is_err() {
                    return;
                }
                fresh_config = true;
            }
        }
    }
}

async fn resolve_key<D: Dns>(dns: &D, key: &Key) -> Result<Vec<ResolvedTarget>, ResolveError> {
    let mut random = crate::ids::random_u64;
    match key {
        Key::Peer(spec) => resolve(dns, spec, &mut random).await,
        Key::Source(name) => {
            let a = dns.ip(name).await?;
            Ok(a.records
                .into_iter()
                .take(super::rfc3263::MAX_ADDRESSES)
                .map(|ip| ResolvedTarget {
                    addr: TransportAddr {
                        transport: Transport::Udp,
                        addr: std::net::SocketAddr::new(ip.to_canonical(), 0),
                    },
                    priority: 0,
                    weight: 0,
                    expires: a.valid_until,
                    source: format!("{name} A/AAAA"),
                })
                .collect())
        }
    }
}

/// The same targets as before (a weighted draw may order them differently each time)
/// keep their previous order: calls, registrations and the logs see no change.
fn keep_order(before: &[ResolvedTarget], now: &mut [ResolvedTarget]) {
    let key = |t: &ResolvedTarget| (t.addr.to_string(), t.priority, t.weight);
    let mut a: Vec<_> = before.iter().map(key).collect();
    let mut b: Vec<_> = now.iter().map(key).collect();
    a.sort();
    b.sort();
    if a == b {
        now.sort_by_key(|t| before.iter().position(|o| key(o) == key(t)));
    }
}

/// What a state gives, without its expiry times (those change at every refresh).
fn material(s: &NameState) -> (Vec<(TransportAddr, u16, u16)>, Option<String>, bool) {
    let t = s
        .targets()
        .iter()
        .map(|t| (t.addr, t.priority, t.weight))
        .collect();
    let failed = match s {
        NameState::Failed { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    (t, failed, matches!(s, NameState::Pending))
}

fn key_text(k: &Key) -> String {
    match k {
        Key::Peer(s) => s.to_string(),
        Key::Source(n) => format!("source {n}"),
    }
}

fn log_change(key: &Key, s: &NameState) {
    let name = key_text(key);
    match s {
        NameState::Resolved { targets } => {
            let list: Vec<String> = targets.iter().map(|t| t.addr.to_string()).collect();
            info!(name, targets = %list.join(", "), "DNS: resolved");
        }
        NameState::Failed {
            reason, targets, ..
        } if targets.is_empty() => {
            warn!(
                name,
                "DNS: does not resolve, no target: {reason}; retried in {} s",
                RETRY.as_secs()
            );
        }
        NameState::Failed { reason, .. } => {
            warn!(
                name,
                "DNS: lookup failed, the last targets stay in use: {reason}"
            );
        }
        NameState::Pending => {}
    }
}

/// Retired addresses are left empty: the daemon keeps those ([`Resolved::retired`]).
fn snapshot(entries: &HashMap<Key, Entry>) -> Resolved {
    let mut r = Resolved::default();
    for (k, e) in entries {
        match k {
            Key::Peer(s) => {
                r.peers.insert(s.clone(), (e.state.clone(), e.changed));
            }
            Key::Source(n) => {
                r.sources.insert(n.clone(), (e.state.clone(), e.changed));
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(addr: &str, weight: u16) -> ResolvedTarget {
        ResolvedTarget {
            addr: addr.parse().expect("addr"),
            priority: 10,
            weight,
            expires: Instant::now(),
            source: "test".to_owned(),
        }
    }

    #[test]
    fn the_same_targets_keep_their_order_and_new_ones_take_the_draw() {
        let before = [t("udp:10.0.0.1:5060", 50), t("udp:10.0.0.2:5060", 50)];
        let mut now = [t("udp:10.0.0.2:5060", 50), t("udp:10.0.0.1:5060", 50)];
        keep_order(&before, &mut now);
        assert_eq!(now[0].addr, before[0].addr);
        let mut changed = [t("udp:10.0.0.3:5060", 50), t("udp:10.0.0.1:5060", 50)];
        keep_order(&before, &mut changed);
        assert_eq!(changed[0].addr.to_string(), "udp:10.0.0.3:5060");
    }
}
