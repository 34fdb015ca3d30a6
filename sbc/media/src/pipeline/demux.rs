//! The demux phase: which stream a datagram is for (its socket id gives the slot and the
//! endpoint, see [`SocketId`](crate::SocketId)), and what kind of datagram it is, by its
//! first byte (RFC 7983 §7):
//!
//! | first byte | class | today |
//! |---|---|---|
//! | 0..=3 | STUN | on an ICE side: answered or dropped by its lite agent before this phase (`crate::ice`: `ice-auth` for checks that do not authenticate); elsewhere dropped, counted (`stun`) |
//! | 16..=19 | ZRTP | dropped, counted (`zrtp`) |
//! | 20..=63 | DTLS | dropped, counted (`dtls`; no DTLS-SRTP yet) |
//! | 64..=79 | TURN ChannelData | dropped, counted (`turn-channel`) |
//! | 128..=191 | RTP/RTCP | on to parse |
//! | else | — | on to parse, which calls it junk |
//!
//! All of them count as junk in the side's stats too, as before the classes were told
//! apart. A stream signalled as T.38 (UDPTL) has no such rules: its datagrams go to parse
//! as they are. When DTLS arrives, its class gets a phase of its own here, as STUN has.

use crate::packet::Junk;

/// Lets RTP/RTCP (and whatever no class claims) on to the parse phase.
#[inline(always)]
pub(crate) fn run(udptl: bool, data: &[u8]) -> Result<(), Junk> {
    let Some(&first) = data.first() else {
        return Ok(());
    };
    if udptl || first & 0xc0 == 0x80 {
        // RTP/RTCP (version 2): the common case first.
        return Ok(());
    }
    match first {
        0..=3 => Err(Junk::Stun),
        16..=19 => Err(Junk::Zrtp),
        20..=63 => Err(Junk::Dtls),
        64..=79 => Err(Junk::TurnChannel),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7983_first_byte_rules() {
        for (b, want) in [
            (0, Err(Junk::Stun)),
            (1, Err(Junk::Stun)),
            (3, Err(Junk::Stun)),
            (4, Ok(())),
            (16, Err(Junk::Zrtp)),
            (20, Err(Junk::Dtls)),
            (22, Err(Junk::Dtls)),
            (63, Err(Junk::Dtls)),
            (64, Err(Junk::TurnChannel)),
            (79, Err(Junk::TurnChannel)),
            (80, Ok(())),
            (0x80, Ok(())),
            (0xbf, Ok(())),
        ] {
            assert_eq!(run(false, &[b, 0, 0, 0]), want, "first byte {b}");
        }
        assert_eq!(run(true, &[0, 1, 2]), Ok(()), "UDPTL is not classified");
        assert_eq!(run(false, &[]), Ok(()), "empty: parse calls it short");
    }
}
