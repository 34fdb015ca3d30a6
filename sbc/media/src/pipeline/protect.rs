//! The protect phase: SRTP/SRTCP protection with the egress context of the side the packet
//! goes to (its tag appended in the buffer's tailroom). A side without a context (plain
//! RTP) passes the packet through. Packets the engine emits itself go through here too.

use crate::DropReason;
use crate::PacketBuf;
use crate::egress::Egress;

#[inline(always)]
pub(crate) fn run(
    egress: &mut Egress,
    buf: &mut PacketBuf<'_>,
    rtcp: bool,
) -> Result<(), DropReason> {
    match egress.crypto.as_mut() {
        None => Ok(()),
        Some(ctx) => ctx.protect(buf, rtcp).map_err(DropReason::Protect),
    }
}
