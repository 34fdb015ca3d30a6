//! Typed accessors over an attribute list. They work the same at session and media
//! level; which level an attribute belongs to is the caller's knowledge (e.g. `ice-lite`
//! is session-level, `rtpmap` media-level). Malformed values are skipped: the parser
//! already refused descriptions with malformed `rtpmap`/`fmtp`/`rtcp`/`crypto`/`ptime`.

use super::{Attributes, Candidate, Crypto, Direction, Fmtp, Rtcp, RtpMap};
use crate::error::AttributeError;

/// `non-zero-int-or-real` (RFC 8866 §9): `20`, `0.125`, `20.0`.
pub(crate) fn parse_ptime(value: &str) -> Option<f64> {
    let value = value.trim_matches(' ');
    let (int, frac) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || value.len() > 16 {
        return None;
    }
    value.parse::<f64>().ok().filter(|v| *v > 0.0)
}

impl Attributes {
    /// The direction attribute of this section, if any (the first one wins).
    pub fn direction(&self) -> Option<Direction> {
        self.iter()
            .filter(|a| a.value.is_none())
            .find_map(|a| Direction::from_name(&a.name))
    }

    /// All `a=rtpmap` lines, parsed.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap> + '_ {
        self.values("rtpmap").filter_map(|v| v.parse().ok())
    }

    /// The `a=rtpmap` of one payload type.
    pub fn rtpmap(&self, payload_type: u8) -> Option<RtpMap> {
        self.rtpmaps().find(|m| m.payload_type == payload_type)
    }

    /// All `a=fmtp` lines, parsed.
    pub fn fmtps(&self) -> impl Iterator<Item = Fmtp> + '_ {
        self.values("fmtp").filter_map(|v| v.parse().ok())
    }

    /// The `a=fmtp` of one format.
    pub fn fmtp(&self, format: &str) -> Option<Fmtp> {
        self.fmtps().find(|f| f.format == format)
    }

    /// `a=ptime` in milliseconds (may be fractional).
    pub fn ptime(&self) -> Option<f64> {
        self.value("ptime").and_then(parse_ptime)
    }

    /// `a=maxptime` in milliseconds (may be fractional).
    pub fn maxptime(&self) -> Option<f64> {
        self.value("maxptime").and_then(parse_ptime)
    }

    /// `a=rtcp` (RFC 3605).
    pub fn rtcp(&self) -> Option<Rtcp> {
        self.value("rtcp").and_then(|v| v.parse().ok())
    }

    /// Whether `a=rtcp-mux` (RFC 5761) is present.
    pub fn rtcp_mux(&self) -> bool {
        self.has("rtcp-mux")
    }

    /// All `a=crypto` lines (RFC 4568), parsed, in order of preference.
    pub fn cryptos(&self) -> impl Iterator<Item = Crypto> + '_ {
        self.values("crypto").filter_map(|v| v.parse().ok())
    }

    pub fn ice_ufrag(&self) -> Option<&str> {
        self.value("ice-ufrag")
    }

    pub fn ice_pwd(&self) -> Option<&str> {
        self.value("ice-pwd")
    }

    /// `a=ice-options` tokens (`trickle`, `ice2`, ...).
    pub fn ice_options(&self) -> impl Iterator<Item = &str> + '_ {
        self.values("ice-options")
            .flat_map(|v| v.split(' ').filter(|s| !s.is_empty()))
    }

    /// `a=ice-lite` (session level).
    pub fn ice_lite(&self) -> bool {
        self.has("ice-lite")
    }

    /// `a=candidate` lines; malformed ones as errors.
    pub fn candidates(&self) -> impl Iterator<Item = Result<Candidate, AttributeError>> + '_ {
        self.values("candidate").map(str::parse)
    }

    /// `a=remote-candidates` values, as written.
    pub fn remote_candidates(&self) -> impl Iterator<Item = &str> + '_ {
        self.values("remote-candidates")
    }

    /// `a=end-of-candidates` (trickle ICE).
    pub fn end_of_candidates(&self) -> bool {
        self.has("end-of-candidates")
    }

    /// Whether any attribute of [`super::ICE_ATTRIBUTES`] is present.
    pub fn has_ice(&self) -> bool {
        self.iter()
            .any(|a| super::ICE_ATTRIBUTES.contains(&a.name.as_str()))
    }

    /// `a=mid` (RFC 5888).
    pub fn mid(&self) -> Option<&str> {
        self.value("mid")
    }

    /// `a=label` (RFC 4574).
    pub fn label(&self) -> Option<&str> {
        self.value("label")
    }
}
