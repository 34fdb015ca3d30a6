//! Why a session description was refused.

use crate::address::AddrType;

/// A session description that cannot be accepted.
///
/// `line` is the 1-based line number the problem was found on (blank lines count). For a
/// missing mandatory line it is the line by which it should have appeared: the first `m=`
/// line, or one past the last line. `0` means the input as a whole (size limit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line}: {kind}")]
pub struct SdpError {
    /// 1-based line number, 0 for the whole input.
    pub line: usize,
    /// What is wrong, carrying the offending value.
    pub kind: SdpErrorKind,
}

impl SdpError {
    pub(crate) fn at(line: usize, kind: SdpErrorKind) -> Self {
        SdpError { line, kind }
    }
}

/// The reasons a description is refused. Each carries the bad value as it was received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpErrorKind {
    #[error("description of {size} bytes exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("line of {length} bytes exceeds the limit of {limit}")]
    LineTooLong { length: usize, limit: usize },
    #[error("more than {limit} media sections")]
    TooManyMedia { limit: usize },
    #[error("more than {limit} attributes in one section")]
    TooManyAttributes { limit: usize },
    #[error("line is not valid UTF-8")]
    NotUtf8,
    #[error("forbidden control character {byte:#04x} in line")]
    BadCharacter { byte: u8 },
    #[error("malformed line \"{line}\", expected <letter>=<value>")]
    MalformedLine { line: String },
    #[error("unsupported protocol version \"{value}\", only v=0 exists")]
    BadVersion { value: String },
    #[error("missing mandatory {letter}= line")]
    MissingLine { letter: char },
    #[error("more than one {letter}= line in one section")]
    DuplicateLine { letter: char },
    #[error("{letter}= line not allowed here")]
    UnexpectedLine { letter: char },
    #[error("malformed origin \"{value}\"")]
    BadOrigin { value: String },
    #[error("malformed {field} \"{value}\"")]
    BadNumber { field: &'static str, value: String },
    #[error("unsupported network type \"{value}\", only IN")]
    BadNetType { value: String },
    #[error("unsupported address type \"{value}\", only IP4 and IP6")]
    BadAddrType { value: String },
    #[error("invalid {addrtype} address \"{value}\"")]
    BadAddress { addrtype: AddrType, value: String },
    #[error("malformed connection data \"{value}\"")]
    BadConnection { value: String },
    #[error("malformed timing \"{value}\"")]
    BadTiming { value: String },
    #[error("malformed bandwidth \"{value}\"")]
    BadBandwidth { value: String },
    #[error("malformed media description \"{value}\"")]
    BadMedia { value: String },
    #[error("media port \"{value}\" is not a number")]
    BadPort { value: String },
    #[error("media port {value} is out of range 0-65535")]
    PortOutOfRange { value: String },
    #[error("invalid number of ports \"{value}\"")]
    BadPortCount { value: String },
    #[error("port {port} with {count} ports runs past 65535")]
    PortRangeOverflow { port: u16, count: u32 },
    #[error("media section {index} has no connection address (no c= in it nor at session level)")]
    NoConnection { index: usize },
    #[error("malformed a={name} value \"{value}\"")]
    BadAttribute { name: &'static str, value: String },
}

/// A typed attribute value that does not follow its grammar (returned by the `FromStr`
/// implementations of [`crate::RtpMap`], [`crate::Crypto`] and friends).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed a={name} value \"{value}\"")]
pub struct AttributeError {
    /// The attribute name, e.g. `rtpmap`.
    pub name: &'static str,
    /// The value as received.
    pub value: String,
}

impl AttributeError {
    pub(crate) fn new(name: &'static str, value: &str) -> Self {
        AttributeError {
            name,
            value: value.to_owned(),
        }
    }
}

impl From<AttributeError> for SdpErrorKind {
    fn from(e: AttributeError) -> Self {
        SdpErrorKind::BadAttribute {
            name: e.name,
            value: e.value,
        }
    }
}
