//! What a monitored peer is and how it is probed.

use std::time::Duration;

use crate::transaction::Peer;

/// Default probing period of a peer that is Up (or not yet known).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// Default probing period of a peer that is Down (capped by `interval`).
pub const DEFAULT_DOWN_INTERVAL: Duration = Duration::from_secs(5);
/// Default time a probe waits for its final response (capped by the period).
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default failures in a row that make a peer Down.
pub const DEFAULT_DOWN_AFTER: u32 = 3;
/// Default successes in a row that bring a Down peer back Up.
pub const DEFAULT_UP_AFTER: u32 = 2;

/// How one peer is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthConfig {
    /// Time between two OPTIONS while the peer is Up or Unknown. Not zero.
    pub interval: Duration,
    /// Time between two OPTIONS while the peer is Down; the period used is
    /// `min(interval, down_interval)`. Not zero.
    pub down_interval: Duration,
    /// How long a probe may go without a final response before it counts as a failure;
    /// the deadline used is `min(probe_timeout, period)`. Not zero.
    pub probe_timeout: Duration,
    /// Consecutive failures that make the peer Down. At least 1.
    pub down_after: u32,
    /// Consecutive successes that bring a Down peer back Up. At least 1.
    pub up_after: u32,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            interval: DEFAULT_INTERVAL,
            down_interval: DEFAULT_DOWN_INTERVAL,
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
            down_after: DEFAULT_DOWN_AFTER,
            up_after: DEFAULT_UP_AFTER,
        }
    }
}

impl HealthConfig {
    /// Probing every `interval`, other values default.
    pub fn every(interval: Duration) -> Self {
        HealthConfig {
            interval,
            ..HealthConfig::default()
        }
    }

    /// Refuses values the monitor cannot work with.
    pub fn validate(&self) -> Result<(), HealthError> {
        let zero = [
            ("interval", self.interval),
            ("down_interval", self.down_interval),
            ("probe_timeout", self.probe_timeout),
        ]
        .into_iter()
        .find(|(_, d)| d.is_zero());
        if let Some((field, _)) = zero {
            return Err(HealthError::ZeroDuration { field });
        }
        if self.down_after == 0 {
            return Err(HealthError::ZeroThreshold {
                field: "down_after",
            });
        }
        if self.up_after == 0 {
            return Err(HealthError::ZeroThreshold { field: "up_after" });
        }
        Ok(())
    }

    /// The probing period while the peer is (`down`) or is not Down.
    pub(crate) fn period(&self, down: bool) -> Duration {
        if down {
            self.interval.min(self.down_interval)
        } else {
            self.interval
        }
    }

    /// How long a probe sent in that state may wait for its final response.
    pub(crate) fn deadline(&self, down: bool) -> Duration {
        self.probe_timeout.min(self.period(down))
    }
}

/// A peer to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// For logs and the UI (the trunk's name, say).
    pub name: String,
    /// Transport, the SBC's local listener and the peer's address.
    pub peer: Peer,
    /// `host[:port]` naming the peer in the Request-URI and To: the name as configured
    /// for a peer given by name (`sip.pstnhub.microsoft.com:5061`: RFC 3263 resolves only
    /// the next hop, and Microsoft's examples probe with the name), else its address.
    pub host: String,
    /// `host[:port]` the SBC advertises on the peer's side, written in Via, From and
    /// Contact (the realm's `public_ip` behind 1:1 NAT, else the listener's address).
    pub advertised: String,
    /// Write `sips:` URIs (Request-URI, To, Contact) instead of `sip:` with
    /// `;transport=tls` (a trunk's `uri_scheme = "sips"`; TLS peers only).
    pub sips: bool,
}

/// A [`HealthConfig`] the monitor refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    #[error("health check {field} must not be zero")]
    ZeroDuration { field: &'static str },
    #[error("health check {field} must be at least 1")]
    ZeroThreshold { field: &'static str },
}
