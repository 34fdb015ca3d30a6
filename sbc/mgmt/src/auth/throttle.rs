//! Login throttling: failures counted per key (an address, a user name) in a sliding
//! window; [`MAX_FAILURES`] within [`WINDOW`] lock the key until the oldest of them
//! leaves the window. Time is an argument.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most (oldest evicted), so a spray of addresses cannot grow it.
const MAX_KEYS: usize = 10_000;

/// Failed attempts per key.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: HashMap<String, Vec<Instant>>,
}

impl Throttle {
    /// How long `key` stays locked, if it is.
    pub fn locked(&mut self, now: Instant, key: &str) -> Option<Duration> {
        let times = self.failures.get_mut(key)?;
        times.retain(|t| now.saturating_duration_since(*t) < WINDOW);
        if times.len() >= MAX_FAILURES {
            let oldest = times[times.len() - MAX_FAILURES];
            Some((oldest + WINDOW).saturating_duration_since(now))
        } else {
            if times.is_empty() {
                self.failures.remove(key);
            }
            None
        }
    }

    /// Records a failed attempt.
    pub fn failed(&mut self, now: Instant, key: &str) {
        if self.failures.len() >= MAX_KEYS && !self.failures.contains_key(key) {
            self.failures.retain(|_, t| {
                t.last()
                    .is_some_and(|l| now.saturating_duration_since(*l) < WINDOW)
            });
            if self.failures.len() >= MAX_KEYS {
                let oldest = self
                    .failures
                    .iter()
                    .min_by_key(|(_, t)| t.last().copied())
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    self.failures.remove(&k);
                }
            }
        }
        let times = self.failures.entry(key.to_owned()).or_default();
        times.push(now);
        if times.len() > MAX_FAILURES {
            times.remove(0);
        }
    }

    /// Forgets the failures of `key` (a successful login).
    pub fn succeeded(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_until_the_window_passes() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        for i in 0..4 {
            t.failed(t0 + Duration::from_secs(i), "ip:192.0.2.1");
            assert_eq!(t.locked(t0 + Duration::from_secs(i), "ip:192.0.2.1"), None);
        }
        t.failed(t0 + Duration::from_secs(4), "ip:192.0.2.1");
        let left = t.locked(t0 + Duration::from_secs(5), "ip:192.0.2.1");
        assert_eq!(left, Some(WINDOW - Duration::from_secs(5)));
        assert_eq!(t.locked(t0 + Duration::from_secs(5), "ip:192.0.2.2"), None);
        assert_eq!(t.locked(t0 + WINDOW, "ip:192.0.2.1"), None);
    }

    #[test]
    fn success_clears() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        for _ in 0..4 {
            t.failed(t0, "user:admin");
        }
        t.succeeded("user:admin");
        t.failed(t0, "user:admin");
        assert_eq!(t.locked(t0, "user:admin"), None);
    }
}
