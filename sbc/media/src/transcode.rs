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
//! | RFC 3389 comfort noise of the negotiated `CN` payload type, or a G.729 packet ending in a SID frame | the pause that follows filled: one frame of comfort noise in this side's codec every ptime (the CN's level and spectral shape; G.729's own noise after a SID), numbered and timed like audio, until audio resumes (marked); towards a side that negotiated CN at its codec's clock ([`TranscodeSpec::comfort_noise_out_pt`]), RFC 3389 packets of the SBC's own instead: one when the pause starts, then on a notable change or every 500 ms, in the same numbering. A digit's tone played in the pause (towards an in-band leg) takes the noise's place for its time, no tick counting it again, and the pause goes on with a CN at once; a CN held back while a digit plays as events goes out at the first tick after them |
//! | RFC 4733 telephone-events, towards a SIP INFO leg | taken out and reported as digits ([`TranscodeDtmf`]) |
//! | RFC 4733 telephone-events, towards an in-band leg | taken out; the digit's tone encoded in place of the audio while the event lasts ([`TranscodeDtmf`]) |
//! | (a SIP INFO from the other leg, [`MediaOp::PlayDigit`](sbc_core::MediaOp::PlayDigit)) | telephone-events on this side's own stream, the audio held back while they play, or the digit's tone in place of the audio towards an in-band leg ([`TranscodeDtmf`]) |
//! | audio of an in-band leg, towards an RFC 4733 or SIP INFO leg | transcoded, and heard by the DTMF detector on its decoded PCM inside the job (`transcode_inband.rs`): each digit becomes events on this side's own stream (audio held back while they play) or is reported for an INFO ([`TranscodeDtmf`]) |
//! | any other payload type | dropped (counted as a failed step) |
//! | RTCP | consumed: its reports describe a stream this side never sees |
//!
//! In their place the step writes the SBC's own RTCP towards this side
//! ([`RtcpReporter`]): SRs with its SSRC, packet and octet counts and timestamps at this
//! side's clock, a report block about what the SBC receives from this side's peer, at
//! RFC 3550 intervals.
//!
//! The same step re-cuts a relayed G.722 or G.729 stream to another packet time (the
//! session layer asks for the same codec in and out): its job then moves octets between
//! packets ([`Repacketiser`](sbc_codec::transcode::Repacketiser)) instead of decoding,
//! runs in place (never handed off: it costs a copy), and lets SID frames and RFC 3389
//! payloads cross (renumbered, timed on the output) instead of playing noise itself.
//!
//! Packets held in the re-ordering window leave when the window moves on, or
//! [`FLUSH_AFTER`] after the last packet in (the shard's transform timer). The same timer
//! ticks once per output ptime while the peer is in a pause it described with comfort
//! noise (DTX), each tick a frame of noise; audio of the input payload type stops it.
//! A normal packet costs one more comparison (and, for G.729, a length test) for this.
//! Nothing here allocates per packet: the transcoder's buffers and the packet being built are sized
//! when the step is made.

use std::time::{Duration, Instant};

use sbc_codec::{CodecError, g729};
use std::sync::atomic::{AtomicU64, Ordering};

use sbc_codec::transcode::{Codec, OutPacket, TranscoderConfig};
use sbc_core::{Digit, DtmfLeg, DtmfWay, Side, StreamKey};

