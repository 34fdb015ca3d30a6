//! The one list of what the SBC knows about media: codecs, DTMF modes, SRTP policies and
//! SRTP suites, each with whether the SBC acts on it today. The config validates against it,
//! the management API serves it (`GET /api/registry`), and the web UI builds its choices
//! from it, so that no layer offers a choice another one ignores. A feature's issue turns
//! its entries from [`Support::NotYet`] to [`Support::Yes`].

/// Whether the SBC acts on a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Yes,
    /// Accepted in a config file (the schema is a contract) but not acted on yet; the text
    /// names the feature it needs.
    NotYet(&'static str),
}

impl Support {
    pub fn is_yes(self) -> bool {
        self == Support::Yes
    }
}

/// What a codec is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecKind {
    Audio,
    /// RFC 4733 named telephone events (DTMF), carried beside an audio codec.
    Events,
    /// RFC 3389 comfort noise, sent beside an audio codec in its pauses.
    ComfortNoise,
}

/// A codec a trunk may allow (`codecs = [...]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecInfo {
    /// The SDP encoding name (`a=rtpmap`), as written in config files (any case there).
    pub name: &'static str,
    pub kind: CodecKind,
    /// The RTP clock rate SDP announces (G.722: 8000 although it samples at 16 kHz, RFC
    /// 3551 §4.5.2).
    pub clock_rate: u32,
    /// Channels SDP announces (Opus: always 2, RFC 7587).
    pub channels: u8,
    /// Its static payload type (RFC 3551), if it has one.
    pub static_payload_type: Option<u8>,
    /// Relayed between two legs that both use it: every codec here is.
    pub relay: Support,
    /// Converted to or from another codec when two legs share none.
    pub transcode: Support,
}

/// Every codec the SBC knows, in its default order of preference.
pub const CODECS: &[CodecInfo] = &[
    CodecInfo {
        name: "PCMU",
        kind: CodecKind::Audio,
        clock_rate: 8000,
        channels: 1,
        static_payload_type: Some(0),
        relay: Support::Yes,
        transcode: Support::Yes,
    },
    CodecInfo {
        name: "PCMA",
        kind: CodecKind::Audio,
        clock_rate: 8000,
        channels: 1,
        static_payload_type: Some(8),
        relay: Support::Yes,
        transcode: Support::Yes,
    },
    CodecInfo {
        name: "G722",
        kind: CodecKind::Audio,
        clock_rate: 8000,
        channels: 1,
        static_payload_type: Some(9),
        relay: Support::Yes,
        transcode: Support::Yes,
    },
    CodecInfo {
        name: "opus",
        kind: CodecKind::Audio,
        clock_rate: 48000,
        channels: 2,
        static_payload_type: None,
        relay: Support::Yes,
        transcode: Support::Yes,
    },
    CodecInfo {
        name: "G729",
        kind: CodecKind::Audio,
        clock_rate: 8000,
        channels: 1,
        static_payload_type: Some(18),
        relay: Support::Yes,
        transcode: Support::Yes,
    },
    CodecInfo {
        name: "telephone-event",
        kind: CodecKind::Events,
        clock_rate: 8000,
        channels: 1,
        static_payload_type: None,
        relay: Support::Yes,
        transcode: Support::Yes,
    },
    // Relayed as it comes; on a transcoded leg taken as input: the pause after a CN
    // packet is played out as noise in the other codec (none is sent as CN).
    CodecInfo {
        name: "CN",
        kind: CodecKind::ComfortNoise,
        clock_rate: 8000,
        channels: 1,
        static_payload_type: Some(13),
        relay: Support::Yes,
        transcode: Support::Yes,
    },
];

/// A value of a choice in the config (`dtmf = ...`, `srtp = ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    pub support: Support,
    /// One line for the UI.
    pub meaning: &'static str,
}

/// `dtmf = ...` of a trunk.
pub const DTMF_MODES: &[Choice] = &[
    Choice {
        value: "rfc4733",
        support: Support::Yes,
        meaning: "RTP telephone-events (RFC 4733); converted to and from the other leg's way",
    },
    Choice {
        value: "sip-info",
        support: Support::Yes,
        meaning: "SIP INFO (application/dtmf-relay or application/dtmf, see dtmf_info_type)",
    },
    Choice {
        value: "inband",
        support: Support::Yes,
        meaning: "dual tones in the audio (ITU-T Q.23); G.711 trunks only",
    },
];

