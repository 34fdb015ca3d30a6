//! A kept party the referrer had held, taken off hold after a handled transfer.
//!
//! A referrer usually holds the other party before its REFER: its `sendonly` (or
//! `inactive`) offer reached the kept party Y as the SBC's, and Y answered `recvonly`
//! (or `inactive`) and stopped sending. The referrer's hold ends with the transfer, so:
//!
//! * **The new leg's offer** mirrors Y's session as sending and receiving where Y's last
//!   description only received or was inactive ([`unhold_for_new_leg`]): the new party
//!   is asked for two-way audio, not for the referrer's hold.
//! * **Y's resume** ([`resume_offer`]): when the SBC's last description to Y holds it
//!   (`sendonly`/`inactive`) and the new party's answer sends and receives on every
//!   stream it accepted, the B2BUA re-INVITEs Y with the same description — codecs, keys,
//!   ports, addresses unchanged — but `sendrecv`, its `o=` version one higher (RFC 3264
//!   §8). Y's answer names the same streams: nothing changes in the media plane.
//!
//! A Y that held the call itself (its own `sendonly` offer) is not resumed: the SBC's
//! description to Y is then an answer `recvonly`, which holds nothing.

use sbc_sdp::{Direction, SessionDescription};

/// The SBC's offer taking the kept party off hold, if `sent_to_kept` holds it and
/// `new_answer` sends and receives; not stamped yet (the kept leg's origin gives it the
/// next version).
pub(crate) fn resume_offer(sent_to_kept: &[u8], new_answer: &[u8]) -> Option<SessionDescription> {
    let mut sent = SessionDescription::parse(sent_to_kept).ok()?;
    let answer = SessionDescription::parse(new_answer).ok()?;
    let holds = sent
        .streams()
        .any(|s| matches!(s.direction(), Direction::SendOnly | Direction::Inactive));
    let active: Vec<_> = answer
        .streams()
        .filter(|s| !s.media().is_rejected())
        .collect();
    let two_way = !active.is_empty()
        && active
            .iter()
            .all(|s| s.direction() == Direction::SendRecv && !s.is_hold());
    if !(holds && two_way) {
        return None;
    }
    sent.set_direction(Direction::SendRecv);
    Some(sent)
}

/// The kept side's description as offered to the new leg: sections where it only
/// received or was inactive (its answer to the referrer's hold) send and receive.
pub(crate) fn unhold_for_new_leg(sdp: &mut SessionDescription) {
    let held: Vec<usize> = sdp
        .streams()
        .filter(|s| !s.media().is_rejected())
        .filter(|s| matches!(s.direction(), Direction::RecvOnly | Direction::Inactive))
        .map(|s| s.index())
        .collect();
    if held.is_empty() {
        return;
    }
    // A session-level direction would still apply to sections without their own.
    let directions: Vec<Direction> = sdp.streams().map(|s| s.direction()).collect();
    sdp.set_direction(Direction::SendRecv);
    for (i, m) in sdp.media.iter_mut().enumerate() {
        let d = directions.get(i).copied().unwrap_or_default();
        if !held.contains(&i) && d != Direction::SendRecv {
            m.set_direction(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELD: &str = "v=0\r\no=sbc 9 4 IN IP4 198.51.100.1\r\ns=-\r\nt=0 0\r\n\
        m=audio 20000 RTP/AVP 0 101\r\nc=IN IP4 198.51.100.1\r\na=rtpmap:101 telephone-event/8000\r\n\
        a=sendonly\r\n";
    const TWO_WAY: &str = "v=0\r\no=n 1 1 IN IP4 10.0.0.7\r\ns=-\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n\
        m=audio 41000 RTP/AVP 0\r\n";

    fn text(b: &[u8]) -> String {
        String::from_utf8(b.to_vec()).expect("utf-8")
    }

    #[test]
    fn a_held_kept_party_is_offered_sendrecv_with_the_next_version() {
        let mut origin = sbc_sdp::LegOrigin::new(
            SessionDescription::parse(HELD.as_bytes())
                .expect("sdp")
                .origin,
        );
        let mut held = SessionDescription::parse(HELD.as_bytes()).expect("sdp");
        origin.stamp(&mut held);
        let mut resumed = resume_offer(HELD.as_bytes(), TWO_WAY.as_bytes()).expect("resumed");
        let offer = text(&origin.stamp(&mut resumed));
        assert!(offer.contains("a=sendrecv\r\n"), "{offer}");
        assert!(!offer.contains("sendonly"), "{offer}");
        assert!(
            offer.contains("o=sbc 9 5 IN IP4 198.51.100.1\r\n"),
            "{offer}"
        );
        for same in [
            "m=audio 20000 RTP/AVP 0 101",
            "c=IN IP4 198.51.100.1",
            "telephone-event",
        ] {
            assert!(offer.contains(same), "{same}: {offer}");
        }
        let inactive = HELD.replace("a=sendonly", "a=inactive");
        assert!(resume_offer(inactive.as_bytes(), TWO_WAY.as_bytes()).is_some());
    }

    #[test]
    fn nothing_is_resumed_unless_held_and_the_new_party_talks_both_ways() {
        let not_held = HELD.replace("a=sendonly\r\n", "");
        assert!(resume_offer(not_held.as_bytes(), TWO_WAY.as_bytes()).is_none());
        let answered_hold = HELD.replace("a=sendonly", "a=recvonly");
        assert!(resume_offer(answered_hold.as_bytes(), TWO_WAY.as_bytes()).is_none());
        for one_way in ["a=sendonly", "a=recvonly", "a=inactive"] {
            let answer = format!("{TWO_WAY}{one_way}\r\n");
            assert!(
                resume_offer(HELD.as_bytes(), answer.as_bytes()).is_none(),
                "{one_way}"
            );
        }
        let old_hold = TWO_WAY.replace("c=IN IP4 10.0.0.7", "c=IN IP4 0.0.0.0");
        assert!(resume_offer(HELD.as_bytes(), old_hold.as_bytes()).is_none());
        let rejected = TWO_WAY.replace("m=audio 41000", "m=audio 0");
        assert!(resume_offer(HELD.as_bytes(), rejected.as_bytes()).is_none());
        assert!(resume_offer(b"garbage", TWO_WAY.as_bytes()).is_none());
    }

    #[test]
    fn the_new_leg_is_asked_for_two_way_audio_where_the_kept_side_was_held() {
        for held in ["a=recvonly", "a=inactive"] {
            let kept = format!("{TWO_WAY}{held}\r\n");
            let mut sdp = SessionDescription::parse(kept.as_bytes()).expect("sdp");
            unhold_for_new_leg(&mut sdp);
            let out = text(&sdp.to_bytes());
            assert!(out.contains("a=sendrecv\r\n"), "{out}");
            assert!(!out.contains(held), "{out}");
        }
        // A kept side sending on its own hold (music) keeps its direction.
        let kept = format!("{TWO_WAY}a=sendonly\r\n");
        let mut sdp = SessionDescription::parse(kept.as_bytes()).expect("sdp");
        unhold_for_new_leg(&mut sdp);
        assert!(text(&sdp.to_bytes()).contains("a=sendonly\r\n"));
    }
}
