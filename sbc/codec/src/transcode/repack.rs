//! Re-cutting G.722 and G.729 without decoding ([`Repacketiser`]): the octets of one RTP
//! stream moved into packets of another packet time, as a stream of the SBC's own.
//!
//! Both codecs can be cut anywhere on a frame boundary without touching the audio:
//!
//! * **G.722** (RFC 3551 §4.5.2) is a byte stream: one octet per 125 µs of 16 kHz audio,
//!   one RTP timestamp unit per octet (the clock is 8000). The ADPCM state runs across
//!   packets, so the receiver's decoder sees the same octets in the same order whatever
//!   the packet boundaries.
//! * **G.729** (RFC 3551 §4.5.6) is a sequence of 10-byte frames of 10 ms (80 timestamp
//!   units); an Annex B SID frame (2 bytes) may only come last in a packet, and a
//!   sender goes quiet after it (DTX).
//!
//! What happens to a packet, in order:
//!
//! 1. **Re-ordering**: the same window as the transcoder's (late packets and duplicates
//!    dropped and counted).
//! 2. **Continuity**: octets join the packet being built only where they follow it in
//!    time. After a lost packet, a pause or a jump, the packet being built leaves as it is
//!    (shorter: nothing is made up) and the next one starts at the new octets; output
//!    timestamps are the input's moved by one constant, so a loss or a pause shows as the
//!    same gap in the output timestamps, while sequence numbers stay gapless. A timestamp
//!    going back (a sender restarting its clock) moves that constant so the output
//!    timestamps never go back.
//! 3. **Cut**: whenever the packet being built holds a packet time's worth, it leaves.
//!    A G.729 SID frame ends the packet it joins (it leaves at once, with the voice
//!    frames before it), and so does an RFC 3389 comfort noise payload
//!    ([`Repacketiser::push_comfort_noise`]), which then crosses on its own, renumbered.
//! 4. **Flush** ([`Repacketiser::flush`]: nothing arrived for a while): what the window
//!    holds is released and the packet being built leaves, short, so a talkspurt's tail
//!    is not held back until the next one.
//!
//! A marker bit on the input goes out on the packet that starts with those octets (or
//! the next one out). A payload that is not whole frames (G.729) is dropped and counted
//! as undecodable. Nothing allocates per packet.

use super::reorder::{MAX_PAYLOAD, Reorder};
use super::{Codec, OutPacket, TranscoderConfig, TranscoderStats};
use crate::CodecError;
use crate::g729::{FRAME_BYTES, FRAME_SAMPLES, SID_BYTES};

/// G.729: the timestamp units of one frame (10 ms at 8000 Hz).
const G729_FRAME_UNITS: u32 = FRAME_SAMPLES as u32;

/// Whether `input` → `output` is re-cut by a [`Repacketiser`] rather than transcoded:
/// the same codec, G.722 or G.729 (G.729's `annexb` is the two peers' business: SID
/// frames cross as they come).
pub fn repacketises(input: Codec, output: Codec) -> bool {
    matches!(
        (input, output),
        (Codec::G722, Codec::G722) | (Codec::G729 { .. }, Codec::G729 { .. })
    )
}

/// One direction of a re-cut G.722 or G.729 stream (see the module docs).
#[derive(Debug)]
pub struct Repacketiser {
    g729: bool,
    reorder: Reorder,
    ssrc: u32,
    seq: u16,
    /// Octets in a full output packet.
    target: usize,
    /// The packet being released from the window.
    input: Box<[u8]>,
    /// The packet being built.
    building: Box<[u8]>,
    len: usize,
    /// Input timestamp of `building[0]` (meaningful while `len > 0`).
    start: u32,
    /// Output timestamp = input timestamp + `offset`; set by the first packet.
    offset: Option<u32>,
    /// The output timestamp just after the last octet taken in.
    next_out: u32,
    marker: bool,
    /// RFC 3389 comfort noise payloads cross (the receiving leg negotiated CN); else
    /// they only end the packet being built.
    comfort_noise_out: bool,
    stats: TranscoderStats,
}