/// `dtmf_info_type = ...`: the body of the SIP INFOs the SBC sends to a `sip-info` leg.
pub const DTMF_INFO_TYPES: &[Choice] = &[
    Choice {
        value: "dtmf-relay",
        support: Support::Yes,
        meaning: "application/dtmf-relay: Signal= and Duration= lines",
    },
    Choice {
        value: "dtmf",
        support: Support::Yes,
        meaning: "application/dtmf: the digit alone",
    },
];

/// `srtp = ...` of a trunk.
pub const SRTP_MODES: &[Choice] = &[
    Choice {
        value: "off",
        support: Support::Yes,
        meaning: "plain RTP: keys in an offer are ignored, SRTP-only offers get 488",
    },
    Choice {
        value: "optional",
        support: Support::Yes,
        meaning: "offer SRTP as RTP/AVP with a=crypto (OSRTP, RFC 8643), accept SRTP or RTP",
    },
    Choice {
        value: "required",
        support: Support::Yes,
        meaning: "RTP/SAVP with a=crypto (SDES) only: plain offers and answers get 488",
    },
];

/// An SRTP crypto suite for SDES (`a=crypto`, RFC 4568).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrtpSuite {
    pub name: &'static str,
    /// Master key and salt lengths in bytes (the inline key is their concatenation).
    pub key_len: u8,
    pub salt_len: u8,
    /// Authentication tag of SRTP packets, in bytes (SRTCP always 10 for the HMAC suites,
    /// RFC 4568 §6.2; AEAD suites: 16 for both).
    pub srtp_tag_len: u8,
    pub support: Support,
}

/// The suites of RFC 4568, RFC 6188 and RFC 7714 the SBC knows, strongest last.
pub const SRTP_SUITES: &[SrtpSuite] = &[
    SrtpSuite {
        name: "AES_CM_128_HMAC_SHA1_80",
        key_len: 16,
        salt_len: 14,
        srtp_tag_len: 10,
        support: Support::Yes,
    },
    SrtpSuite {
        name: "AES_CM_128_HMAC_SHA1_32",
        key_len: 16,
        salt_len: 14,
        srtp_tag_len: 4,
        support: Support::Yes,
    },
    SrtpSuite {
        name: "AES_256_CM_HMAC_SHA1_80",
        key_len: 32,
        salt_len: 14,
        srtp_tag_len: 10,
        support: Support::Yes,
    },
    SrtpSuite {
        name: "AEAD_AES_128_GCM",
        key_len: 16,
        salt_len: 12,
        srtp_tag_len: 16,
        support: Support::Yes,
    },
    SrtpSuite {
        name: "AEAD_AES_256_GCM",
        key_len: 32,
        salt_len: 12,
        srtp_tag_len: 16,
        support: Support::Yes,
    },
];

/// The codec called `name` (SDP encoding names compare case-insensitively).
pub fn codec(name: &str) -> Option<&'static CodecInfo> {
    CODECS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// The codec with static payload type `pt`.
pub fn codec_of_static_payload_type(pt: u8) -> Option<&'static CodecInfo> {
    CODECS.iter().find(|c| c.static_payload_type == Some(pt))
}

/// The names of `choices`, comma separated (for error messages).
pub fn names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lookups_find_them() {
        for (i, c) in CODECS.iter().enumerate() {
            assert!(
                CODECS[i + 1..]
                    .iter()
                    .all(|d| !d.name.eq_ignore_ascii_case(c.name))
            );
            assert_eq!(codec(&c.name.to_ascii_uppercase()), Some(c));
            if let Some(pt) = c.static_payload_type {
                assert_eq!(codec_of_static_payload_type(pt), Some(c));
            }
        }
        assert_eq!(codec("g729").map(|c| c.static_payload_type), Some(Some(18)));
        assert_eq!(codec("AMR"), None);
        assert_eq!(codec_of_static_payload_type(3), None);
    }

    #[test]
    fn suites_have_the_lengths_of_their_rfcs() {
        for s in SRTP_SUITES {
            let gcm = s.name.starts_with("AEAD");
            // RFC 7714: a 12-byte salt and a 16-byte tag; RFC 4568/6188: a 14-byte salt.
            assert_eq!(s.salt_len, if gcm { 12 } else { 14 }, "{}", s.name);
            assert_eq!(s.key_len, if s.name.contains("256") { 32 } else { 16 });
        }
        assert_eq!(
            names(DTMF_MODES.iter().map(|c| c.value)),
            "rfc4733, sip-info, inband"
        );
    }
}
