//! Opus (RFC 6716) through Debian's libopus, mono, for RTP per RFC 7587: the RTP clock is
//! always 48 kHz, but libopus encodes from and decodes to 8, 12, 16, 24 or 48 kHz itself,
//! so G.711 ↔ Opus needs no resampler.
//!
//! Why libopus and not a Rust port: it is the reference implementation every peer runs
//! (interop by construction), Debian ships it on every architecture, and it is the
//! fastest there is (SIMD paths); a pure-Rust port (`opus-rs` style) would add a large
//! dependency tree for a slower and less proven codec. The binding is hand-written
//! (`opus/ffi.rs`: a dozen functions) instead of a `-sys` crate: no build script, no bindgen,
//! nothing that compiles C. The unsafe code is confined to this module and `ffi`.
//!
//! fmtp (RFC 7587 §7): `useinbandfec` and `usedtx` map to [`OpusSettings::inband_fec`]
//! and [`OpusSettings::dtx`], `maxaveragebitrate` caps [`OpusSettings::bitrate`].

#![allow(unsafe_code)]

mod ffi;

use crate::CodecError;
use std::ffi::c_int;
use std::ptr::NonNull;

const NAME: &str = "Opus";

/// The RTP clock rate of Opus (RFC 7587 §4.1), whatever the audio bandwidth.
pub const RTP_CLOCK_RATE: u32 = 48_000;

/// The largest frame libopus decodes: 120 ms at 48 kHz.
pub const MAX_FRAME_SAMPLES_48K: usize = 5760;

/// How an encoder is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusSettings {
    /// The audio rate it encodes from: 8000, 12000, 16000, 24000 or 48000.
    pub sample_rate: u32,
    /// Target bitrate, bit/s (6000..=510000).
    pub bitrate: u32,
    /// 0 (cheapest) to 10 (best).
    pub complexity: u8,
    /// In-band forward error correction (fmtp `useinbandfec=1`).
    pub inband_fec: bool,
    /// Discontinuous transmission (fmtp `usedtx=1`).
    pub dtx: bool,
    /// The loss the encoder should plan its FEC for, percent.
    pub expected_loss_percent: u8,
}

impl OpusSettings {
    /// Mono voice at `sample_rate`: 24 kbit/s, complexity 5, no FEC, no DTX.
    pub fn voice(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            bitrate: 24_000,
            complexity: 5,
            inband_fec: false,
            dtx: false,
            expected_loss_percent: 0,
        }
    }
}

fn check_rate(rate: u32) -> Result<i32, CodecError> {
    match rate {
        8000 | 12000 | 16000 | 24000 | 48000 => Ok(rate as i32),
        _ => Err(CodecError::Setup {
            codec: NAME,
            reason: "sample rate not 8/12/16/24/48 kHz",
        }),
    }
}

fn len_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// An Opus encoder (mono, VoIP application, voice signal).
#[derive(Debug)]
pub struct OpusEncoder {
    raw: NonNull<ffi::OpusEncoder>,
    sample_rate: u32,
}

// SAFETY: an OpusEncoder is plain memory owned by this value alone; libopus keeps no
// thread-local or global state for it, so it may move to another thread.
unsafe impl Send for OpusEncoder {}

impl OpusEncoder {
    /// Creates and configures an encoder.
    pub fn new(settings: OpusSettings) -> Result<Self, CodecError> {
        let rate = check_rate(settings.sample_rate)?;
        let mut error: c_int = 0;
        // SAFETY: valid rate and channel count; `error` is a valid out-pointer.
        let raw =
            unsafe { ffi::opus_encoder_create(rate, 1, ffi::OPUS_APPLICATION_VOIP, &mut error) };
        let raw = NonNull::new(raw)
            .filter(|_| error == ffi::OPUS_OK)
            .ok_or(CodecError::Setup {
                codec: NAME,
                reason: ffi::reason(error),
            })?;
        let encoder = Self {
            raw,
            sample_rate: settings.sample_rate,
        };
        let bitrate = settings.bitrate.clamp(6000, 510_000) as c_int;
        encoder.set(ffi::OPUS_SET_BITRATE_REQUEST, bitrate)?;
        encoder.set(
            ffi::OPUS_SET_COMPLEXITY_REQUEST,
            c_int::from(settings.complexity.min(10)),
        )?;
        encoder.set(
            ffi::OPUS_SET_INBAND_FEC_REQUEST,
            c_int::from(settings.inband_fec),
        )?;
        encoder.set(ffi::OPUS_SET_DTX_REQUEST, c_int::from(settings.dtx))?;
        encoder.set(
            ffi::OPUS_SET_PACKET_LOSS_PERC_REQUEST,
            c_int::from(settings.expected_loss_percent.min(100)),
        )?;
        encoder.set(ffi::OPUS_SET_SIGNAL_REQUEST, ffi::OPUS_SIGNAL_VOICE)?;
        Ok(encoder)
    }

    fn set(&self, request: c_int, value: c_int) -> Result<(), CodecError> {
        // SAFETY: a live encoder; every SET request used here takes one int.
        let code = unsafe { ffi::opus_encoder_ctl(self.raw.as_ptr(), request, value) };
        if code == ffi::OPUS_OK {
            Ok(())
        } else {
            Err(CodecError::Setup {
                codec: NAME,
                reason: ffi::reason(code),
            })
        }
    }

