//! The unprotect phase: SRTP/SRTCP authentication and decryption (RFC 3711 §3.3) with the
//! ingress context of the peer the packet comes from, before the latch phase may learn
//! anything from it: a packet that does not authenticate can neither latch nor be relayed.
//!
//! Which context: the peer that owns the source (latched to it, or signalled at it) when
//! it has one. A source no peer owns yet — a NATed peer before it latches, or one of several
//! forks with early media, each with its own `a=crypto` — is tried against the context of
//! every peer that may learn it now (the relayed one first); the first under which it
//! authenticates names the peer, and the latch phase may attribute the source to that peer
//! only. Trying costs an authentication check per candidate and changes no state when it
//! fails. A side whose peers have no context (plain RTP) passes the packet through.

use crate::side::Side;
use crate::{DropReason, PacketBuf, StepError};

use super::PacketCtx;

/// The index of the peer whose key authenticated the packet; `None` for plain RTP.
#[inline(always)]
pub(crate) fn run(
    side: &mut Side,
    cx: &PacketCtx,
    buf: &mut PacketBuf<'_>,
) -> Result<Option<usize>, DropReason> {
    if !side.keyed {
        // Plain RTP from this side.
        return Ok(None);
    }
    authenticate(side, cx, buf).map(Some)
}

#[cold]
fn authenticate(
    side: &mut Side,
    cx: &PacketCtx,
    buf: &mut PacketBuf<'_>,
) -> Result<usize, DropReason> {
    let owner = side.peers.iter().position(|p| {
        if cx.rtcp {
            p.owns_rtcp(cx.from)
        } else {
            p.owns_rtp(cx.from)
        }
    });
    if let Some(i) = owner {
        let Some(ctx) = side.peers[i].srtp.as_mut() else {
            // That peer speaks plain RTP (a fork without keys beside one with).
            return Ok(i);
        };
        ctx.unprotect(buf, cx.rtcp).map_err(DropReason::Unprotect)?;
        return Ok(i);
    }
    // An unowned source: every peer with a context that may learn it, the relayed first.
    let mut last = StepError::Srtp(sbc_srtp::Error::Authentication);
    let order = side.active.into_iter().chain(0..side.peers.len());
    for i in order {
        let may = cx.rtcp || side.peers[i].may_learn(cx.now, cx.from) || side.active == Some(i);
        let Some(ctx) = side.peers[i].srtp.as_mut().filter(|_| may) else {
            continue;
        };
        // A failed check leaves the buffer as it was: authentication comes before decryption.
        match ctx.unprotect(buf, cx.rtcp) {
            Ok(()) => return Ok(i),
            Err(e) => last = e,
        }
    }
    Err(DropReason::Unprotect(last))
}
