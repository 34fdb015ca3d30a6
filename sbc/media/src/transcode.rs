//! Transcoding towards one side of a stream ([`TranscodeTransform`], feature
//! `transcoding`): the other side's audio in one codec, this side's in another, through an
//! [`sbc_codec::transcode::Transcoder`] (re-ordering window, loss concealment, resampling,
//! re-cut to this side's ptime).
//!
//! Towards a transcoded side the SBC is the sender: every packet leaves with the SBC's own
//! SSRC, sequence numbers without gaps and timestamps at this side's RTP clock
//! (RFC 3550 §7.2: a translator that changes the encoding is a new source).
//!
//! | from the other side | what this side gets |
//! |---|---|
//! | audio of the input payload type | the transcoder's packets, output payload type |
//! | RFC 4733 telephone-events (when both legs carry them) | the same events, renumbered, with the timestamp the transcoder gives their start on the output clock and their duration scaled to it (rtpengine#778) |
//! | comfort noise, any other payload type | dropped (counted as a failed step) |
//! | RTCP | consumed: its reports describe a stream this side never sees |
//!
//! In their place the step writes the SBC's own RTCP towards this side
//! ([`RtcpReporter`]): SRs with its SSRC, packet and octet counts and timestamps at this
//! side's clock, a report block about what the SBC receives from this side's peer, at
//! RFC 3550 intervals.
//!
//! Packets held in the re-ordering window leave when the window moves on, or
//! [`FLUSH_AFTER`] after the last packet in (the shard's transform timer). Nothing here
//! allocates per packet: the transcoder's buffers and the packet being built are sized
//! when the step is made.

use std::time::{Duration, Instant};

use sbc_codec::CodecError;
use sbc_codec::transcode::{Codec, OutPacket, Transcoder, TranscoderConfig};
use sbc_core::{Side, StreamKey};

use crate::dtmf::own_ssrc;
use crate::packet::{Packet, RtpHeader};
use crate::rtcp_gen::{NtpAnchor, Reception, RtcpReporter};
use crate::transmit::MAX_EMITTED;
use crate::{Action, Emit, StepError, Transform, TransformCtx};

/// Re-ordering window of a transcoded direction, packets.
pub const REORDER_DEPTH: usize = 3;
/// How long packets wait in the re-ordering window once nothing more arrives.
pub const FLUSH_AFTER: Duration = Duration::from_millis(60);

/// The fixed RTP header the step writes.
const HEADER: usize = 12;

/// What one direction converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscodeSpec {
    /// The payload type of the audio the other side's peer sends.
    pub input_pt: u8,
    pub input: Codec,
    /// The payload type this side's peer expects for `output`.
    pub output_pt: u8,
    pub output: Codec,
    /// Packet duration towards this side, ms.
    pub ptime_ms: u32,
    /// telephone-event payload types (other side's, this side's), when both legs carry
    /// RFC 4733 events.
    pub events: Option<(u8, u8)>,
}

/// The transcoding step towards one side (see the module docs).
#[derive(Debug)]
pub struct TranscodeTransform {
    spec: TranscodeSpec,
    transcoder: Transcoder,
    numbering: OwnNumbering,
    /// The packet being built.
    out: Box<[u8]>,
    /// When held packets are flushed, if any may be held.
    flush_at: Option<Instant>,
}

/// Sequence numbers of the SBC's own towards the side, shared by audio and events, and
/// the RTCP that reports on them.
#[derive(Debug)]
struct OwnNumbering {
    ssrc: u32,
    next_seq: u16,
    rtcp: RtcpReporter,
}

