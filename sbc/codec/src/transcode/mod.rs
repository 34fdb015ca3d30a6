//! One direction of a transcoded stream, sans-IO: RTP payloads of one codec in (with
//! their sequence numbers, timestamps and marker bits), RTP payloads of another out, as a
//! stream of the SBC's own.
//!
//! What happens to a packet, in order:
//!
//! 1. **Re-ordering** (`reorder.rs`): packets wait in a window of `reorder_depth` sequence
//!    numbers and leave in order; late ones and duplicates are dropped and counted. A
//!    missing packet is given up when the window is full or at [`Transcoder::flush`].
//! 2. **Gaps**: the input timestamp a packet should have had is known from the previous
//!    one's decoded duration. A gap after lost packets is filled with the decoder's loss
//!    concealment (Opus, G.729; silence for G.711/G.722), at most 200 ms of it; a gap
//!    without lost sequence numbers is the sender pausing (DTX, silence suppression): no
//!    audio is made up, the output's timestamps jump by the same time and the next packet
//!    carries the marker bit. An undecodable payload is dropped and counted (the next
//!    packet sees a gap).
//! 3. **Decode** at the rate the output needs (Opus decodes straight to 8 or 16 kHz),
//!    and downsample 16 → 8 kHz from G.722 to G.711/G.729; towards G.722, 8 kHz audio
//!    goes into G.722's narrow encoder (no upsampling needed: see `rates`).
//! 4. **Re-cut**: samples collect in a FIFO and leave in frames of the output `ptime`
//!    (10–60 ms), so a 30 ms input becomes 20 ms output without losing a sample.
//! 5. **Comfort noise** (RFC 3389, G.729 Annex B): a CN payload
//!    ([`Transcoder::push_comfort_noise`]) or a G.729 packet ending in a SID frame puts the
//!    direction in *DTX*: the sender has gone quiet and says at what noise. Each call of
//!    [`Transcoder::comfort_noise`] (the engine's timer, once per output ptime) then makes
//!    one output frame of that noise — G.729's own comfort noise from the SID's level and
//!    spectrum, else noise of the CN payload's level and spectral shape ([`crate::cn`]) —
//!    and moves the input clock on by as much, so that audio resuming finds no gap but
//!    what the timer did not cover. The first audio packet after DTX carries the marker bit.
//!    Towards a leg that negotiated CN ([`Transcoder::send_comfort_noise_packets`]) the
//!    pause goes out as RFC 3389 packets of the SBC's own instead (`cn_out.rs`: one when
//!    it starts, then on a notable change or every 500 ms), numbered like audio, their
//!    timestamps where the pause stands on the output clock, never marked.
//! 6. **Encode** and emit with the stream's own SSRC, sequence numbers without gaps
//!    (a frame Annex B or DTX does not send takes none) and timestamps that count every
//!    sample at the output's RTP clock (G.722: 8000 for 16 kHz audio; Opus: 48000) —
//!    across a loss they still advance by its duration. A marker bit on the input is
//!    carried to the next packet out.
//!
//! Two seams let the engine work on the audio itself (its DTMF interworking): a
//! [`Listener`] set with [`Transcoder::set_listener`] hears every decoded sample at the
//! decoding rate, and [`Transcoder::insert`] encodes samples of the engine's own (a
//! tone) in place of the input's, the input clock moving on by as much (like comfort
//! noise: audio that comes later finds no gap but what the insert did not cover).
//!
//! No allocation per packet: every buffer is sized when the stream is built.
//!
//! G.722 to G.722 and G.729 to G.729 (a relayed stream re-cut to another packet time) are
//! not decoded at all: a [`Repacketiser`] moves their octets into packets of the output
//! ptime ([`repacketises`] says which pairs).
//!
//! [`Codec::from_sdp`], [`Codec::rtpmap`] and [`Codec::fmtp`] say what each codec's SDP
//! parameters mean (Opus `maxaveragebitrate`/`useinbandfec`/`usedtx`, mono as
//! `stereo=0; sprop-stereo=0`; G.729 `annexb`, absent meaning yes), for the offer/answer
//! side that will choose transcoded codecs.

