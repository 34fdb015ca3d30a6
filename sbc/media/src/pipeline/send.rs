//! The send phase: from which of the stream's sockets, to which address. RTCP goes over
//! the RTP socket to the RTP address when the receiving peer muxes (RFC 5761), else over
//! the RTCP socket to its RTCP address.

use std::net::SocketAddr;

use sbc_core::Side as Leg;

use crate::stream::{Endpoint, SocketId, Stream, ix};

#[inline(always)]
pub(crate) fn destination(
    stream: &Stream,
    toward: Leg,
    rtcp: bool,
) -> Option<(SocketId, SocketAddr)> {
    let peer = stream.sides[ix(toward)].target()?;
    let rtcp = rtcp && !peer.rtcp_mux;
    let to = if rtcp {
        peer.rtcp_dest()?
    } else {
        peer.rtp_dest()?
    };
    Some((
        SocketId::new(stream.slot, Endpoint { side: toward, rtcp }),
        to,
    ))
}
