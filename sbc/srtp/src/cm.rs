//! AES in counter mode (RFC 3711 §4.1.1): the keystream of SRTP's AES-CM suites and of the
//! key derivation function (§4.3.3). The counter block is incremented as one 128-bit
//! number; a packet never needs more than 2^16 blocks, so only the low 16 bits change.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::{Aes128, Aes256, Block};

use crate::Error;

/// Blocks encrypted in one call: AES-NI pipelines several at once.
const BATCH: usize = 8;

/// An AES key schedule of either size. Held inline (made once per key; a box would cost a
/// pointer chase per packet).
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum AesKey {
    A128(Aes128),
    A256(Aes256),
}

impl AesKey {
    pub(crate) fn new(key: &[u8]) -> Result<AesKey, Error> {
        match key.len() {
            16 => Aes128::new_from_slice(key).map(AesKey::A128),
            32 => Aes256::new_from_slice(key).map(AesKey::A256),
            len => return Err(Error::KeyLength { len }),
        }
        .map_err(|_| Error::KeyLength { len: key.len() })
    }

    fn encrypt(&self, blocks: &mut [Block]) {
        match self {
            AesKey::A128(k) => k.encrypt_blocks(blocks),
            AesKey::A256(k) => k.encrypt_blocks(blocks),
        }
    }
}

/// XORs `data` with the keystream of `key` from counter block `iv`.
pub(crate) fn apply_keystream(key: &AesKey, iv: &[u8; 16], data: &mut [u8]) {
    let start = u128::from_be_bytes(*iv);
    let mut blocks = [Block::default(); BATCH];
    let mut counter = start;
    for chunk in data.chunks_mut(16 * BATCH) {
        let n = chunk.len().div_ceil(16);
        for block in blocks.iter_mut().take(n) {
            block.copy_from_slice(&counter.to_be_bytes());
            counter = counter.wrapping_add(1);
        }
        key.encrypt(&mut blocks[..n]);
        for (bytes, block) in chunk.chunks_mut(16).zip(&blocks) {
            for (b, k) in bytes.iter_mut().zip(block.iter()) {
                *b ^= k;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex::hex;

    /// RFC 3711 Appendix B.2: the first three keystream blocks for session key
    /// 2B7E1516..., counter block F0F1...FD0000.
    #[test]
    fn rfc3711_b2_keystream() {
        let key = AesKey::new(&hex("2B7E151628AED2A6ABF7158809CF4F3C")).expect("key");
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"));
        let mut stream = [0u8; 48];
        apply_keystream(&key, &iv, &mut stream);
        assert_eq!(
            stream.to_vec(),
            hex("E03EAD0935C95E80E166B16DD92B4EB4\
                 D23513162B02D0F72A43A2FE4A5F97AB\
                 41E95B3BB0A2E8DD477901E4FCA894C0")
        );
        // Over more than one batch, and a partial last block: the same stream.
        let mut long = [0u8; 16 * BATCH * 2 + 5];
        apply_keystream(&key, &iv, &mut long);
        assert_eq!(&long[..48], &stream[..]);
    }
}