mod cn_out;
mod codec;
mod reorder;
mod repack;
mod sdp;
mod tap;

pub use codec::Codec;
pub use repack::{Repacketiser, repacketises};
pub use sdp::OpusDefaults;
pub use tap::Listener;

use crate::CodecError;
use crate::cn::ComfortNoise;
use crate::resample::{Downsampler, Upsampler};
use cn_out::{CnSender, Source};
use codec::{AnyDecoder, AnyEncoder};
use reorder::{MAX_PAYLOAD, Reorder};

/// Most decoded audio one packet can give: 120 ms at 48 kHz (Opus's longest packet).
const MAX_DECODED: usize = 5760;
/// Longest loss filled with concealment; the rest of a longer one is skipped.
const MAX_CONCEAL_MS: u64 = 200;

/// How a transcoded direction is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscoderConfig {
    /// What arrives.
    pub input: Codec,
    /// What leaves.
    pub output: Codec,
    /// Output packet duration, ms: 10, 20, 30, 40 or 60 (G.729: a multiple of 10; Opus:
    /// not 30).
    pub ptime_ms: u32,
    /// Re-ordering window, packets (at least 1: no re-ordering).
    pub reorder_depth: usize,
    /// The output stream's SSRC.
    pub ssrc: u32,
    /// The first output sequence number.
    pub first_seq: u16,
    /// The first output timestamp.
    pub first_ts: u32,
}

/// One packet out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutPacket<'a> {
    /// The stream's SSRC.
    pub ssrc: u32,
    /// Sequence number (no gaps).
    pub seq: u16,
    /// Timestamp at the output codec's RTP clock.
    pub ts: u32,
    /// Marker bit: the first packet after a talkspurt start or a pause.
    pub marker: bool,
    /// The encoded payload.
    pub payload: &'a [u8],
    /// The payload is RFC 3389 comfort noise (the leg's `CN` payload type), not audio.
    pub comfort_noise: bool,
}

/// What a direction counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranscoderStats {
    /// Packets pushed.
    pub received: u64,
    /// Dropped as late or duplicate.
    pub late: u64,
    /// Sequence numbers never seen (given up on).
    pub lost: u64,
    /// Payloads the decoder refused (or too large to hold).
    pub undecodable: u64,
    /// Samples (at the decoding rate) made up by concealment.
    pub concealed_samples: u64,
    /// Packets emitted.
    pub sent: u64,
    /// Frames the encoder refused (none in a correct setup; counted, never a panic).
    pub unencodable: u64,
    /// RFC 3389 comfort noise payloads taken (bad ones count as undecodable).
    pub comfort_payloads: u64,
    /// Samples (at the decoding rate) of comfort noise played through pauses.
    pub comfort_samples: u64,
    /// RFC 3389 packets of its own sent through pauses (counted in `sent` too).
    pub comfort_packets: u64,
}

/// Where the noise of a pause comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtx {
    /// Audio is flowing (or nothing said the sender paused).
    Off,
    /// After an RFC 3389 payload: noise of its level and spectral shape.
    Level,
    /// After a G.729 SID frame: the decoder's own comfort noise.
    Decoder,
}

#[derive(Debug)]
enum Resampler {
    None,
    Up(Upsampler),
    Down(Downsampler),
}

/// The audio rates a direction decodes and encodes at. Narrowband codecs work at 8 kHz;
/// Opus takes the other side's rate (48 kHz between two Opus legs); G.722 decodes at
/// 16 kHz (its full decoder and the anti-alias downsampler: its narrow decoder would fold
/// 4–5 kHz into the telephone band) but encodes 8 kHz audio with its narrow encoder
/// (the same octets the upsampler and the transmit QMF would give, at a fraction of
/// the cost).
fn rates(input: Codec, output: Codec) -> (u32, u32) {
    let decode = match (input, output) {
        (Codec::Pcmu | Codec::Pcma | Codec::G729 { .. }, _) => 8000,
        (Codec::G722, _) => 16_000,
        (Codec::Opus { .. }, Codec::Pcmu | Codec::Pcma | Codec::G729 { .. }) => 8000,
        (Codec::Opus { .. }, Codec::G722) => 16_000,
        (Codec::Opus { .. }, Codec::Opus { .. }) => 48_000,
    };
    let encode = match output {
        Codec::Pcmu | Codec::Pcma | Codec::G729 { .. } => 8000,
        Codec::G722 if decode == 8000 => 8000,
        Codec::G722 => 16_000,
        Codec::Opus { .. } => decode,
    };
    (decode, encode)
}

