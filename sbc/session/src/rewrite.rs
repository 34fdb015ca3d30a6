//! Writing the SBC into a description for the other side: its address, its ports, its
//! RTCP port, its origin. What else changes (ICE and SDES removed, codec policy) is done
//! by the offer and answer steps before this.

use std::net::IpAddr;

use sbc_sdp::SessionDescription;

/// Transports the SBC relays: RTP (with or without feedback), SRTP keyed by SDES
/// (`RTP/SAVP(F)`, terminated per leg) and T.38 over UDPTL. DTLS-SRTP and anything over
/// TCP are not relayed.
pub fn relayed_proto(proto: &str) -> bool {
    ["RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF", "udptl"]
        .iter()
        .any(|p| p.eq_ignore_ascii_case(proto))
}

/// Whether a transport is SRTP (SDES `RTP/SAVP(F)` or DTLS-SRTP `UDP/TLS/RTP/SAVP(F)`).
pub fn is_srtp(proto: &str) -> bool {
    proto.to_ascii_uppercase().contains("SAVP")
}

/// Removes `a=group:BUNDLE` (RFC 9143): the SBC gives every section its own ports, so the
/// other side must not bundle them onto one.
pub fn unbundle(sdp: &mut SessionDescription) {
    sdp.attributes.remove_where(|a| {
        a.name == "group" && a.value.as_deref().is_some_and(|v| v.starts_with("BUNDLE"))
    });
}

/// Anchors every stream of `sdp` on the SBC: stream `i` gets port `ports[i]` on `ip`, or
/// is rejected (port 0) when that is `None`. Every section gets a media-level `c=` with
/// `ip` (rejected ones too, so no peer address is left) and the session-level `c=` goes.
///
/// RTCP: the SBC receives it on its RTP port + 1, which is the default, so an `a=rtcp`
/// (RFC 3605) is rewritten to that port and `ip`, and removed with `a=rtcp-mux` (RTCP on
/// the RTP port; if the answerer refuses mux, it sends to RTP + 1, where the SBC listens
/// anyway) and on rejected streams.
pub fn anchor(sdp: &mut SessionDescription, ip: IpAddr, ports: &[Option<u16>]) {
    for (i, m) in sdp.media.iter_mut().enumerate() {
        match ports.get(i).copied().flatten() {
            Some(port) if !m.is_rejected() => {
                m.set_port(port);
                if m.rtcp_mux() {
                    m.remove_rtcp();
                } else if m.rtcp().is_some() {
                    m.set_rtcp(port + 1, Some(ip));
                }
            }
            _ => {
                m.reject();
                m.remove_rtcp();
            }
        }
    }
    sdp.anchor_connections(ip);
}
