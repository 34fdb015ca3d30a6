//! Packets of the engine's own: what transforms emit (1 -> n, or on their clock), queued
//! in the shard until the IO layer takes them with
//! [`Shard::poll_transmit`](crate::Shard::poll_transmit).
//!
//! The queue is allocated once per shard ([`ShardConfig::transmit_slots`] packets of up
//! to [`MAX_EMITTED`] bytes): emitting copies into a free slot, and a full queue is an
//! error for the emitter ([`StepError::QueueFull`]), never an allocation. Each queued
//! packet names its stream by slot and key, so a packet of a stream closed meanwhile is
//! dropped (counted as `NoStream`) rather than sent on a reused slot.
//!
//! [`ShardConfig::transmit_slots`]: crate::ShardConfig::transmit_slots

use std::collections::VecDeque;
use std::net::SocketAddr;

use sbc_core::dtmf::{Delivery, Heard};
use sbc_core::{Digit, Side, StreamKey};

use crate::{SocketId, StepError};

/// Digits a shard holds until the control plane takes them ([`Emit::digit`]).
const DIGIT_SLOTS: usize = 64;

/// A digit a transform heard, queued without allocation; the shard turns it into a
/// [`MediaEvent::Digit`](sbc_core::MediaEvent::Digit) in `poll_event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitReport {
    pub digit: Digit,
    pub duration_ms: u32,
    pub heard: Heard,
    pub delivery: Delivery,
}

/// A report, and the stream side it was heard for (`toward`: the side the transform
/// serves; the digit came from the other).
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueuedDigit {
    pub slot: usize,
    pub key: StreamKey,
    pub toward: Side,
    pub report: DigitReport,
}

/// The largest packet the engine emits itself (an Ethernet MTU's UDP payload, rounded).
pub const MAX_EMITTED: usize = 1500;

/// A packet of the engine's own, ready to send: `len` bytes at `start` of the buffer given
/// to [`Shard::poll_transmit`](crate::Shard::poll_transmit), from `socket` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaTransmit {
    pub socket: SocketId,
    pub to: SocketAddr,
    pub start: usize,
    pub len: usize,
}

/// Where a queued packet goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Queued {
    pub slot: usize,
    pub key: StreamKey,
    pub toward: Side,
    pub rtcp: bool,
    len: usize,
    /// Its slot in the queue's memory.
    at: usize,
}

#[derive(Debug)]
pub(crate) struct TxQueue {
    mem: Box<[u8]>,
    free: Vec<usize>,
    queue: VecDeque<Queued>,
    /// Digits heard by transforms (a few per second at most), allocated with the queue.
    digits: VecDeque<QueuedDigit>,
    /// Codec work handed off by transcoding steps (one job per transcoded direction at
    /// most, so bounded by the streams), for [`Shard::poll_transcode`](crate::Shard::poll_transcode).
    #[cfg(feature = "transcoding")]
    pub(crate) jobs: VecDeque<Box<crate::transcode_job::TranscodeJob>>,
}

impl TxQueue {
    pub fn new(slots: usize) -> Self {
        TxQueue {
            mem: vec![0u8; slots * MAX_EMITTED].into_boxed_slice(),
            free: (0..slots).rev().collect(),
            queue: VecDeque::with_capacity(slots),
            digits: VecDeque::with_capacity(DIGIT_SLOTS),
            #[cfg(feature = "transcoding")]
            jobs: VecDeque::with_capacity(slots),
        }
    }

