//! Calls per trunk pair and result, calls in progress, and how long setup took: kept by
//! the core task from what the engine reports and what the SBC sends.
//!
//! A call counts once, when it ends, under one result:
//!
//! | result | when |
//! |---|---|
//! | `answered` | B answered (however it ended afterwards) |
//! | `busy` | B answered 486 or 600 |
//! | `cancelled` | A cancelled before the answer (487 included) |
//! | `failed` | any other end before the answer (a 4xx-6xx, timeouts, media failures) |
//! | `refused` | never relayed: a trunk's call limit (503) |
//!
//! Setup time runs from the INVITE received to the first 18x or final response the SBC
//! sent back on A's leg (matched by A's Call-ID); a call that ends before any counts
//! nothing there.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use sbc_sip::b2bua::EndReason;

/// How a call ended, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallResult {
    Answered,
    Busy,
    Cancelled,
    Failed,
    Refused,
}

impl CallResult {
    pub fn label(self) -> &'static str {
        match self {
            CallResult::Answered => "answered",
            CallResult::Busy => "busy",
            CallResult::Cancelled => "cancelled",
            CallResult::Failed => "failed",
            CallResult::Refused => "refused",
        }
    }

    /// The result of a call that ended for `reason`, answered or not.
    pub fn of(answered: bool, reason: &EndReason) -> Self {
        if answered {
            return CallResult::Answered;
        }
        match reason {
            EndReason::Rejected(486 | 600) => CallResult::Busy,
            EndReason::Rejected(487) | EndReason::Cancelled => CallResult::Cancelled,
            _ => CallResult::Failed,
        }
    }
}

/// Upper bounds (seconds) of the setup time histogram's buckets; `+Inf` follows.
pub const SETUP_BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A cumulative histogram in the Prometheus sense.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Observations at most `SETUP_BUCKETS[i]` (not cumulative here; summed when read).
    buckets: [u64; SETUP_BUCKETS.len()],
    pub count: u64,
    pub sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        if let Some(i) = SETUP_BUCKETS.iter().position(|&le| seconds <= le) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    /// `(upper bound, cumulative count)` per bucket, `+Inf` (the count) not included.
    pub fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        SETUP_BUCKETS
            .iter()
            .zip(self.buckets.iter())
            .scan(0u64, |acc, (&le, &n)| {
                *acc += n;
                Some((le, *acc))
            })
    }
}

#[derive(Debug, Clone)]
struct LiveCall {
    from: String,
    to: String,
    answered: bool,
    a_call_id: String,
}

/// The counters (owned by the core task; copied into each report).
#[derive(Debug, Clone, Default)]
pub struct CallCounters {
    live: HashMap<u64, LiveCall>,
    /// A's Call-ID of calls whose setup time is still running, with the INVITE's arrival.
    setup_pending: HashMap<String, Instant>,
    /// A Call-IDs of calls that ended: their setup time stops after the transmits of the
    /// same round ([`CallCounters::settle`]), which carry the final response.
    ending: Vec<String>,
    ended: BTreeMap<(String, String, CallResult), u64>,
    pub setup: Histogram,
}

impl CallCounters {
    /// The engine took the INVITE `a_call_id` received at `received` as call `call`.
    pub fn relayed(&mut self, call: u64, from: &str, to: &str, a_call_id: &str, received: Instant) {
        self.live.insert(
            call,
            LiveCall {
                from: from.to_owned(),
                to: to.to_owned(),
                answered: false,
                a_call_id: a_call_id.to_owned(),
            },
        );
        self.setup_pending.insert(a_call_id.to_owned(), received);
    }

    /// A call refused before it was relayed (a trunk's limit).
    pub fn refused(&mut self, from: &str, to: &str) {
        *self
            .ended
            .entry((from.to_owned(), to.to_owned(), CallResult::Refused))
            .or_default() += 1;
    }

    pub fn answered(&mut self, call: u64) {
        if let Some(c) = self.live.get_mut(&call) {
            c.answered = true;
        }
    }

    pub fn ended(&mut self, call: u64, reason: &EndReason) {
        if let Some(c) = self.live.remove(&call) {
            let result = CallResult::of(c.answered, reason);
            if self.setup_pending.contains_key(&c.a_call_id) {
                self.ending.push(c.a_call_id);
            }
            *self.ended.entry((c.from, c.to, result)).or_default() += 1;
        }
    }

