//! Codec DSP of the Edge SBC: a leaf crate (it imports nothing of ours) that turns RTP
//! payloads into 16-bit linear samples and back, one channel, for the media engine's
//! transcoding and its DTMF tones.
//!
//! | module | codec | audio rate | 20 ms frame | written |
//! |---|---|---|---|---|
//! | [`g711`] | G.711 µ-law (PCMU) / A-law (PCMA) | 8 kHz | 160 octets | here |
//! | [`g722`] | G.722 at 64 kbit/s | 16 kHz (RTP clock 8000) | 160 octets | here, from the ITU-T text |
//! | `opus` | Opus, mono (RFC 6716/7587) | 8/12/16/24/48 kHz (RTP clock 48000) | 1 packet | libopus (feature `opus`) |
//! | `g729` | G.729 Annex A, Annex B SID (RFC 3551) | 8 kHz | 20 bytes (+2 SID) | libbcg729 (feature `g729`) |
//! | [`resample`] | 8 ↔ 16 kHz, halfband polyphase FIR | | | here |
//! | [`cn`] | RFC 3389 comfort noise: payloads read (level and spectral shape, played as noise through the all-pole filter they describe) and written (level and LPC analysis) | any | | here |
//!
//! `transcode` (with both features) builds one direction of a transcoded RTP stream from
//! these: re-ordering, loss concealment, re-cutting to the output ptime, and the
//! SBC's own SSRC, sequence numbers and timestamps.
//!
//! The two C libraries are behind cargo features (on by default for this crate's own
//! tests and benches; the media engine does not turn them on until its transform phase
//! uses them, so the daemon links neither until then). Building with them needs
//! Debian's `libopus-dev` and `libbcg729-dev` (installed by `scripts/setup`); their
//! `unsafe` FFI is confined to `opus/` and `g729/`, the rest of the crate has none.
//!
//! Encoders and decoders are plain structs holding their state: `encode(&pcm, &mut out)`
//! and `decode(&payload, &mut out)` return how much they wrote or a [`CodecError`]; they
//! never allocate per frame and never panic on a peer's bytes.
//!
//! Samples are 16-bit linear PCM (`i16`, full scale ±32767), one channel.

pub mod cn;
pub mod error;
pub mod g711;
pub mod g722;
#[cfg(feature = "g729")]
pub mod g729;
#[cfg(feature = "opus")]
pub mod opus;
pub mod resample;
#[cfg(all(feature = "opus", feature = "g729"))]
pub mod transcode;

pub use error::CodecError;
pub use g711::Law;
pub use g722::{G722Decoder, G722Encoder};