    /// The oldest digit reported.
    pub fn pop_digit(&mut self) -> Option<QueuedDigit> {
        self.digits.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn push(&mut self, dest: Queued, bytes: &[u8]) -> Result<(), StepError> {
        if bytes.len() > MAX_EMITTED {
            return Err(StepError::NoRoom {
                needed: bytes.len(),
                room: MAX_EMITTED,
            });
        }
        let at = self.free.pop().ok_or(StepError::QueueFull)?;
        self.mem[at * MAX_EMITTED..][..bytes.len()].copy_from_slice(bytes);
        self.queue.push_back(Queued {
            len: bytes.len(),
            at,
            ..dest
        });
        Ok(())
    }

    /// Takes the oldest packet: where it goes, and its bytes copied to `out` (when they
    /// fit; `Err` with the packet's length otherwise).
    pub fn pop_into(&mut self, out: &mut [u8]) -> Option<(Queued, Result<usize, usize>)> {
        let q = self.queue.pop_front()?;
        self.free.push(q.at);
        let copied = match out.get_mut(..q.len) {
            Some(o) => {
                o.copy_from_slice(&self.mem[q.at * MAX_EMITTED..][..q.len]);
                Ok(q.len)
            }
            None => Err(q.len),
        };
        Some((q, copied))
    }
}

/// A transform's handle on the queue, for packets towards its side of its stream.
#[derive(Debug)]
pub struct Emit<'a> {
    queue: &'a mut TxQueue,
    slot: usize,
    key: StreamKey,
    toward: Side,
}

impl<'a> Emit<'a> {
    pub(crate) fn new(queue: &'a mut TxQueue, slot: usize, key: StreamKey, toward: Side) -> Self {
        Emit {
            queue,
            slot,
            key,
            toward,
        }
    }

    /// Queues `bytes`, a whole plaintext RTP (or, `rtcp`, RTCP) packet in this side's
    /// numbering, to be protected and sent to the side's peer after what is queued already.
    pub fn packet(&mut self, bytes: &[u8], rtcp: bool) -> Result<(), StepError> {
        let dest = Queued {
            slot: self.slot,
            key: self.key,
            toward: self.toward,
            rtcp,
            len: 0,
            at: 0,
        };
        self.queue.push(dest, bytes)
    }

    /// Hands a transcoding step's codec work off (see
    /// [`transcode_job`](crate::transcode_job)); it comes back through
    /// [`Shard::transcoded`](crate::Shard::transcoded).
    #[cfg(feature = "transcoding")]
    pub fn transcode(&mut self, mut job: Box<crate::transcode_job::TranscodeJob>) {
        job.slot = self.slot;
        self.queue.jobs.push_back(job);
    }

    /// The side the packets go to.
    pub fn toward(&self) -> Side {
        self.toward
    }

    /// Reports a digit heard from the other side's peer (what became of it in `report`).
    /// The shard's room for reports is bounded: a full one is an error, not an allocation.
    pub fn digit(&mut self, report: DigitReport) -> Result<(), StepError> {
        if self.queue.digits.len() >= DIGIT_SLOTS {
            return Err(StepError::QueueFull);
        }
        self.queue.digits.push_back(QueuedDigit {
            slot: self.slot,
            key: self.key,
            toward: self.toward,
            report,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_in_order_and_reusing_its_slots() {
        let mut q = TxQueue::new(2);
        let key = StreamKey { call: 1, index: 0 };
        let mut e = Emit::new(&mut q, 3, key, Side::B);
        assert_eq!(e.packet(b"one", false), Ok(()));
        assert_eq!(e.packet(b"two!", true), Ok(()));
        assert_eq!(e.packet(b"three", false), Err(StepError::QueueFull));
        let big = [0u8; MAX_EMITTED + 1];
        assert!(matches!(
            e.packet(&big, false),
            Err(StepError::NoRoom { .. })
        ));
        let mut out = [0u8; 8];
        let (d, n) = q.pop_into(&mut out).unwrap_or_else(|| panic!("queued"));
        assert_eq!((d.slot, d.toward, d.rtcp, n), (3, Side::B, false, Ok(3)));
        assert_eq!(&out[..3], b"one");
        Emit::new(&mut q, 3, key, Side::B)
            .packet(b"four", false)
            .unwrap_or_else(|e| panic!("{e}"));
        let (_, n) = q
            .pop_into(&mut out[..2])
            .unwrap_or_else(|| panic!("queued"));
        assert_eq!(n, Err(4), "does not fit the caller's buffer");
        let (_, n) = q.pop_into(&mut out).unwrap_or_else(|| panic!("queued"));
        assert_eq!((n, &out[..4]), (Ok(4), &b"four"[..]));
        assert!(q.pop_into(&mut out).is_none() && q.is_empty());
    }
}