    /// Whether a response with this status may end a setup time (18x, or final).
    pub fn ends_setup(status: u16) -> bool {
        (180..200).contains(&status) || status >= 200
    }

    /// Whether any call still waits for its first 18x or final response.
    pub fn setup_running(&self) -> bool {
        !self.setup_pending.is_empty()
    }

    /// The SBC sent an 18x or final response to an INVITE with Call-ID `call_id` at
    /// `now`: the setup time of that call, if it was still running, is observed.
    pub fn responded(&mut self, call_id: &str, now: Instant) {
        if let Some(received) = self.setup_pending.remove(call_id) {
            self.setup
                .observe(now.saturating_duration_since(received).as_secs_f64());
        }
    }

    /// After the transmits that followed calls' ends: the setup times still running for
    /// them stop (no response reached A; nothing is observed).
    pub fn settle(&mut self) {
        for id in self.ending.drain(..) {
            self.setup_pending.remove(&id);
        }
    }

    /// Calls relayed and not ended.
    pub fn active(&self) -> usize {
        self.live.len()
    }

    /// Ended calls: `(from, to, result, count)`; `from` is A's trunk (or realm, for a
    /// phone of an open realm), `to` B's trunk.
    pub fn ended_counts(&self) -> impl Iterator<Item = (&str, &str, CallResult, u64)> {
        self.ended
            .iter()
            .map(|((f, t, r), &n)| (f.as_str(), t.as_str(), *r, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_call_counts_once_under_its_result() {
        let mut c = CallCounters::default();
        let t0 = Instant::now();
        c.relayed(1, "carrier", "pbx", "a1", t0);
        c.relayed(2, "carrier", "pbx", "a2", t0);
        c.relayed(3, "carrier", "pbx", "a3", t0);
        c.relayed(4, "pbx", "carrier", "a4", t0);
        c.refused("carrier", "pbx");
        assert_eq!(c.active(), 4);
        c.answered(1);
        c.ended(1, &EndReason::Bye(sbc_core::Side::B));
        c.ended(2, &EndReason::Rejected(486));
        c.ended(3, &EndReason::Cancelled);
        c.ended(4, &EndReason::Rejected(404));
        c.ended(4, &EndReason::Rejected(404));
        assert_eq!(c.active(), 0);
        let got: Vec<_> = c.ended_counts().collect();
        assert_eq!(
            got,
            vec![
                ("carrier", "pbx", CallResult::Answered, 1),
                ("carrier", "pbx", CallResult::Busy, 1),
                ("carrier", "pbx", CallResult::Cancelled, 1),
                ("carrier", "pbx", CallResult::Refused, 1),
                ("pbx", "carrier", CallResult::Failed, 1),
            ]
        );
    }

    #[test]
    fn setup_time_runs_to_the_first_18x_or_final_response() {
        let mut c = CallCounters::default();
        let t0 = Instant::now();
        c.relayed(1, "carrier", "pbx", "a1", t0);
        c.relayed(2, "carrier", "pbx", "a2", t0);
        assert!(c.setup_running());
        assert!(!CallCounters::ends_setup(100));
        assert!(CallCounters::ends_setup(183) && CallCounters::ends_setup(486));
        c.responded("a1", t0 + Duration::from_millis(30));
        c.responded("a1", t0 + Duration::from_millis(3000));
        c.responded("a2", t0 + Duration::from_secs(60));
        assert!(!c.setup_running());
        // A call that ends with no response sent to A leaves nothing running.
        c.relayed(3, "carrier", "pbx", "a3", t0);
        c.ended(3, &EndReason::Failed("transport".into()));
        assert!(
            c.setup_running(),
            "its final response may follow in the same round"
        );
        c.settle();
        assert!(!c.setup_running());
        assert_eq!(c.setup.count, 2);
        assert!((c.setup.sum - 60.03).abs() < 1e-9);
        let buckets: Vec<_> = c.setup.cumulative().collect();
        assert_eq!(buckets[1], (0.025, 0));
        assert_eq!(buckets[2], (0.05, 1));
        assert_eq!(buckets[9], (10.0, 1), "60 s is only in +Inf");
    }
}
