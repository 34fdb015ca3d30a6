//! What the monitor reports about a peer (for routing, logs and the UI), and its timers.

use std::fmt;
use std::time::{Duration, Instant};

/// A watched peer inside one [`HealthMonitor`](super::HealthMonitor). Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub(crate) u64);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "peer#{}", self.0)
    }
}

/// Whether a peer answers SIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Health {
    /// Not probed to a conclusion yet. Routing treats it like Up: a fresh peer is not
    /// held back until its first answer.
    Unknown,
    /// It answers OPTIONS.
    Up,
    /// `down_after` probes in a row failed: calls should not go there.
    Down,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a probe failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeFailure {
    /// No final response by the probe's deadline, or the client transaction timed out
    /// (Timer F, RFC 3261 §17.1.2.2).
    NoAnswer,
    /// 408 or 503: the peer (or a proxy before it) says it cannot serve.
    Status(u16),
    /// The request could not be sent (the transaction layer refused it).
    SendFailed,
}

impl fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeFailure::NoAnswer => f.write_str("no answer"),
            ProbeFailure::Status(code) => write!(f, "answered {code}"),
            ProbeFailure::SendFailed => f.write_str("could not be sent"),
        }
    }
}

/// Everything known about one peer, for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStatus {
    pub health: Health,
    /// When `health` took its current value (for Unknown: when the peer was added).
    pub since: Instant,
    /// Probes that failed in a row (0 after a success).
    pub failures: u32,
    /// Probes that succeeded in a row (0 after a failure).
    pub successes: u32,
    /// Why the last failed probe failed.
    pub last_failure: Option<ProbeFailure>,
    /// Status code of the last final response.
    pub last_status: Option<u16>,
    /// When the last final response (any code) arrived.
    pub last_answer: Option<Instant>,
    /// Time from sending the last successful probe to its final response.
    pub last_rtt: Option<Duration>,
    /// OPTIONS sent so far.
    pub probes_sent: u64,
}

impl PeerStatus {
    pub(crate) fn new(now: Instant) -> Self {
        PeerStatus {
            health: Health::Unknown,
            since: now,
            failures: 0,
            successes: 0,
            last_failure: None,
            last_status: None,
            last_answer: None,
            last_rtt: None,
            probes_sent: 0,
        }
    }

    /// Records a success; the new health if it changed.
    pub(crate) fn succeeded(&mut self, now: Instant, up_after: u32) -> Option<Health> {
        self.successes = self.successes.saturating_add(1);
        self.failures = 0;
        let up = match self.health {
            Health::Unknown => true,
            Health::Down => self.successes >= up_after,
            Health::Up => false,
        };
        up.then(|| self.set(now, Health::Up))
    }

    /// Records a failure; the new health if it changed.
    pub(crate) fn failed(
        &mut self,
        now: Instant,
        why: ProbeFailure,
        down_after: u32,
    ) -> Option<Health> {
        self.failures = self.failures.saturating_add(1);
        self.successes = 0;
        self.last_failure = Some(why);
        let down = self.health != Health::Down && self.failures >= down_after;
        down.then(|| self.set(now, Health::Down))
    }

    fn set(&mut self, now: Instant, health: Health) -> Health {
        self.health = health;
        self.since = now;
        health
    }
}

/// The monitor's timers, one armed per peer at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HealthTimer {
    /// Send the next OPTIONS (RFC 3261 §11.1: "OPTIONS ... to query a UA or proxy about
    /// its capabilities"; RFC 3261 leaves keep-alive probing periods to the operator).
    /// Armed one period after the previous probe was sent, the first one jittered.
    Probe,
    /// The probe in flight has no final response yet: count it as failed. Timer F
    /// (RFC 3261 §17.1.2.2, 64*T1 = 32 s) would decide far too late to steer calls, so
    /// the deadline is `min(probe_timeout, period)`.
    Deadline,
}