impl TranscodeTransform {
    /// The step towards `toward`'s side of `key`; `ntp` dates its RTCP.
    pub fn new(
        key: StreamKey,
        toward: Side,
        spec: TranscodeSpec,
        ntp: Option<NtpAnchor>,
    ) -> Result<Self, CodecError> {
        let ssrc = own_ssrc(key, toward);
        let first_seq = (ssrc >> 16) as u16 & 0x7fff;
        let transcoder = Transcoder::new(TranscoderConfig {
            input: spec.input,
            output: spec.output,
            ptime_ms: spec.ptime_ms,
            reorder_depth: REORDER_DEPTH,
            ssrc,
            first_seq,
            first_ts: ssrc.rotate_left(11),
        })?;
        Ok(TranscodeTransform {
            spec,
            transcoder,
            numbering: OwnNumbering {
                ssrc,
                next_seq: first_seq,
                rtcp: RtcpReporter::new(ssrc, spec.output.rtp_clock(), ntp),
            },
            out: vec![0u8; MAX_EMITTED].into_boxed_slice(),
            flush_at: None,
        })
    }

    /// What it converts.
    pub fn spec(&self) -> TranscodeSpec {
        self.spec
    }

    /// RTCP compound packets it wrote.
    pub fn rtcp_reports(&self) -> u64 {
        self.numbering.rtcp.reports()
    }

    /// What its transcoder counted.
    pub fn stats(&self) -> sbc_codec::transcode::TranscoderStats {
        self.transcoder.stats()
    }

    fn audio(&mut self, cx: &mut TransformCtx<'_, '_>, h: &RtpHeader) -> Result<(), StepError> {
        let payload = payload(cx.buf.data(), h);
        let (numbering, out, pt) = (&mut self.numbering, &mut self.out, self.spec.output_pt);
        let now = cx.now;
        let mut failed = None;
        self.transcoder
            .push(h.seq, h.timestamp, h.marker, payload, &mut |p| {
                if let Err(e) = send(numbering, out, pt, &p, now, &mut cx.emit) {
                    failed.get_or_insert(e);
                }
            });
        self.flush_at = Some(cx.now + FLUSH_AFTER);
        failed.map_or(Ok(()), Err)
    }

    fn event(
        &mut self,
        cx: &mut TransformCtx<'_, '_>,
        h: &RtpHeader,
        output_pt: u8,
    ) -> Result<(), StepError> {
        let Some(ts) = self.transcoder.output_timestamp(h.timestamp) else {
            return Err(StepError::Malformed {
                what: "telephone-event before any audio to time it by",
            });
        };
        let payload = payload(cx.buf.data(), h);
        let [event, flags, d0, d1] = payload.get(..4).unwrap_or_default() else {
            return Err(StepError::Malformed {
                what: "telephone-event payload shorter than 4 bytes",
            });
        };
        let duration = u64::from(u16::from_be_bytes([*d0, *d1]))
            * u64::from(self.spec.output.rtp_clock())
            / u64::from(self.spec.input.rtp_clock());
        let duration = u16::try_from(duration).unwrap_or(u16::MAX).to_be_bytes();
        let body = [*event, *flags, duration[0], duration[1]];
        let p = OutPacket {
            ssrc: self.numbering.ssrc,
            seq: 0,
            ts,
            marker: h.marker,
            payload: &body,
        };
        send(
            &mut self.numbering,
            &mut self.out,
            output_pt,
            &p,
            cx.now,
            &mut cx.emit,
        )
    }
}

/// The payload of `h` in `data` (empty if the header lied: the parse phase checked it).
fn payload<'d>(data: &'d [u8], h: &RtpHeader) -> &'d [u8] {
    data.get(h.payload_offset..h.payload_offset + h.payload_len)
        .unwrap_or_default()
}

