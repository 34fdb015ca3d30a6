//! Why a message was refused by the wire layer.

use crate::grammar::GrammarError;

/// A message that cannot be accepted. Requests refused with one of these are answered
/// with [`ParseError::status_code`] (400, or 505 for another SIP version) and a Warning
/// carrying the Display text, when a response can be formed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("message of {size} bytes exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("more than {limit} header fields")]
    TooManyHeaders { limit: usize },
    #[error("no empty line ends the header section")]
    NoEndOfHeaders,
    #[error("header section is not valid UTF-8")]
    NotUtf8,
    #[error("line not terminated by CRLF")]
    BareLineFeed,
    #[error("malformed start line \"{line}\"")]
    BadStartLine { line: String },
    #[error("malformed Request-URI \"{uri}\"")]
    BadRequestUri { uri: String },
    #[error("Request-URI may not carry headers: \"{uri}\"")]
    HeadersInRequestUri { uri: String },
    #[error("SIP version \"{version}\" not supported")]
    UnsupportedVersion { version: String },
    #[error("malformed header line \"{line}\"")]
    BadHeaderLine { line: String },
    #[error("malformed {name} header: {error}")]
    BadHeader {
        name: &'static str,
        error: GrammarError,
    },
    #[error("missing {name} header")]
    MissingHeader { name: &'static str },
    #[error("more than one {name} header")]
    DuplicateHeader { name: &'static str },
    #[error("Content-Length {declared} exceeds the {available} bytes present")]
    BodyTruncated { declared: usize, available: usize },
    #[error("Content-Length is required on stream transports")]
    MissingContentLength,
    #[error("CSeq method {cseq} does not match request method {method}")]
    CSeqMethodMismatch { method: String, cseq: String },
}

impl ParseError {
    /// The status code a request refused with this error is answered with.
    pub fn status_code(&self) -> u16 {
        match self {
            ParseError::UnsupportedVersion { .. } => 505,
            ParseError::TooLarge { .. } => 513,
            _ => 400,
        }
    }

    /// Whether a stream connection that produced this error must be closed, because
    /// framing (where the next message starts) is lost.
    pub fn breaks_framing(&self) -> bool {
        matches!(
            self,
            ParseError::TooLarge { .. }
                | ParseError::NoEndOfHeaders
                | ParseError::MissingContentLength
                | ParseError::TooManyHeaders { .. }
                | ParseError::NotUtf8
                | ParseError::BareLineFeed
        ) || matches!(
            self,
            ParseError::BadHeader {
                name: "Content-Length",
                ..
            }
        ) || matches!(
            self,
            ParseError::DuplicateHeader {
                name: "Content-Length"
            }
        )
    }
}
