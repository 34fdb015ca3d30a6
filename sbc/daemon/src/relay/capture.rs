//! How captured packets leave the media workers ([`sbc_media::capture`]): each worker
//! takes its shard's batch every time round its loop and sends it to the core as
//! [`MediaEvent::Captured`](sbc_core::MediaEvent::Captured), never waiting.
//!
//! The events channel is unbounded (events come at signalling rate), so captured bytes on
//! their way are bounded here instead: every batch's bytes are counted in a shared
//! [`CaptureBudget`] when a worker sends it and released when the core has taken it
//! ([`MediaHandle::captured`](super::MediaHandle::captured)). A batch that would take the
//! bytes in flight over [`IN_FLIGHT`] (a core that does not keep up) is not sent: its
//! packets are reported as dropped, per call, in a batch without bytes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sbc_core::CaptureBatch;

/// Captured bytes at most on their way from the workers to the core.
pub const IN_FLIGHT: usize = 8 * 1024 * 1024;

/// Bytes of capture batches sent by the workers and not yet taken by the core.
#[derive(Debug, Clone, Default)]
pub struct CaptureBudget(Arc<AtomicUsize>);

impl CaptureBudget {
    /// The batch to send for `batch`: itself when its bytes fit in the budget (they are
    /// counted then), else only what it dropped and its packets, as drops.
    pub fn admit(&self, batch: CaptureBatch) -> CaptureBatch {
        let len = batch.data.len();
        let fits = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + len <= IN_FLIGHT).then_some(used + len)
            })
            .is_ok();
        if fits {
            return batch;
        }
        let mut dropped = batch.dropped;
        for p in &batch.packets {
            match dropped.iter_mut().find(|(call, _)| *call == p.call) {
                Some((_, n)) => *n += 1,
                None => dropped.push((p.call, 1)),
            }
        }
        CaptureBatch {
            dropped,
            ..CaptureBatch::default()
        }
    }

    /// The core took a batch of `len` bytes.
    pub fn release(&self, len: usize) {
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(len))
            });
    }

    /// Bytes in flight now.
    pub fn in_flight(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_core::{CaptureWay, CapturedPacket, Side};

    fn batch(call: u64, bytes: usize) -> CaptureBatch {
        let p = CapturedPacket {
            call,
            at: std::time::Instant::now(),
            side: Side::A,
            way: CaptureWay::In,
            rtcp: false,
            local: "192.0.2.1:20000".parse().expect("addr"),
            remote: "192.0.2.9:4000".parse().expect("addr"),
            offset: 0,
            len: bytes as u32,
        };
        CaptureBatch {
            packets: vec![p, p],
            data: vec![0; bytes],
            dropped: vec![(call, 3)],
        }
    }

    #[test]
    fn batches_over_the_budget_become_drops_until_the_core_takes_some() {
        let budget = CaptureBudget::default();
        let big = IN_FLIGHT / 2;
        assert_eq!(budget.admit(batch(1, big)).data.len(), big);
        assert_eq!(budget.admit(batch(1, big)).data.len(), big);
        let refused = budget.admit(batch(1, 1));
        assert!(refused.packets.is_empty() && refused.data.is_empty());
        assert_eq!(refused.dropped, vec![(1, 5)], "3 dropped before, 2 now");
        budget.release(big);
        assert_eq!(budget.in_flight(), big);
        assert_eq!(budget.admit(batch(2, 10)).packets.len(), 2);
    }
}
