//! Pseudonyms for names a peer reveals about itself in media: the RTCP CNAME (RFC 3550
//! §6.5.1, often `user@host` or a SIP URI with a private address) and its copy in SDP
//! (`a=ssrc:<id> cname:<name>`, RFC 5576).
//!
//! Topology hiding replaces each such name by a pseudonym before it crosses to the other
//! side. The signalling plane rewrites SDP and the media plane rewrites RTCP, so both hold
//! the same [`Pseudonyms`] (one key per daemon run) and a name gets the same pseudonym in
//! both places, as RFC 5576 §6.1 wants. A pseudonym has the length of the name it hides,
//! so RTCP can be rewritten in place, and is drawn from the URL-safe base64 alphabet (a
//! token in SDP, printable in RTCP). It is SipHash-2-4 of the name under a 128-bit key:
//! without the key, nothing of the name can be learnt from it.

use std::fmt;

/// Longest name (an RTCP SDES item holds at most 255 octets).
pub const MAX_NAME: usize = 255;

/// Characters a pseudonym is made of.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Pseudonym characters drawn from one 64-bit hash (6 bits each).
const PER_HASH: usize = 10;

/// The keyed mapping from names to pseudonyms. Its `Debug` does not show the key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Pseudonyms {
    k0: u64,
    k1: u64,
}

impl fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonyms(<key>)")
    }
}

impl Pseudonyms {
    /// A mapping under `key` (random per run in the daemon; fixed in tests).
    pub fn new(key: [u8; 16]) -> Self {
        let [a, b] = [&key[..8], &key[8..]].map(|half| {
            let mut word = [0u8; 8];
            word.copy_from_slice(half);
            u64::from_le_bytes(word)
        });
        Pseudonyms { k0: a, k1: b }
    }

    /// Writes the pseudonym of `name` over it, in place (same length). Names longer than
    /// [`MAX_NAME`] have only their first [`MAX_NAME`] octets replaced; RTCP cannot carry
    /// longer ones.
    pub fn replace_in_place(&self, name: &mut [u8]) {
        let len = name.len().min(MAX_NAME);
        let mut hashes = [0u64; MAX_NAME.div_ceil(PER_HASH)];
        let chunks = len.div_ceil(PER_HASH);
        for (index, hash) in hashes.iter_mut().enumerate().take(chunks) {
            // Invariant: chunks <= hashes.len() <= 26, so the index fits a byte.
            *hash = self.hash(u8::try_from(index).unwrap_or(u8::MAX), &name[..len]);
        }
        for (i, out) in name.iter_mut().take(len).enumerate() {
            let bits = hashes[i / PER_HASH] >> (6 * (i % PER_HASH));
            *out = ALPHABET[(bits & 63) as usize];
        }
    }

    /// The pseudonym of `name`, as text.
    pub fn of(&self, name: &str) -> String {
        let mut bytes = name.as_bytes().to_vec();
        self.replace_in_place(&mut bytes);
        // Invariant: the alphabet is ASCII, and bytes past MAX_NAME are left alone, which
        // can only split a multi-byte character of a name no SDES item could carry.
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// SipHash-2-4 of `index` followed by `name`.
    fn hash(&self, index: u8, name: &[u8]) -> u64 {
        let mut state = SipState::new(self.k0, self.k1);
        let total = name.len() + 1;
        let mut block = [0u8; 8];
        let mut filled = 1;
        block[0] = index;
        for &byte in name {
            block[filled] = byte;
            filled += 1;
            if filled == 8 {
                state.compress(u64::from_le_bytes(block));
                filled = 0;
            }
        }
        let mut last = [0u8; 8];
        last[..filled].copy_from_slice(&block[..filled]);
        // The length byte of SipHash's last block: the message length mod 256.
        last[7] = (total & 0xff) as u8;
        state.compress(u64::from_le_bytes(last));
        state.finish()
    }
}

/// SipHash-2-4 (Aumasson and Bernstein, 2012).
struct SipState {
    v: [u64; 4],
}

impl SipState {
    fn new(k0: u64, k1: u64) -> Self {
        SipState {
            v: [
                k0 ^ 0x736f_6d65_7073_6575,
                k1 ^ 0x646f_7261_6e64_6f6d,
                k0 ^ 0x6c79_6765_6e65_7261,
                k1 ^ 0x7465_6462_7974_6573,
            ],
        }
    }

    fn round(&mut self) {
        let v = &mut self.v;
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }

    fn compress(&mut self, m: u64) {
        self.v[3] ^= m;
        self.round();
        self.round();
        self.v[0] ^= m;
    }

    fn finish(mut self) -> u64 {
        self.v[2] ^= 0xff;
        for _ in 0..4 {
            self.round();
        }
        self.v.iter().fold(0, |acc, v| acc ^ v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key 00 01 .. 0f of the SipHash paper's test vectors.
    fn paper_key() -> Pseudonyms {
        let mut key = [0u8; 16];
        for (i, k) in key.iter_mut().enumerate() {
            *k = i as u8;
        }
        Pseudonyms::new(key)
    }

    /// Appendix A of the SipHash paper: the message 00 01 .. 0e (15 bytes) hashes to
    /// a129ca6149be45e5 (given there as little-endian bytes e5 45 be 49 61 ca 29 a1). Our
    /// hash takes its first byte from `index`, the rest from `name`.
    #[test]
    fn siphash_matches_the_paper() {
        let name: Vec<u8> = (1..15).collect();
        assert_eq!(paper_key().hash(0, &name), 0xa129_ca61_49be_45e5);
        // The one-byte message 00: bytes fd 67 dc 93 c5 39 f8 74 in the reference
        // implementation's vectors.h.
        assert_eq!(paper_key().hash(0, &[]), 0x74f8_39c5_93dc_67fd);
    }

    #[test]
    fn pseudonyms_keep_the_length_and_hide_the_name() {
        let p = Pseudonyms::new([7; 16]);
        for name in [
            "",
            "a",
            "alice@10.99.1.3",
            "sip:alice@10.99.1.3:5080",
            &"x".repeat(255),
        ] {
            let out = p.of(name);
            assert_eq!(out.len(), name.len());
            assert!(out.bytes().all(|b| ALPHABET.contains(&b)), "{out}");
            if name.len() > 4 {
                assert_ne!(out, name);
                assert!(!out.contains('@') && !out.contains('.'));
            }
        }
        assert_eq!(p.of("alice@host"), p.of("alice@host"), "stable");
        assert_ne!(p.of("alice@host"), p.of("alice@hosu"));
        assert_ne!(
            p.of("alice@host"),
            Pseudonyms::new([8; 16]).of("alice@host"),
            "keyed"
        );
        let mut in_place = *b"sip:alice@10.99.1.3:5080";
        p.replace_in_place(&mut in_place);
        assert_eq!(&in_place[..], p.of("sip:alice@10.99.1.3:5080").as_bytes());
    }

    #[test]
    fn debug_hides_the_key() {
        let text = format!("{:?}", Pseudonyms::new([0xab; 16]));
        assert!(!text.contains("ab") && !text.contains("171"), "{text}");
    }
}
