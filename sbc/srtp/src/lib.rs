//! SRTP and SRTCP for the Edge SBC (RFC 3711, RFC 7714): the crypto of its media plane.
//!
//! A [`Context`] is one direction of one leg under one master key (from SDES, RFC 4568):
//! the media engine holds one per peer to unprotect what it receives and one per side to
//! protect what it sends, so keys never cross from one leg to the other. Packets are
//! rewritten in place in the receive buffer, whose tailroom takes the tag; nothing is
//! allocated per packet.
//!
//! * [`Suite`]: AES_CM_128_HMAC_SHA1_80 and _32, AES_256_CM_HMAC_SHA1_80 (RFC 6188),
//!   AEAD_AES_128_GCM and AEAD_AES_256_GCM (RFC 7714), with their key, salt and tag
//!   lengths (the _32 suite's SRTCP tag is 80 bits; GCM salts are 12 bytes).
//! * Session keys come from the AES-CM key derivation (key derivation rate 0); the
//!   rollover counter is estimated per SSRC (RFC 3711 Appendix A) and a 64-packet replay
//!   window kept per SSRC for SRTP and SRTCP; an SBC's own packet index is never used twice
//!   under a key (a duplicate is refused rather than encrypted with the same keystream).
//! * Primitives: RustCrypto's `aes` (AES-NI when the CPU has it), `aes-gcm` (with
//!   PCLMULQDQ), `hmac` + `sha1` (SHA-NI); the counter mode is this crate's own, eight
//!   blocks per AES call. Known answers: RFC 3711 B.2 and B.3, libsrtp's reference SRTP and
//!   SRTCP packets, RFC 7714 §16 (see `tests/vectors.rs`).
//!
//! Errors are values ([`Error`]): the caller drops the packet and counts the reason.

mod cm;
mod context;
mod index;
mod kdf;
mod suite;

#[cfg(test)]
mod test_hex;

pub use context::{Context, SSRC_SLOTS};
pub use suite::Suite;

/// Why a packet or a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("key of {len} bytes: not this suite's length")]
    KeyLength { len: usize },
    #[error("salt of {len} bytes: not this suite's length")]
    SaltLength { len: usize },
    #[error("MKI of {len} bytes: at most 16")]
    MkiLength { len: usize },
    #[error("{len} bytes: too short for this packet's header and tag")]
    TooShort { len: usize },
    #[error("{len} bytes: too long to protect")]
    TooLong { len: usize },
    #[error("no room for the tag: {need} bytes needed")]
    NoRoom { need: usize },
    #[error("authentication failed")]
    Authentication,
    #[error("index {index} seen before (replay)")]
    Replay { index: u64 },
    #[error("index {index} older than the replay window")]
    TooOld { index: u64 },
    #[error("index {index} was protected before under this key: not encrypted again")]
    IndexReused { index: u64 },
    #[error("SSRC {ssrc:#010x}: this key already protected as many sources as it can track")]
    TooManySources { ssrc: u32 },
    #[error("the packet's MKI is not this key's")]
    UnknownMki,
    #[error("SRTCP packet not encrypted (E flag clear)")]
    Unencrypted,
    #[error("the key's SRTCP index space is used up")]
    KeyExhausted,
}
