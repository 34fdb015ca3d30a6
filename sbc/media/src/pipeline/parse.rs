//! The parse phase: the header fields of an RTP or RTCP packet, or of a UDPTL datagram on
//! a T.38 stream ([`packet`](crate::packet)). Anything else is junk.

use crate::packet::{self, Junk, Packet};

#[inline(always)]
pub(crate) fn run(udptl: bool, data: &[u8]) -> Result<Packet, Junk> {
    if udptl {
        packet::parse_udptl(data)
    } else {
        packet::parse(data)
    }
}
