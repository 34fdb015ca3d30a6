//! The transform phase, in this order:
//!
//! 1. topology hiding: RTCP source descriptions scrubbed ([`sdes`](crate::sdes)); an SDES
//!    that cannot be read is dropped as junk; the RTCP is shown to the step towards its
//!    sender, if one is installed (a transcoded leg's own reports take LSR from it);
//! 2. the receiving side's [`Transform`](crate::Transform), if one is installed (DTMF
//!    interworking, transcoding): may rewrite, consume (1 -> 0) or add packets (1 -> n);
//!    its failure drops this packet only;
//! 3. the receiving side's payload-type map and SSRC/sequence/timestamp rewrite (RTP).
//!
//! Everything here works in place on the packet's buffer.

use std::time::Instant;

use sbc_core::Pseudonyms;

use crate::egress::Egress;
use crate::packet::{Junk, Packet};
use crate::stream::Stream;
use crate::transform::{Action, TransformCtx};
use crate::transmit::{Emit, TxQueue};
use crate::{DropReason, PacketBuf};

use super::PacketCtx;

#[inline(always)]
pub(crate) fn run(
    stream: &mut Stream,
    cx: &PacketCtx,
    buf: &mut PacketBuf<'_>,
    names: &Pseudonyms,
    queue: &mut TxQueue,
) -> Result<(), DropReason> {
    if cx.rtcp {
        let len = crate::sdes::scrub(buf.data_mut(), names)
            .map_err(|_| DropReason::Junk(Junk::BadSdes))?;
        buf.truncate(len);
        // The step that sources the sender's leg hears its reports (LSR for its own).
        if let Some(t) = stream.side_mut(cx.ingress.side).egress.transform.as_mut() {
            t.peer_rtcp(cx.now, buf.data());
        }
    }
    let toward = cx.ingress.side.other();
    let (slot, key) = (stream.slot, stream.key);
    let egress = &mut stream.side_mut(toward).egress;
    if egress.steps {
        let emit = Emit::new(queue, slot, key, toward);
        steps(egress, cx.now, cx.packet, buf, emit)?;
    }
    Ok(())
}

/// Steps 2 and 3, for a side that has any.
#[inline(never)]
fn steps(
    egress: &mut Egress,
    now: Instant,
    packet: Packet,
    buf: &mut PacketBuf<'_>,
    emit: Emit<'_>,
) -> Result<(), DropReason> {
    if let Some(t) = egress.transform.as_mut() {
        let mut tcx = TransformCtx {
            now,
            toward: emit.toward(),
            packet,
            buf: &mut *buf,
            emit,
        };
        match t.packet(&mut tcx) {
            Ok(Action::Forward) => {}
            Ok(Action::Consume) => return Err(DropReason::Consumed),
            Err(e) => return Err(DropReason::Transform(e)),
        }
    }
    if let Packet::Rtp(_) = packet {
        if !egress.payload_types.is_identity() {
            egress.payload_types.apply(buf.data_mut());
        }
        if !egress.rewrite.is_identity() {
            egress.rewrite.apply(buf.data_mut());
        }
    }
    Ok(())
}
