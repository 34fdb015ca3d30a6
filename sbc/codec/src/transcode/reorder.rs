//! A small re-ordering window: packets come in in any order within `depth` sequence
//! numbers and go out in order; a missing one is given up on when the window is full (or
//! on a flush), and the next packet goes out saying how many were skipped.
//! Payloads are copied into buffers allocated once.

use super::TranscoderStats;

/// The largest payload the window holds.
pub(crate) const MAX_PAYLOAD: usize = 1500;

#[derive(Debug)]
struct Slot {
    filled: bool,
    seq: u16,
    ts: u32,
    marker: bool,
    /// An RFC 3389 comfort noise payload rather than audio.
    comfort: bool,
    len: usize,
    buf: Box<[u8]>,
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    /// Held until its turn.
    Held,
    /// Older than what went out already, or a duplicate: dropped.
    Late,
    /// Too far ahead: release a packet (forced) first, then push again.
    Ahead,
    /// Larger than [`MAX_PAYLOAD`]: dropped.
    TooLarge,
}

/// A packet going out of the window, in order.
#[derive(Debug)]
pub(crate) struct Released<'a> {
    pub(crate) ts: u32,
    pub(crate) marker: bool,
    /// An RFC 3389 comfort noise payload rather than audio.
    pub(crate) comfort: bool,
    pub(crate) payload: &'a [u8],
    /// Sequence numbers skipped just before this one (lost, or too late).
    pub(crate) lost_before: u16,
}

#[derive(Debug)]
pub(crate) struct Reorder {
    slots: Vec<Slot>,
    next: Option<u16>,
    held: usize,
    /// Skipped while the window was empty: told with the next packet released.
    pending_lost: u16,
}

/// A received packet offered to a window: sequence number, timestamp, marker, whether it
/// is an RFC 3389 comfort noise payload, payload.
pub(crate) type Offered<'a> = (u16, u32, bool, bool, &'a [u8]);

impl Reorder {
    /// Offers `packet` to the window of `owner` (a transcoder's or a repacketiser's;
    /// `parts` finds the window and the counters there): counted as received, and as late
    /// or undecodable when refused; while it lies too far ahead, the earliest packet held
    /// is released by force (`release(owner, true)`); then every packet whose turn it is
    /// (`release(owner, false)`, until it says none was).
    pub(crate) fn admit<T>(
        owner: &mut T,
        parts: fn(&mut T) -> (&mut Reorder, &mut TranscoderStats),
        (seq, ts, marker, comfort, payload): Offered<'_>,
        mut release: impl FnMut(&mut T, bool) -> bool,
    ) {
        parts(owner).1.received += 1;
        loop {
            let (window, stats) = parts(owner);
            match window.push(seq, ts, marker, comfort, payload) {
                Push::Held => break,
                Push::Late => {
                    stats.late += 1;
                    return;
                }
                Push::TooLarge => {
                    stats.undecodable += 1;
                    return;
                }
                Push::Ahead => {
                    if !release(owner, true) {
                        parts(owner).1.late += 1;
                        return;
                    }
                }
            }
        }
        while release(owner, false) {}
    }

    pub(crate) fn new(depth: usize) -> Self {
        let slots = (0..depth.max(1))
            .map(|_| Slot {
                filled: false,
                seq: 0,
                ts: 0,
                marker: false,
                comfort: false,
                len: 0,
                buf: vec![0u8; MAX_PAYLOAD].into_boxed_slice(),
            })
            .collect();
        Self {
            slots,
            next: None,
            held: 0,
            pending_lost: 0,
        }
    }

    fn depth(&self) -> usize {
        self.slots.len()
    }

    fn index(&self, seq: u16) -> usize {
        usize::from(seq) % self.depth()
    }

    pub(crate) fn push(
        &mut self,
        seq: u16,
        ts: u32,
        marker: bool,
        comfort: bool,
        payload: &[u8],
    ) -> Push {
        if payload.len() > MAX_PAYLOAD {
            return Push::TooLarge;
        }
        let next = *self.next.get_or_insert(seq);
        let ahead = seq.wrapping_sub(next);
        if ahead >= 0x8000 {
            return Push::Late;
        }
        if usize::from(ahead) >= self.depth() {
            if self.held == 0 {
                // Nothing to give up first: everything in between is lost.
                self.next = Some(seq);
                self.pending_lost = self.pending_lost.saturating_add(ahead);
            } else {
                return Push::Ahead;
            }
        }
        let index = self.index(seq);
        let slot = &mut self.slots[index];
        if slot.filled {
            return Push::Late; // a duplicate
        }
        slot.filled = true;
        slot.seq = seq;
        slot.ts = ts;
        slot.marker = marker;
        slot.comfort = comfort;
        slot.len = payload.len();
        slot.buf[..payload.len()].copy_from_slice(payload);
        self.held += 1;
        Push::Held
    }

    /// The next packet in order, if it is here; if it is not, and the window is full or
    /// `force` is set, the earliest packet held (skipping the missing ones).
    pub(crate) fn pop(&mut self, force: bool) -> Option<Released<'_>> {
        let next = self.next?;
        if self.held == 0 {
            return None;
        }
        let here = self.slots[self.index(next)].filled && self.slots[self.index(next)].seq == next;
        let (seq, lost) = if here {
            (next, 0)
        } else if force || self.held + 1 >= self.depth() {
            let first = (1..self.depth() as u16)
                .map(|d| next.wrapping_add(d))
                .find(|&s| {
                    self.slots[self.index(s)].filled && self.slots[self.index(s)].seq == s
                })?;
            (first, first.wrapping_sub(next))
        } else {
            return None;
        };
        let lost = lost.saturating_add(std::mem::take(&mut self.pending_lost));
        self.next = Some(seq.wrapping_add(1));
        self.held -= 1;
        let index = self.index(seq);
        let slot = &mut self.slots[index];
        slot.filled = false;
        Some(Released {
            ts: slot.ts,
            marker: slot.marker,
            comfort: slot.comfort,
            payload: &slot.buf[..slot.len],
            lost_before: lost,
        })
    }
}