impl Repacketiser {
    /// Builds a direction; an error unless [`repacketises`] holds and the ptime is one it
    /// cuts to (10, 20, 30, 40 or 60 ms).
    pub fn new(config: TranscoderConfig) -> Result<Self, CodecError> {
        if !repacketises(config.input, config.output) {
            return Err(CodecError::Setup {
                codec: "repacketiser",
                reason: "only G.722 to G.722 and G.729 to G.729 are re-cut without decoding",
            });
        }
        if ![10, 20, 30, 40, 60].contains(&config.ptime_ms) {
            return Err(CodecError::FrameSize {
                codec: "repacketiser",
                len: config.ptime_ms as usize,
            });
        }
        let g729 = matches!(config.input, Codec::G729 { .. });
        // 8 octets per ms of G.722; one 10-byte frame per 10 ms of G.729.
        let target = if g729 {
            config.ptime_ms as usize
        } else {
            8 * config.ptime_ms as usize
        };
        Ok(Self {
            g729,
            reorder: Reorder::new(config.reorder_depth),
            ssrc: config.ssrc,
            seq: config.first_seq,
            target,
            input: vec![0; MAX_PAYLOAD].into_boxed_slice(),
            building: vec![0; target + MAX_PAYLOAD].into_boxed_slice(),
            len: 0,
            start: 0,
            offset: None,
            next_out: config.first_ts,
            marker: true,
            comfort_noise_out: false,
            stats: TranscoderStats::default(),
        })
    }

    /// What this direction counted so far (`concealed_samples`, `comfort_samples` and
    /// `unencodable` stay 0: nothing is decoded or made up).
    pub fn stats(&self) -> TranscoderStats {
        self.stats
    }

    /// The output timestamp of the moment `input_ts` stands for (telephone-events cross
    /// with it); `None` before the first packet went through.
    pub fn output_timestamp(&self, input_ts: u32) -> Option<u32> {
        self.offset.map(|o| input_ts.wrapping_add(o))
    }

    /// Lets RFC 3389 comfort noise payloads cross ([`OutPacket::comfort_noise`] set: the
    /// caller sends them with the receiving leg's CN payload type); without it they are
    /// dropped (the receiving leg negotiated no CN), ending the packet being built all
    /// the same.
    pub fn send_comfort_noise_packets(&mut self) {
        self.comfort_noise_out = true;
    }