/// One direction of a transcoded stream.
#[derive(Debug)]
pub struct Transcoder {
    config: TranscoderConfig,
    reorder: Reorder,
    decoder: AnyDecoder,
    encoder: AnyEncoder,
    resampler: Resampler,
    decode_rate: u32,
    encode_rate: u32,
    /// Output frame, samples at `encode_rate`.
    frame: usize,
    decoded: Box<[i16]>,
    resampled: Box<[i16]>,
    fifo: Box<[i16]>,
    fifo_len: usize,
    payload: Box<[u8]>,
    /// The packet being processed, out of the re-ordering window.
    input: Box<[u8]>,
    /// The input timestamp the next packet should carry.
    expected_ts: Option<u32>,
    seq: u16,
    /// Output samples accounted for so far (sent, not sent by DTX, or skipped).
    clock: u64,
    marker: bool,
    /// The last packet could not be decoded: the gap it leaves is a loss.
    undecoded: bool,
    /// Whether the sender is in a pause it described (see step 5).
    dtx: Dtx,
    /// The RFC 3389 level of the last CN payload.
    noise: ComfortNoise,
    /// Pauses go out as RFC 3389 packets (the output leg negotiated CN).
    cn_out: Option<CnSender>,
    /// Hears the decoded input, if set.
    listener: Option<Box<dyn Listener>>,
    stats: TranscoderStats,
}

impl Transcoder {
    /// Builds a direction; an error for a ptime or rate pair it cannot serve.
    pub fn new(config: TranscoderConfig) -> Result<Self, CodecError> {
        let (decode_rate, encode_rate) = rates(config.input, config.output);
        let resampler = match (decode_rate, encode_rate) {
            (a, b) if a == b => Resampler::None,
            (8000, 16_000) => Resampler::Up(Upsampler::new()),
            (16_000, 8000) => Resampler::Down(Downsampler::new()),
            _ => {
                return Err(CodecError::Setup {
                    codec: "transcoder",
                    reason: "no resampler for these rates",
                });
            }
        };
        let valid_ptime = match config.output {
            Codec::G729 { .. } => config.ptime_ms % 10 == 0 && (10..=60).contains(&config.ptime_ms),
            // libopus encodes 10, 20, 40 and 60 ms frames; 30 ms would need repacketizing.
            Codec::Opus { .. } => [10, 20, 40, 60].contains(&config.ptime_ms),
            _ => [10, 20, 30, 40, 60].contains(&config.ptime_ms),
        };
        if !valid_ptime {
            return Err(CodecError::FrameSize {
                codec: "transcoder",
                len: config.ptime_ms as usize,
            });
        }
        let frame = (encode_rate * config.ptime_ms / 1000) as usize;
        Ok(Self {
            reorder: Reorder::new(config.reorder_depth),
            decoder: AnyDecoder::new(config.input, decode_rate)?,
            encoder: AnyEncoder::new(config.output, encode_rate)?,
            resampler,
            decode_rate,
            encode_rate,
            frame,
            decoded: vec![0; MAX_DECODED].into_boxed_slice(),
            resampled: vec![0; 2 * MAX_DECODED].into_boxed_slice(),
            fifo: vec![0; frame + 2 * MAX_DECODED].into_boxed_slice(),
            fifo_len: 0,
            payload: vec![0; MAX_PAYLOAD].into_boxed_slice(),
            input: vec![0; MAX_PAYLOAD].into_boxed_slice(),
            expected_ts: None,
            seq: config.first_seq,
            clock: 0,
            marker: true,
            undecoded: false,
            dtx: Dtx::Off,
            noise: ComfortNoise::new(config.ssrc),
            cn_out: None,
            listener: None,
            stats: TranscoderStats::default(),
            config,
        })
    }

