//! The errors of the codecs: a peer's bad payload or a caller's wrong buffer is a value,
//! never a panic.

/// What went wrong encoding or decoding one frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The payload's length is not one the codec can carry (e.g. G.729: not 10·n or
    /// 10·n + 2 bytes).
    #[error("{codec}: a payload of {len} bytes is not a whole number of frames")]
    PayloadLength {
        /// The codec's name.
        codec: &'static str,
        /// The payload's length in bytes.
        len: usize,
    },
    /// The number of input samples is not a frame size the codec takes.
    #[error("{codec}: {len} samples is not a frame size it encodes")]
    FrameSize {
        /// The codec's name.
        codec: &'static str,
        /// The number of samples given.
        len: usize,
    },
    /// The output buffer is too small for what the input gives.
    #[error("{codec}: the output needs room for {needed}, the buffer holds {capacity}")]
    OutputTooSmall {
        /// The codec's name.
        codec: &'static str,
        /// Samples (decoding) or bytes (encoding) needed.
        needed: usize,
        /// What the buffer holds.
        capacity: usize,
    },
    /// The codec library refused the payload as corrupt.
    #[error("{codec}: corrupt payload ({reason})")]
    Corrupt {
        /// The codec's name.
        codec: &'static str,
        /// The library's reason.
        reason: &'static str,
    },
    /// The codec library refused a setting or failed to set itself up.
    #[error("{codec}: {reason}")]
    Setup {
        /// The codec's name.
        codec: &'static str,
        /// The library's reason.
        reason: &'static str,
    },
}