use crate::dtmf::detect::ToneDetector;
use crate::dtmf::own_ssrc;
use crate::dtmf::play::{FRAME, Numberer};
use crate::packet::{Packet, RtpHeader};
use crate::rtcp_gen::{NtpAnchor, Reception, RtcpReporter};
use crate::transcode_dtmf::TranscodeDtmf;
use crate::transcode_job::{Inputs, TranscodeJob, Work};
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
    /// The RFC 3389 `CN` payload type the other side's peer may send (at the input
    /// codec's clock rate).
    pub comfort_noise_pt: Option<u8>,
    /// The RFC 3389 `CN` payload type this side's peer negotiated at the output codec's
    /// clock rate: pauses go out as CN packets of the SBC's own with it, rather than as
    /// noise frames in the output codec.
    pub comfort_noise_out_pt: Option<u8>,
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
    numbering: OwnNumbering,
    /// The packet being built.
    out: Box<[u8]>,
    /// When held packets are flushed, if any may be held.
    flush_at: Option<Instant>,
    /// The next comfort noise tick, while the other side's peer is in DTX.
    noise_at: Option<Instant>,
    /// Until when the frames of tone queued so far fill the output (a tone in a pause
    /// takes the place of its noise: no tick for that time).
    tone_until: Option<Instant>,
    /// One output packet's duration.
    ptime: Duration,
    /// Tells its job from another transform's (a re-INVITE may replace this one while
    /// its job is away).
    owner: u64,
    /// The codec work, when at home (`None`: handed off, not back yet).
    job: Option<Box<TranscodeJob>>,
    /// What arrived while the job was away.
    pending: Inputs,
    /// Hand the job off ([`Shard::poll_transcode`](crate::Shard::poll_transcode)) rather
    /// than run it here.
    offload: bool,
    /// A relayed G.722/G.729 stream re-cut without decoding: no comfort noise of the
    /// SBC's own (the SID and CN packets cross), and the job runs here (it costs a copy).
    repack: bool,
    /// Its codecs' counters, as of the job's last visit home.
    stats: sbc_codec::transcode::TranscoderStats,
    /// Digits converted on this side, if any.
    dtmf: Option<TranscodeDtmf>,
    /// The rate the job decodes the other side's audio at (what a detector hears).
    decode_rate: u32,
    /// Whether the job listens to the decoded input for tones (set on the job whenever
    /// it is home).
    listen: bool,
}

/// A DTMF conversion the transcoding step cannot make: the other leg's tones decode at a
/// rate the detector does not hear, or the stream is re-cut without decoding (no PCM to
/// hear or play tones in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// Sequence numbers of the SBC's own towards the side, shared by audio and events, and
/// the RTCP that reports on them.
#[derive(Debug)]
struct OwnNumbering {
    ssrc: u32,
    next_seq: u16,
    rtcp: RtcpReporter,
    /// The output's RTP clock, Hz.
    clock: u32,
    /// The timestamp of the last packet sent and when it left; before the first, where
    /// the stream's timestamps start.
    last: Option<(u32, Instant)>,
    first_ts: u32,
}

impl Numberer for OwnNumbering {
    fn ssrc(&self) -> u32 {
        self.ssrc
    }

    fn add(&mut self) -> u16 {
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        seq
    }

    /// The last packet's timestamp moved on by the time since it left, at the output
    /// clock (the stream starts now if nothing left yet).
    fn timestamp_at(&mut self, now: Instant) -> u32 {
        let (ts, at) = *self.last.get_or_insert((self.first_ts, now));
        let us = now.saturating_duration_since(at).as_micros();
        let units = us * u128::from(self.clock) / 1_000_000;
        // Truncation: timestamps wrap modulo 2^32 (RFC 3550 §5.1).
        ts.wrapping_add(units as u32)
    }

    fn sent(&mut self, now: Instant, ts: u32, payload: usize) {
        self.rtcp.sent(now, ts, payload);
    }
}

/// The side's stream as digits played on it see it: its numbering, and its job's inputs
/// for frames of tone (and until when those fill the output).
struct ToneStream<'a> {
    numbering: &'a mut OwnNumbering,
    inputs: &'a mut Inputs,
    tone_until: &'a mut Option<Instant>,
}

