//! `a=crypto` (RFC 4568, SDES): `<tag> <crypto-suite> <key-params> [<session-params>]`.
//!
//! The SBC terminates SRTP per leg, so it reads the peer's keys from these lines and
//! writes its own with [`crate::MediaDescription::set_crypto`]; keys never cross legs.

use std::fmt;
use std::str::FromStr;

use crate::error::AttributeError;

/// One `a=crypto` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Crypto {
    /// 1 to 9 digits; the answer echoes the tag of the offer line it accepts.
    pub tag: u32,
    /// e.g. `AES_CM_128_HMAC_SHA1_80`, `AES_CM_128_HMAC_SHA1_32`, `AEAD_AES_128_GCM`.
    pub suite: String,
    /// At least one; separated by `;` on the wire.
    pub key_params: Vec<KeyParam>,
    /// `KDR=`, `UNENCRYPTED_SRTP`, `FEC_ORDER=`, ... kept as written.
    pub session_params: Vec<String>,
}

/// `<key-method>:<key-info>`, normally `inline:<base64 key||salt>[|lifetime][|MKI:len]`.
/// Its `Debug` output masks the key ([`super::mask_inline_keys`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyParam {
    pub method: String,
    pub info: String,
}

impl fmt::Debug for KeyParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let printed = super::masked_inline_keys(&format!("{}:{}", self.method, self.info));
        let info = printed.get(self.method.len() + 1..).unwrap_or_default();
        f.debug_struct("KeyParam")
            .field("method", &self.method)
            .field("info", &info)
            .finish()
    }
}

/// The parts of an `inline:` key-info.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InlineKey<'a> {
    /// Base64 of the master key concatenated with the master salt.
    pub key_salt: &'a str,
    /// e.g. `2^20`.
    pub lifetime: Option<&'a str>,
    /// `<MKI value>:<MKI length>`.
    pub mki: Option<&'a str>,
}

impl KeyParam {
    /// An `inline:` key parameter without lifetime or MKI.
    pub fn inline(key_salt_base64: &str) -> Self {
        KeyParam {
            method: "inline".to_owned(),
            info: key_salt_base64.to_owned(),
        }
    }

    /// Splits an `inline` key-info into its parts; `None` for other methods.
    pub fn as_inline(&self) -> Option<InlineKey<'_>> {
        if self.method != "inline" {
            return None;
        }
        let mut parts = self.info.split('|');
        let key_salt = parts.next().filter(|k| !k.is_empty())?;
        let (mut lifetime, mut mki) = (None, None);
        for p in parts {
            if p.contains(':') {
                mki = Some(p);
            } else {
                lifetime = Some(p);
            }
        }
        Some(InlineKey {
            key_salt,
            lifetime,
            mki,
        })
    }
}

impl Crypto {
    /// A line with a single inline key and no session parameters.
    pub fn inline(tag: u32, suite: &str, key_salt_base64: &str) -> Self {
        Crypto {
            tag,
            suite: suite.to_owned(),
            key_params: vec![KeyParam::inline(key_salt_base64)],
            session_params: Vec::new(),
        }
    }
}

impl FromStr for Crypto {
    type Err = AttributeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        // The error text reaches logs and Warning headers: never with the key in it.
        let bad = || AttributeError::new("crypto", &super::masked_inline_keys(value));
        let mut fields = value.split([' ', '\t']).filter(|s| !s.is_empty());
        let tag = fields
            .next()
            .filter(|t| t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse().ok())
            .ok_or_else(bad)?;
        let suite = fields.next().ok_or_else(bad)?.to_owned();
        let key_params = fields
            .next()
            .ok_or_else(bad)?
            .split(';')
            .map(|kp| match kp.split_once(':') {
                Some((m, i)) if !m.is_empty() && !i.is_empty() => Ok(KeyParam {
                    method: m.to_owned(),
                    info: i.to_owned(),
                }),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let session_params = fields.map(str::to_owned).collect();
        Ok(Crypto {
            tag,
            suite,
            key_params,
            session_params,
        })
    }
}

impl fmt::Display for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.tag, self.suite)?;
        for (i, kp) in self.key_params.iter().enumerate() {
            let sep = if i == 0 { "" } else { ";" };
            write!(f, "{sep}{}:{}", kp.method, kp.info)?;
        }
        for sp in &self.session_params {
            write!(f, " {sp}")?;
        }
        Ok(())
    }
}
