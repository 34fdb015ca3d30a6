//! The state numbers the web UI and `/metrics` both show: calls in progress, trunk peers
//! up, registrations, the SBC's own registrations, bans, drain.
//!
//! They are read once per publication from the parts of the core task that own them (the
//! call counters, trunk health, the registrar relay, the registration clients, the
//! firewall's ban set) into one [`Gauges`] value, and both exports are made from that same
//! value: the management [`Snapshot`](sbc_mgmt::live::Snapshot) (its counts, and each
//! trunk's peers) and the metrics [`CoreReport`](super::report::CoreReport) (which holds
//! it behind an `Arc`). So a number in the UI and the same number in `/metrics`, published
//! in the same second, are the same reading and cannot disagree.

use std::collections::HashMap;

use sbc_mgmt::live::{BanView, OptionsView, RegistrationView, TrunkRegistrationView};

/// One trunk peer and its OPTIONS health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerGauge {
    pub trunk: String,
    /// As the configuration prints it (`udp:10.0.0.2:5060`).
    pub peer: String,
    pub up: bool,
}

/// One reading of the state numbers.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Calls relayed and not ended (the call counters' count).
    pub calls_active: u64,
    /// Every peer of every trunk, in configuration order.
    pub trunk_peers: Vec<PeerGauge>,
    /// Calls in progress per trunk (its `max_calls` count).
    pub trunk_calls: HashMap<String, u64>,
    /// The OPTIONS state of each trunk's probed peers.
    pub trunk_options: HashMap<String, Vec<OptionsView>>,
    /// Phones registered through the SBC.
    pub registrations: Vec<RegistrationView>,
    /// The SBC's own registrations at trunks.
    pub trunk_registrations: Vec<TrunkRegistrationView>,
    /// Addresses banned now.
    pub bans: Vec<BanView>,
    /// New calls refused (management's drain).
    pub draining: bool,
}

impl Gauges {
    /// Whether `peer` (as printed) of `trunk` is up; peers the reading does not hold
    /// (added since) count as up, as an unprobed peer does.
    pub fn peer_up(&self, trunk: &str, peer: &str) -> bool {
        self.trunk_peers
            .iter()
            .find(|p| p.trunk == trunk && p.peer == peer)
            .is_none_or(|p| p.up)
    }

    /// Calls in progress on `trunk`.
    pub fn trunk_calls(&self, trunk: &str) -> u64 {
        self.trunk_calls.get(trunk).copied().unwrap_or(0)
    }

    /// The OPTIONS state of `trunk`'s probed peers.
    pub fn trunk_options(&self, trunk: &str) -> Vec<OptionsView> {
        self.trunk_options.get(trunk).cloned().unwrap_or_default()
    }

    /// `(trunk, registered)` for each of the SBC's own registrations.
    pub fn trunk_registered(&self) -> impl Iterator<Item = (&str, bool)> {
        self.trunk_registrations
            .iter()
            .map(|r| (r.trunk.as_str(), r.state == "registered"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_and_trunks_read_back() {
        let g = Gauges {
            trunk_peers: vec![PeerGauge {
                trunk: "carrier".into(),
                peer: "udp:10.0.0.2:5060".into(),
                up: false,
            }],
            trunk_calls: HashMap::from([("carrier".to_owned(), 3)]),
            trunk_registrations: vec![TrunkRegistrationView {
                trunk: "carrier".into(),
                state: "backoff".into(),
                ..Default::default()
            }],
            ..Gauges::default()
        };
        assert!(!g.peer_up("carrier", "udp:10.0.0.2:5060"));
        assert!(g.peer_up("carrier", "udp:10.0.0.3:5060"), "not read: up");
        assert_eq!(g.trunk_calls("carrier"), 3);
        assert_eq!(g.trunk_calls("pbx"), 0);
        assert_eq!(
            g.trunk_registered().collect::<Vec<_>>(),
            vec![("carrier", false)]
        );
    }
}
