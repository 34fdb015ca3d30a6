//! Codecs: the static payload types of RFC 3551 and the per-trunk codec policy
//! ([`crate::MediaDescription::retain_codecs`]).

mod policy;
mod static_pt;

pub use policy::Retained;
pub use static_pt::static_rtpmap;

/// Encodings that travel beside a codec but cannot carry a call alone: DTMF events,
/// comfort noise, redundancy, FEC, retransmission. A section left with only these has
/// no codec (compared case-insensitively).
pub const AUXILIARY_ENCODINGS: &[&str] =
    &["telephone-event", "CN", "red", "ulpfec", "flexfec", "rtx"];

/// Whether an encoding name is one of [`AUXILIARY_ENCODINGS`].
pub fn is_auxiliary(encoding: &str) -> bool {
    AUXILIARY_ENCODINGS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(encoding))
}
