//! Which peers are watched, across reloads.

use std::time::Instant;

use sbc_config::Config;
use sbc_sip::health;

use super::Health;

fn config(pbx_keys: &str) -> Config {
    let text = format!(
        r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060", "tcp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "30000-39999"
public_ip = "192.0.2.1"
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:10.0.0.20:5060", "tcp:10.0.0.21:5060"]
{pbx_keys}
"#
    );
    Config::from_toml_str(&text, "/etc/sbc").unwrap_or_else(|e| panic!("valid:\n{e}"))
}

fn watched(h: &Health) -> Vec<(String, String, health::Health)> {
    h.report()
        .into_iter()
        .map(|p| (p.key.trunk, p.key.peer.to_string(), p.status.health))
        .collect()
}

#[test]
fn every_peer_of_a_trunk_with_an_interval_is_watched_and_none_is_down_at_first() {
    let now = Instant::now();
    let h = Health::new(now, &config("options_interval = 10"), "sbc/test".into());
    let unknown = health::Health::Unknown;
    assert_eq!(
        watched(&h),
        [
            ("pbx".into(), "tcp:10.0.0.21:5060".into(), unknown),
            ("pbx".into(), "udp:10.0.0.20:5060".into(), unknown),
        ]
    );
    let peer = "udp:10.0.0.20:5060".parse().expect("addr");
    assert!(!h.is_down("pbx", &peer));
    assert_eq!(h.retry_after("pbx"), 5, "min(interval, 5 s)");
    // Probes come from the realm's public address.
    let targets: Vec<String> = h
        .ids
        .values()
        .filter_map(|&id| h.monitor.target(id))
        .map(|t| t.advertised.clone())
        .collect();
    assert_eq!(targets, ["192.0.2.1:5060", "192.0.2.1:5060"]);
}

#[test]
fn reload_keeps_unchanged_peers_and_replaces_changed_ones() {
    let now = Instant::now();
    let mut h = Health::new(now, &config("options_interval = 10"), "sbc/test".into());
    let before: Vec<_> = h.ids.values().copied().collect();
    h.reload(now, &config("options_interval = 10"));
    let mut same: Vec<_> = h.ids.values().copied().collect();
    let mut before = before;
    before.sort();
    same.sort();
    assert_eq!(before, same, "unchanged peers keep their state");

    h.reload(now, &config("options_interval = 20"));
    assert!(
        h.ids.values().all(|id| !before.contains(id)),
        "new settings, new watch"
    );
    assert_eq!(h.report().len(), 2);

    h.reload(now, &config(""));
    assert!(h.report().is_empty());
    assert!(h.keys.is_empty() && h.monitor.peers().next().is_none());
}

/// A peer given by name is probed by that name (Request-URI and To, as Microsoft's Direct
/// Routing examples show), at each address it resolved to.
#[test]
fn a_peer_by_name_is_probed_by_its_name_at_each_address() {
    use sbc_config::PeerSpec;
    use sbc_config::resolved::{NameState, Resolved, ResolvedTarget};
    let file = config(
        "options_interval = 10\n[[trunk]]\nname = \"teams\"\nrealm = \"inside\"\n\
         peers = [\"tcp:sip.pstnhub.example:5061\"]\noptions_interval = 60",
    );
    let spec: PeerSpec = "tcp:sip.pstnhub.example:5061".parse().expect("spec");
    let targets = ["tcp:52.114.148.1:5061", "tcp:52.114.148.2:5061"]
        .iter()
        .map(|a| ResolvedTarget {
            addr: a.parse().expect("addr"),
            priority: 0,
            weight: 0,
            expires: Instant::now(),
            source: "sip.pstnhub.example A".to_owned(),
        })
        .collect();
    let mut resolved = Resolved::default();
    resolved.peers.insert(
        spec,
        (
            NameState::Resolved { targets },
            std::time::SystemTime::now(),
        ),
    );
    let (effective, conflicts) = file.with_resolved(&resolved);
    assert!(conflicts.is_empty(), "{conflicts:?}");
    let h = Health::new(Instant::now(), &effective, "sbc/test".into());
    let mut probes: Vec<(String, String)> = h
        .ids
        .values()
        .filter_map(|&id| h.monitor.target(id))
        .map(|t| (t.peer.remote.to_string(), t.host.clone()))
        .collect();
    probes.sort();
    assert_eq!(
        probes,
        [
            ("10.0.0.20:5060".to_owned(), "10.0.0.20:5060".to_owned()),
            ("10.0.0.21:5060".to_owned(), "10.0.0.21:5060".to_owned()),
            (
                "52.114.148.1:5061".to_owned(),
                "sip.pstnhub.example:5061".to_owned()
            ),
            (
                "52.114.148.2:5061".to_owned(),
                "sip.pstnhub.example:5061".to_owned()
            ),
        ],
        "addresses by address, the name's targets by the name"
    );
}
