//! Seams for audio of the SBC's own on a transcoded direction: a [`Listener`] hears the
//! decoded input (the media engine's DTMF detector runs there), and
//! [`Transcoder::insert`](super::Transcoder::insert) puts samples of the engine's making
//! (DTMF tones) in place of the input's.

use std::any::Any;
use std::fmt::Debug;

/// Hears every sample a direction decodes (concealment and comfort noise included), at
/// the decoding rate, in order. It travels with the transcoder (a transcoding thread may
/// run it), hence `Send`; it must not allocate per call.
pub trait Listener: Send + Debug {
    /// `pcm` was decoded, at `rate` Hz, right after what the last call gave.
    fn decoded(&mut self, pcm: &[i16], rate: u32);
    /// The listener as [`Any`], for its owner to read what it heard.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}
