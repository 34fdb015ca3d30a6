//! The crypto context slots of the pipeline's unprotect and protect phases.
//!
//! Each peer of a side has an ingress slot (what it sends is unprotected with it: one per
//! early dialog, since forked 183s each bring their own `a=crypto`), and each side has an
//! egress slot (what the engine sends to its peer is protected with it). A slot is
//! `Option<CryptoContext>`: `None` is plain RTP, and the phase passes the packet through.
//!
//! [`CryptoContext`] has no variant yet: SRTP (AES-CM/HMAC-SHA1 and AEAD-GCM, RFC 3711 /
//! RFC 7714) adds one per implementation. Until then no value of it can exist, so every
//! slot is `None`, the compiler removes the phases' `Some` arms, and no key reaches the
//! media plane (`MediaOp::Srtp` with keys is refused).

use crate::{PacketBuf, StepError};

/// One direction's SRTP/SRTCP state (session keys, rollover counter, replay window).
#[derive(Debug, Clone)]
pub enum CryptoContext {}

impl CryptoContext {
    /// Authenticates and decrypts `buf` in place (RFC 3711 §3.3), removing the tag (and
    /// the SRTCP index) from its end. An error drops the packet before it can latch.
    pub fn unprotect(&mut self, _buf: &mut PacketBuf<'_>, _rtcp: bool) -> Result<(), StepError> {
        match *self {}
    }

    /// Encrypts `buf` in place and appends the tag (and the SRTCP index) in its tailroom.
    pub fn protect(&mut self, _buf: &mut PacketBuf<'_>, _rtcp: bool) -> Result<(), StepError> {
        match *self {}
    }
}