    /// The output timestamp of the moment `input_ts` stands for: what an RFC 4733
    /// telephone-event from the input leg must carry on the output leg to line up with the
    /// transcoded audio (rtpengine#778 is that bug), at the output's RTP clock and across
    /// re-cutting, losses and pauses. Exact to the sample, not counting the codecs' and the
    /// resampler's few milliseconds of delay. `None` before the first packet went through.
    pub fn output_timestamp(&self, input_ts: u32) -> Option<u32> {
        let expected = self.expected_ts?;
        let in_clock = i64::from(self.config.input.rtp_clock());
        let rate = i64::from(self.encode_rate);
        // Signed distance from the next expected input timestamp, input clock units.
        let offset = i64::from(input_ts.wrapping_sub(expected) as i32);
        let position = self.clock as i64 + self.fifo_len as i64 + offset * rate / in_clock;
        Some(self.out_ts(position))
    }

    /// The output timestamp of `position`: samples at the encoding rate since the
    /// stream's first (negative: before it), on the output's RTP clock.
    fn out_ts(&self, position: i64) -> u32 {
        let clock = i64::from(self.config.output.rtp_clock());
        let ticks = position * clock / i64::from(self.encode_rate);
        // Truncation: timestamps wrap modulo 2^32 (RFC 3550 §5.1).
        self.config.first_ts.wrapping_add(ticks as u32)
    }

    /// Sends pauses as RFC 3389 packets ([`OutPacket::comfort_noise`]) rather than as
    /// noise frames in the output codec: for an output leg whose SDP negotiated CN at the
    /// output codec's RTP clock (see step 5).
    pub fn send_comfort_noise_packets(&mut self) {
        let narrowband = |c: Codec| c.fixed_rate() == Some(8000);
        let spectrum = narrowband(self.config.input) && narrowband(self.config.output);
        self.cn_out = Some(CnSender::new(spectrum, self.encode_rate));
    }

    /// The last CN packet of the SBC's own did not reach the leg (the engine held it back
    /// while a digit played as events): the next tick of the pause sends one at once.
    pub fn comfort_noise_not_sent(&mut self) {
        if let Some(cn) = &mut self.cn_out {
            cn.resend();
        }
    }

    /// The output timestamp of the decoded sample `back` samples (at the decoding rate)
    /// before the end of what was decoded so far: where a [`Listener`] heard something
    /// lands on the output clock. Exact to the sample across re-cutting, not counting the
    /// codecs' and the resampler's delay, nor pauses skipped since.
    pub fn decoded_timestamp(&self, back: u64) -> u32 {
        let rate = u64::from(self.encode_rate);
        let back = back * rate / u64::from(self.decode_rate);
        let position = (self.clock + self.fifo_len as u64).saturating_sub(back);
        self.out_ts(position as i64)
    }

    /// The rate audio is decoded at (what a [`Listener`] hears).
    pub fn decode_rate(&self) -> u32 {
        self.decode_rate
    }

    /// The rate audio is encoded from (what [`Transcoder::insert`] takes).
    pub fn encode_rate(&self) -> u32 {
        self.encode_rate
    }

    /// Sets (or, `None`, removes) what hears the decoded input; returns the one before.
    pub fn set_listener(
        &mut self,
        listener: Option<Box<dyn Listener>>,
    ) -> Option<Box<dyn Listener>> {
        std::mem::replace(&mut self.listener, listener)
    }

    /// The listener set, if any.
    pub fn listener_mut(&mut self) -> Option<&mut (dyn Listener + 'static)> {
        self.listener.as_deref_mut()
    }

