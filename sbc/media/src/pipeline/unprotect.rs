//! The unprotect phase: SRTP/SRTCP authentication and decryption (RFC 3711 §3.3) with the
//! ingress context of the peer the packet comes from, before the latch phase may learn
//! anything from it: a packet that does not authenticate can neither latch nor be relayed.
//!
//! The context is the one of the peer latched to (or signalled at) the source; a new
//! source is tried with the relayed peer's (the only one, on side A). Forked early dialogs
//! with a context each, and a source tried against every learning fork's key, arrive with
//! SRTP. A peer without a context (plain RTP) passes the packet through.

use crate::side::Side;
use crate::{DropReason, PacketBuf};

use super::PacketCtx;

#[inline(always)]
pub(crate) fn run(
    side: &mut Side,
    cx: &PacketCtx,
    buf: &mut PacketBuf<'_>,
) -> Result<(), DropReason> {
    if side.peers.iter().all(|p| p.srtp.is_none()) {
        // Plain RTP from this side.
        return Ok(());
    }
    let owner = side
        .peers
        .iter()
        .position(|p| p.owns_rtp(cx.from))
        .or(side.active);
    let Some(ctx) = owner
        .and_then(|i| side.peers.get_mut(i))
        .and_then(|p| p.srtp.as_mut())
    else {
        return Ok(());
    };
    ctx.unprotect(buf, cx.rtcp).map_err(DropReason::Unprotect)
}
