//! G.729 Annex A (CS-ACELP, 8 kbit/s) with Annex B (VAD, DTX, comfort noise) through
//! Debian's libbcg729, for RTP per RFC 3551 §4.5.6: payload type 18, 8 kHz, a 10 ms frame
//! is 10 bytes, a packet carries whole frames and at most one 2-byte SID (comfort noise
//! update) frame, last. A G.729A decoder decodes full G.729 too.
//!
//! Annex B in SDP (RFC 4856): an absent `annexb` means yes. The encoder sends SID frames
//! (and nothing in silence) only when built with `annex_b`; the decoder always
//! understands them. The binding is hand-written (`g729/ffi.rs`: six functions); the unsafe code
//! stays in this module and `ffi`.

#![allow(unsafe_code)]

mod ffi;

use crate::CodecError;
use std::ptr::NonNull;

const NAME: &str = "G.729";

/// Samples in one 10 ms frame (8 kHz).
pub const FRAME_SAMPLES: usize = 80;
/// Bytes of one voice frame.
pub const FRAME_BYTES: usize = 10;
/// Bytes of one SID (silence insertion descriptor) frame, Annex B.
pub const SID_BYTES: usize = 2;

/// A G.729A encoder, optionally with Annex B.
#[derive(Debug)]
pub struct G729Encoder {
    raw: NonNull<ffi::EncoderContext>,
}

// SAFETY: the context is plain memory owned by this value alone; bcg729 keeps no global
// or thread-local state for it.
unsafe impl Send for G729Encoder {}

impl G729Encoder {
    /// An encoder; with `annex_b` it detects silence and sends SID frames or nothing.
    pub fn new(annex_b: bool) -> Result<Self, CodecError> {
        // SAFETY: no arguments but a flag; returns an owned context or null.
        let raw = unsafe { ffi::initBcg729EncoderChannel(u8::from(annex_b)) };
        let raw = NonNull::new(raw).ok_or(CodecError::Setup {
            codec: NAME,
            reason: "no encoder context",
        })?;
        Ok(Self { raw })
    }

    /// Encodes whole 10 ms frames of `pcm` into one RTP payload in `out` (room for 10
    /// bytes per frame); returns its length: 10 per voice frame, then 2 if the packet ends
    /// in a SID, 0 when Annex B sends nothing. A SID followed by voice in the same packet
    /// is dropped (RFC 3551 allows a SID only at the end).
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if pcm.is_empty() || pcm.len() % FRAME_SAMPLES != 0 {
            return Err(CodecError::FrameSize {
                codec: NAME,
                len: pcm.len(),
            });
        }
        let needed = pcm.len() / FRAME_SAMPLES * FRAME_BYTES;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed,
                capacity: out.len(),
            });
        }
        let mut written = 0;
        let mut sid: Option<[u8; SID_BYTES]> = None;
        for frame in pcm.chunks_exact(FRAME_SAMPLES) {
            let mut bits = [0u8; FRAME_BYTES];
            let mut len: u8 = 0;
            // SAFETY: `frame` holds 80 samples, `bits` 10 bytes (the most it writes), `len`
            // is a valid out-pointer; the context is live.
            unsafe {
                ffi::bcg729Encoder(
                    self.raw.as_ptr(),
                    frame.as_ptr(),
                    bits.as_mut_ptr(),
                    &mut len,
                )
            };
            match usize::from(len) {
                FRAME_BYTES => {
                    sid = None;
                    out[written..written + FRAME_BYTES].copy_from_slice(&bits);
                    written += FRAME_BYTES;
                }
                SID_BYTES => sid = Some([bits[0], bits[1]]),
                _ => {}
            }
        }
        if let Some(sid) = sid {
            out[written..written + SID_BYTES].copy_from_slice(&sid);
            written += SID_BYTES;
        }
        Ok(written)
    }
}

impl Drop for G729Encoder {
    fn drop(&mut self) {
        // SAFETY: created by initBcg729EncoderChannel, closed once.
        unsafe { ffi::closeBcg729EncoderChannel(self.raw.as_ptr()) }
    }
}

/// A G.729 decoder (Annex A, understands Annex B SID frames).
#[derive(Debug)]
pub struct G729Decoder {
    raw: NonNull<ffi::DecoderContext>,
}

