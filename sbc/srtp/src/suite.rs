//! The crypto suites (RFC 4568 §6.2, RFC 6188, RFC 7714 §14.1) and their lengths.

/// An SRTP crypto suite as SDES names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
    AesCm256HmacSha1_80,
    AeadAes128Gcm,
    AeadAes256Gcm,
}

impl Suite {
    pub const ALL: [Suite; 5] = [
        Suite::AesCm128HmacSha1_80,
        Suite::AesCm128HmacSha1_32,
        Suite::AesCm256HmacSha1_80,
        Suite::AeadAes128Gcm,
        Suite::AeadAes256Gcm,
    ];

    /// The name in `a=crypto`.
    pub const fn name(self) -> &'static str {
        match self {
            Suite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Suite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Suite::AesCm256HmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            Suite::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Suite::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }

    /// The suite called `name` (exact, as SDES spells them).
    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Master (and session) key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Suite::AesCm128HmacSha1_80 | Suite::AesCm128HmacSha1_32 | Suite::AeadAes128Gcm => 16,
            Suite::AesCm256HmacSha1_80 | Suite::AeadAes256Gcm => 32,
        }
    }

    /// Master (and session) salt length in bytes: 14 for AES-CM, 12 for GCM (RFC 7714 §12).
    pub const fn salt_len(self) -> usize {
        if self.is_aead() { 12 } else { 14 }
    }

    /// Whether it is an AEAD (GCM) suite.
    pub const fn is_aead(self) -> bool {
        matches!(self, Suite::AeadAes128Gcm | Suite::AeadAes256Gcm)
    }

    /// Authentication tag length of SRTP packets.
    pub const fn rtp_tag_len(self) -> usize {
        match self {
            Suite::AesCm128HmacSha1_80 | Suite::AesCm256HmacSha1_80 => 10,
            Suite::AesCm128HmacSha1_32 => 4,
            Suite::AeadAes128Gcm | Suite::AeadAes256Gcm => 16,
        }
    }

    /// Authentication tag length of SRTCP packets: 80 bits even for the _32 suite (RFC 4568
    /// §6.2: "SRTCP ... uses the same 80-bit tag").
    pub const fn rtcp_tag_len(self) -> usize {
        if self.is_aead() { 16 } else { 10 }
    }

    /// The most bytes protecting a packet can add: SRTCP's 4-byte index and its tag (plus
    /// an MKI, if one is sent).
    pub const fn max_overhead(self) -> usize {
        4 + self.rtcp_tag_len()
            + if self.rtp_tag_len() > self.rtcp_tag_len() {
                self.rtp_tag_len() - self.rtcp_tag_len()
            } else {
                0
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_lengths_follow_the_rfcs() {
        for s in Suite::ALL {
            assert_eq!(Suite::from_name(s.name()), Some(s));
        }
        assert_eq!(
            Suite::from_name("aes_cm_128_hmac_sha1_80"),
            None,
            "exact spelling"
        );
        // RFC 7714: inline key 28 bytes for AES-128-GCM (16 + 12), 44 for AES-256-GCM.
        assert_eq!(
            Suite::AeadAes128Gcm.key_len() + Suite::AeadAes128Gcm.salt_len(),
            28
        );
        assert_eq!(
            Suite::AeadAes256Gcm.key_len() + Suite::AeadAes256Gcm.salt_len(),
            44
        );
        // RFC 4568 §6.2: the _32 suite's SRTCP tag is 80 bits.
        assert_eq!(Suite::AesCm128HmacSha1_32.rtp_tag_len(), 4);
        assert_eq!(Suite::AesCm128HmacSha1_32.rtcp_tag_len(), 10);
        assert_eq!(Suite::AeadAes128Gcm.max_overhead(), 20);
        assert_eq!(Suite::AesCm128HmacSha1_80.max_overhead(), 14);
    }
}
