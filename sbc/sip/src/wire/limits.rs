//! Resource limits applied to every message before it is parsed further.

/// Limits on what a peer may make the SBC buffer and parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message (header section and body), in bytes.
    pub max_message_size: usize,
    /// Most header fields (lines, not values) in one message.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 65_535,
            max_headers: 128,
        }
    }
}