    /// The encoder's algorithmic delay, samples at its rate.
    pub fn lookahead(&self) -> Result<usize, CodecError> {
        let mut samples: i32 = 0;
        // SAFETY: a live encoder; GET_LOOKAHEAD writes one int through the pointer.
        let code = unsafe {
            ffi::opus_encoder_ctl(
                self.raw.as_ptr(),
                ffi::OPUS_GET_LOOKAHEAD_REQUEST,
                &mut samples as *mut i32,
            )
        };
        if code == ffi::OPUS_OK {
            Ok(usize::try_from(samples).unwrap_or(0))
        } else {
            Err(CodecError::Setup {
                codec: NAME,
                reason: ffi::reason(code),
            })
        }
    }

    /// Encodes one frame (2.5, 5, 10, 20, 40 or 60 ms at the encoder's rate) into `out`;
    /// returns the packet's length (1 or 2 bytes: DTX says "nothing to send").
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        let rate = self.sample_rate as usize;
        let valid = [
            rate / 400,
            rate / 200,
            rate / 100,
            rate / 50,
            rate / 25,
            rate * 3 / 50,
        ];
        if !valid.contains(&pcm.len()) {
            return Err(CodecError::FrameSize {
                codec: NAME,
                len: pcm.len(),
            });
        }
        // SAFETY: `pcm` holds `frame_size` samples (one channel), `out` is writable for
        // the length given; the encoder is live.
        let written = unsafe {
            ffi::opus_encode(
                self.raw.as_ptr(),
                pcm.as_ptr(),
                len_i32(pcm.len()),
                out.as_mut_ptr(),
                len_i32(out.len()),
            )
        };
        if written >= 0 {
            Ok(written as usize)
        } else if written == ffi::OPUS_BUFFER_TOO_SMALL {
            Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed: out.len() + 1,
                capacity: out.len(),
            })
        } else {
            Err(CodecError::Setup {
                codec: NAME,
                reason: ffi::reason(written),
            })
        }
    }
}

impl Drop for OpusEncoder {
    fn drop(&mut self) {
        // SAFETY: created by opus_encoder_create, destroyed once.
        unsafe { ffi::opus_encoder_destroy(self.raw.as_ptr()) }
    }
}

/// An Opus decoder (mono).
#[derive(Debug)]
pub struct OpusDecoder {
    raw: NonNull<ffi::OpusDecoder>,
    sample_rate: u32,
}

// SAFETY: as for OpusEncoder: plain memory owned by this value alone.
unsafe impl Send for OpusDecoder {}

impl OpusDecoder {
    /// A decoder giving audio at `sample_rate` (8, 12, 16, 24 or 48 kHz).
    pub fn new(sample_rate: u32) -> Result<Self, CodecError> {
        let rate = check_rate(sample_rate)?;
        let mut error: c_int = 0;
        // SAFETY: valid rate and channel count; `error` is a valid out-pointer.
        let raw = unsafe { ffi::opus_decoder_create(rate, 1, &mut error) };
        let raw = NonNull::new(raw)
            .filter(|_| error == ffi::OPUS_OK)
            .ok_or(CodecError::Setup {
                codec: NAME,
                reason: ffi::reason(error),
            })?;
        Ok(Self { raw, sample_rate })
    }

    /// The number of samples (at this decoder's rate) `payload` decodes to, from its TOC
    /// byte and frame count; an error for a payload that is no Opus packet.
    pub fn samples_in(&self, payload: &[u8]) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::PayloadLength {
                codec: NAME,
                len: 0,
            });
        }
        // SAFETY: reads `len` bytes of `payload`.
        let n = unsafe {
            ffi::opus_packet_get_nb_samples(
                payload.as_ptr(),
                len_i32(payload.len()),
                self.sample_rate as i32,
            )
        };
        usize::try_from(n).map_err(|_| CodecError::Corrupt {
            codec: NAME,
            reason: ffi::reason(n),
        })
    }

    /// Decodes one packet into `out`; returns the number of samples written.
    pub fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        let needed = self.samples_in(payload)?;
        self.run(payload, out, needed, false)
    }

    /// Decodes the forward error correction data a packet carries for the one before it
    /// (which was lost) into `out`, `samples` long (that lost packet's duration).
    pub fn decode_fec(
        &mut self,
        payload: &[u8],
        samples: usize,
        out: &mut [i16],
    ) -> Result<usize, CodecError> {
        self.samples_in(payload)?;
        self.run(payload, out, samples, true)
    }

    /// Packet loss concealment: `samples` of audio continuing what was decoded last.
    pub fn conceal(&mut self, samples: usize, out: &mut [i16]) -> Result<usize, CodecError> {
        self.run(&[], out, samples, false)
    }

    fn run(
        &mut self,
        payload: &[u8],
        out: &mut [i16],
        samples: usize,
        fec: bool,
    ) -> Result<usize, CodecError> {
        if out.len() < samples {
            return Err(CodecError::OutputTooSmall {
                codec: NAME,
                needed: samples,
                capacity: out.len(),
            });
        }
        let data = if payload.is_empty() {
            std::ptr::null()
        } else {
            payload.as_ptr()
        };
        // SAFETY: `data` is null (concealment) or `payload` with its length; `out` is
        // writable for `samples` (checked above); the decoder is live.
        let decoded = unsafe {
            ffi::opus_decode(
                self.raw.as_ptr(),
                data,
                len_i32(payload.len()),
                out.as_mut_ptr(),
                len_i32(samples),
                c_int::from(fec),
            )
        };
        usize::try_from(decoded).map_err(|_| CodecError::Corrupt {
            codec: NAME,
            reason: ffi::reason(decoded),
        })
    }
}

impl Drop for OpusDecoder {
    fn drop(&mut self) {
        // SAFETY: created by opus_decoder_create, destroyed once.
        unsafe { ffi::opus_decoder_destroy(self.raw.as_ptr()) }
    }
}