impl Numberer for ToneStream<'_> {
    fn ssrc(&self) -> u32 {
        self.numbering.ssrc()
    }

    fn add(&mut self) -> u16 {
        self.numbering.add()
    }

    fn timestamp_at(&mut self, now: Instant) -> u32 {
        self.numbering.timestamp_at(now)
    }

    fn sent(&mut self, now: Instant, ts: u32, payload: usize) {
        self.numbering.sent(now, ts, payload);
    }

    fn tone(&mut self, now: Instant, digit: Digit, first: bool) -> Result<(), StepError> {
        if self.inputs.tone(digit, first) {
            // Frames late after a stall follow one another, each 20 ms of output.
            let from = self.tone_until.map_or(now, |until| until.max(now));
            *self.tone_until = Some(from + FRAME);
            Ok(())
        } else {
            Err(StepError::TranscodeQueueFull)
        }
    }
}

/// Owners of transforms made so far (process-wide, so that no two are the same).
static OWNERS: AtomicU64 = AtomicU64::new(1);

impl TranscodeTransform {
    /// The step towards `toward`'s side of `key`; `ntp` dates its RTCP; `offload`: its
    /// codec work is handed off to transcoding threads instead of run in place.
    pub fn new(
        key: StreamKey,
        toward: Side,
        spec: TranscodeSpec,
        ntp: Option<NtpAnchor>,
        offload: bool,
    ) -> Result<Self, CodecError> {
        let ssrc = own_ssrc(key, toward);
        let first_seq = (ssrc >> 16) as u16 & 0x7fff;
        let first_ts = ssrc.rotate_left(11);
        let mut transcoder = Work::new(TranscoderConfig {
            input: spec.input,
            output: spec.output,
            ptime_ms: spec.ptime_ms,
            reorder_depth: REORDER_DEPTH,
            ssrc,
            first_seq,
            first_ts,
        })?;
        if spec.comfort_noise_out_pt.is_some() {
            transcoder.send_comfort_noise_packets();
        }
        let stats = transcoder.stats();
        let decode_rate = transcoder.decode_rate();
        let owner = OWNERS.fetch_add(1, Ordering::Relaxed);
        let repack = transcoder.is_repack();
        // Every CN this step sends, made or re-cut, is the receiving leg's.
        let pts = (spec.output_pt, spec.comfort_noise_out_pt);
        let job = TranscodeJob::new(key, toward, owner, pts, transcoder);
        Ok(TranscodeTransform {
            spec,
            numbering: OwnNumbering {
                ssrc,
                next_seq: first_seq,
                rtcp: RtcpReporter::new(ssrc, spec.output.rtp_clock(), ntp),
                clock: spec.output.rtp_clock(),
                last: None,
                first_ts,
            },
            out: vec![0u8; MAX_EMITTED].into_boxed_slice(),
            flush_at: None,
            noise_at: None,
            tone_until: None,
            ptime: Duration::from_millis(u64::from(spec.ptime_ms)),
            owner,
            job: Some(Box::new(job)),
            pending: Inputs::new(),
            offload: offload && !repack,
            repack,
            stats,
            dtmf: None,
            decode_rate,
            listen: false,
        })
    }

    /// How the other side's leg (`from`) and this side's (`to`) carry digits: sets up
    /// their conversion, or drops it where none is needed (digits in progress carry on).
    pub(crate) fn set_dtmf(&mut self, from: DtmfLeg, to: DtmfLeg) -> Result<(), Unsupported> {
        // A re-cut stream decodes and encodes nothing: it can neither hear nor play a tone
        // (its decode rate is 0).
        let hears = ToneDetector::at_rate(self.decode_rate).is_some();
        if (from.way == DtmfWay::Inband && !hears) || (to.way == DtmfWay::Inband && self.repack) {
            return Err(Unsupported);
        }
        let converts = match &mut self.dtmf {
            Some(d) => d.update(from, to),
            None => {
                self.dtmf = TranscodeDtmf::new(from, to, self.numbering.clock);
                self.dtmf.is_some()
            }
        };
        if !converts {
            self.dtmf = None;
        }
        self.listen = self.dtmf.as_ref().is_some_and(TranscodeDtmf::hears_tones);
        if let Some(job) = &mut self.job {
            job.listen(self.listen);
        }
        Ok(())
    }

