//! Typed, zero-copy views of header values (RFC 3261 §25 grammar).
//!
//! Every parser here borrows from the message text and allocates nothing but its error.
//! Header values arrive exactly as written on the wire — folded over several lines, with
//! white space around every separator — and `cursor::Cursor` is the single place that
//! knows how to skip it.

pub(crate) mod chars;
pub(crate) mod cursor;
pub mod host;
pub mod name_addr;
pub mod params;
pub mod scalar;
pub mod uri;
pub mod via;

pub use chars::is_token_str;
pub use host::Host;
pub use name_addr::NameAddr;
pub use params::Params;
pub use scalar::CSeq;
pub use uri::{SipUri, Uri};
pub use via::Via;

/// Why a header value does not match its grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrammarError {
    #[error("expected {expected} at \"{found}\"")]
    Unexpected {
        expected: &'static str,
        found: String,
    },
    #[error("unterminated {0}")]
    Unterminated(&'static str),
    #[error("invalid URI \"{0}\"")]
    BadUri(String),
    #[error("invalid host \"{0}\"")]
    BadHost(String),
    #[error("invalid port \"{0}\"")]
    BadPort(String),
    #[error("{what} is not a number: \"{value}\"")]
    NotANumber { what: &'static str, value: String },
    #[error("{what} out of range: \"{value}\"")]
    OutOfRange { what: &'static str, value: String },
    #[error("invalid Call-ID \"{0}\"")]
    BadCallId(String),
    #[error("invalid Date \"{0}\" (RFC 1123 format in GMT expected)")]
    BadDate(String),
}