/// Writes `p` as an RTP packet of payload type `pt` in the side's numbering and queues it.
fn send(
    numbering: &mut OwnNumbering,
    out: &mut [u8],
    pt: u8,
    p: &OutPacket<'_>,
    now: Instant,
    emit: &mut Emit<'_>,
) -> Result<(), StepError> {
    let len = HEADER + p.payload.len();
    let room = out.len();
    let packet = out
        .get_mut(..len)
        .ok_or(StepError::NoRoom { needed: len, room })?;
    let seq = numbering.next_seq;
    packet[0] = 0x80;
    packet[1] = (u8::from(p.marker) << 7) | (pt & 0x7f);
    packet[2..4].copy_from_slice(&seq.to_be_bytes());
    packet[4..8].copy_from_slice(&p.ts.to_be_bytes());
    packet[8..12].copy_from_slice(&numbering.ssrc.to_be_bytes());
    packet[HEADER..].copy_from_slice(p.payload);
    emit.packet(packet, false)?;
    numbering.next_seq = seq.wrapping_add(1);
    numbering.rtcp.sent(now, p.ts, p.payload.len());
    Ok(())
}

impl Transform for TranscodeTransform {
    fn name(&self) -> &'static str {
        "transcoding"
    }

    fn packet(&mut self, cx: &mut TransformCtx<'_, '_>) -> Result<Action, StepError> {
        let Packet::Rtp(h) = cx.packet else {
            return Ok(Action::Consume);
        };
        if h.payload_type == self.spec.input_pt {
            self.audio(cx, &h)?;
        } else if let Some((_, output)) = self.spec.events.filter(|&(i, _)| i == h.payload_type) {
            self.event(cx, &h, output)?;
        } else {
            return Err(StepError::Malformed {
                what: "payload type the transcoder was not set up for",
            });
        }
        Ok(Action::Consume)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match (self.flush_at, self.numbering.rtcp.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn peer_rtcp(&mut self, now: Instant, rtcp: &[u8]) {
        self.numbering.rtcp.peer_report(rtcp, now);
    }

    fn reception(&mut self, now: Instant, received: Option<Reception>) {
        self.numbering.rtcp.received(now, received);
    }

    fn on_timeout(&mut self, now: Instant, emit: &mut Emit<'_>) -> Result<(), StepError> {
        let mut failed = None;
        if self.flush_at.is_some_and(|at| now >= at) {
            self.flush_at = None;
            let (numbering, out, pt) = (&mut self.numbering, &mut self.out, self.spec.output_pt);
            self.transcoder.flush(&mut |p| {
                if let Err(e) = send(numbering, out, pt, &p, now, emit) {
                    failed.get_or_insert(e);
                }
            });
        }
        if let Some(report) = self.numbering.rtcp.poll_report(now)
            && let Err(e) = emit.packet(report, true)
        {
            failed.get_or_insert(e);
        }
        failed.map_or(Ok(()), Err)
    }
}

impl crate::Shard {
    /// Transcodes what goes towards `toward`'s side of `stream` as `spec` says (`None`:
    /// relays it again). A new spec replaces the step, its numbering starting afresh.
    pub fn set_transcode(
        &mut self,
        stream: StreamKey,
        toward: Side,
        spec: Option<TranscodeSpec>,
    ) -> Result<(), crate::OpError> {
        if spec.is_some() && self.dtmf_converts(stream, toward) {
            return Err(crate::OpError::Unsupported {
                stream,
                what: "transcoding a stream whose DTMF is converted",
            });
        }
        let step: Option<Box<dyn Transform>> = match spec {
            Some(spec) => {
                let t = TranscodeTransform::new(stream, toward, spec, self.config.ntp)
                    .map_err(|error| crate::OpError::Codec { stream, error })?;
                Some(Box::new(t))
            }
            None => None,
        };
        self.set_transform(stream, toward, step)?;
        // Jitter of each leg in its own codec's clock (RFC 3550 A.8): the other side's
        // peer sends the input, this side's the output (`None`: the stream's rate again).
        let rates = spec.map(|s| (s.input.rtp_clock(), s.output.rtp_clock()));
        let s = self.stream_mut(stream)?;
        s.side_mut(toward.other()).clock_rate = rates.map(|r| r.0);
        s.side_mut(toward).clock_rate = rates.map(|r| r.1);
        Ok(())
    }
}
