//! RTP capture of picked calls ([`MediaOp::Capture`](sbc_core::MediaOp::Capture)): the
//! packet path copies every RTP/RTCP packet of a picked call's streams into the shard's
//! capture batch, which the IO layer takes with [`Shard::poll_capture`] and hands to the
//! control plane ([`sbc_core::MediaEvent::Captured`]).
//!
//! Where the copies are taken: a received packet after the unprotect phase (SRTP/SRTCP
//! decrypted, its tag gone) and before anything else changed it; a sent packet (relayed,
//! or one of the engine's own) after the transform phase and before protect. So the
//! capture shows plain RTP on both legs, as Wireshark decodes it, with the addresses and
//! ports the peers see (peer <-> the SBC's media socket of that leg).
//!
//! Telephone-events (RFC 4733) are digits: unless the op said `show_digits`, a copied
//! RTP packet whose payload type is a telephone-event type of its leg (as
//! [`MediaOp::Dtmf`](sbc_core::MediaOp::Dtmf) told the engine) has its event code replaced
//! by [`MASKED_EVENT`]. The rest of the payload (end bit, volume, duration) and the header
//! stay, so the timing of key presses can still be analysed but not which key it was.
//! Tones in the audio itself (in-band DTMF) cannot be told from speech here and are not
//! masked.
//!
//! Cost and bounds: a stream that is not captured pays one flag test per packet
//! (its `capture` field). The batch's memory is allocated when the
//! first call is picked: [`BATCH_BYTES`] of packet bytes and [`BATCH_PACKETS`] records; a
//! full batch drops further copies (counted per call, in the batch's `dropped`), never the
//! packet itself. No allocation per packet. At most [`MAX_PICKED`] calls per shard are
//! picked at once; the control plane limits calls in all.
//!
//! A picked stream needs userspace ([`Shard::needs_userspace`] says `"capture"`): a
//! stream the kernel forwards is taken back at once, and may go back when the capture
//! stops.

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::{CaptureBatch, CaptureWay, CapturedPacket, Side as Leg};

use crate::shard::Shard;
use crate::stream::{Stream, ix};

/// Bytes of packets a shard copies between two [`Shard::poll_capture`]s (the worker
/// drains it every time round its loop; what it hands over is cut to size).
pub const BATCH_BYTES: usize = 256 * 1024;
/// Packets a shard copies between two [`Shard::poll_capture`]s.
pub const BATCH_PACKETS: usize = 2048;
/// Calls one shard captures at once.
pub const MAX_PICKED: usize = 16;
/// The event code a masked telephone-event carries: no DTMF digit (those are 0..=15) and
/// no event RFC 4733 or its registry assigns.
pub const MASKED_EVENT: u8 = 0xff;

/// A picked call.
#[derive(Debug, Clone, Copy)]
struct Picked {
    call: u64,
    show_digits: bool,
    /// Copies the full batch could not take since the last poll.
    dropped: u64,
}

/// The shard's capture state: which calls are picked, and the batch being filled.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    picked: Vec<Picked>,
    batch: CaptureBatch,
    /// The time of the last packet copied or timeout handled: packets of the engine's own
    /// leave at it (they are made right behind the packet or at the timer that caused
    /// them).
    pub now: Option<Instant>,
}

/// Where a copied packet was on the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wire {
    pub at: Instant,
    pub side: Leg,
    pub way: CaptureWay,
    pub rtcp: bool,
    pub local: Option<SocketAddr>,
    pub remote: SocketAddr,
}

impl Capture {
    /// Whether streams of `call` are to be captured.
    pub fn picks(&self, call: u64) -> bool {
        self.picked.iter().any(|p| p.call == call)
    }

    /// Picks `call`; `false` when [`MAX_PICKED`] calls are picked already.
    fn pick(&mut self, call: u64, show_digits: bool) -> bool {
        if let Some(p) = self.picked.iter_mut().find(|p| p.call == call) {
            p.show_digits = show_digits;
            return true;
        }
        if self.picked.len() >= MAX_PICKED {
            return false;
        }
        if self.batch.packets.capacity() == 0 {
            self.batch = fresh_batch();
            self.picked.reserve_exact(MAX_PICKED);
        }
        self.picked.push(Picked {
            call,
            show_digits,
            dropped: 0,
        });
        true
    }

    fn unpick(&mut self, call: u64) {
        if let Some(i) = self.picked.iter().position(|p| p.call == call) {
            let p = self.picked.swap_remove(i);
            if p.dropped > 0 {
                self.batch.dropped.push((p.call, p.dropped));
            }
        }
        // Nothing picked and nothing to hand over: the batch's memory goes.
        if self.picked.is_empty() && self.batch.is_empty() {
            self.batch = CaptureBatch::default();
        }
    }

