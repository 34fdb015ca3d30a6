//! Resource limits applied while parsing a peer's description.

/// Limits on what a peer may make the SBC parse. Exceeding one refuses the description
/// with [`crate::SdpErrorKind::TooLarge`], `LineTooLong`, `TooManyMedia` or
/// `TooManyAttributes`; the parser stops at the first excess, so the work done is linear
/// in the size of the input whatever it contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdpLimits {
    /// Largest description in bytes, as received (default 8 KiB).
    pub max_size: usize,
    /// Longest line in bytes, without its line ending (default 1024).
    pub max_line: usize,
    /// Most `m=` sections (default 64).
    pub max_media: usize,
    /// Most `a=` lines in one section, session or media (default 256).
    pub max_attributes: usize,
}

impl Default for SdpLimits {
    fn default() -> Self {
        SdpLimits {
            max_size: 8 * 1024,
            max_line: 1024,
            max_media: 64,
            max_attributes: 256,
        }
    }
}
