//! ICE-lite on one side of a stream ([`MediaOp::Ice`](sbc_core::MediaOp::Ice)): the
//! demux phase hands STUN (first byte 0..=3, RFC 7983) to the side's
//! [`LiteAgent`](sbc_ice::LiteAgent) before anything is unprotected, and the answer goes
//! back to the check's source from the socket it came in on.
//!
//! On an ICE side the latch window does not apply: a peer's media address is the source
//! of its last authenticated check with USE-CANDIDATE (RTP port: its RTP; a separate RTCP
//! port: its RTCP), reported as [`LatchReason::Nominated`]; until one comes, the SDP's
//! address (the default candidate). A new SDP does not move a nominated latch; an ICE
//! restart (new local credentials) forgets it. Checks that do not authenticate (wrong
//! MESSAGE-INTEGRITY, a USERNAME naming no current ufrag) are dropped unanswered and
//! counted as `ice-auth`; they never move anything. Each fork of side B is its own
//! remote agent (its `a=ice-ufrag`); after the answer the agent follows the winner's.

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::{IceCredentials, LatchReason, MediaEvent, Side as Leg, StreamKey};
use sbc_ice::{Credentials, Drop, LiteAgent, RemoteId};

use crate::packet::Junk;
use crate::shard::Shard;
use crate::side::Side;
use crate::stream::{Endpoint, SocketId};
use crate::{DropReason, OpError, PacketBuf};

/// The lite agent of a side and which fork each remote agent is.
#[derive(Debug)]
pub(crate) struct IceSide {
    agent: LiteAgent,
    forks: Vec<(Option<String>, RemoteId)>,
}

impl IceSide {
    fn fork_of(&self, remote: RemoteId) -> Option<&Option<String>> {
        self.forks
            .iter()
            .find(|(_, r)| *r == remote)
            .map(|(f, _)| f)
    }

    fn remote_of(&self, fork: Option<&str>) -> Option<RemoteId> {
        self.forks
            .iter()
            .find(|(f, _)| f.as_deref() == fork)
            .map(|(_, r)| *r)
    }
}

/// The peer of `side` a check of `remote` is about: its fork's, else the one peer
/// (answered, or never forked).
fn peer_for(side: &Side, ice: &IceSide, remote: RemoteId) -> Option<usize> {
    match ice.fork_of(remote) {
        Some(fork) => side.peer_of(fork.as_deref()),
        None if side.answered || side.peers.len() == 1 => Some(0),
        None => None,
    }
}

/// Latches peer `i` of `side` to a nominated source; the event when it is news.
fn nominate(
    side: &mut Side,
    i: usize,
    from: SocketAddr,
    rtcp: bool,
    stream: StreamKey,
    leg: Leg,
) -> Option<MediaEvent> {
    let peer = side.peers.get_mut(i)?;
    if rtcp {
        peer.latched_rtcp = Some(from);
        return None;
    }
    peer.latch(from, LatchReason::Nominated);
    let relayed = side.active.is_none_or(|a| a == i);
    (relayed && side.report(from, LatchReason::Nominated)).then_some(MediaEvent::Latched {
        stream,
        side: leg,
        addr: from,
        reason: LatchReason::Nominated,
    })
}

impl Shard {
    /// The demux phase's STUN branch: answer the check in place (the verdict sends it
    /// back to `from` from the socket it came in on) or drop it with a reason.
    #[cold]
    #[inline(never)]
    pub(crate) fn ice_check(
        &mut self,
        now: Instant,
        slot: usize,
        ep: Endpoint,
        from: SocketAddr,
        buf: &mut PacketBuf<'_>,
    ) -> Result<(SocketId, SocketAddr, usize, usize), DropReason> {
        let Some(Some(stream)) = self.streams.get_mut(slot) else {
            return Err(DropReason::NoStream);
        };
        let key = stream.key;
        let side = stream.side_mut(ep.side);
        let Some(mut ice) = side.ice.take() else {
            return Err(DropReason::Junk(Junk::Stun));
        };
        let mut answered = None;
        let result = buf.in_place(|region, len| {
            let a = ice.agent.handle(now, from, region, len)?;
            answered = Some(a);
            Ok(a.len)
        });
        if answered.is_some() {
            side.stats.counters.ice_checks += 1;
        }
        let event = answered
            .filter(|a| a.nominated)
            .and_then(|a| peer_for(side, &ice, a.remote))
            .and_then(|i| nominate(side, i, from, ep.rtcp, key, ep.side));
        side.ice = Some(ice);
        result.map_err(|e: Drop| match e {
            Drop::BadIntegrity | Drop::UnknownUfrag => DropReason::IceAuth,
            Drop::Indication => DropReason::Consumed,
            _ => DropReason::Junk(Junk::Stun),
        })?;
        if let Some(e) = event {
            self.events.push_back(e);
        }
        Ok((SocketId::new(slot, ep), from, buf.start(), buf.len()))
    }
}

impl Shard {
    /// [`MediaOp::Ice`](sbc_core::MediaOp::Ice): ICE on, restarted, told a remote
    /// ufrag, or off.
    pub(crate) fn ice_op(
        &mut self,
        stream: StreamKey,
        leg: Leg,
        fork: Option<String>,
        local: Option<IceCredentials>,
        remote_ufrag: Option<String>,
    ) -> Result<(), OpError> {
        let s = self.stream_mut(stream)?;
        let side = s.side_mut(leg);
        let Some(local) = local else {
            side.ice = None;
            return Ok(());
        };
        let creds = Credentials::new(&local.ufrag, &local.pwd)
            .map_err(|error| OpError::Ice { stream, error })?;
        let mut ice = match side.ice.take() {
            Some(ice) if *ice.agent.local() == creds => ice,
            Some(mut ice) => {
                // ICE restart: nominations of the old credentials are void.
                ice.agent.restart(creds);
                ice.forks.clear();
                for p in &mut side.peers {
                    if matches!(p.latched, Some((_, LatchReason::Nominated))) {
                        p.latched = None;
                        p.latched_rtcp = None;
                    }
                }
                ice
            }
            None => Box::new(IceSide {
                agent: LiteAgent::new(creds),
                forks: Vec::new(),
            }),
        };
        // The latch window does not apply: nominations move the latch.
        for p in &mut side.peers {
            p.learns = false;
        }
        let mut event = None;
        if let Some(ufrag) = remote_ufrag {
            let Some(remote) = ice.agent.add_remote(&ufrag) else {
                side.ice = Some(ice);
                return Err(OpError::Unsupported {
                    stream,
                    what: "more than 8 ICE remote agents",
                });
            };
            ice.forks.retain(|(f, r)| *f != fork && *r != remote);
            ice.forks.push((fork, remote));
            // A check that overtook this SDP may have nominated already.
            if let (Some(addr), Some(i)) =
                (ice.agent.nominated(remote), peer_for(side, &ice, remote))
            {
                event = nominate(side, i, addr, false, stream, leg);
            }
        }
        side.ice = Some(ice);
        if let Some(e) = event {
            self.events.push_back(e);
        }
        Ok(())
    }

    /// B answered from `fork`: an ICE side follows that remote agent's nominations.
    pub(crate) fn ice_answered(&mut self, stream: StreamKey, fork: Option<&str>) {
        let Ok(s) = self.stream_mut(stream) else {
            return;
        };
        if let Some(ice) = s.side_mut(Leg::B).ice.as_mut() {
            if let Some(remote) = ice.remote_of(fork) {
                ice.agent.select(remote);
            }
        }
    }
}