    /// Whether this side takes digits the SBC plays (a SIP INFO of the other leg).
    pub(crate) fn takes_digits(&self) -> bool {
        self.dtmf.as_ref().is_some_and(TranscodeDtmf::takes_digits)
    }

    /// Queues `digit` to play towards this side for `ms` milliseconds.
    pub(crate) fn play(&mut self, now: Instant, digit: Digit, ms: u32) -> Result<(), StepError> {
        match &mut self.dtmf {
            Some(d) => d.play(now, digit, ms),
            None => Err(StepError::QueueFull),
        }
    }

    /// What it converts.
    pub fn spec(&self) -> TranscodeSpec {
        self.spec
    }

    /// RTCP compound packets it wrote.
    pub fn rtcp_reports(&self) -> u64 {
        self.numbering.rtcp.reports()
    }

    /// What its transcoder counted (as of the job's last visit home).
    pub fn stats(&self) -> sbc_codec::transcode::TranscoderStats {
        self.stats
    }

    /// Where new inputs go: into the job when it is home, else into `pending`.
    fn inputs(&mut self) -> &mut Inputs {
        match &mut self.job {
            Some(job) => &mut job.inputs,
            None => &mut self.pending,
        }
    }

    /// Gets the job going if it is home and has work: handed off, or run here.
    fn kick(&mut self, now: Instant, emit: &mut Emit<'_>) -> Result<(), StepError> {
        if self.job.as_ref().is_none_or(|j| j.inputs.is_empty()) {
            return Ok(());
        }
        let Some(mut job) = self.job.take() else {
            return Ok(());
        };
        if self.offload {
            emit.transcode(job);
            return Ok(());
        }
        job.run();
        self.finish(now, job, emit)
    }

    /// The job is back with its outputs: number and queue them, then start it on what
    /// arrived meanwhile.
    pub(crate) fn finish(
        &mut self,
        now: Instant,
        mut job: Box<TranscodeJob>,
        emit: &mut Emit<'_>,
    ) -> Result<(), StepError> {
        let mut failed = None;
        let ssrc = self.numbering.ssrc;
        if let Some(d) = &mut self.dtmf {
            job.drain_heard(|tone| {
                if let Err(e) = d.heard(now, tone, emit) {
                    failed.get_or_insert(e);
                }
            });
        }
        // RFC 4733 §2.5: no audio while a digit plays as events on the same stream.
        let hold = self.dtmf.as_ref().is_some_and(TranscodeDtmf::holds_audio);
        let (numbering, out) = (&mut self.numbering, &mut self.out);
        let mut cn_held = false;
        job.drain_outputs(|pt, ts, marker, payload| {
            if hold {
                cn_held |= Some(pt) == self.spec.comfort_noise_out_pt;
                return;
            }
            let p = OutPacket {
                ssrc,
                seq: 0,
                ts,
                marker,
                payload,
                comfort_noise: false,
            };
            if let Err(e) = send(numbering, out, pt, &p, now, emit) {
                failed.get_or_insert(e);
            }
        });
        if job.failed > 0 {
            job.failed = 0;
            failed.get_or_insert(StepError::Malformed {
                what: "transcoder could not place an input (event before any audio, or no room for an output or a heard digit)",
            });
        }
        if cn_held {
            // The pause's CN did not leave: the next tick sends one.
            job.transcoder.comfort_noise_not_sent();
        }
        self.stats = job.transcoder.stats();
        job.listen(self.listen);
        std::mem::swap(&mut job.inputs, &mut self.pending);
        self.job = Some(job);
        let kicked = self.kick(now, emit);
        failed.map_or(kicked, Err)
    }

    /// Its job came back unrun (the transcoding threads' queue was full): what it
    /// carried is lost; returns how many inputs that was.
    pub(crate) fn refused(&mut self, mut job: Box<TranscodeJob>) -> usize {
        let lost = job.inputs.len();
        job.inputs.clear();
        std::mem::swap(&mut job.inputs, &mut self.pending);
        self.job = Some(job);
        lost
    }

