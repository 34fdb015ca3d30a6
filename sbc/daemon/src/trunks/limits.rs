//! Per-trunk call limits: `max_calls` (concurrent) and `max_cps` (new calls per second).
//!
//! Both count calls *involving* a trunk: a call from trunk A to trunk B counts once for A
//! and once for B (a call from A to A once). A new call is admitted only if every trunk it
//! involves is below both limits; admitting takes one token from each trunk's bucket.
//!
//! Life of a call here:
//! 1. [`Limits::admit`] before relaying (may refuse: the caller answers 503);
//! 2. [`Limits::relayed`] with the engine's id of the call once it took it, counting it;
//! 3. [`Limits::released`] when the call is over (idempotent).
//!
//! Time is an argument, so the tests below run on a virtual clock.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

use sbc_config::{Config, TrunkLimits};
use sbc_sip::b2bua::CallId;

/// A rate limit of `rate` per second with a burst of `max(1, rate)`, as GCRA (the
/// "virtual scheduling" form of a token bucket, ITU-T I.371): one timestamp instead of a
/// token count and a refill clock, no rounding drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    /// Time one token takes to refill (1 s / rate).
    emission: Duration,
    /// How far ahead of `now` the schedule may run: a full bucket's worth but one.
    tolerance: Duration,
    /// Theoretical arrival time of the next conforming call.
    tat: Option<Instant>,
}

impl TokenBucket {
    /// `rate` calls per second (at least 1), a burst of `rate`.
    pub fn per_second(rate: u32) -> Self {
        let rate = rate.max(1);
        let emission = Duration::from_secs(1) / rate;
        TokenBucket {
            emission,
            tolerance: emission * (rate - 1),
            tat: None,
        }
    }

    /// `Ok` if a call at `now` conforms; else how long until one would.
    pub fn check(&self, now: Instant) -> Result<(), Duration> {
        let Some(tat) = self.tat else {
            return Ok(());
        };
        let earliest = tat.checked_sub(self.tolerance).unwrap_or(now);
        if now >= earliest {
            Ok(())
        } else {
            Err(earliest - now)
        }
    }

    /// Takes a token at `now` (after [`check`](Self::check) said yes).
    pub fn take(&mut self, now: Instant) {
        let base = self.tat.map_or(now, |t| t.max(now));
        self.tat = Some(base + self.emission);
    }
}

/// Which limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    MaxCalls(u32),
    MaxCps(u32),
}

/// A call refused by a trunk's limit: answered 503 with Retry-After and a Warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub trunk: String,
    pub limit: Limit,
    /// Whole seconds, at least 1.
    pub retry_after: u64,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            Limit::MaxCalls(n) => {
                write!(f, "trunk {} is at its limit of max_calls {n}", self.trunk)
            }
            Limit::MaxCps(n) => write!(f, "trunk {} is over its limit of max_cps {n}", self.trunk),
        }
    }
}

#[derive(Debug)]
struct Load {
    limits: TrunkLimits,
    calls: u32,
    bucket: Option<TokenBucket>,
}

/// Counters and buckets of every trunk, and the trunks of every call in progress
/// (calls are the engine's [`CallId`]s; tests use plain numbers).
#[derive(Debug)]
pub struct Limits<K = CallId> {
    trunks: HashMap<String, Load>,
    calls: HashMap<K, Vec<String>>,
}

impl<K: Hash + Eq> Limits<K> {
    pub fn new(config: &Config) -> Self {
        let mut limits = Limits {
            trunks: HashMap::new(),
            calls: HashMap::new(),
        };
        limits.reload(config);
        limits
    }

    /// Takes the limits of `config`; counts of calls in progress stay. A trunk removed
    /// from the file keeps its count until its calls are over.
    pub fn reload(&mut self, config: &Config) {
        for trunk in config.trunks() {
            let load = self.trunks.entry(trunk.name.clone()).or_insert(Load {
                limits: TrunkLimits::default(),
                calls: 0,
                bucket: None,
            });
            if load.limits.max_cps != trunk.limits.max_cps {
                load.bucket = trunk.limits.max_cps.map(TokenBucket::per_second);
            }
            load.limits = trunk.limits;
        }
        let names: Vec<&str> = config.trunks().iter().map(|t| t.name.as_str()).collect();
        self.trunks
            .retain(|name, load| names.contains(&name.as_str()) || load.calls > 0);
        for (name, load) in &mut self.trunks {
            if !names.contains(&name.as_str()) {
                load.limits = TrunkLimits::default();
                load.bucket = None;
            }
        }
    }

    /// Whether a new call from `from` (a trunk or realm name) to trunk `to` may start at
    /// `now`; if so, a cps token is taken from each trunk involved.
    pub fn admit(&mut self, now: Instant, from: &str, to: &str) -> Result<(), Refusal> {
        let involved = involved(from, to);
        for name in &involved {
            let Some(load) = self.trunks.get(name) else {
                continue;
            };
            if let Some(max) = load.limits.max_calls.filter(|&m| load.calls >= m) {
                let trunk = name.clone();
                return Err(Refusal {
                    trunk,
                    limit: Limit::MaxCalls(max),
                    retry_after: 1,
                });
            }
            if let (Some(max), Some(bucket)) = (load.limits.max_cps, &load.bucket) {
                if let Err(wait) = bucket.check(now) {
                    let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                    return Err(Refusal {
                        trunk: name.clone(),
                        limit: Limit::MaxCps(max),
                        retry_after: retry_after.max(1),
                    });
                }
            }
        }
        for name in &involved {
            if let Some(bucket) = self.trunks.get_mut(name).and_then(|l| l.bucket.as_mut()) {
                bucket.take(now);
            }
        }
        Ok(())
    }

    /// The engine took call `call`, admitted from `from` to `to`: it counts from now on.
    pub fn relayed(&mut self, call: K, from: &str, to: &str) {
        let involved: Vec<String> = involved(from, to)
            .into_iter()
            .filter(|name| self.trunks.contains_key(name))
            .collect();
        for name in &involved {
            if let Some(load) = self.trunks.get_mut(name) {
                load.calls += 1;
            }
        }
        self.calls.insert(call, involved);
    }

    /// The call is over (its hook released it, or the engine forgot it): it no longer
    /// counts. Unknown or already released calls are ignored.
    pub fn released(&mut self, call: K) {
        let Some(involved) = self.calls.remove(&call) else {
            return;
        };
        for name in involved {
            if let Some(load) = self.trunks.get_mut(&name) {
                load.calls = load.calls.saturating_sub(1);
            }
        }
    }

    /// Calls in progress involving `trunk` (for the UI).
    pub fn calls(&self, trunk: &str) -> u32 {
        self.trunks.get(trunk).map_or(0, |l| l.calls)
    }
}

/// The names a call involves: source and destination, once each.
fn involved(from: &str, to: &str) -> Vec<String> {
    if from == to {
        vec![to.to_owned()]
    } else {
        vec![from.to_owned(), to.to_owned()]
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
