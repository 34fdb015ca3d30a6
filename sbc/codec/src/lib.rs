//! Codec DSP of the Edge SBC: a leaf crate (it imports nothing of ours), pure functions
//! over sample slices, no allocation, no state beyond what a caller holds.
//!
//! Today: G.711 ([`g711`]), which the media engine's DTMF steps use to hear and to play
//! dual tones in PCMU/PCMA streams. Transcoding (G.722, Opus, resampling) lands here with
//! its issue.
//!
//! Samples are 16-bit linear PCM (`i16`, full scale ±32767), one channel.

pub mod g711;

pub use g711::Law;