    /// Encodes `pcm` (at [`Transcoder::encode_rate`]) as the next output audio, in place
    /// of the input's for as long: what the re-ordering window holds is released first,
    /// and the input clock moves on by `pcm`'s duration, so input audio for that time
    /// (which the caller should not push) would find itself behind. In a pause it takes
    /// the place of the comfort noise likewise (the caller does not tick
    /// [`Transcoder::comfort_noise`] for that time), and towards a leg taking CN packets
    /// the pause goes on with a CN of its own at the next tick, since the receiver played
    /// audio meanwhile. Samples beyond the room of one call (120 ms at 48 kHz) are left
    /// out.
    pub fn insert(&mut self, pcm: &[i16], emit: &mut impl FnMut(OutPacket<'_>)) {
        self.flush(emit);
        if let Some(cn) = &mut self.cn_out {
            cn.resend();
        }
        let room = self.fifo.len() - self.fifo_len;
        let n = pcm.len().min(room).min(MAX_DECODED);
        self.fifo[self.fifo_len..self.fifo_len + n].copy_from_slice(&pcm[..n]);
        self.fifo_len += n;
        if let Some(expected) = self.expected_ts {
            let in_clock = u64::from(self.config.input.rtp_clock());
            let duration = n as u64 * in_clock / u64::from(self.encode_rate);
            self.expected_ts = Some(expected.wrapping_add(duration as u32));
        }
        self.encode_frames(emit);
    }

    /// What this direction counted so far.
    pub fn stats(&self) -> TranscoderStats {
        self.stats
    }

    /// Whether the sender is in a pause it described with comfort noise (an RFC 3389
    /// payload or a G.729 SID frame, and no audio since): the engine's cue to call
    /// [`Transcoder::comfort_noise`] once per output ptime.
    pub fn in_dtx(&self) -> bool {
        self.dtx != Dtx::Off
    }

    /// Takes one received packet; emits what is ready through `emit`.
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
    /// the audio); from its turn on the direction is in DTX (see step 5).
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

    /// One output frame of comfort noise for a pause, if the direction is in DTX (after
    /// releasing whatever the re-ordering window held); returns whether it made one.
    /// Called on the engine's clock once per output ptime while [`Transcoder::in_dtx`].
    pub fn comfort_noise(&mut self, emit: &mut impl FnMut(OutPacket<'_>)) -> bool {
        self.flush(emit);
        if self.dtx == Dtx::Off {
            return false;
        }
        let samples = self.frame * self.decode_rate as usize / self.encode_rate as usize;
        let out = &mut self.decoded[..samples];
        if self.dtx != Dtx::Decoder || !self.decoder.comfort(out) {
            self.noise.generate(out);
        }
        if let Some(expected) = self.expected_ts {
            let in_clock = u64::from(self.config.input.rtp_clock());
            let duration = samples as u64 * in_clock / u64::from(self.decode_rate);
            self.expected_ts = Some(expected.wrapping_add(duration as u32));
        }
        self.stats.comfort_samples += samples as u64;
        if self.cn_out.is_some() {
            self.comfort_noise_packet(samples, emit);
        } else {
            self.feed_decoded(samples, emit);
        }
        true
    }

    /// A tick of a pause towards a leg that takes CN: `samples` of noise (decoding rate)
    /// in `self.decoded` finish the audio frame being built, if any; the rest of the
    /// tick's time passes without audio, and a CN goes out if one is due.
    fn comfort_noise_packet(&mut self, samples: usize, emit: &mut impl FnMut(OutPacket<'_>)) {
        if let (Dtx::Decoder, Some(cn)) = (self.dtx, &mut self.cn_out) {
            cn.analyser.add(&self.decoded[..samples]);
        }
        let start = if self.fifo_len > 0 {
            // The last audio frame, its tail the first of the noise; what is left of the
            // noise stands for time only.
            self.feed_decoded(samples, emit);
            let at = self.clock;
            self.clock += self.fifo_len as u64;
            self.fifo_len = 0;
            at
        } else {
            // The noise stands for time only, but a listener hears it as it would hear
            // the noise frames of a leg without CN: a tone just before the pause ends in
            // it, not when audio comes again.
            if let Some(listener) = &mut self.listener {
                listener.decoded(&self.decoded[..samples], self.decode_rate);
            }
            let at = self.clock;
            self.clock += self.frame as u64;
            at
        };
        let ts = self.out_ts(start as i64);
        let Some(cn) = &mut self.cn_out else {
            return;
        };
        let source = match self.dtx {
            Dtx::Level => Source::Payload(self.noise.payload()),
            Dtx::Decoder | Dtx::Off => Source::Analysis,
        };
        let Some(payload) = cn.due(source, start) else {
            return;
        };
        emit(OutPacket {
            ssrc: self.config.ssrc,
            seq: self.seq,
            ts,
            marker: false,
            payload,
            comfort_noise: true,
        });
        self.seq = self.seq.wrapping_add(1);
        self.stats.sent += 1;
        self.stats.comfort_packets += 1;
        // RFC 3551 §4.1: the first audio after the pause starts a talkspurt.
        self.marker = true;
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
            |t| (&mut t.reorder, &mut t.stats),
            (seq, ts, marker, comfort, payload),
            |t, force| t.release(force, emit),
        );
    }

    /// Gives up on whatever is missing and releases every packet held (a pause, or the
    /// end of the stream).
    pub fn flush(&mut self, emit: &mut impl FnMut(OutPacket<'_>)) {
        while self.release(true, emit) {}
    }

    /// Releases one packet from the window and processes it; false if none was ready.
    fn release(&mut self, force: bool, emit: &mut impl FnMut(OutPacket<'_>)) -> bool {
        let Some(packet) = self.reorder.pop(force) else {
            return false;
        };
        let (ts, marker, comfort, lost, len) = (
            packet.ts,
            packet.marker,
            packet.comfort,
            packet.lost_before,
            packet.payload.len(),
        );
        self.input[..len].copy_from_slice(packet.payload);
        self.stats.lost += u64::from(lost);
        // A CN or SID update within a pause: the noise played so far stands for the time.
        let sid_only =
            matches!(self.config.input, Codec::G729 { .. }) && len == crate::g729::SID_BYTES;
        let update = (comfort || sid_only) && self.dtx != Dtx::Off;
        if let Some(expected) = self.expected_ts.filter(|_| !update) {
            let gap = ts.wrapping_sub(expected);
            if gap > 0 && gap < 0x8000_0000 {
                let after_loss = lost > 0 || std::mem::take(&mut self.undecoded);
                self.fill_gap(gap, after_loss, emit);
            }
        }
        if marker {
            self.marker = true;
        }
        if comfort {
            self.comfort_payload(ts, len);
            return true;
        }
        match self.decoder.decode(&self.input[..len], &mut self.decoded) {
            Ok(samples) => {
                let sid = matches!(self.config.input, Codec::G729 { .. })
                    && len % crate::g729::FRAME_BYTES == crate::g729::SID_BYTES;
                if sid {
                    self.dtx = Dtx::Decoder;
                } else if self.dtx != Dtx::Off {
                    // Audio again after a pause: a new talkspurt.
                    self.dtx = Dtx::Off;
                    self.marker = true;
                    if let Some(cn) = &mut self.cn_out {
                        cn.reset();
                    }
                }
                let in_clock = u64::from(self.config.input.rtp_clock());
                let duration = samples as u64 * in_clock / u64::from(self.decode_rate);
                self.expected_ts = Some(ts.wrapping_add(duration as u32));
                self.feed_decoded(samples, emit);
            }
            Err(_) => {
                self.stats.undecodable += 1;
                self.undecoded = true;
                // The next packet's timestamp shows the hole; it is concealed then.
                if self.expected_ts.is_none() {
                    self.expected_ts = Some(ts);
                }
            }
        }
        true
    }

    /// An RFC 3389 payload (in `self.input[..len]`) at input time `ts`: the noise level
    /// from here on. It lasts no time itself.
    fn comfort_payload(&mut self, ts: u32, len: usize) {
        match self.noise.update(&self.input[..len]) {
            Ok(_) => {
                self.stats.comfort_payloads += 1;
                self.dtx = Dtx::Level;
                if self.expected_ts.is_none() {
                    self.expected_ts = Some(ts);
                }
            }
            Err(_) => {
                self.stats.undecodable += 1;
                self.undecoded = true;
            }
        }
    }

    /// A gap of `gap` input clock units before the current packet: conceal (after a
    /// loss, up to 200 ms) and skip the rest.
    fn fill_gap(&mut self, gap: u32, after_loss: bool, emit: &mut impl FnMut(OutPacket<'_>)) {
        let in_clock = u64::from(self.config.input.rtp_clock());
        let rate = u64::from(self.decode_rate);
        let gap_samples = u64::from(gap) * rate / in_clock;
        let mut concealed = 0;
        if after_loss {
            let chunk = (rate / 100) as usize; // 10 ms
            let limit = (gap_samples.min(MAX_CONCEAL_MS * rate / 1000) as usize) / chunk * chunk;
            while concealed < limit {
                if self.decoder.conceal(&mut self.decoded[..chunk]).is_err() {
                    self.decoded[..chunk].fill(0);
                }
                self.feed_decoded(chunk, emit);
                concealed += chunk;
            }
            self.stats.concealed_samples += concealed as u64;
        }
        let rest = gap_samples - concealed as u64;
        if rest > 0 {
            self.skip(rest * u64::from(self.encode_rate) / rate, emit);
        }
    }

    /// The sender sent nothing for `samples` (output rate): finish the frame being built
    /// with silence, then let the clock run without packets; the next one is marked.
    fn skip(&mut self, samples: u64, emit: &mut impl FnMut(OutPacket<'_>)) {
        let mut samples = samples;
        if self.fifo_len > 0 {
            let pad = (self.frame - self.fifo_len) as u64;
            self.fifo[self.fifo_len..self.frame].fill(0);
            self.fifo_len = self.frame;
            self.encode_frames(emit);
            samples = samples.saturating_sub(pad);
        }
        self.clock += samples;
        self.marker = true;
    }

    /// `samples` of decoded audio in `self.decoded`: resample, queue, encode.
    fn feed_decoded(&mut self, samples: usize, emit: &mut impl FnMut(OutPacket<'_>)) {
        let input = &self.decoded[..samples];
        if let Some(listener) = &mut self.listener {
            listener.decoded(input, self.decode_rate);
        }
        let converted = match &mut self.resampler {
            Resampler::None => {
                self.fifo[self.fifo_len..self.fifo_len + samples].copy_from_slice(input);
                samples
            }
            Resampler::Up(up) => {
                let n = up.process(input, &mut self.resampled).unwrap_or(0);
                self.fifo[self.fifo_len..self.fifo_len + n].copy_from_slice(&self.resampled[..n]);
                n
            }
            Resampler::Down(down) => {
                // Decoders at 16 kHz give whole frames: an even count.
                let n = down.process(input, &mut self.resampled).unwrap_or(0);
                self.fifo[self.fifo_len..self.fifo_len + n].copy_from_slice(&self.resampled[..n]);
                n
            }
        };
        self.fifo_len += converted;
        self.encode_frames(emit);
    }

    fn encode_frames(&mut self, emit: &mut impl FnMut(OutPacket<'_>)) {
        while self.fifo_len >= self.frame {
            let ts = self.out_ts(self.clock as i64);
            let encoded = self
                .encoder
                .encode(&self.fifo[..self.frame], &mut self.payload);
            self.fifo.copy_within(self.frame..self.fifo_len, 0);
            self.fifo_len -= self.frame;
            self.clock += self.frame as u64;
            match encoded {
                Ok(len) if len > 0 => {
                    emit(OutPacket {
                        ssrc: self.config.ssrc,
                        seq: self.seq,
                        ts,
                        marker: std::mem::take(&mut self.marker),
                        payload: &self.payload[..len],
                        comfort_noise: false,
                    });
                    self.seq = self.seq.wrapping_add(1);
                    self.stats.sent += 1;
                }
                // Annex B / DTX sends nothing for this frame: the next packet is marked.
                Ok(_) => self.marker = true,
                Err(_) => {
                    self.stats.unencodable += 1;
                    self.marker = true;
                }
            }
        }
    }
}