    pub(crate) fn owner(&self) -> u64 {
        self.owner
    }

    fn event(&mut self, data: &[u8], h: &RtpHeader, output_pt: u8) -> Result<bool, StepError> {
        let [event, flags, d0, d1] = payload(data, h).get(..4).unwrap_or_default() else {
            return Err(StepError::Malformed {
                what: "telephone-event payload shorter than 4 bytes",
            });
        };
        let duration = u64::from(u16::from_be_bytes([*d0, *d1]))
            * u64::from(self.spec.output.rtp_clock())
            / u64::from(self.spec.input.rtp_clock());
        let duration = u16::try_from(duration).unwrap_or(u16::MAX).to_be_bytes();
        let body = [*event, *flags, duration[0], duration[1]];
        Ok(self.inputs().event(h.timestamp, h.marker, output_pt, body))
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
    numbering.last = Some((p.ts, now));
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
        if let Some(d) = &mut self.dtmf
            && let Some(done) = d.input(cx.now, cx.buf.data(), &h, &mut cx.emit)
        {
            done?;
            return Ok(Action::Consume);
        }
        let audio = h.payload_type == self.spec.input_pt
            || Some(h.payload_type) == self.spec.comfort_noise_pt;
        if audio
            && self
                .dtmf
                .as_ref()
                .is_some_and(TranscodeDtmf::replaces_audio)
        {
            // A digit's tone takes its place.
            return Ok(Action::Consume);
        }
        let queued = if h.payload_type == self.spec.input_pt {
            self.flush_at = Some(cx.now + FLUSH_AFTER);
            let data = cx.buf.data();
            let payload = payload(data, &h);
            // A G.729 packet ending in a SID frame starts a pause (Annex B; a SID update
            // within one keeps the ticks' phase); other audio ends one.
            let sid = matches!(self.spec.input, Codec::G729 { .. })
                // G.729 (RFC 3551 §4.5.6): 10-byte voice frames, a 2-byte SID frame only last.
                && payload.len() % g729::FRAME_BYTES == g729::SID_BYTES
                && !self.repack;
            self.noise_at = if sid {
                self.noise_at.or(Some(cx.now + self.ptime))
            } else {
                None
            };
            match &mut self.job {
                Some(job) => job.inputs.audio(h.seq, h.timestamp, h.marker, payload),
                None => self.pending.audio(h.seq, h.timestamp, h.marker, payload),
            }
        } else if Some(h.payload_type) == self.spec.comfort_noise_pt {
            self.flush_at = Some(cx.now + FLUSH_AFTER);
            // A CN update within a pause keeps the ticks' phase (a re-cut stream's CN
            // crosses instead).
            if !self.repack {
                self.noise_at = self.noise_at.or(Some(cx.now + self.ptime));
            }
            let payload = payload(cx.buf.data(), &h);
            self.inputs()
                .comfort_noise(h.seq, h.timestamp, h.marker, payload)
        } else if let Some((_, output)) = self.spec.events.filter(|&(i, _)| i == h.payload_type) {
            self.event(cx.buf.data(), &h, output)?
        } else {
            return Err(StepError::Malformed {
                what: "payload type the transcoder was not set up for",
            });
        };
        if !queued {
            return Err(StepError::TranscodeQueueFull);
        }
        if audio && let Some(d) = &mut self.dtmf {
            d.audio_in(cx.now);
        }
        self.kick(cx.now, &mut cx.emit)?;
        Ok(Action::Consume)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let digits = self.dtmf.as_ref().and_then(TranscodeDtmf::poll_timeout);
        [
            self.flush_at,
            self.noise_at,
            self.numbering.rtcp.poll_timeout(),
            digits,
        ]
        .into_iter()
        .flatten()
        .min()
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
            self.inputs().flush();
            if let Err(e) = self.kick(now, emit) {
                failed.get_or_insert(e);
            }
        }
        if let Some(at) = self.noise_at.filter(|&at| now >= at) {
            // One frame per ptime; after a stall, go on from now rather than in a burst.
            let next = at + self.ptime;
            self.noise_at = Some(if next <= now { now + self.ptime } else { next });
            match self.tone_until.filter(|&until| at < until + self.ptime) {
                // The tick stands for the ptime before it, which a digit's tone fills
                // (`Transcoder::insert`): no noise for it, the next tick a ptime after the
                // tone (the output clock must not run ahead of the call's).
                Some(until) => self.noise_at = self.noise_at.max(Some(until + self.ptime)),
                None => {
                    // The tick flushes the re-ordering window itself.
                    self.flush_at = None;
                    if self.inputs().comfort_tick()
                        && let Some(d) = &mut self.dtmf
                    {
                        // The detector hears the tick's noise.
                        d.audio_in(now);
                    }
                    if let Err(e) = self.kick(now, emit) {
                        failed.get_or_insert(e);
                    }
                }
            }
        }
        if let Some(d) = &mut self.dtmf {
            let inputs = match &mut self.job {
                Some(job) => &mut job.inputs,
                None => &mut self.pending,
            };
            let mut stream = ToneStream {
                numbering: &mut self.numbering,
                inputs,
                tone_until: &mut self.tone_until,
            };
            if let Err(e) = d.on_timeout(now, &mut stream, emit) {
                failed.get_or_insert(e);
            }
            // Frames of tone are the job's to encode.
            if let Err(e) = self.kick(now, emit) {
                failed.get_or_insert(e);
            }
        }
        if let Some(report) = self.numbering.rtcp.poll_report(now)
            && let Err(e) = emit.packet(report, true)
        {
            failed.get_or_insert(e);
        }
        failed.map_or(Ok(()), Err)
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
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
        match spec {
            Some(spec) => {
                let mut t = TranscodeTransform::new(
                    stream,
                    toward,
                    spec,
                    self.config.ntp,
                    self.config.transcode_offload,
                )
                .map_err(|error| crate::OpError::Codec { stream, error })?;
                // Digits converted on this side are the transcoder's to convert now.
                if let Some((from, to)) = self.dtmf_legs(stream, toward)? {
                    t.set_dtmf(from, to)
                        .map_err(|Unsupported| unsupported(stream))?;
                }
                self.set_transform(stream, toward, Some(Box::new(t)))?;
            }
            None if self.transcode_step(stream, toward).is_some() => {
                self.set_transform(stream, toward, None)?;
                // Relayed again: digits converted on this side go back to DTMF's step.
                if let Some((from, to)) = self.dtmf_legs(stream, toward)? {
                    self.install_dtmf(stream, toward, &from, &to)?;
                }
            }
            // Nothing of transcoding's here (DTMF's step, if any, stays).
            None => {}
        }
        // Jitter of each leg in its own codec's clock (RFC 3550 A.8): the other side's
        // peer sends the input, this side's the output (`None`: the stream's rate again).
        let rates = spec.map(|s| (s.input.rtp_clock(), s.output.rtp_clock()));
        let s = self.stream_mut(stream)?;
        s.side_mut(toward.other()).clock_rate = rates.map(|r| r.0);
        s.side_mut(toward).clock_rate = rates.map(|r| r.1);
        Ok(())
    }

    /// The transcoding step installed towards `toward`, if any.
    pub(crate) fn transcode_step(
        &mut self,
        stream: StreamKey,
        toward: Side,
    ) -> Option<&mut TranscodeTransform> {
        let s = self.stream_mut(stream).ok()?;
        s.side_mut(toward)
            .egress
            .transform
            .as_mut()?
            .as_any_mut()?
            .downcast_mut::<TranscodeTransform>()
    }
}

/// The error of a DTMF conversion transcoding does not make.
pub(crate) fn unsupported(stream: StreamKey) -> crate::OpError {
    crate::OpError::Unsupported {
        stream,
        what: "in-band DTMF heard at a rate the detector does not take, or on a re-cut stream",
    }
}
