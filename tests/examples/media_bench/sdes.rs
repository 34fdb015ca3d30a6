//! SDES keys (RFC 4568) of the bench's SRTP side: the generator's own (random, written into
//! an `a=crypto` line or handed to the SBC's harness) and the relay's (read back from
//! rtpengine's answer). The instrument's own reading of `a=crypto`, on purpose not the
//! SBC's (`sbc-session`): a shared bug would hide itself.

use std::fmt;
use std::io::Read;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use sbc_srtp::{Context, Suite};

/// Base64 as RFC 4568 §6.1 reads it: "padding characters ... are discarded", so a key with
/// or without its trailing `=` is the same key (rtpengine leaves them out by default: a
/// 28-byte AEAD_AES_128_GCM key is 38 characters, not 40).
const SDES_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One master key and salt under a suite, and the MKI its packets carry (empty: none).
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    suite: Suite,
    /// Master key then master salt, as `inline:` carries them.
    material: Vec<u8>,
    mki: Vec<u8>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MasterKey({}, <{} bytes>)",
            self.suite.name(),
            self.material.len()
        )
    }
}

/// Why an `a=crypto` answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdesError {
    /// No `a=crypto` line of this suite in the SDP.
    NoLine {
        suite: &'static str,
    },
    /// The key parameter is not `inline:`.
    KeyMethod {
        param: String,
    },
    NotBase64 {
        key: String,
    },
    /// Key and salt of the wrong length for the suite.
    Length {
        len: usize,
        want: usize,
    },
    /// An `|MKI:length` part that does not parse or does not fit its length.
    Mki {
        part: String,
    },
}

impl fmt::Display for SdesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SdesError::NoLine { suite } => write!(f, "no a=crypto line of {suite}"),
            SdesError::KeyMethod { param } => write!(f, "key parameter {param:?} is not inline:"),
            SdesError::NotBase64 { key } => write!(f, "key {key:?} is not base64"),
            SdesError::Length { len, want } => {
                write!(f, "key and salt of {len} bytes, the suite has {want}")
            }
            SdesError::Mki { part } => write!(f, "MKI {part:?} unusable"),
        }
    }
}

impl std::error::Error for SdesError {}

impl MasterKey {
    /// A fresh key from the OS's random source.
    pub fn random(suite: Suite) -> std::io::Result<MasterKey> {
        let mut material = vec![0; suite.key_len() + suite.salt_len()];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut material)?;
        Ok(MasterKey {
            suite,
            material,
            mki: Vec::new(),
        })
    }

    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// Master key and salt in base64 (what follows `inline:`, without lifetime or MKI),
    /// padded as RFC 4648 §3.2 asks.
    pub fn inline(&self) -> String {
        STANDARD.encode(&self.material)
    }

    /// The `a=crypto` attribute line offering this key under `tag` (no line end).
    pub fn attribute(&self, tag: u32) -> String {
        format!(
            "a=crypto:{tag} {} inline:{}",
            self.suite.name(),
            self.inline()
        )
    }

    /// A context protecting (or unprotecting) packets under this key.
    pub fn context(&self) -> Result<Context, sbc_srtp::Error> {
        let (key, salt) = self.material.split_at(self.suite.key_len());
        let mki = (!self.mki.is_empty()).then_some(self.mki.as_slice());
        Context::new(self.suite, key, salt, mki)
    }

    /// The key of the first `a=crypto` line of `suite` in `sdp`: `a=crypto:TAG SUITE
    /// inline:KEY[|LIFETIME][|MKI:LENGTH] [SESSION-PARAMS]` (RFC 4568 §9.1). Session
    /// parameters are ignored (rtpengine sends none unless asked).
    pub fn from_sdp(sdp: &str, suite: Suite) -> Result<MasterKey, SdesError> {
        let params = sdp
            .lines()
            .filter_map(|l| l.strip_prefix("a=crypto:"))
            .find_map(|l| {
                let mut w = l.split_whitespace();
                let _tag = w.next()?;
                (w.next()? == suite.name()).then(|| w.next().unwrap_or_default())
            })
            .ok_or(SdesError::NoLine {
                suite: suite.name(),
            })?;
        let inline = params
            .strip_prefix("inline:")
            .ok_or_else(|| SdesError::KeyMethod {
                param: params.to_owned(),
            })?;
        let mut parts = inline.split('|');
        let b64 = parts.next().unwrap_or_default();
        let material = SDES_BASE64.decode(b64).map_err(|_| SdesError::NotBase64 {
            key: b64.to_owned(),
        })?;
        let want = suite.key_len() + suite.salt_len();
        if material.len() != want {
            return Err(SdesError::Length {
                len: material.len(),
                want,
            });
        }
        let mut mki = Vec::new();
        for part in parts {
            // A lifetime (`2^31` or a number) has no colon; an MKI is `VALUE:LENGTH`.
            if let Some((value, len)) = part.split_once(':') {
                mki = mki_bytes(value, len).ok_or_else(|| SdesError::Mki {
                    part: part.to_owned(),
                })?;
            }
        }
        Ok(MasterKey {
            suite,
            material,
            mki,
        })
    }
}

