//! MESSAGE-INTEGRITY (RFC 8489 §14.5: HMAC-SHA1 keyed with the short-term password, over
//! the message up to the attribute, with the header's length counting up to its end) and
//! FINGERPRINT (§14.7: CRC-32 of the message up to the attribute, length counting it,
//! XORed with 0x5354554e).
//!
//! ICE uses short-term credentials (RFC 8445 §7.2.2): the key is the password of the
//! agent receiving the request, as it is (ICE passwords are ASCII `ice-char`s, which
//! OpaqueString leaves unchanged).

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::crc32::Crc32;
use crate::message::{HEADER_LEN, Message};

/// The XOR applied to the CRC-32 in FINGERPRINT.
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// Length of a MESSAGE-INTEGRITY attribute (header and HMAC-SHA1).
pub const INTEGRITY_LEN: usize = 24;
/// Length of a FINGERPRINT attribute.
pub const FINGERPRINT_LEN: usize = 8;

/// The header of `bytes` with its length field set to `body_len`.
fn header_with_length(bytes: &[u8], body_len: usize) -> [u8; HEADER_LEN] {
    let mut head = [0u8; HEADER_LEN];
    head.copy_from_slice(&bytes[..HEADER_LEN]);
    // Callers pass lengths of messages that fit a datagram.
    let len = u16::try_from(body_len).unwrap_or(u16::MAX);
    head[2..4].copy_from_slice(&len.to_be_bytes());
    head
}

/// HMAC-SHA1 of `bytes[..at]` (a MESSAGE-INTEGRITY attribute starting at `at`) keyed
/// with `key`, the length field counting up to the attribute's end.
pub(crate) fn hmac_at(bytes: &[u8], at: usize, key: &[u8]) -> Hmac<Sha1> {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(&header_with_length(bytes, at + INTEGRITY_LEN - HEADER_LEN));
    mac.update(&bytes[HEADER_LEN..at]);
    mac
}

/// The FINGERPRINT value of `bytes[..at]` (the attribute starting at `at`).
pub(crate) fn fingerprint_at(bytes: &[u8], at: usize) -> u32 {
    let mut crc = Crc32::default();
    crc.update(&header_with_length(
        bytes,
        at + FINGERPRINT_LEN - HEADER_LEN,
    ));
    crc.update(&bytes[HEADER_LEN..at]);
    crc.finish() ^ FINGERPRINT_XOR
}

impl Message<'_> {
    /// Whether the message carries MESSAGE-INTEGRITY.
    pub fn has_integrity(&self) -> bool {
        self.integrity_at.is_some()
    }

    /// Whether MESSAGE-INTEGRITY is present and right for `key` (compared in constant
    /// time).
    pub fn verify_integrity(&self, key: &[u8]) -> bool {
        let Some(at) = self.integrity_at else {
            return false;
        };
        let bytes = self.bytes();
        let Some(sent) = bytes.get(at + 4..at + INTEGRITY_LEN) else {
            return false;
        };
        hmac_at(bytes, at, key).verify_slice(sent).is_ok()
    }

    /// `None` without FINGERPRINT, else whether it is right.
    pub fn fingerprint_ok(&self) -> Option<bool> {
        let (at, sent) = self.fingerprint_at?;
        Some(fingerprint_at(self.bytes(), at) == sent)
    }
}