    /// Copies one packet of `stream` (a captured one).
    pub fn record(&mut self, stream: &Stream, wire: Wire, bytes: &[u8]) {
        let call = stream.key.call;
        self.now = Some(wire.at);
        let Some(p) = self.picked.iter_mut().find(|p| p.call == call) else {
            return;
        };
        let Some(local) = wire.local else {
            return;
        };
        let b = &mut self.batch;
        let offset = b.data.len();
        if b.packets.len() >= b.packets.capacity()
            || offset + bytes.len() > b.data.capacity()
            || bytes.len() > u32::MAX as usize
        {
            p.dropped += 1;
            return;
        }
        b.data.extend_from_slice(bytes);
        if !p.show_digits && !wire.rtcp {
            let pt_is_event = |pt: u8| {
                stream.dtmf[ix(wire.side)]
                    .as_ref()
                    .is_some_and(|leg| leg.event(pt).is_some())
            };
            mask_event(&mut b.data[offset..], pt_is_event);
        }
        // Invariants: offset < BATCH_BYTES and the length was checked above.
        b.packets.push(CapturedPacket {
            call,
            at: wire.at,
            side: wire.side,
            way: wire.way,
            rtcp: wire.rtcp,
            local,
            remote: wire.remote,
            offset: offset as u32,
            len: bytes.len() as u32,
        });
    }

    /// What was copied since the last take, with the drops per call, in a batch of its
    /// exact size (the preallocated one is emptied and filled again: a take costs a few
    /// allocations of what it carries, never a new full-size batch). `None` when there is
    /// nothing to hand over.
    fn take(&mut self) -> Option<CaptureBatch> {
        for p in &mut self.picked {
            if p.dropped > 0 {
                self.batch
                    .dropped
                    .push((p.call, std::mem::take(&mut p.dropped)));
            }
        }
        if self.batch.is_empty() {
            return None;
        }
        let out = CaptureBatch {
            packets: self.batch.packets.clone(),
            data: self.batch.data.clone(),
            dropped: std::mem::take(&mut self.batch.dropped),
        };
        if self.picked.is_empty() {
            self.batch = CaptureBatch::default();
        } else {
            self.batch.packets.clear();
            self.batch.data.clear();
        }
        Some(out)
    }
}

fn fresh_batch() -> CaptureBatch {
    CaptureBatch {
        packets: Vec::with_capacity(BATCH_PACKETS),
        data: Vec::with_capacity(BATCH_BYTES),
        dropped: Vec::with_capacity(MAX_PICKED),
    }
}

/// Replaces the event code of an RTP packet whose payload type `is_event` says is a
/// telephone-event with [`MASKED_EVENT`]. Packets too short to hold one are left alone.
pub(crate) fn mask_event(rtp: &mut [u8], is_event: impl Fn(u8) -> bool) {
    if rtp.len() < 12 || rtp[0] >> 6 != 2 || !is_event(rtp[1] & 0x7f) {
        return;
    }
    let mut header = 12 + 4 * usize::from(rtp[0] & 0x0f);
    if rtp[0] & 0x10 != 0 {
        let Some(ext) = rtp.get(header + 2..header + 4) else {
            return;
        };
        header += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    if let Some(event) = rtp.get_mut(header) {
        *event = MASKED_EVENT;
    }
}

impl Shard {
    /// Starts or stops capturing `call`'s streams ([`MediaOp::Capture`](sbc_core::MediaOp::Capture)).
    /// Starting takes its kernel-forwarded streams back; `false` when the shard has
    /// [`MAX_PICKED`] calls picked already (nothing changed).
    pub(crate) fn set_capture(&mut self, call: u64, on: bool, show_digits: bool) -> bool {
        if on && !self.capture.pick(call, show_digits) {
            return false;
        }
        if !on {
            self.capture.unpick(call);
        }
        let slots: Vec<usize> = self
            .by_key
            .iter()
            .filter(|(k, _)| k.call == call)
            .map(|(_, &slot)| slot)
            .collect();
        for slot in slots {
            if let Some(Some(s)) = self.streams.get_mut(slot) {
                s.capture = on;
            }
            if on {
                self.reclaim(slot, "capture");
            }
        }
        true
    }

    /// The packets captured since the last call (`None`: none, and no drops to report).
    /// The IO layer calls it after each round of packets and hands the batch to the
    /// control plane.
    pub fn poll_capture(&mut self) -> Option<CaptureBatch> {
        self.capture.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(pt: u8, cc: u8, ext_words: Option<u16>, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80 | cc, pt, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4];
        p.extend(std::iter::repeat_n(0, 4 * usize::from(cc)));
        if let Some(w) = ext_words {
            p[0] |= 0x10;
            p.extend_from_slice(&[0xbe, 0xde]);
            p.extend_from_slice(&w.to_be_bytes());
            p.extend(std::iter::repeat_n(0, 4 * usize::from(w)));
        }
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn event_code_masked_behind_csrcs_and_extension() {
        let mut p = rtp(101, 2, Some(1), &[5, 0x8a, 0, 160]);
        mask_event(&mut p, |pt| pt == 101);
        let at = 12 + 8 + 4 + 4;
        assert_eq!(&p[at..], &[MASKED_EVENT, 0x8a, 0, 160]);
    }

    #[test]
    fn audio_and_short_packets_left_alone() {
        let mut audio = rtp(0, 0, None, &[5, 6, 7]);
        let before = audio.clone();
        mask_event(&mut audio, |pt| pt == 101);
        assert_eq!(audio, before);
        let mut header_only = rtp(101, 0, None, &[]);
        let before = header_only.clone();
        mask_event(&mut header_only, |pt| pt == 101);
        assert_eq!(header_only, before);
        let mut cut_extension = rtp(101, 0, None, &[]);
        cut_extension[0] |= 0x10;
        mask_event(&mut cut_extension, |pt| pt == 101);
        assert_eq!(cut_extension.len(), 12);
    }
}
