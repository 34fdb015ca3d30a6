//! Key material that must never reach a log line: SRTP master keys and salts.
//!
//! The control plane hands keys to the media plane inside [`MediaOp`](crate::MediaOp)s, and
//! both planes log ops and events with `Debug`. So the key type redacts itself: `Debug`
//! and `Display` print the lengths, never a byte, and there is no other way to print it
//! than reading [`SrtpKey::key`]/[`SrtpKey::salt`] on purpose. Equality is constant-time
//! (it decides whether a re-INVITE changed a key, where a timing leak would be cheap to
//! avoid). The bytes are overwritten when the value is dropped (best effort: a copy the
//! compiler made on a move is not reached).

use std::fmt;

/// The longest master key an SRTP suite uses (AES-256, RFC 6188).
pub const MAX_MASTER_KEY: usize = 32;
/// The longest master salt (112 bits, RFC 3711 §8.2; AEAD suites use 96, RFC 7714 §12).
pub const MAX_MASTER_SALT: usize = 14;

/// An SRTP master key and master salt (RFC 3711 §8.1): what an SDES `inline:` key-param
/// carries (RFC 4568 §6.1), one per leg and direction.
#[derive(Clone)]
pub struct SrtpKey {
    key: [u8; MAX_MASTER_KEY],
    salt: [u8; MAX_MASTER_SALT],
    key_len: u8,
    salt_len: u8,
}

/// A master key or salt of a length no SRTP suite uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrtpKeyError {
    /// Master keys are 16, 24 or 32 bytes (AES-128, -192, -256).
    KeyLength { len: usize },
    /// Master salts are 12 (AEAD) or 14 bytes.
    SaltLength { len: usize },
    /// A key or salt of another length than the suite's.
    Suite { suite: &'static str },
    /// A master key identifier longer than 16 bytes (RFC 4568 §6.1: at most 128).
    MkiLength { len: usize },
}

impl fmt::Display for SrtpKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SrtpKeyError::KeyLength { len } => {
                write!(f, "SRTP master key of {len} bytes (16, 24 or 32)")
            }
            SrtpKeyError::SaltLength { len } => {
                write!(f, "SRTP master salt of {len} bytes (12 or 14)")
            }
            SrtpKeyError::Suite { suite } => {
                write!(f, "SRTP key or salt length does not match {suite}")
            }
            SrtpKeyError::MkiLength { len } => write!(f, "SRTP MKI of {len} bytes (at most 16)"),
        }
    }
}

impl std::error::Error for SrtpKeyError {}

impl SrtpKey {
    /// A master key and salt from their bytes (copied).
    pub fn new(key: &[u8], salt: &[u8]) -> Result<Self, SrtpKeyError> {
        if !matches!(key.len(), 16 | 24 | 32) {
            return Err(SrtpKeyError::KeyLength { len: key.len() });
        }
        if !matches!(salt.len(), 12 | 14) {
            return Err(SrtpKeyError::SaltLength { len: salt.len() });
        }
        let mut k = SrtpKey {
            key: [0; MAX_MASTER_KEY],
            salt: [0; MAX_MASTER_SALT],
            // Invariant: both lengths were checked above (at most 32).
            key_len: key.len() as u8,
            salt_len: salt.len() as u8,
        };
        k.key[..key.len()].copy_from_slice(key);
        k.salt[..salt.len()].copy_from_slice(salt);
        Ok(k)
    }

    /// The master key. Whoever calls this holds a secret: never log it.
    pub fn key(&self) -> &[u8] {
        &self.key[..usize::from(self.key_len)]
    }

    /// The master salt. Whoever calls this holds a secret: never log it.
    pub fn salt(&self) -> &[u8] {
        &self.salt[..usize::from(self.salt_len)]
    }
}

impl PartialEq for SrtpKey {
    /// Constant-time in the bytes (lengths are not secret).
    fn eq(&self, other: &Self) -> bool {
        if self.key_len != other.key_len || self.salt_len != other.salt_len {
            return false;
        }
        let diff = self
            .key
            .iter()
            .zip(&other.key)
            .chain(self.salt.iter().zip(&other.salt))
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

impl Eq for SrtpKey {}

impl fmt::Debug for SrtpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SrtpKey(<redacted: {}-byte key, {}-byte salt>)",
            self.key_len, self.salt_len
        )
    }
}

impl fmt::Display for SrtpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted SRTP key>")
    }
}

impl Drop for SrtpKey {
    fn drop(&mut self) {
        self.key.fill(0);
        self.salt.fill(0);
        // Keeps the stores from being removed as dead (not a guarantee; see the module docs).
        std::hint::black_box(&mut self.key);
        std::hint::black_box(&mut self.salt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SrtpKey {
        // RFC 3711 Appendix B.3's master key and salt.
        let k = [
            0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0, 0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE,
            0x41, 0x39,
        ];
        let s = [
            0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE, 0xEB, 0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6,
        ];
        SrtpKey::new(&k, &s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn lengths_are_checked() {
        assert_eq!(
            SrtpKey::new(&[1; 15], &[2; 14]).err(),
            Some(SrtpKeyError::KeyLength { len: 15 })
        );
        assert_eq!(
            SrtpKey::new(&[1; 16], &[2; 13]).err(),
            Some(SrtpKeyError::SaltLength { len: 13 })
        );
        let k = SrtpKey::new(&[1; 32], &[2; 12]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((k.key(), k.salt()), (&[1; 32][..], &[2; 12][..]));
    }

    #[test]
    fn equality_compares_every_byte() {
        let a = key();
        assert_eq!(a, a.clone());
        let mut other = a.salt().to_vec();
        other[13] ^= 1;
        assert_ne!(
            a,
            SrtpKey::new(a.key(), &other).unwrap_or_else(|e| panic!("{e}"))
        );
        assert_ne!(
            a,
            SrtpKey::new(a.key(), &other[..12]).unwrap_or_else(|e| panic!("{e}"))
        );
    }

    #[test]
    fn printing_never_shows_a_byte() {
        let k = key();
        assert_eq!(
            format!("{k:?}"),
            "SrtpKey(<redacted: 16-byte key, 14-byte salt>)"
        );
        assert_eq!(k.to_string(), "<redacted SRTP key>");
        for text in [format!("{k:?}"), format!("{k:#?}"), format!("{k}")] {
            assert!(text.contains("redacted"), "{text}");
            for b in k.key().iter().chain(k.salt()) {
                for form in [format!("{b:02x}"), format!("{b:02X}")] {
                    assert!(!text.contains(&form), "{form} in {text}");
                }
            }
        }
    }
}
