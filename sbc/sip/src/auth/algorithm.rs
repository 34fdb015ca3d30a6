//! Digest algorithms (RFC 7616 §3.2, RFC 8760 §2.2) and quality-of-protection values.

use std::fmt;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use super::error::AuthError;

/// The `algorithm` of a challenge. A challenge without one means [`Algorithm::Md5`]
/// (RFC 2617 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
    /// SHA-512/256, named `SHA-512-256` on the wire (RFC 7616 §3.2, RFC 8760 §2.2).
    Sha512_256,
    Sha512_256Sess,
}

impl Algorithm {
    /// Reads an `algorithm` value (case-insensitive). Anything else is reported as
    /// [`AuthError::UnsupportedAlgorithm`], so another challenge can be chosen.
    pub fn parse(s: &str) -> Result<Algorithm, AuthError> {
        const ALL: [Algorithm; 6] = [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
            Algorithm::Sha512_256,
            Algorithm::Sha512_256Sess,
        ];
        ALL.into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| AuthError::UnsupportedAlgorithm {
                algorithm: s.to_owned(),
            })
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// Whether HA1 is the session form `H(H(user:realm:password):nonce:cnonce)`.
    pub const fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Preference when several challenges are offered: higher is stronger. MD5 is
    /// weakest, SHA-512/256 strongest (RFC 8760 §2.4, RFC 7616 §3.7).
    pub const fn strength(self) -> u8 {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => 3,
        }
    }

    /// Length of a digest in lowercase hex.
    pub const fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 32,
            _ => 64,
        }
    }

    /// `H(p1 ":" p2 ":" ...)` in lowercase hex (RFC 7616 §3.4.1 `H` and `KD`).
    pub fn hash(self, parts: &[&[u8]]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&joined::<Md5>(parts)),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&joined::<Sha256>(parts)),
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => hex(&joined::<Sha512_256>(parts)),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn joined<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
    let mut d = D::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            d.update(b":");
        }
        d.update(p);
    }
    d.finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// A quality of protection (RFC 2617 §3.2.1, RFC 7616 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// Authentication only.
    Auth,
    /// Authentication with integrity of the body: HA2 covers `H(body)`.
    AuthInt,
}

impl Qop {
    /// Reads one qop value (case-insensitive); `None` for an unknown token.
    pub fn parse(s: &str) -> Option<Qop> {
        if s.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_known_hashes() {
        assert_eq!(Algorithm::parse("md5-SESS"), Ok(Algorithm::Md5Sess));
        assert_eq!(Algorithm::parse("sha-512-256"), Ok(Algorithm::Sha512_256));
        assert!(matches!(
            Algorithm::parse("AKAv1-MD5"),
            Err(AuthError::UnsupportedAlgorithm { .. })
        ));
        // RFC 1321 and FIPS 180-4 test vectors ("abc").
        assert_eq!(
            Algorithm::Md5.hash(&[b"abc"]),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            Algorithm::Sha256.hash(&[b"abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            Algorithm::Sha512_256.hash(&[b"abc"]),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        );
        assert_eq!(
            Algorithm::Md5.hash(&[b"a", b"b"]),
            Algorithm::Md5.hash(&[b"a:b"])
        );
    }
}