// SAFETY: as for G729Encoder.
unsafe impl Send for G729Decoder {}

impl G729Decoder {
    /// A decoder in its reset state.
    pub fn new() -> Result<Self, CodecError> {
        // SAFETY: returns an owned context or null.
        let raw = unsafe { ffi::initBcg729DecoderChannel() };
        let raw = NonNull::new(raw).ok_or(CodecError::Setup {
            codec: NAME,
            reason: "no decoder context",
        })?;
        Ok(Self { raw })
    }

    /// The number of samples `payload` decodes to: 80 per voice frame and per SID; an
    /// error unless it is 10·n or 10·n + 2 bytes (n ≥ 0, not empty).
    pub fn samples_in(payload: &[u8]) -> Result<usize, CodecError> {
        let voice = payload.len() / FRAME_BYTES;
        match payload.len() % FRAME_BYTES {
            0 if voice > 0 => Ok(voice * FRAME_SAMPLES),
            SID_BYTES => Ok((voice + 1) * FRAME_SAMPLES),
            _ => Err(CodecError::PayloadLength {
                codec: NAME,
                len: payload.len(),
            }),
        }
    }

    /// Decodes one RTP payload into `out`; a trailing SID frame gives 10 ms of comfort
    /// noise. Returns the number of samples written.
    pub fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        let needed = Self::samples_in(payload)?;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed,
                capacity: out.len(),
            });
        }
        let (voice, sid) = payload.split_at(payload.len() / FRAME_BYTES * FRAME_BYTES);
        let mut frames = out.chunks_exact_mut(FRAME_SAMPLES);
        for (bits, samples) in voice.chunks_exact(FRAME_BYTES).zip(&mut frames) {
            self.frame(bits, false, samples);
        }
        if let Some(samples) = frames.next().filter(|_| !sid.is_empty()) {
            self.frame(sid, false, samples);
        }
        Ok(needed)
    }

    /// Packet loss concealment for `frames` lost 10 ms frames.
    pub fn conceal(&mut self, frames: usize, out: &mut [i16]) -> Result<usize, CodecError> {
        let needed = frames * FRAME_SAMPLES;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed,
                capacity: out.len(),
            });
        }
        for samples in out[..needed].chunks_exact_mut(FRAME_SAMPLES) {
            self.frame(&[0u8; FRAME_BYTES], true, samples);
        }
        Ok(needed)
    }

    /// Comfort noise for `frames` untransmitted 10 ms frames: what Annex B's decoder
    /// plays between SID frames (the last SID's level and spectrum, smoothed), for a
    /// sender that went quiet after one.
    pub fn untransmitted(&mut self, frames: usize, out: &mut [i16]) -> Result<usize, CodecError> {
        let needed = frames * FRAME_SAMPLES;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed,
                capacity: out.len(),
            });
        }
        for samples in out[..needed].chunks_exact_mut(FRAME_SAMPLES) {
            // A zero length with the SID flag is Annex B's untransmitted frame.
            self.raw_frame(&[0u8; FRAME_BYTES], 0, false, true, samples);
        }
        Ok(needed)
    }

    fn frame(&mut self, bits: &[u8], erased: bool, samples: &mut [i16]) {
        let sid = bits.len() == SID_BYTES;
        self.raw_frame(bits, bits.len() as u8, erased, sid, samples);
    }

    fn raw_frame(&mut self, bits: &[u8], len: u8, erased: bool, sid: bool, samples: &mut [i16]) {
        debug_assert!(usize::from(len) <= bits.len() && samples.len() >= FRAME_SAMPLES);
        // SAFETY: `bits` holds at least `len` bytes (10, 2 or 0 with a 10-byte buffer
        // behind it); `samples` holds 80; the context is live.
        unsafe {
            ffi::bcg729Decoder(
                self.raw.as_ptr(),
                bits.as_ptr(),
                len,
                u8::from(erased),
                u8::from(sid),
                0,
                samples.as_mut_ptr(),
            )
        }
    }
}

impl Drop for G729Decoder {
    fn drop(&mut self) {
        // SAFETY: created by initBcg729DecoderChannel, closed once.
        unsafe { ffi::closeBcg729DecoderChannel(self.raw.as_ptr()) }
    }
}
