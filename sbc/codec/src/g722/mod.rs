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
#[cfg(test)]
mod reference;
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
    /// `encode` ran: the higher band may have left its reset state.
    wide_used: bool,
    /// Silent higher-band samples `encode_narrow` did not run (their codes are known);
    /// `encode` runs up to `adpcm::SILENCE_SETTLES` of them first, which brings the
    /// higher band to exactly the state it would have had.
    high_skipped: u64,
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
            wide_used: false,
            high_skipped: 0,
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
        for _ in 0..std::mem::take(&mut self.high_skipped).min(adpcm::SILENCE_SETTLES) {
            self.high.encode(0);
        }
        self.wide_used = true;
        for (pair, octet) in pcm.chunks_exact(2).zip(out.iter_mut()) {
            let (xl, xh) = self.qmf.split(pair[0], pair[1]);
            let low = self.low.encode(xl);
            let high = self.high.encode(xh);
            *octet = (high << 6) | low;
        }
        Ok(needed)
    }
}

impl G722Encoder {
    /// Encodes 8 kHz audio `pcm` straight into the lower sub-band, one octet per sample,
    /// the higher band coded from silence: what the full encoder gives for 8 kHz audio
    /// upsampled to 16 kHz (whose 4–8 kHz band is empty), without the upsampler and the
    /// transmit QMF. Returns the number of octets written.
    pub fn encode_narrow(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        let needed = pcm.len();
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed,
                capacity: out.len(),
            });
        }
        for (&x, octet) in pcm.iter().zip(out.iter_mut()) {
            // The QMF's passband gain is ¼: 16-bit audio becomes the 14-bit lower band.
            let low = self.low.encode(i32::from(x) >> 2);
            // From its reset state, the higher band codes silence as 3 for ever (its
            // difference quantizes to 0 at the smallest scale factor; only its pole
            // coefficients move, and settle), so an encoder that has only ever coded
            // 8 kHz audio need not run it.
            let high = if self.wide_used {
                self.high.encode(0)
            } else {
                self.high_skipped = self.high_skipped.saturating_add(1);
                adpcm::HIGH_SILENCE
            };
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

impl G722Decoder {
    /// Decodes `payload` to 8 kHz audio from the lower sub-band alone, one sample per
    /// octet: no receive QMF, no higher band, no downsampler. The price is the QMF's
    /// aliasing around 4 kHz, which the higher band would have cancelled: content at
    /// 4–5 kHz folds back into 3–4 kHz, attenuated by the QMF's transition band (see the
    /// tests). A decoder runs in one mode for its life.
    pub fn decode_narrow(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        let needed = payload.len();
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed,
                capacity: out.len(),
            });
        }
        for (&octet, sample) in payload.iter().zip(out.iter_mut()) {
            let rl = self.low.decode(octet & 0x3f);
            // In range: |rl| <= 16384, times 4 fits after the clamp.
            *sample = (rl << 2).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
        Ok(needed)
    }
}

#[cfg(test)]
mod tests {
    use super::adpcm::{HighBand, LowBand};
    use super::qmf::Analysis;
    use super::*;

    /// The narrow encoder's shortcut for the higher band gives exactly what running it
    /// gives, also when wide encoding follows narrow encoding.
    #[test]
    fn the_narrow_shortcut_is_exact() {
        let narrow: Vec<i16> = (0..4000)
            .map(|n| ((n * 7919) % 20_001 - 10_000) as i16)
            .collect();
        let wide: Vec<i16> = (0..4000)
            .map(|n| ((n * 104_729) % 30_001 - 15_000) as i16)
            .collect();
        for skipped in [10usize, 219, 4000] {
            let mut encoder = G722Encoder::new();
            let mut got = vec![0u8; skipped + 2000];
            encoder
                .encode_narrow(&narrow[..skipped], &mut got)
                .expect("narrow");
            encoder.encode(&wide, &mut got[skipped..]).expect("wide");

            let (mut low, mut high, mut qmf) = (LowBand::new(), HighBand::new(), Analysis::new());
            let mut want: Vec<u8> = narrow[..skipped]
                .iter()
                .map(|&x| (high.encode(0) << 6) | low.encode(i32::from(x) >> 2))
                .collect();
            for pair in wide.chunks_exact(2) {
                let (xl, xh) = qmf.split(pair[0], pair[1]);
                let l = low.encode(xl);
                want.push((high.encode(xh) << 6) | l);
            }
            assert_eq!(got, want, "after {skipped} narrow samples");
        }
    }
}
