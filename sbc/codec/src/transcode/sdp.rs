//! A [`Codec`] from and to what SDP says about it: the `a=rtpmap` encoding name, clock
//! rate and channels, and the `a=fmtp` parameters that change how the SBC encodes towards
//! the peer who wrote them (RFC 3551 for G.711/G.722/G.729, RFC 4856 for `annexb`, RFC 7587
//! for Opus). The offer/answer crate parses SDP; this is only what each codec's parameters
//! mean.

use super::Codec;

/// How the SBC's Opus encoder runs when the peer's fmtp does not say otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusDefaults {
    /// Target bitrate, bit/s, before the peer's `maxaveragebitrate` caps it.
    pub bitrate: u32,
    /// Encoder complexity 0..=10.
    pub complexity: u8,
}

impl Default for OpusDefaults {
    fn default() -> Self {
        Self {
            bitrate: 24_000,
            complexity: 5,
        }
    }
}

/// One `name=value` of an fmtp line (separated by `;`, spaces allowed), case-insensitive
/// name.
fn fmtp_value<'a>(fmtp: &'a str, name: &str) -> Option<&'a str> {
    fmtp.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

impl Codec {
    /// The codec an `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` and its optional
    /// `a=fmtp` name, or `None` for one the SBC cannot transcode. The fmtp is the
    /// receiver's: it shapes the SBC's encoder towards that peer (Opus: `maxaveragebitrate`
    /// caps the bitrate, `useinbandfec=1` turns FEC on, `usedtx=1` DTX; G.729: `annexb=no`
    /// turns Annex B off, absent means on).
    pub fn from_sdp(
        encoding: &str,
        clock_rate: u32,
        channels: Option<u32>,
        fmtp: Option<&str>,
        opus: OpusDefaults,
    ) -> Option<Codec> {
        let fmtp = fmtp.unwrap_or("");
        let mono = matches!(channels, None | Some(1));
        match (encoding.to_ascii_uppercase().as_str(), clock_rate) {
            ("PCMU", 8000) if mono => Some(Codec::Pcmu),
            ("PCMA", 8000) if mono => Some(Codec::Pcma),
            ("G722", 8000) if mono => Some(Codec::G722),
            ("G729", 8000) if mono => Some(Codec::G729 {
                annex_b: !fmtp_value(fmtp, "annexb").is_some_and(|v| v.eq_ignore_ascii_case("no")),
            }),
            // RFC 7587 §7: always opus/48000/2, whatever is sent.
            ("OPUS", 48_000) if channels == Some(2) => {
                let cap = fmtp_value(fmtp, "maxaveragebitrate").and_then(|v| v.parse::<u32>().ok());
                let flag = |name| fmtp_value(fmtp, name) == Some("1");
                Some(Codec::Opus {
                    bitrate: cap.map_or(opus.bitrate, |cap| opus.bitrate.min(cap.max(6000))),
                    complexity: opus.complexity,
                    inband_fec: flag("useinbandfec"),
                    dtx: flag("usedtx"),
                })
            }
            _ => None,
        }
    }

