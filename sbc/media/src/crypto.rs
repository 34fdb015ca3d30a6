//! The crypto context slots of the pipeline's unprotect and protect phases.
//!
//! Each peer of a side has an ingress slot (what it sends is unprotected with it: one per
//! early dialog, since forked 183s each bring their own `a=crypto`), and each side has an
//! egress slot (what the engine sends to its peer is protected with it). A slot is
//! `Option<CryptoContext>`: `None` is plain RTP, and the phase passes the packet through.
//!
//! A [`CryptoContext`] is one direction of SRTP/SRTCP under one master key
//! ([`sbc_srtp::Context`]): the peer's key for its ingress slot, the SBC's own key for that
//! leg for the egress slot ([`MediaOp::Srtp`](sbc_core::MediaOp::Srtp) carries both). The
//! key it was made from is kept (redacted in `Debug`) so that the same keys signalled again
//! (a re-INVITE that does not change them) keep the context, and with it the rollover
//! counters and replay windows.

use sbc_core::SrtpKey;
use sbc_core::registry::SrtpSuite;
use sbc_srtp::{Context, Suite};

use crate::{PacketBuf, StepError};

/// One direction's SRTP/SRTCP state (session keys, rollover counters, replay windows).
#[derive(Debug, Clone)]
pub struct CryptoContext {
    context: Context,
    key: SrtpKey,
    suite: Suite,
}

/// Why keys could not become a context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("unknown SRTP suite {suite}")]
    UnknownSuite { suite: &'static str },
    #[error(transparent)]
    Key(#[from] sbc_srtp::Error),
}

impl CryptoContext {
    /// A context for `key` under `suite`, its packets carrying `mki` (empty: none).
    pub fn new(suite: SrtpSuite, key: &SrtpKey, mki: &[u8]) -> Result<Self, CryptoError> {
        let s =
            Suite::from_name(suite.name).ok_or(CryptoError::UnknownSuite { suite: suite.name })?;
        let mki = (!mki.is_empty()).then_some(mki);
        Ok(CryptoContext {
            context: Context::new(s, key.key(), key.salt(), mki)?,
            key: key.clone(),
            suite: s,
        })
    }

    /// Whether this context was made from `key` under `suite` (compared in constant time).
    pub fn is(&self, suite: SrtpSuite, key: &SrtpKey) -> bool {
        self.suite.name() == suite.name && self.key == *key
    }

    /// The suite's name.
    pub fn suite(&self) -> &'static str {
        self.suite.name()
    }

    /// Authenticates and decrypts `buf` in place (RFC 3711 §3.3), removing the tag (and
    /// the SRTCP index) from its end. An error drops the packet before it can latch.
    pub fn unprotect(&mut self, buf: &mut PacketBuf<'_>, rtcp: bool) -> Result<(), StepError> {
        let ctx = &mut self.context;
        buf.in_place(|region, len| {
            if rtcp {
                ctx.unprotect_rtcp(region, len)
            } else {
                ctx.unprotect_rtp(region, len)
            }
        })
        .map_err(StepError::Srtp)
    }

    /// Encrypts `buf` in place and appends the tag (and the SRTCP index) in its tailroom.
    pub fn protect(&mut self, buf: &mut PacketBuf<'_>, rtcp: bool) -> Result<(), StepError> {
        let ctx = &mut self.context;
        buf.in_place(|region, len| {
            if rtcp {
                ctx.protect_rtcp(region, len)
            } else {
                ctx.protect_rtp(region, len)
            }
        })
        .map_err(StepError::Srtp)
    }
}
