//! ITU-T G.722 at 64 kbit/s: 16 kHz wideband audio in 8 bits per sample pair.
//!
//! Written from the ITU-T G.722 (09/2012) description: a transmit QMF (`qmf.rs`) splits two
//! input samples into one lower and one higher sub-band sample, the lower band is coded
//! by ADPCM to 6 bits and the higher to 2 (`adpcm.rs`), and the octet is
//! `higher << 6 | lower`. The decoder runs the same adaptation and the receive QMF.
//! 20 ms is 320 samples and 160 octets.
//!
//! RTP (RFC 3551 §4.5.2): the payload type is 9 and SDP and RTP timestamps say 8000 Hz
//! although the audio is sampled at 16 kHz — a 20 ms packet advances the timestamp by
//! 160. That quirk is the stream layer's business; here everything is 16 kHz samples and
//! octets.
//!
//! Every octet is a valid code, so decoding cannot fail on content, only on a buffer too
//! small; the state is a few hundred bytes and needs no allocation.

mod adpcm;
#[cfg(test)]
mod itu_vectors;
mod qmf;
mod tables;

use crate::CodecError;
use adpcm::{HighBand, LowBand};
use qmf::{Analysis, Synthesis};

const NAME: &str = "G.722";

/// The audio sampling rate of G.722.
pub const SAMPLE_RATE: u32 = 16_000;
/// The RTP clock rate G.722 is signalled with (RFC 3551): half the sampling rate.
pub const RTP_CLOCK_RATE: u32 = 8_000;

/// A G.722 encoder (64 kbit/s).
#[derive(Debug, Clone)]
pub struct G722Encoder {
    qmf: Analysis,
    low: LowBand,
    high: HighBand,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// An encoder in its reset state.
    pub fn new() -> Self {
        Self {
            qmf: Analysis::new(),
            low: LowBand::new(),
            high: HighBand::new(),
        }
    }

    /// Encodes `pcm` (16 kHz, an even number of samples) into `out`, one octet per two
    /// samples; returns the number of octets written.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if pcm.len() % 2 != 0 {
            return Err(CodecError::FrameSize {
                codec: NAME,
                len: pcm.len(),
            });
        }
        let needed = pcm.len() / 2;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed,
                capacity: out.len(),
            });
        }
        for (pair, octet) in pcm.chunks_exact(2).zip(out.iter_mut()) {
            let (xl, xh) = self.qmf.split(pair[0], pair[1]);
            let low = self.low.encode(xl);
            let high = self.high.encode(xh);
            *octet = (high << 6) | low;
        }
        Ok(needed)
    }
}

/// A G.722 decoder (64 kbit/s mode).
#[derive(Debug, Clone)]
pub struct G722Decoder {
    qmf: Synthesis,
    low: LowBand,
    high: HighBand,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A decoder in its reset state.
    pub fn new() -> Self {
        Self {
            qmf: Synthesis::new(),
            low: LowBand::new(),
            high: HighBand::new(),
        }
    }

    /// Decodes `payload` into `out` (16 kHz), two samples per octet; returns the number of
    /// samples written.
    pub fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        let needed = payload.len() * 2;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed,
                capacity: out.len(),
            });
        }
        for (&octet, pair) in payload.iter().zip(out.chunks_exact_mut(2)) {
            let rl = self.low.decode(octet & 0x3f);
            let rh = self.high.decode(octet >> 6);
            let (first, second) = self.qmf.merge(rl, rh);
            pair[0] = first;
            pair[1] = second;
        }
        Ok(needed)
    }
}
