//! Heartbeats of the parts that must never hang: the core task and each media worker.
//!
//! Each part holds a [`Beat`] and calls [`Beat::tick`] every time round its loop (the
//! loops wake at least once a second even when idle). The systemd watchdog task
//! ([`crate::service`]) pets systemd only while every beat is younger than half the
//! watchdog interval; a part that hangs (a deadlock, an endless loop) stops the petting and
//! systemd restarts the daemon.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The process's reference instant: beats store milliseconds since it.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// One part's heartbeat: cheap to clone, one relaxed store per tick.
#[derive(Debug, Clone)]
pub struct Beat {
    name: Arc<str>,
    last: Arc<AtomicU64>,
}

impl Beat {
    /// A beat that has just ticked.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Beat {
            name: name.into(),
            last: Arc::new(AtomicU64::new(now_ms())),
        }
    }

    pub fn tick(&self) {
        self.last.store(now_ms(), Ordering::Relaxed);
    }

    /// Time since the last tick.
    pub fn age(&self) -> Duration {
        Duration::from_millis(now_ms().saturating_sub(self.last.load(Ordering::Relaxed)))
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The oldest beat of `beats` if it is older than `max`: the part that hangs.
pub fn stale(beats: &[Beat], max: Duration) -> Option<(&Beat, Duration)> {
    beats
        .iter()
        .map(|b| (b, b.age()))
        .filter(|(_, age)| *age > max)
        .max_by_key(|(_, age)| *age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beat_that_stops_ticking_is_stale() {
        let fresh = Beat::new("core");
        let stopped = Beat::new("media worker 0");
        std::thread::sleep(Duration::from_millis(60));
        fresh.tick();
        let beats = [fresh.clone(), stopped.clone()];
        let (b, age) = stale(&beats, Duration::from_millis(40)).expect("one is stale");
        assert_eq!(b.name(), "media worker 0");
        assert!(age >= Duration::from_millis(60), "{age:?}");
        stopped.tick();
        assert!(stale(&beats, Duration::from_millis(40)).is_none());
    }
}
