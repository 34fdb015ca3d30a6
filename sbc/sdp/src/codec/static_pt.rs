//! Payload types with a fixed meaning (RFC 3551 §6, tables 4 and 5). A peer may offer
//! them without `a=rtpmap`.

use crate::attr::RtpMap;

const TABLE: &[(u8, &str, u32, Option<u16>)] = &[
    (0, "PCMU", 8000, None),
    (3, "GSM", 8000, None),
    (4, "G723", 8000, None),
    (5, "DVI4", 8000, None),
    (6, "DVI4", 16000, None),
    (7, "LPC", 8000, None),
    (8, "PCMA", 8000, None),
    (9, "G722", 8000, None),
    (10, "L16", 44100, Some(2)),
    (11, "L16", 44100, None),
    (12, "QCELP", 8000, None),
    (13, "CN", 8000, None),
    (14, "MPA", 90000, None),
    (15, "G728", 8000, None),
    (16, "DVI4", 11025, None),
    (17, "DVI4", 22050, None),
    (18, "G729", 8000, None),
    (25, "CelB", 90000, None),
    (26, "JPEG", 90000, None),
    (28, "nv", 90000, None),
    (31, "H261", 90000, None),
    (32, "MPV", 90000, None),
    (33, "MP2T", 90000, None),
    (34, "H263", 90000, None),
];

/// The RFC 3551 mapping of a static payload type (`0` is `PCMU/8000`, `8` is
/// `PCMA/8000`, `9` is `G722/8000`, `18` is `G729/8000`, ...).
pub fn static_rtpmap(payload_type: u8) -> Option<RtpMap> {
    TABLE
        .iter()
        .find(|(pt, ..)| *pt == payload_type)
        .map(|&(pt, enc, rate, ch)| RtpMap::new(pt, enc, rate, ch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_and_g729_are_known_dynamic_are_not() {
        assert_eq!(static_rtpmap(0).map(|m| m.encoding), Some("PCMU".into()));
        assert_eq!(static_rtpmap(8).map(|m| m.encoding), Some("PCMA".into()));
        assert_eq!(static_rtpmap(18).map(|m| m.clock_rate), Some(8000));
        assert_eq!(static_rtpmap(96), None);
        assert_eq!(static_rtpmap(2), None);
    }
}
