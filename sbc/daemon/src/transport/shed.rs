//! Overload shedding at the listener: when the core task's queue is half full, a new
//! INVITE is answered `503 Service Unavailable` with `Retry-After` right here, statelessly,
//! instead of joining the queue.
//!
//! Without it, a rate above what the core can serve fills the queue, the queue's tail
//! waits longer than the peers' retransmission timers, the retransmissions add to the
//! load, and the SBC ends up dropping in-dialog traffic (ACK, BYE) of calls it already
//! accepted. Shedding only *new* calls keeps the established ones whole: every other
//! message (responses, ACK, BYE, re-INVITE, OPTIONS) still goes to the core, and only
//! when the queue is completely full is anything dropped (see `udp.rs`).
//!
//! The answer is built from the request alone (Via, From, To with a tag, Call-ID, CSeq),
//! as RFC 3261 §8.2.6 allows for a request that creates no transaction; a retransmitted
//! INVITE simply gets another 503. RFC 3261 §21.5.4: 503 with Retry-After asks the peer
//! (and a trunk's failover logic) to try elsewhere or later.

use std::time::{Duration, Instant};

use sbc_sip::transaction::response_for;
use sbc_sip::{Known, Message, Method};
use tracing::warn;

/// Seconds a shed caller is asked to wait.
const RETRY_AFTER_SECONDS: u32 = 2;

/// Whether a queue with `free` of `max` slots left should shed new calls: at half full.
pub fn overloaded(free: usize, max: usize) -> bool {
    free < max / 2
}

/// An INVITE outside any dialog (no To tag): the only request shed.
pub fn is_new_call(msg: &Message) -> bool {
    msg.method() == Some(&Method::Invite)
        && msg
            .header(Known::To)
            .and_then(|to| sbc_sip::grammar::NameAddr::parse(to).ok())
            .is_some_and(|to| to.tag().is_none())
}

/// The stateless `503` for a shed INVITE.
pub fn busy_response(invite: &Message, agent: &str) -> Vec<u8> {
    let mut r = response_for(invite, 503, "Service Unavailable", Some("sbc-overload"));
    r.push_header(Known::RetryAfter, RETRY_AFTER_SECONDS.to_string());
    r.push_header(Known::Server, agent);
    r.to_bytes()
}

/// Counts shed calls and logs them at most once a second.
#[derive(Debug)]
pub struct ShedLog {
    count: u64,
    since: Instant,
}

impl ShedLog {
    pub fn new(now: Instant) -> Self {
        ShedLog {
            count: 0,
            since: now,
        }
    }

    pub fn note(&mut self, now: Instant, local: std::net::SocketAddr) {
        self.count += 1;
        if now.duration_since(self.since) >= Duration::from_secs(1) {
            warn!(%local, shed = self.count, "core overloaded: new calls answered 503 in the last second(s)");
            self.count = 0;
            self.since = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_sip::{Framing, Limits};

    fn parse(text: &str) -> Message {
        Message::parse(
            text.as_bytes().to_vec(),
            Framing::Datagram,
            &Limits::default(),
        )
        .expect("test message is valid")
    }

    const INVITE: &str = "INVITE sip:1@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKa1\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa0\r\nFrom: <sip:x@h>;tag=f1\r\nTo: <sip:1@h>\r\nCall-ID: c1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn sheds_at_half_full() {
        assert!(!overloaded(100, 100));
        assert!(!overloaded(50, 100));
        assert!(overloaded(49, 100));
        assert!(overloaded(0, 100));
    }

    #[test]
    fn only_new_invites_are_shed() {
        assert!(is_new_call(&parse(INVITE)));
        let reinvite = INVITE.replace("To: <sip:1@h>", "To: <sip:1@h>;tag=t9");
        assert!(!is_new_call(&parse(&reinvite)));
        let bye = INVITE
            .replace("INVITE sip", "BYE sip")
            .replace("7 INVITE", "8 BYE");
        assert!(!is_new_call(&parse(&bye)));
        let response = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKa1\r\nFrom: <sip:x@h>;tag=f1\r\nTo: <sip:1@h>;tag=t\r\nCall-ID: c1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";
        assert!(!is_new_call(&parse(response)));
    }

    #[test]
    fn the_503_matches_the_invite_and_asks_to_retry_later() {
        let bytes = busy_response(&parse(INVITE), "sbc/test");
        let r = parse(std::str::from_utf8(&bytes).expect("ascii"));
        assert_eq!(r.status(), Some(503));
        let vias: Vec<&str> = r.header_values(Known::Via).collect();
        assert_eq!(
            vias,
            [
                "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKa1",
                "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa0"
            ]
        );
        assert_eq!(r.header(Known::CallId), Some("c1"));
        assert_eq!(r.header(Known::CSeq), Some("7 INVITE"));
        assert_eq!(r.header(Known::RetryAfter), Some("2"));
        let to = r.header(Known::To).expect("To copied");
        assert!(to.ends_with(";tag=sbc-overload"), "{to}");
    }
}
