//! The deadlines of every armed timer of every transaction, ordered, so the next one is
//! found in O(log n) and a transaction's timers can be cancelled individually.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::events::TxId;
use super::timer::Timer;

/// Shortest delay a timer is armed with. Zero-length timers (D, I, J, K on reliable
/// transports) are never armed — the machines terminate directly — so this only guards
/// against a misconfigured zero T1 turning `handle_timeout` into a busy loop.
const MIN_DELAY: Duration = Duration::from_millis(1);

#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    deadlines: HashMap<(TxId, Timer), Instant>,
    order: BTreeSet<(Instant, TxId, Timer)>,
}

impl TimerQueue {
    /// Arms (or re-arms) `timer` of `tx` to fire `delay` after `now`. A deadline beyond
    /// what `Instant` can represent means "never": the timer stays disarmed.
    pub(crate) fn arm(&mut self, tx: TxId, timer: Timer, now: Instant, delay: Duration) {
        self.disarm(tx, timer);
        let Some(at) = now.checked_add(delay.max(MIN_DELAY)) else {
            return;
        };
        self.deadlines.insert((tx, timer), at);
        self.order.insert((at, tx, timer));
    }

    pub(crate) fn disarm(&mut self, tx: TxId, timer: Timer) {
        if let Some(at) = self.deadlines.remove(&(tx, timer)) {
            self.order.remove(&(at, tx, timer));
        }
    }

    /// Disarms every timer of `tx`.
    pub(crate) fn clear(&mut self, tx: TxId) {
        for timer in Timer::ALL {
            self.disarm(tx, timer);
        }
    }

    pub(crate) fn next(&self) -> Option<Instant> {
        self.order.first().map(|&(at, _, _)| at)
    }

    /// Removes and returns the earliest timer due at `now`, if any.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(TxId, Timer)> {
        let &(at, tx, timer) = self.order.first()?;
        if at > now {
            return None;
        }
        self.order.pop_first();
        self.deadlines.remove(&(tx, timer));
        Some((tx, timer))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::events::ClientTxId;

    #[test]
    fn rearming_replaces_and_clear_removes_all() {
        let t0 = Instant::now();
        let tx = TxId::Client(ClientTxId(1));
        let mut q = TimerQueue::default();
        q.arm(tx, Timer::A, t0, Duration::from_secs(1));
        q.arm(tx, Timer::A, t0, Duration::from_secs(2));
        q.arm(tx, Timer::B, t0, Duration::from_secs(32));
        assert_eq!(q.len(), 2);
        assert_eq!(q.next(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(q.pop_due(t0 + Duration::from_secs(1)), None);
        assert_eq!(q.pop_due(t0 + Duration::from_secs(2)), Some((tx, Timer::A)));
        q.clear(tx);
        assert_eq!(q.next(), None);
    }
}
