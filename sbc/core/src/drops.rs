//! Why the media plane did not relay a packet, one counter per reason.
//!
//! The media engine's packet path runs named phases (demux, parse, unprotect, latch,
//! transform, protect, send); each may end a packet's way with a reason. [`DropKind`] is
//! that reason without its details (the engine's own `DropReason` carries them), and
//! [`DropCounts`] counts each kind: per side of a stream in [`StreamStats`], and per engine.
//!
//! [`StreamStats`]: crate::StreamStats

use std::fmt;

/// A reason a packet went no further, in the order of the phases that decide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropKind {
    /// demux: the socket belongs to no stream (a late packet of a closed one).
    NoStream,
    /// demux/parse: neither RTP nor RTCP (nor UDPTL on a T.38 stream), or truncated.
    Junk,
    /// demux: STUN (RFC 7983 §7: first byte 0..=3) on a stream without ICE, or a
    /// malformed one, or one a lite agent does not answer (a response, a wrong
    /// FINGERPRINT).
    Stun,
    /// demux: STUN on an ICE stream with a wrong or missing MESSAGE-INTEGRITY or a USERNAME
    /// naming no current local ufrag: dropped unanswered, never latching.
    IceAuth,
    /// demux: DTLS (first byte 20..=63); no DTLS-SRTP yet.
    Dtls,
    /// demux: ZRTP (first byte 16..=19).
    Zrtp,
    /// demux: TURN ChannelData (first byte 64..=79).
    TurnChannel,
    /// unprotect: SRTP/SRTCP did not authenticate (or was too short, or carried an unknown
    /// MKI).
    Unprotect,
    /// unprotect: an SRTP/SRTCP packet seen before, or older than the replay window.
    Replay,
    /// latch: from a source the side is not latched to and may not latch to now.
    Foreign,
    /// latch: from a new source whose consistency is still being checked.
    Latching,
    /// latch: from a fork that is not the one relayed.
    OtherFork,
    /// latch: RTP of a stream the kernel forwards, still queued on its socket.
    Offloaded,
    /// transform: a step failed on this packet (the stream goes on).
    Transform,
    /// transform: the packet waited for a transcoder that was behind (its direction's
    /// queue, or the transcoding threads' queue, was full): a loss on purpose, so that
    /// a late transcoder never delays the relay workers.
    TranscodeQueue,
    /// transform: a step took the packet; what it carried travels another way (an
    /// event turned into signalling, frames re-cut, a duplicate suppressed). Not a loss:
    /// not in [`StreamStats::dropped`](crate::StreamStats::dropped).
    Consumed,
    /// protect: SRTP/SRTCP protection failed (no room for the tag, index exhausted).
    Protect,
    /// send: the other side has no address to send to yet (no SDP, or held).
    NoDestination,
}

impl DropKind {
    /// Every kind, in counter order.
    pub const ALL: [DropKind; 18] = [
        DropKind::NoStream,
        DropKind::Junk,
        DropKind::Stun,
        DropKind::IceAuth,
        DropKind::Dtls,
        DropKind::Zrtp,
        DropKind::TurnChannel,
        DropKind::Unprotect,
        DropKind::Replay,
        DropKind::Foreign,
        DropKind::Latching,
        DropKind::OtherFork,
        DropKind::Offloaded,
        DropKind::Transform,
        DropKind::TranscodeQueue,
        DropKind::Consumed,
        DropKind::Protect,
        DropKind::NoDestination,
    ];

    /// Its name in stats and logs (kebab-case, stable).
    pub fn name(self) -> &'static str {
        match self {
            DropKind::NoStream => "no-stream",
            DropKind::Junk => "junk",
            DropKind::Stun => "stun",
            DropKind::IceAuth => "ice-auth",
            DropKind::Dtls => "dtls",
            DropKind::Zrtp => "zrtp",
            DropKind::TurnChannel => "turn-channel",
            DropKind::Unprotect => "unprotect",
            DropKind::Replay => "replay",
            DropKind::Foreign => "foreign",
            DropKind::Latching => "latching",
            DropKind::OtherFork => "other-fork",
            DropKind::Offloaded => "offloaded",
            DropKind::Transform => "transform",
            DropKind::TranscodeQueue => "transcode-queue",
            DropKind::Consumed => "consumed",
            DropKind::Protect => "protect",
            DropKind::NoDestination => "no-destination",
        }
    }

    /// Whether the packet is lost to the other side (every kind but [`Consumed`](Self::Consumed)).
    pub fn is_loss(self) -> bool {
        self != DropKind::Consumed
    }

    /// A datagram that is not media the engine relays (counted in
    /// [`StreamStats::junk`](crate::StreamStats::junk) too).
    pub fn is_junk(self) -> bool {
        matches!(
            self,
            DropKind::Junk
                | DropKind::Stun
                | DropKind::IceAuth
                | DropKind::Dtls
                | DropKind::Zrtp
                | DropKind::TurnChannel
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DropKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A counter per [`DropKind`]. `Debug` shows only the kinds that counted something.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts([u64; DropKind::ALL.len()]);

impl DropCounts {
    /// Counts one packet of `kind`.
    #[inline]
    pub fn add(&mut self, kind: DropKind) {
        let c = &mut self.0[kind.index()];
        *c = c.saturating_add(1);
    }

    pub fn get(&self, kind: DropKind) -> u64 {
        self.0[kind.index()]
    }

    /// Adds every counter of `other` (totals over several engines).
    pub fn merge(&mut self, other: &DropCounts) {
        for (c, o) in self.0.iter_mut().zip(other.0.iter()) {
            *c = c.saturating_add(*o);
        }
    }

    /// The kinds that counted something, with their counts.
    pub fn iter(&self) -> impl Iterator<Item = (DropKind, u64)> + '_ {
        DropKind::ALL
            .into_iter()
            .map(|k| (k, self.get(k)))
            .filter(|&(_, n)| n > 0)
    }

    /// Packets lost to the other side (every kind but `Consumed`).
    pub fn losses(&self) -> u64 {
        self.iter()
            .filter(|(k, _)| k.is_loss())
            .map(|(_, n)| n)
            .sum()
    }
}

impl fmt::Debug for DropCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, n)| (k.name(), n)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_index_their_own_counter() {
        for (i, k) in DropKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i, "{k}");
        }
        let mut c = DropCounts::default();
        c.add(DropKind::Foreign);
        c.add(DropKind::Foreign);
        c.add(DropKind::Consumed);
        assert_eq!(c.get(DropKind::Foreign), 2);
        assert_eq!(c.get(DropKind::Junk), 0);
        assert_eq!(c.losses(), 2, "consumed is not a loss");
        assert_eq!(format!("{c:?}"), r#"{"foreign": 2, "consumed": 1}"#);
    }
}
