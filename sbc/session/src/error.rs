//! Why the media plane refuses a session description. Each refusal becomes a
//! [`NotAcceptable`](sbc_sip::b2bua::NotAcceptable): the request carrying the body is
//! answered 488 with the message in a Warning. The full message (with the bad value)
//! describes what the sender itself wrote; when the refusal reaches the *other* side (B's
//! 18x/2xx refused: A's INVITE fails) only [`MediaError::summary`] is shown.

use std::net::{IpAddr, SocketAddr};

use sbc_sdp::{AddrType, SdpError};

/// A description the SBC cannot anchor, or a stream of one it refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("malformed SDP: {0}")]
    Malformed(#[from] SdpError),
    #[error("SDP inside a multipart body is not supported")]
    Multipart,
    #[error("no media realm for this call ({why})")]
    NoRealm { why: String },
    #[error("media section {index}: address \"{name}\" is not an IP literal")]
    NameAddress { index: usize, name: String },
    #[error("media section {index}: {found} address {addr} on realm {realm}, which uses {wanted}")]
    WrongFamily {
        index: usize,
        addr: IpAddr,
        found: AddrType,
        realm: String,
        wanted: AddrType,
    },
    #[error("media section {index}: {addr} is not a unicast address")]
    NotUnicast { index: usize, addr: IpAddr },
    #[error("media section {index}: port {port} is not a media port (1024-65535)")]
    BadPort { index: usize, port: u16 },
    #[error("media section {index}: {addr} is one of the SBC's own media ports")]
    OwnPort { index: usize, addr: SocketAddr },
    #[error("no media ports left in realm {realm}")]
    NoPorts { realm: String },
    #[error("media section {index}: no codec allowed by {policy} (offered: {offered})")]
    NoCodec {
        index: usize,
        policy: String,
        offered: String,
    },
    #[error("media section {index}: {proto} (DTLS-SRTP) is not supported; SRTP keyed by SDES is")]
    Srtp { index: usize, proto: String },
    #[error("media section {index}: SRTP refused on {leg}: {why}")]
    SrtpRefused {
        index: usize,
        leg: String,
        why: &'static str,
    },
    #[error(
        "media section {index}: SRTP is required on {leg}, and the offer has no usable a=crypto ({skipped})"
    )]
    SrtpRequired {
        index: usize,
        leg: String,
        /// Why each line was skipped (`none offered` without any).
        skipped: String,
    },
    #[error("media section {index}: no usable a=crypto of the answer matches a line of the offer")]
    SrtpAnswer { index: usize },
    #[error("no SRTP key: {0}")]
    NoKey(#[from] super::sdes::NoRandom),
    #[error("media section {index}: transport {proto} is not relayed")]
    Proto { index: usize, proto: String },
    #[error("media section {index}: more than {limit} streams in one call")]
    TooManyStreams { index: usize, limit: usize },
    #[error("an SDP answer without an offer")]
    AnswerWithoutOffer,
    #[error("an SDP answer from the side that made the offer")]
    AnswerFromOfferer,
    #[error("the answer has {answer} media sections, the offer had {offer}")]
    SectionCount { offer: usize, answer: usize },
    #[error("the offer has {now} media sections, fewer than the {before} before (RFC 3264 §8)")]
    SectionsRemoved { before: usize, now: usize },
    #[error("media section {index}: the answer uses {answer}, the offer {offer}")]
    ProtoMismatch {
        index: usize,
        offer: String,
        answer: String,
    },
}

impl MediaError {
    /// The reason without any value from the description (no address, no line): what
    /// may be told to the side that did not write it.
    pub fn summary(&self) -> &'static str {
        match self {
            MediaError::Malformed(_) => "malformed SDP",
            MediaError::Multipart => "SDP in a multipart body",
            MediaError::NoRealm { .. } => "no media realm",
            MediaError::NameAddress { .. }
            | MediaError::WrongFamily { .. }
            | MediaError::NotUnicast { .. }
            | MediaError::BadPort { .. }
            | MediaError::OwnPort { .. } => "unusable media address",
            MediaError::NoPorts { .. } => "no media ports",
            MediaError::NoCodec { .. } => "no allowed codec",
            MediaError::Srtp { .. } => "DTLS-SRTP not supported",
            MediaError::SrtpRefused { .. } | MediaError::SrtpRequired { .. } => {
                "SRTP policy not met"
            }
            MediaError::SrtpAnswer { .. } => "SRTP keys do not match",
            MediaError::NoKey(_) => "no SRTP key",
            MediaError::Proto { .. } | MediaError::ProtoMismatch { .. } => {
                "unsupported media transport"
            }
            MediaError::TooManyStreams { .. } => "too many streams",
            MediaError::AnswerWithoutOffer
            | MediaError::AnswerFromOfferer
            | MediaError::SectionCount { .. }
            | MediaError::SectionsRemoved { .. } => "offer/answer mismatch",
        }
    }
}
