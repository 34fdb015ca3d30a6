//! The codec policy of a trunk: which encodings may cross, in which order.

use super::{is_auxiliary, static_rtpmap};
use crate::attr::{Attribute, RtpMap, rtpmap_pt};
use crate::model::MediaDescription;

/// What [`MediaDescription::retain_codecs`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Retained {
    /// At least one codec remains; these formats were removed (in offer order).
    Kept { removed: Vec<String> },
    /// No allowed codec (only auxiliary encodings such as telephone-event, or nothing).
    /// The section was left untouched: reject the stream (port 0) or answer 488.
    NoCodec,
}

/// One entry of the allowed list: `NAME` or `NAME/clock-rate`.
fn matches(entry: &str, map: &RtpMap) -> bool {
    let (name, rate) = match entry.split_once('/') {
        Some((n, r)) => (n, r.parse::<u32>().ok()),
        None => (entry, None),
    };
    name.eq_ignore_ascii_case(&map.encoding) && rate.is_none_or(|r| r == map.clock_rate)
}

impl MediaDescription {
    /// Whether the protocol carries RTP, so formats are payload types.
    pub fn is_rtp(&self) -> bool {
        self.proto.contains("RTP/")
    }

    /// What a format stands for: its `a=rtpmap`, else the RFC 3551 static mapping. For
    /// non-RTP protocols the format itself is the encoding name (`t38`), rate 0.
    pub fn encoding(&self, format: &str) -> Option<RtpMap> {
        if !self.is_rtp() {
            return Some(RtpMap::new(0, format, 0, None));
        }
        let pt = rtpmap_pt(format)?;
        self.attributes.rtpmap(pt).or_else(|| static_rtpmap(pt))
    }

    /// Applies a codec policy. `allowed` lists encoding names (`PCMA`,
    /// `telephone-event`, or `opus/48000` to pin a clock rate), compared
    /// case-insensitively, in order of preference.
    ///
    /// Formats whose encoding is not allowed, or unknown (a dynamic payload type without
    /// `a=rtpmap`), are removed with their `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` lines;
    /// the rest are reordered by preference (formats of the same encoding keep their
    /// order). If no codec would remain, nothing changes and [`Retained::NoCodec`] is
    /// returned. A rejected section (port 0) is left as it is.
    pub fn retain_codecs(&mut self, allowed: &[&str]) -> Retained {
        if self.port == 0 {
            return Retained::Kept {
                removed: Vec::new(),
            };
        }
        let mut kept = Vec::new();
        let mut removed = Vec::new();
        let mut has_codec = false;
        for fmt in &self.formats {
            let map = self.encoding(fmt);
            let rank = map
                .as_ref()
                .and_then(|m| allowed.iter().position(|a| matches(a, m)));
            match (rank, map) {
                (Some(rank), Some(map)) => {
                    has_codec |= !is_auxiliary(&map.encoding);
                    kept.push((rank, fmt.clone()));
                }
                _ => removed.push(fmt.clone()),
            }
        }
        if !has_codec {
            return Retained::NoCodec;
        }
        // Stable: formats of equal rank keep their offer order.
        kept.sort_by_key(|(rank, ..)| *rank);
        self.formats = kept.into_iter().map(|(_, f)| f).collect();
        let gone = |a: &Attribute| {
            matches!(a.name.as_str(), "rtpmap" | "fmtp" | "rtcp-fb")
                && a.format().is_some_and(|f| removed.iter().any(|r| r == f))
        };
        self.attributes.remove_where(gone);
        Retained::Kept { removed }
    }
}
