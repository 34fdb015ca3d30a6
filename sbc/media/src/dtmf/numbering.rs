//! The RTP numbering towards one side while DTMF steps remove packets (events turned into
//! signalling, audio suppressed under an event) and add their own (events and tones the
//! SBC plays): sequence numbers stay gapless, timestamps keep the sender's clock (a jump
//! over a removed event is what RFC 3550 expects), the SSRC stays the sender's.
//!
//! A relayed packet leaves with `seq + offset`; a removed one lowers the offset by one, an
//! added one takes the next number and raises it by one. Packets of the SBC's own carry
//! the SSRC of the last audio relayed, and a timestamp extrapolated from it on the
//! stream's clock. Before the sender's first packet, they use a numbering of their own.

use std::time::Instant;

use super::play::Numberer;
use crate::packet::RtpHeader;

#[derive(Debug, Clone)]
pub struct Numbering {
    /// A packet of the sender has been seen: `ssrc`, `last_ts`, `last_at` are its.
    known: bool,
    pub ssrc: u32,
    offset: u16,
    /// The last sequence number sent towards the side.
    last_seq: u16,
    last_ts: u32,
    last_at: Option<Instant>,
    /// Clock rate of the audio (Hz).
    pub rate: u32,
    /// The payload type of the last audio relayed.
    pub audio_pt: Option<u8>,
}

impl Numbering {
    /// A numbering that starts with `ssrc` (the SBC's own, until the sender's comes).
    pub fn new(ssrc: u32, rate: u32) -> Self {
        Numbering {
            known: false,
            ssrc,
            offset: 0,
            last_seq: (ssrc >> 16) as u16 & 0x7fff,
            last_ts: ssrc.rotate_left(7),
            last_at: None,
            rate,
            audio_pt: None,
        }
    }

    /// The sender's audio packet `h` (relayed or not): its SSRC and clock become ours.
    pub fn observe(&mut self, now: Instant, h: &RtpHeader, rate: Option<u32>) {
        if !self.known {
            self.known = true;
            self.offset = 0;
            self.last_seq = h.seq.wrapping_sub(1);
        }
        self.ssrc = h.ssrc;
        self.last_ts = h.timestamp;
        self.last_at = Some(now);
        self.audio_pt = Some(h.payload_type);
        if let Some(r) = rate {
            self.rate = r;
        }
    }

    /// A sender's packet goes on: rewrites its sequence number in `rtp` (its bytes).
    pub fn forward(&mut self, rtp: &mut [u8], h: &RtpHeader) {
        if !self.known {
            self.known = true;
            self.offset = 0;
        }
        let seq = h.seq.wrapping_add(self.offset);
        if let Some(b) = rtp.get_mut(2..4) {
            b.copy_from_slice(&seq.to_be_bytes());
        }
        if seq.wrapping_sub(self.last_seq) < 0x8000 {
            self.last_seq = seq;
        }
    }

    /// A sender's packet is removed.
    pub fn remove(&mut self) {
        if self.known {
            self.offset = self.offset.wrapping_sub(1);
        }
    }

    /// The sequence number of a packet of the SBC's own.
    pub fn add(&mut self) -> u16 {
        self.offset = self.offset.wrapping_add(1);
        self.last_seq = self.last_seq.wrapping_add(1);
        self.last_seq
    }

    /// The sender's timestamp at `now` (extrapolated from its last packet; before the
    /// first, the SBC's own clock starts now).
    pub fn timestamp_at(&mut self, now: Instant) -> u32 {
        let Some(at) = self.last_at else {
            self.last_at = Some(now);
            return self.last_ts;
        };
        let us = now.saturating_duration_since(at).as_micros();
        let units = us * u128::from(self.rate) / 1_000_000;
        // Truncation: timestamps wrap modulo 2^32 (RFC 3550 §5.1).
        self.last_ts.wrapping_add(units as u32)
    }
}

impl Numberer for Numbering {
    fn ssrc(&self) -> u32 {
        self.ssrc
    }

    fn add(&mut self) -> u16 {
        Numbering::add(self)
    }

    fn timestamp_at(&mut self, now: Instant) -> u32 {
        Numbering::timestamp_at(self, now)
    }
}
