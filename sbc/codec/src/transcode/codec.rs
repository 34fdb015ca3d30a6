//! The codecs a transcoded stream speaks, as one enum, and decoders/encoders over them
//! that a stream can hold without knowing which codec is behind.

use crate::g729::{FRAME_SAMPLES as G729_FRAME_SAMPLES, G729Decoder, G729Encoder};
use crate::opus::{OpusDecoder, OpusEncoder, OpusSettings};
use crate::{CodecError, G722Decoder, G722Encoder, Law};

/// A codec on one leg, with what its SDP negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// G.711 µ-law (PT 0).
    Pcmu,
    /// G.711 A-law (PT 8).
    Pcma,
    /// G.722 at 64 kbit/s (PT 9, RTP clock 8000 for 16 kHz audio).
    G722,
    /// Opus, mono, RTP clock 48000.
    Opus {
        /// Target bitrate, bit/s (fmtp `maxaveragebitrate` caps it).
        bitrate: u32,
        /// Encoder complexity 0..=10.
        complexity: u8,
        /// fmtp `useinbandfec=1`.
        inband_fec: bool,
        /// fmtp `usedtx=1`.
        dtx: bool,
    },
    /// G.729A (PT 18); `annex_b`: VAD/DTX with SID frames.
    G729 {
        /// Send SID frames and nothing in silence.
        annex_b: bool,
    },
}

impl Codec {
    /// The RTP timestamp clock (what SDP's rtpmap says).
    pub fn rtp_clock(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma | Codec::G722 | Codec::G729 { .. } => 8000,
            Codec::Opus { .. } => 48_000,
        }
    }

    /// The audio rate the codec works at; `None` for Opus, which takes the rate of the
    /// other side.
    pub fn fixed_rate(self) -> Option<u32> {
        match self {
            Codec::Pcmu | Codec::Pcma | Codec::G729 { .. } => Some(8000),
            Codec::G722 => Some(16_000),
            Codec::Opus { .. } => None,
        }
    }
}

/// A decoder of any [`Codec`], giving audio at `rate`.
#[derive(Debug)]
pub(crate) enum AnyDecoder {
    G711(Law),
    G722(Box<G722Decoder>),
    Opus(OpusDecoder),
    G729(G729Decoder),
}

impl AnyDecoder {
    pub(crate) fn new(codec: Codec, rate: u32) -> Result<Self, CodecError> {
        Ok(match codec {
            Codec::Pcmu => AnyDecoder::G711(Law::Ulaw),
            Codec::Pcma => AnyDecoder::G711(Law::Alaw),
            Codec::G722 => AnyDecoder::G722(Box::default()),
            Codec::Opus { .. } => AnyDecoder::Opus(OpusDecoder::new(rate)?),
            Codec::G729 { .. } => AnyDecoder::G729(G729Decoder::new()?),
        })
    }

    /// Decodes one payload; returns the samples written.
    pub(crate) fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        match self {
            AnyDecoder::G711(law) => {
                if out.len() < payload.len() {
                    return Err(CodecError::OutputTooSmall {
                        codec: "G.711",
                        needed: payload.len(),
                        capacity: out.len(),
                    });
                }
                Ok(law.decode_into(payload, out))
            }
            AnyDecoder::G722(d) => d.decode(payload, out),
            AnyDecoder::Opus(d) => d.decode(payload, out),
            AnyDecoder::G729(d) => d.decode(payload, out),
        }
    }

    /// Fills `out` (whole) for lost audio: the codec's concealment where it has one
    /// (Opus, G.729), silence for G.711 and G.722. `out.len()` is a multiple of 80 (10 ms
    /// at 8 kHz) or of 2.5 ms at the decoder's rate.
    pub(crate) fn conceal(&mut self, out: &mut [i16]) -> Result<(), CodecError> {
        match self {
            AnyDecoder::G711(_) | AnyDecoder::G722(_) => out.fill(0),
            AnyDecoder::Opus(d) => {
                d.conceal(out.len(), out)?;
            }
            AnyDecoder::G729(d) => {
                let frames = out.len() / G729_FRAME_SAMPLES;
                d.conceal(frames, out)?;
                out[frames * G729_FRAME_SAMPLES..].fill(0);
            }
        }
        Ok(())
    }
}

impl AnyDecoder {
    /// Fills `out` (whole, a multiple of 10 ms at 8 kHz) with the comfort noise the
    /// decoder itself makes after a SID frame (G.729 Annex B); `false` for a decoder that
    /// has none (the transcoder's RFC 3389 generator plays then).
    pub(crate) fn comfort(&mut self, out: &mut [i16]) -> bool {
        match self {
            AnyDecoder::G729(d) => d.untransmitted(out.len() / G729_FRAME_SAMPLES, out).is_ok(),
            _ => false,
        }
    }
}

/// An encoder of any [`Codec`] from audio at `rate`.
#[derive(Debug)]
pub(crate) enum AnyEncoder {
    G711(Law),
    /// `narrow`: from 8 kHz audio (`G722Encoder::encode_narrow`).
    G722 {
        encoder: Box<G722Encoder>,
        narrow: bool,
    },
    Opus(OpusEncoder),
    G729(G729Encoder),
}

impl AnyEncoder {
    pub(crate) fn new(codec: Codec, rate: u32) -> Result<Self, CodecError> {
        Ok(match codec {
            Codec::Pcmu => AnyEncoder::G711(Law::Ulaw),
            Codec::Pcma => AnyEncoder::G711(Law::Alaw),
            Codec::G722 => AnyEncoder::G722 {
                encoder: Box::default(),
                narrow: rate == 8000,
            },
            Codec::Opus {
                bitrate,
                complexity,
                inband_fec,
                dtx,
            } => AnyEncoder::Opus(OpusEncoder::new(OpusSettings {
                sample_rate: rate,
                bitrate,
                complexity,
                inband_fec,
                dtx,
                expected_loss_percent: if inband_fec { 10 } else { 0 },
            })?),
            Codec::G729 { annex_b } => AnyEncoder::G729(G729Encoder::new(annex_b)?),
        })
    }

    /// Encodes one frame; returns the payload length (0: nothing to send, Annex B).
    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        match self {
            AnyEncoder::G711(law) => {
                if out.len() < pcm.len() {
                    return Err(CodecError::OutputTooSmall {
                        codec: "G.711",
                        needed: pcm.len(),
                        capacity: out.len(),
                    });
                }
                Ok(law.encode_into(pcm, out))
            }
            AnyEncoder::G722 {
                encoder,
                narrow: true,
            } => encoder.encode_narrow(pcm, out),
            AnyEncoder::G722 {
                encoder,
                narrow: false,
            } => encoder.encode(pcm, out),
            AnyEncoder::Opus(e) => e.encode(pcm, out),
            AnyEncoder::G729(e) => e.encode(pcm, out),
        }
    }
}