    /// The static payload type (RFC 3551), if the codec has one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Codec::Pcmu => Some(0),
            Codec::Pcma => Some(8),
            Codec::G722 => Some(9),
            Codec::G729 { .. } => Some(18),
            Codec::Opus { .. } => None,
        }
    }

    /// What follows the payload type in `a=rtpmap`.
    pub fn rtpmap(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU/8000",
            Codec::Pcma => "PCMA/8000",
            Codec::G722 => "G722/8000",
            Codec::G729 { .. } => "G729/8000",
            Codec::Opus { .. } => "opus/48000/2",
        }
    }

    /// What the SBC writes after the payload type in `a=fmtp` when it offers or answers
    /// this codec (what it wants to receive), or `None`: Opus mono (`stereo=0;
    /// sprop-stereo=0`, RFC 7587 §7) with its FEC and DTX wishes, G.729 `annexb=no` when
    /// Annex B is not allowed.
    pub fn fmtp(self) -> Option<String> {
        match self {
            Codec::Opus {
                inband_fec, dtx, ..
            } => Some(format!(
                "minptime=10;useinbandfec={};usedtx={};stereo=0;sprop-stereo=0",
                u8::from(inband_fec),
                u8::from(dtx)
            )),
            Codec::G729 { annex_b: false } => Some("annexb=no".to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: OpusDefaults = OpusDefaults {
        bitrate: 24_000,
        complexity: 5,
    };

    #[test]
    fn static_codecs() {
        assert_eq!(
            Codec::from_sdp("PCMU", 8000, None, None, D),
            Some(Codec::Pcmu)
        );
        assert_eq!(
            Codec::from_sdp("pcma", 8000, Some(1), None, D),
            Some(Codec::Pcma)
        );
        assert_eq!(
            Codec::from_sdp("G722", 8000, None, None, D),
            Some(Codec::G722)
        );
        assert_eq!(
            Codec::from_sdp("G722", 16_000, None, None, D),
            None,
            "RFC 3551 says 8000"
        );
        assert_eq!(Codec::from_sdp("PCMA", 8000, Some(2), None, D), None);
        assert_eq!(Codec::from_sdp("AMR", 8000, None, None, D), None);
    }

    #[test]
    fn g729_annex_b_is_on_unless_refused() {
        let on = Some(Codec::G729 { annex_b: true });
        let off = Some(Codec::G729 { annex_b: false });
        assert_eq!(Codec::from_sdp("G729", 8000, None, None, D), on);
        assert_eq!(
            Codec::from_sdp("G729", 8000, None, Some("annexb=yes"), D),
            on
        );
        assert_eq!(
            Codec::from_sdp("G729", 8000, None, Some("annexb=no"), D),
            off
        );
        assert_eq!(
            Codec::from_sdp("G729", 8000, None, Some(" AnnexB = NO "), D),
            off
        );
        assert_eq!(off.and_then(Codec::fmtp).as_deref(), Some("annexb=no"));
        assert_eq!(on.and_then(Codec::fmtp), None);
    }

    #[test]
    fn opus_fmtp_shapes_the_encoder() {
        assert_eq!(
            Codec::from_sdp("opus", 48_000, None, None, D),
            None,
            "always /2"
        );
        assert_eq!(
            Codec::from_sdp("opus", 48_000, Some(2), None, D),
            Some(Codec::Opus {
                bitrate: 24_000,
                complexity: 5,
                inband_fec: false,
                dtx: false
            })
        );
        let fmtp = "minptime=10; useinbandfec=1; usedtx=1; maxaveragebitrate=16000";
        assert_eq!(
            Codec::from_sdp("OPUS", 48_000, Some(2), Some(fmtp), D),
            Some(Codec::Opus {
                bitrate: 16_000,
                complexity: 5,
                inband_fec: true,
                dtx: true
            })
        );
        // A cap above the default does not raise it; a nonsense cap is floored at 6 kbit/s.
        let high = Codec::from_sdp("opus", 48_000, Some(2), Some("maxaveragebitrate=64000"), D);
        assert_eq!(
            high.map(|c| matches!(
                c,
                Codec::Opus {
                    bitrate: 24_000,
                    ..
                }
            )),
            Some(true)
        );
        let low = Codec::from_sdp("opus", 48_000, Some(2), Some("maxaveragebitrate=100"), D);
        assert_eq!(
            low.map(|c| matches!(c, Codec::Opus { bitrate: 6000, .. })),
            Some(true)
        );
        let ours = Codec::Opus {
            bitrate: 24_000,
            complexity: 5,
            inband_fec: true,
            dtx: false,
        };
        assert_eq!(ours.rtpmap(), "opus/48000/2");
        assert_eq!(
            ours.fmtp().as_deref(),
            Some("minptime=10;useinbandfec=1;usedtx=0;stereo=0;sprop-stereo=0")
        );
        assert_eq!(ours.static_payload_type(), None);
    }
}
