//! The daemon's side of resolution: the configuration as the file says it, what the names
//! last resolved to, and the effective configuration made of both
//! ([`sbc_config::Config::with_resolved`]) that the firewall and the core run on.
//!
//! Addresses a name no longer gives are *retired*: while the trunk still has calls in
//! progress they keep identifying it and passing its firewall rule (a carrier moving
//! its SBC does not cut the calls on the old one); they go once the trunk's calls have
//! ended ([`Names::expire_retired`], called every few seconds with the live views).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use sbc_config::Config;
use sbc_config::resolved::Resolved;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// The file's configuration, the resolver's findings, and the channel to tell the
/// resolver about a new file.
#[derive(Debug)]
pub struct Names {
    file: Arc<Config>,
    resolved: Resolved,
    /// The identifying addresses of each trunk in the effective configuration last made.
    last: HashMap<String, Vec<IpAddr>>,
    resolver: watch::Sender<Arc<Config>>,
    pub updates: mpsc::Receiver<Resolved>,
}

impl Names {
    /// Starts the resolver for `file`'s names.
    pub fn start(file: Arc<Config>) -> Self {
        let (resolver, updates) = super::refresh::start(&file);
        Names {
            file,
            resolved: Resolved::default(),
            last: HashMap::new(),
            resolver,
            updates,
        }
    }

    /// The effective configuration of `file` with what is resolved now.
    pub fn effective_of(&self, file: &Config) -> Arc<Config> {
        let (config, conflicts) = file.with_resolved(&self.resolved);
        for c in conflicts {
            warn!("DNS: {c}");
        }
        Arc::new(config)
    }

    /// The effective configuration now.
    pub fn effective(&self) -> Arc<Config> {
        self.effective_of(&self.file)
    }

    /// A new file configuration was applied: its names are resolved from now on.
    pub fn set_file(&mut self, file: Arc<Config>) {
        self.file = file.clone();
        let _ = self.resolver.send(file);
    }

    /// Takes the resolver's update; addresses that vanished from a trunk with calls in
    /// progress (`active`: calls per trunk) are kept as retired. Returns the effective
    /// configuration and whether any trunk's addresses changed (the firewall must follow).
    pub fn update(
        &mut self,
        mut resolved: Resolved,
        active: &HashMap<String, u64>,
    ) -> (Arc<Config>, bool) {
        resolved.retired = std::mem::take(&mut self.resolved.retired);
        self.resolved = resolved;
        let probe = self.effective();
        for t in probe.trunks() {
            let now: Vec<IpAddr> = t.identifying_ips();
            let Some(before) = self.last.get(&t.name) else {
                continue;
            };
            if active.get(&t.name).copied().unwrap_or(0) == 0 {
                continue;
            }
            for ip in before.iter().filter(|ip| !now.contains(ip)) {
                let r = self.resolved.retired.entry(t.name.clone()).or_default();
                if !r.contains(ip) {
                    info!(trunk = %t.name, address = %ip, "DNS: address no longer resolved; kept until the trunk's calls in progress end");
                    r.push(*ip);
                }
            }
        }
        self.remember()
    }

    /// Drops retired addresses of trunks without calls in progress; `Some` with the new
    /// effective configuration when any went.
    pub fn expire_retired(&mut self, active: &HashMap<String, u64>) -> Option<Arc<Config>> {
        let before = self.resolved.retired.len();
        self.resolved.retired.retain(|trunk, ips| {
            let keep = active.get(trunk).copied().unwrap_or(0) > 0;
            if !keep {
                for ip in ips.iter() {
                    info!(trunk, address = %ip, "DNS: retired address dropped (no call in progress)");
                }
            }
            keep
        });
        (self.resolved.retired.len() != before).then(|| self.remember().0)
    }

    fn remember(&mut self) -> (Arc<Config>, bool) {
        let config = self.effective();
        let now: HashMap<String, Vec<IpAddr>> = config
            .trunks()
            .iter()
            .map(|t| {
                let mut ips = t.identifying_ips();
                ips.extend(t.peers.iter().map(|p| p.addr.ip().to_canonical()));
                ips.sort();
                ips.dedup();
                (t.name.clone(), ips)
            })
            .collect();
        let changed = now != self.last;
        self.last = now;
        (config, changed)
    }

    /// Marks the current effective configuration as the one applied (after a reload).
    pub fn applied(&mut self) {
        self.remember();
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Instant, SystemTime};

    use sbc_config::resolved::{NameState, ResolvedTarget};

    use super::*;

    fn config() -> Config {
        Config::from_toml_str(
            r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[firewall]
enabled = false
[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "30000-30099"
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["pbx.example"]
"#,
            "/tmp",
        )
        .expect("valid config")
    }

    fn resolved_to(addr: &str) -> Resolved {
        let mut r = Resolved::default();
        r.peers.insert(
            "pbx.example".parse().expect("spec"),
            (
                NameState::Resolved {
                    targets: vec![ResolvedTarget {
                        addr: addr.parse().expect("addr"),
                        priority: 0,
                        weight: 0,
                        expires: Instant::now(),
                        source: "test".to_owned(),
                    }],
                },
                SystemTime::now(),
            ),
        );
        r
    }

    fn owner(c: &Config, ip: &str) -> Option<String> {
        c.trunk_for_source_in("inside", ip.parse().expect("ip"))
            .map(|t| t.name.clone())
    }

    /// A moved address keeps identifying the trunk while it has calls, and goes after.
    #[tokio::test]
    async fn a_vanished_address_is_kept_until_the_trunks_calls_end() {
        let mut names = Names::start(Arc::new(config()));
        names.applied();
        let idle = HashMap::new();
        let busy: HashMap<String, u64> = [("pbx".to_owned(), 1)].into();
        let (c, changed) = names.update(resolved_to("udp:10.0.0.30:5060"), &idle);
        assert!(changed);
        assert_eq!(owner(&c, "10.0.0.30").as_deref(), Some("pbx"));
        // The same again: nothing for the firewall to do.
        let (_, changed) = names.update(resolved_to("udp:10.0.0.30:5060"), &idle);
        assert!(!changed);

        let (c, changed) = names.update(resolved_to("udp:10.0.0.31:5060"), &busy);
        assert!(changed);
        assert_eq!(c.trunks()[0].peers.len(), 1, "the old address is no target");
        assert_eq!(owner(&c, "10.0.0.31").as_deref(), Some("pbx"));
        assert_eq!(
            owner(&c, "10.0.0.30").as_deref(),
            Some("pbx"),
            "retired, kept"
        );
        assert!(names.expire_retired(&busy).is_none());
        let c = names.expire_retired(&idle).expect("dropped once idle");
        assert_eq!(owner(&c, "10.0.0.30"), None);
        assert_eq!(owner(&c, "10.0.0.31").as_deref(), Some("pbx"));
    }
}