    /// Takes one received packet of audio; emits what is ready through `emit`.
    pub fn push(
        &mut self,
        seq: u16,
        ts: u32,
        marker: bool,
        payload: &[u8],
        emit: &mut impl FnMut(OutPacket<'_>),
    ) {
        self.push_kind(seq, ts, marker, false, payload, emit);
    }

    /// Takes one received RFC 3389 comfort noise packet (same sequence number space as
    /// the audio): it ends the packet being built and crosses as it came.
    pub fn push_comfort_noise(
        &mut self,
        seq: u16,
        ts: u32,
        marker: bool,
        payload: &[u8],
        emit: &mut impl FnMut(OutPacket<'_>),
    ) {
        self.push_kind(seq, ts, marker, true, payload, emit);
    }

    /// Releases whatever the window holds and sends the packet being built, short.
    pub fn flush(&mut self, emit: &mut impl FnMut(OutPacket<'_>)) {
        while self.release(true, emit) {}
        self.send_partial(emit);
    }

    fn push_kind(
        &mut self,
        seq: u16,
        ts: u32,
        marker: bool,
        comfort: bool,
        payload: &[u8],
        emit: &mut impl FnMut(OutPacket<'_>),
    ) {
        Reorder::admit(
            self,
            |r| (&mut r.reorder, &mut r.stats),
            (seq, ts, marker, comfort, payload),
            |r, force| r.release(force, emit),
        );
    }

    /// Releases one packet from the window and takes its octets; false if none was ready.
    fn release(&mut self, force: bool, emit: &mut impl FnMut(OutPacket<'_>)) -> bool {
        let Some(packet) = self.reorder.pop(force) else {
            return false;
        };
        self.stats.lost += u64::from(packet.lost_before);
        let (ts, marker, comfort, len) = (
            packet.ts,
            packet.marker,
            packet.comfort,
            packet.payload.len(),
        );
        self.input[..len].copy_from_slice(packet.payload);
        // G.729: whole voice frames, then at most one SID frame.
        let tail = if self.g729 { len % FRAME_BYTES } else { 0 };
        if !comfort && (len == 0 || (tail != 0 && tail != SID_BYTES)) {
            self.stats.undecodable += 1;
            return true;
        }
        // Not the continuation of the packet being built: that one leaves as it is.
        if self.len > 0 && ts != self.start.wrapping_add(self.units(self.len)) {
            self.send_partial(emit);
        }
        // Where the output stands: a first packet anchors the timestamps, one going
        // back moves the anchor so that the output never goes back.
        let offset = match self.offset {
            Some(o) if !is_before(ts.wrapping_add(o), self.next_out) => o,
            _ => self.next_out.wrapping_sub(ts),
        };
        self.offset = Some(offset);
        if comfort {
            // The audio before it leaves first: a marked CN keeps its marker to itself.
            self.send_partial(emit);
            self.marker |= marker;
            self.stats.comfort_payloads += 1;
            let out_ts = ts.wrapping_add(offset);
            if self.comfort_noise_out {
                self.emit_comfort(out_ts, len, emit);
            }
            self.next_out = out_ts;
            return true;
        }
        self.marker |= marker;
        if self.len == 0 {
            self.start = ts;
        }
        let voice = len - if tail == SID_BYTES { SID_BYTES } else { 0 };
        self.append(0..voice);
        while self.len >= self.target {
            self.send(self.target, emit);
        }
        if tail == SID_BYTES {
            // A SID frame ends its packet: DTX follows.
            self.append(voice..len);
            self.send_partial(emit);
        }
        true
    }

    /// Appends `self.input[range]` to the packet being built.
    fn append(&mut self, range: std::ops::Range<usize>) {
        let n = range.len();
        self.building[self.len..self.len + n].copy_from_slice(&self.input[range]);
        self.len += n;
        let offset = self.offset.unwrap_or_default();
        self.next_out = self
            .start
            .wrapping_add(self.units(self.len))
            .wrapping_add(offset);
    }

    /// Timestamp units `octets` of the codec last for (a SID frame counts as a frame).
    fn units(&self, octets: usize) -> u32 {
        if self.g729 {
            octets.div_ceil(FRAME_BYTES) as u32 * G729_FRAME_UNITS
        } else {
            octets as u32
        }
    }

    fn send_partial(&mut self, emit: &mut impl FnMut(OutPacket<'_>)) {
        if self.len > 0 {
            self.send(self.len, emit);
        }
    }

    /// Sends the first `n` octets of the packet being built.
    fn send(&mut self, n: usize, emit: &mut impl FnMut(OutPacket<'_>)) {
        // Set by the packet whose octets these are.
        let ts = self.start.wrapping_add(self.offset.unwrap_or_default());
        let seq = self.seq;
        emit(OutPacket {
            ssrc: self.ssrc,
            seq,
            ts,
            marker: std::mem::take(&mut self.marker),
            payload: &self.building[..n],
            comfort_noise: false,
        });
        self.seq = seq.wrapping_add(1);
        self.stats.sent += 1;
        self.start = self.start.wrapping_add(self.units(n));
        self.building.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Sends the comfort noise payload in `self.input[..len]` at output time `ts`.
    fn emit_comfort(&mut self, ts: u32, len: usize, emit: &mut impl FnMut(OutPacket<'_>)) {
        emit(OutPacket {
            ssrc: self.ssrc,
            seq: self.seq,
            ts,
            marker: std::mem::take(&mut self.marker),
            payload: &self.input[..len],
            comfort_noise: true,
        });
        self.seq = self.seq.wrapping_add(1);
        self.stats.sent += 1;
    }
}

/// Whether RTP timestamp `a` comes before `b` (modulo 2^32, RFC 3550 §5.1).
fn is_before(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000_0000
}