/// The MKI `value` (decimal) as `len` big-endian bytes (1 to 128, RFC 4568 §6.1), if it fits.
fn mki_bytes(value: &str, len: &str) -> Option<Vec<u8>> {
    let value: u128 = value.parse().ok()?;
    let len: usize = len.parse().ok()?;
    if !(1..=16).contains(&len) || (len < 16 && value >> (8 * len) != 0) {
        return None;
    }
    Some(value.to_be_bytes()[16 - len..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CM: Suite = Suite::AesCm128HmacSha1_80;
    const GCM: Suite = Suite::AeadAes128Gcm;

    /// rtpengine 10.5's answer towards an SRTP offerer (its key, one line).
    const ANSWER: &str = "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
        t=0 0\r\nm=audio 41066 RTP/SAVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n\
        a=rtcp:41067\r\na=crypto:1 AEAD_AES_128_GCM inline:brb3YZbTl79C9AmsNbOsuvy9vO5Kd/hV07M5XQ\r\n";

    #[test]
    fn rtpengines_answer_gives_its_key() {
        let k = MasterKey::from_sdp(ANSWER, GCM).unwrap();
        assert_eq!(k.material.len(), 28);
        assert_eq!(k.inline(), "brb3YZbTl79C9AmsNbOsuvy9vO5Kd/hV07M5XQ==");
        let padded = ANSWER.replace("5XQ\r\n", "5XQ==\r\n");
        assert_eq!(MasterKey::from_sdp(&padded, GCM), Ok(k.clone()));
        assert!(k.mki.is_empty());
        assert!(k.context().is_ok());
        assert_eq!(
            MasterKey::from_sdp(ANSWER, CM),
            Err(SdesError::NoLine {
                suite: "AES_CM_128_HMAC_SHA1_80"
            })
        );
    }

    #[test]
    fn an_offered_line_reads_back_as_the_same_key() {
        let k = MasterKey::random(CM).unwrap();
        let sdp = format!("m=audio 4000 RTP/SAVP 8\r\n{}\r\n", k.attribute(1));
        assert_eq!(MasterKey::from_sdp(&sdp, CM), Ok(k));
    }

    #[test]
    fn lifetime_and_mki_are_read() {
        let key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
        let sdp = format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|2^20|1:4\r\n");
        let k = MasterKey::from_sdp(&sdp, CM).unwrap();
        assert_eq!(k.mki, [0, 0, 0, 1]);
        let sdp = format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|2^31\r\n");
        assert!(MasterKey::from_sdp(&sdp, CM).unwrap().mki.is_empty());
    }

    #[test]
    fn unusable_lines_are_errors() {
        let key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
        for (line, want) in [
            (
                format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:{key}"),
                "not inline:",
            ),
            (
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!".to_owned(),
                "base64",
            ),
            (
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA".to_owned(),
                "3 bytes",
            ),
            (
                format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|256:1"),
                "MKI",
            ),
            (
                format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|1:0"),
                "MKI",
            ),
            (
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80".to_owned(),
                "not inline:",
            ),
        ] {
            let e = MasterKey::from_sdp(&line, CM).unwrap_err().to_string();
            assert!(e.contains(want), "{line}: {e}");
        }
    }
}
