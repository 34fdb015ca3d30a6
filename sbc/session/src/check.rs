//! Reading a peer's description: where it wants media sent, and whether the SBC may send
//! there at all.
//!
//! A peer's SDP steers the SBC's packets, so what it names is checked before anything is
//! anchored: IP literals only (no DNS from the media plane), the address family of the
//! realm the peer is in, unicast, ports from 1024 up (no RTP aimed at a DNS or SSH port),
//! and never one of the SBC's own media ports (a relay loop). `0.0.0.0`/`::` is hold:
//! nothing is sent to the peer.

use std::net::{IpAddr, SocketAddr};

use sbc_config::MIN_MEDIA_PORT;
use sbc_core::RemoteSpec;
use sbc_sdp::{AddrType, Address, SessionDescription, Stream};

use super::error::MediaError;
use super::legs::Leg;
use super::ports::Pools;

/// What one media section of a peer's description says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStream {
    /// Port 0: rejected (in an answer) or disabled (in an offer).
    pub rejected: bool,
    /// Where the peer receives, as the media plane is told.
    pub spec: RemoteSpec,
    /// Where the peer receives RTCP when it is not muxed (`a=rtcp`, else RTP port + 1).
    pub rtcp_fallback: Option<SocketAddr>,
    /// Whether the peer says it sends (its direction attribute, hold normalised).
    pub sends: bool,
}

impl PeerStream {
    /// The spec with RTCP on its own port: rtcp-mux offered but not accepted.
    pub fn unmuxed(&self) -> RemoteSpec {
        RemoteSpec {
            rtcp: self.rtcp_fallback,
            rtcp_mux: false,
            ..self.spec.clone()
        }
    }
}

/// Checks every media section of `sdp`, written by the peer on side `leg`. Call it after
/// [`SessionDescription::normalize_old_hold`] and before ICE is stripped.
pub fn peer_streams(
    sdp: &SessionDescription,
    leg: &Leg,
    pools: &Pools,
    fork: Option<&str>,
) -> Result<Vec<PeerStream>, MediaError> {
    sdp.streams()
        .map(|s| peer_stream(&s, leg, pools, fork))
        .collect()
}

fn peer_stream(
    s: &Stream<'_>,
    leg: &Leg,
    pools: &Pools,
    fork: Option<&str>,
) -> Result<PeerStream, MediaError> {
    let index = s.index();
    let m = s.media();
    let mux = m.rtcp_mux();
    let mut out = PeerStream {
        rejected: m.is_rejected(),
        spec: RemoteSpec {
            rtp: None,
            rtcp: None,
            rtcp_mux: mux,
            fork: fork.map(str::to_owned),
        },
        rtcp_fallback: None,
        sends: s.direction().sends(),
    };
    if out.rejected {
        out.sends = false;
        return Ok(out);
    }
    // Invariant: the parser refuses an active stream without a connection address.
    let Some(conn) = s.connection() else {
        return Ok(out);
    };
    let ip = usable_ip(index, &conn.address, leg)?;
    if ip.is_unspecified() {
        // Hold (RFC 2543), or ICE's "see the candidates": nothing to send to yet.
        return Ok(out);
    }
    let rtp = peer_addr(index, ip, m.port, pools)?;
    out.spec.rtp = Some(rtp);
    if !m.is_rtp() {
        // UDPTL and the like: one port, no RTCP.
        return Ok(out);
    }
    let rtcp = match m.rtcp() {
        Some(r) => {
            let ip = match &r.address {
                Some(a) => usable_ip(index, a, leg)?,
                None => ip,
            };
            (!ip.is_unspecified())
                .then(|| peer_addr(index, ip, r.port, pools))
                .transpose()?
        }
        None => m
            .port
            .checked_add(1)
            .map(|p| peer_addr(index, ip, p, pools))
            .transpose()?,
    };
    out.rtcp_fallback = rtcp;
    if !mux {
        out.spec.rtcp = rtcp;
    }
    Ok(out)
}

/// An IP literal of the realm's family that may be sent to (or the unspecified address).
fn usable_ip(index: usize, address: &Address, leg: &Leg) -> Result<IpAddr, MediaError> {
    let Some(ip) = address.ip() else {
        return Err(MediaError::NameAddress {
            index,
            name: address.to_string(),
        });
    };
    let (found, wanted) = (AddrType::of(ip), AddrType::of(leg.bind_ip));
    if found != wanted && !ip.is_unspecified() {
        return Err(MediaError::WrongFamily {
            index,
            addr: ip,
            found,
            realm: leg.realm.clone(),
            wanted,
        });
    }
    let unicast = match ip {
        IpAddr::V4(v4) => !v4.is_multicast() && !v4.is_broadcast(),
        IpAddr::V6(v6) => !v6.is_multicast(),
    };
    if !unicast {
        return Err(MediaError::NotUnicast { index, addr: ip });
    }
    Ok(ip)
}

fn peer_addr(index: usize, ip: IpAddr, port: u16, pools: &Pools) -> Result<SocketAddr, MediaError> {
    if port < MIN_MEDIA_PORT {
        return Err(MediaError::BadPort { index, port });
    }
    let addr = SocketAddr::new(ip, port);
    if pools.is_own(ip, port) {
        return Err(MediaError::OwnPort { index, addr });
    }
    Ok(addr)
}
