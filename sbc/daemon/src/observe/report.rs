//! What the core task publishes once a second for the metrics endpoint: a copy of its
//! counters, the state reading ([`Gauges`]) the web UI's snapshot of the same second is
//! made from, and the configuration they were counted under.

use std::collections::BTreeMap;
use std::sync::Arc;

use sbc_config::Config;
use sbc_core::LatchReason;

use super::calls::{CallResult, Histogram};
use super::gauges::Gauges;
use super::sip::SipCounters;

/// One publication of the core task.
#[derive(Debug, Clone)]
pub struct CoreReport {
    pub config: Arc<Config>,
    pub sip: SipCounters,
    /// `(from, to, result, count)` of ended calls.
    pub calls_ended: Vec<(String, String, CallResult, u64)>,
    pub setup: Histogram,
    /// Latches the media plane reported, per reason.
    pub latches: BTreeMap<&'static str, u64>,
    /// Calls in progress, trunk peers, registrations, bans: the reading the UI shows too.
    pub gauges: Arc<Gauges>,
    /// CDR lines written, and lost because the writer was behind or the write failed.
    pub cdr_written: u64,
    pub cdr_lost_queue: u64,
    pub cdr_lost_write: u64,
    /// Call quality histograms.
    pub quality: super::quality::QualityCounters,
    /// HEP captures sent, dropped (queue full), dropped (send failed); `None` without `[hep]`.
    pub hep: Option<[u64; 3]>,
}

/// A latch reason as a label.
pub fn latch_label(reason: LatchReason) -> &'static str {
    match reason {
        LatchReason::Observed => "observed",
        LatchReason::Signalled => "signalled",
        LatchReason::ForkAnswered => "fork-answered",
        LatchReason::Nominated => "ice-nominated",
    }
}
