//! Session keys from a master key and salt: the AES-CM PRF of RFC 3711 §4.3.3 with a key
//! derivation rate of 0 (the only one SDES peers use; others are refused in SDP), for the
//! AES-CM suites and, with a 96-bit master salt zero-padded to 112 bits, for AES-GCM (RFC
//! 7714 §11: the same KDF; libsrtp and its peers pad the salt this way).

use crate::Error;
use crate::cm::{AesKey, apply_keystream};

/// Key derivation labels (RFC 3711 §4.3.1, §4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0,
    RtpAuthentication = 1,
    RtpSalt = 2,
    RtcpEncryption = 3,
    RtcpAuthentication = 4,
    RtcpSalt = 5,
}

/// Fills `out` with the session key of `label`.
pub(crate) fn derive(
    master_key: &AesKey,
    master_salt: &[u8],
    label: Label,
    out: &mut [u8],
) -> Result<(), Error> {
    if master_salt.len() > 14 {
        return Err(Error::SaltLength {
            len: master_salt.len(),
        });
    }
    // x = key_id XOR master_salt, key_id = label || (index DIV kdr = 0, 48 bits); the
    // counter block is x * 2^16.
    let mut iv = [0u8; 16];
    iv[..master_salt.len()].copy_from_slice(master_salt);
    iv[7] ^= label as u8;
    out.fill(0);
    apply_keystream(master_key, &iv, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex::hex;

    /// RFC 3711 Appendix B.3, and the SRTCP keys of the same master key (labels 3..5) as
    /// libsrtp derives them.
    #[test]
    fn rfc3711_b3_key_derivation() {
        let master = AesKey::new(&hex("E1F97A0D3E018BE0D64FA32C06DE4139")).expect("key");
        let salt = hex("0EC675AD498AFEEBB6960B3AABE6");
        let cases: [(Label, &str); 6] = [
            (Label::RtpEncryption, "C61E7A93744F39EE10734AFE3FF7A087"),
            (Label::RtpSalt, "30CBBC08863D8C85D49DB34A9AE1"),
            (
                Label::RtpAuthentication,
                "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4",
            ),
            (Label::RtcpEncryption, "4C1AA45A81F73D61C800BBB00FBB1EAA"),
            (
                Label::RtcpAuthentication,
                "8D54534FEB49AE8E7993A6BD0B844FC323A93DFD",
            ),
            (Label::RtcpSalt, "9581C7AD87B3E530BF3E4454A8B3"),
        ];
        for (label, want) in cases {
            let want = hex(want);
            let mut out = vec![0u8; want.len()];
            derive(&master, &salt, label, &mut out).expect("derive");
            assert_eq!(out, want, "{label:?}");
        }
    }
}
