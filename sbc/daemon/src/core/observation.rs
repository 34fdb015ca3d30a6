//! The core's side of observation ([`crate::observe::observer`]): every transmit shown
//! to the observer on its way to the socket, and the once-a-second reading of the state
//! numbers that the UI snapshot and the metrics report are both made of.

use super::*;
use crate::observe::gauges::{Gauges, PeerGauge};
use sbc_mgmt::live::{BanView, RegistrationView};

impl Core {
    /// Writes a message to its socket, observed.
    pub(super) fn send(&mut self, t: sbc_core::Transmit) {
        self.obs.sent(&t);
        self.outbound.send(t);
    }

    /// Publishes this second's UI snapshot and metrics report from one reading of the
    /// state numbers. While somebody looks at the calls, they are listed (at most a
    /// thousand) and their streams' counters queried (answered by the next ticks' `Stats`
    /// events); otherwise only totals are, and a second of the core costs the same with
    /// ten calls up or twenty thousand.
    pub(super) fn publish(&mut self) {
        let now = Instant::now();
        if self.obs.listing(now) {
            let (queries, calls) = self.obs.listed();
            for op in queries {
                self.media.send(op);
            }
            for call in calls {
                let Some(id) = self.hook.inner().call_of(call) else {
                    continue;
                };
                if let Some(legs) = self.hook.media(id) {
                    self.obs.set_media(call, &legs);
                }
            }
        }
        let gauges = self.read_gauges(now);
        self.obs.publish(now, &self.config, gauges);
    }

    /// Trunk health, calls per trunk, registrations, bans and drain, as they are now.
    fn read_gauges(&mut self, now: Instant) -> Gauges {
        let (health, limits) = (&self.trunks.health, &self.trunks.limits);
        let trunk_peers = self
            .config
            .trunks()
            .iter()
            .flat_map(|t| {
                t.peers.iter().map(move |p| PeerGauge {
                    trunk: t.name.clone(),
                    peer: p.to_string(),
                    up: !health.is_down(&t.name, p),
                })
            })
            .collect();
        let trunk_options = self
            .config
            .trunks()
            .iter()
            .map(|t| {
                let views = crate::mgmt::trunk_checks::options_views(health, t, now);
                (t.name.clone(), views)
            })
            .collect();
        let trunk_calls = self
            .config
            .trunks()
            .iter()
            .map(|t| (t.name.clone(), u64::from(limits.calls(&t.name))))
            .collect();
        let registrations = self
            .registrations
            .relay()
            .bindings()
            .map(|b| RegistrationView {
                aor: b.aor.clone(),
                contact: b.phone_contact.clone(),
                expires_in: b.phone_until.saturating_duration_since(now).as_secs(),
            })
            .collect();
        let bans = self
            .firewall
            .bans()
            .into_iter()
            .map(|(ip, left)| BanView {
                address: ip.to_string(),
                expires_in: left.as_secs(),
            })
            .collect();
        Gauges {
            // The observer sets it from its call counters.
            calls_active: 0,
            trunk_peers,
            trunk_calls,
            trunk_options,
            registrations,
            trunk_registrations: self.registrations.views(now),
            bans,
            draining: self.drain.is_on(),
        }
    }
}
