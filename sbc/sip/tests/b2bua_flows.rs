//! Call flows through the B2BUA on a virtual clock: A (carrier side) calls B (PBX side).

mod b2bua_util;

use std::time::Duration;

use b2bua_util::*;
use sbc_sip::Known;
use sbc_sip::b2bua::{EndReason, EngineEvent};

/// Sets up a call to the point where B's INVITE has been sent; returns it.
fn invite(h: &mut Harness, call_id: &str, sdp: bool) -> sbc_sip::Message {
    h.deliver_from_a(&invite_from_a(call_id, 1, sdp));
    assert_eq!(h.codes_to(A_PEER), vec![100], "100 Trying to A");
    h.request_to(B_PEER, "INVITE")
}

/// A basic answered call; returns (B's INVITE, the SBC's A-leg tag).
fn answered_call(h: &mut Harness, call_id: &str) -> (sbc_sip::Message, String) {
    let b_invite = invite(h, call_id, true);
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
    );
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    let to_a = h.take_to(A_PEER);
    let codes: Vec<u16> = to_a.iter().filter_map(|m| m.status()).collect();
    assert_eq!(codes, vec![180, 200]);
    let a_tag = to_tag(&to_a[1]);
    assert_eq!(to_tag(&to_a[0]), a_tag, "one A-leg tag for 18x and 2xx");
    assert_eq!(to_a[1].body(), SDP_B.as_bytes());
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("ACK", call_id, 1, &a_tag, ""));
    (b_invite, a_tag)
}

#[test]
fn basic_call_and_bye_from_a() {
    let mut h = Harness::new();
    let (_b_invite, a_tag) = answered_call(&mut h, "call-1@carrier");
    assert_eq!(h.engine.call_count(), 1);
    h.deliver_from_a(&in_dialog_from_a("BYE", "call-1@carrier", 2, &a_tag, ""));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    let bye = h.request_to(B_PEER, "BYE");
    // RFC 3326: the SBC says why (A's BYE gave no Reason: normal clearing).
    assert_eq!(
        bye.other_header("Reason"),
        Some("Q.850;cause=16;text=\"Normal call clearing\"")
    );
    h.deliver_from_b(B_PEER, b_response(&bye, 200, "OK", None, ""));
    h.settle();
    assert_eq!(h.engine.call_count(), 0);
    assert_eq!(h.engine.transaction_count(), 0);
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::CallEnded {
            reason: EndReason::Bye(sbc_sip::b2bua::Side::A),
            ..
        }
    )));
}

#[test]
fn the_b_leg_reveals_nothing_of_the_a_leg() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, "secret-call-id@10.1.1.1", true);
    // Headers only: the SDP crosses through the session hook, which the media plane
    // implements (and tests); this engine runs with the pass-through hook.
    let raw = head(&b_invite);
    for leak in [
        "secret-call-id",
        "10.1.1.1",
        "atag",
        "203.0.113.50",
        "carrier.example.com",
        "proxy.carrier",
        "X-Carrier-Secret",
        "CarrierSwitch",
        "203.0.113.1",
    ] {
        assert!(!raw.contains(leak), "B's INVITE contains {leak:?}:\n{raw}");
    }
    assert_eq!(
        b_invite.request_uri(),
        Some(format!("sip:4930123@{B_PEER}").as_str())
    );
    assert!(
        b_invite
            .header(Known::Via)
            .is_some_and(|v| v.contains(SBC_B))
    );
    assert!(
        b_invite
            .header(Known::Contact)
            .is_some_and(|v| v.contains(SBC_B))
    );
    assert_eq!(b_invite.max_forwards(), Some(69));
    assert!(
        b_invite
            .from()
            .ok()
            .and_then(|f| f.display.map(str::to_owned))
            .is_some_and(|d| d.contains("Alice"))
    );
    // ... and what A receives reveals nothing of B.
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("secret-b-tag"), SDP_B),
    );
    let ok = h
        .take_to(A_PEER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200 to A");
    let raw = head(&ok);
    for leak in [
        "secret-b-tag",
        b_invite.call_id().unwrap_or("x"),
        "10.20.0.1",
        "pbx-proxy",
        "SecretPBX",
    ] {
        assert!(!raw.contains(leak), "A's 200 contains {leak:?}:\n{raw}");
    }
}

/// The header section of a message as sent.
fn head(m: &sbc_sip::Message) -> String {
    let text = String::from_utf8_lossy(&m.to_bytes()).into_owned();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

#[test]
fn bye_from_b() {
    let mut h = Harness::new();
    let (b_invite, _a_tag) = answered_call(&mut h, "call-2@carrier");
    h.deliver_from_b(B_PEER, in_dialog_from_b("BYE", &b_invite, "btag", 1));
    assert_eq!(h.codes_to(B_PEER), vec![200]);
    let bye = h.request_to(A_PEER, "BYE");
    assert_eq!(bye.call_id(), Some("call-2@carrier"));
    assert_eq!(
        bye.request_uri(),
        Some(format!("sip:alice@{A_PEER}").as_str())
    );
    assert_eq!(
        bye.header(Known::Route),
        Some("<sip:proxy.carrier.example.com;lr>")
    );
    h.deliver_from_a(&format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: call-2@carrier\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        bye.header(Known::Via).unwrap_or_default(),
        bye.header(Known::From).unwrap_or_default(),
        bye.header(Known::To).unwrap_or_default(),
        bye.header(Known::CSeq).unwrap_or_default()
    ));
    h.settle();
    assert_eq!(h.engine.call_count(), 0);
    assert_eq!(h.engine.transaction_count(), 0);
}

#[test]
fn busy_is_mapped_back_and_the_call_forgotten() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, "call-3@carrier", true);
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 486, "Busy Here", Some("btag"), ""),
    );
    assert_eq!(h.codes_to(A_PEER), vec![486]);
    assert_eq!(
        h.take_to(B_PEER)
            .iter()
            .filter(|m| m.method().map(|x| x.as_str()) == Some("ACK"))
            .count(),
        1,
        "the layer ACKs the 486"
    );
    h.settle();
    assert_eq!(h.engine.call_count(), 0);
    assert_eq!(h.engine.transaction_count(), 0);
}

#[test]
fn cancel_before_answer() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, "call-4@carrier", true);
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
    );
    let _ = h.take_to(A_PEER);
    h.deliver_from_a(&format!(
        "CANCEL sip:+4930123@{SBC_A} SIP/2.0\r\nVia: SIP/2.0/UDP {A_PEER};branch=z9hG4bKa1call4carrier;rport\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:+4989555@carrier.example.com>;tag=atag\r\nTo: <sip:+4930123@{SBC_A}>\r\nCall-ID: call-4@carrier\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n"
    ));
    let mut codes = h.codes_to(A_PEER);
    codes.sort();
    assert_eq!(
        codes,
        vec![200, 487],
        "200 for the CANCEL, 487 for the INVITE"
    );
    let cancel = h.request_to(B_PEER, "CANCEL");
    h.deliver_from_b(B_PEER, b_response(&cancel, 200, "OK", Some("btag"), ""));
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 487, "Request Terminated", Some("btag"), ""),
    );
    h.settle();
    assert_eq!(h.engine.call_count(), 0);
    assert_eq!(h.engine.transaction_count(), 0);
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::CallEnded {
            reason: EndReason::Cancelled,
            ..
        }
    )));
}

#[test]
fn failover_to_the_second_peer_on_503() {
    let mut h = Harness::new();
    h.targets = vec![B_PEER, B_PEER_2];
    let first = invite(&mut h, "call-5@carrier", true);
    h.deliver_from_b(
        B_PEER,
        b_response(&first, 503, "Service Unavailable", Some("x"), ""),
    );
    let second = h.request_to(B_PEER_2, "INVITE");
    assert_ne!(second.call_id(), first.call_id(), "a fresh B leg");
    assert!(
        h.codes_to(A_PEER).is_empty(),
        "A sees nothing of the failed attempt"
    );
    h.deliver_from_b(B_PEER_2, b_response(&second, 200, "OK", Some("b2"), SDP_B));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
}

#[test]
fn failover_on_timeout_then_408_when_all_peers_are_silent() {
    let mut h = Harness::new();
    h.targets = vec![B_PEER, B_PEER_2];
    let first = invite(&mut h, "call-6@carrier", true);
    h.advance(Duration::from_secs(33));
    let second: Vec<_> = h.take_to(B_PEER_2);
    assert!(!second.is_empty() && second.iter().all(|m| m.call_id() != first.call_id()));
    h.advance(Duration::from_secs(33));
    assert!(h.codes_to(A_PEER).contains(&408));
    h.settle();
    assert_eq!(h.engine.call_count(), 0);
}

#[test]
fn no_failover_once_b_rang() {
    let mut h = Harness::new();
    h.targets = vec![B_PEER, B_PEER_2];
    let first = invite(&mut h, "call-7@carrier", true);
    h.deliver_from_b(B_PEER, b_response(&first, 180, "Ringing", Some("b"), ""));
    h.deliver_from_b(
        B_PEER,
        b_response(&first, 503, "Service Unavailable", Some("b"), ""),
    );
    assert_eq!(h.codes_to(A_PEER), vec![180, 503]);
    assert!(h.take_to(B_PEER_2).is_empty());
}

#[test]
fn the_2xx_is_retransmitted_until_the_ack_and_the_call_ends_without_it() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, "call-8@carrier", true);
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    h.advance(Duration::from_secs(10));
    let retransmits = h.codes_to(A_PEER).iter().filter(|c| **c == 200).count();
    assert!(
        retransmits >= 4,
        "2xx retransmitted at 0.5, 1.5, 3.5, 7.5 s: {retransmits}"
    );
    h.advance(Duration::from_secs(30));
    // 64*T1 without ACK: BYE to both legs.
    let byes_to_a = h
        .take_to(A_PEER)
        .iter()
        .filter(|m| m.method().map(|x| x.as_str()) == Some("BYE"))
        .count();
    let byes_to_b = h
        .take_to(B_PEER)
        .iter()
        .filter(|m| m.method().map(|x| x.as_str()) == Some("BYE"))
        .count();
    assert!(
        byes_to_a >= 1 && byes_to_b >= 1,
        "BYE to A: {byes_to_a}, to B: {byes_to_b}"
    );
    h.settle();
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::CallEnded {
            reason: EndReason::AckTimeout,
            ..
        }
    )));
}

#[test]
fn reinvite_from_a_is_relayed_and_acked() {
    let mut h = Harness::new();
    let (_b_invite, a_tag) = answered_call(&mut h, "call-9@carrier");
    let hold = SDP_A.replace(
        "m=audio 40000 RTP/AVP 0\r\n",
        "m=audio 40000 RTP/AVP 0\r\na=sendonly\r\n",
    );
    h.deliver_from_a(&in_dialog_from_a(
        "INVITE",
        "call-9@carrier",
        2,
        &a_tag,
        &hold,
    ));
    let reinvite = h.request_to(B_PEER, "INVITE");
    assert_eq!(reinvite.body(), hold.as_bytes());
    assert_eq!(
        reinvite.request_uri(),
        Some(format!("sip:pbx@{B_PEER}").as_str())
    );
    assert_eq!(
        reinvite.header(Known::Route),
        Some("<sip:pbx-proxy.internal;lr>")
    );
    assert_eq!(reinvite.cseq().map(|c| c.seq), Ok(2));
    h.deliver_from_b(
        B_PEER,
        b_response(&reinvite, 200, "OK", Some("btag"), SDP_B),
    );
    assert!(h.codes_to(A_PEER).contains(&200));
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("ACK", "call-9@carrier", 2, &a_tag, ""));
    h.advance(Duration::from_secs(10));
    assert!(
        h.codes_to(A_PEER).is_empty(),
        "no 2xx retransmission after the ACK"
    );
}

#[test]
fn crossing_offers_get_491() {
    let mut h = Harness::new();
    let (b_invite, a_tag) = answered_call(&mut h, "call-10@carrier");
    h.deliver_from_a(&in_dialog_from_a(
        "INVITE",
        "call-10@carrier",
        2,
        &a_tag,
        SDP_A,
    ));
    let _ = h.request_to(B_PEER, "INVITE");
    let mut from_b = in_dialog_from_b("INVITE", &b_invite, "btag", 5);
    from_b.set_body(SDP_B.as_bytes().to_vec());
    from_b.push_header(Known::ContentType, "application/sdp");
    h.deliver_from_b(B_PEER, from_b);
    assert!(h.codes_to(B_PEER).contains(&491));
}

#[test]
fn in_dialog_timeout_tears_down_both_legs() {
    let mut h = Harness::new();
    let (_b_invite, a_tag) = answered_call(&mut h, "call-11@carrier");
    h.deliver_from_a(&in_dialog_from_a("INFO", "call-11@carrier", 2, &a_tag, ""));
    let _ = h.request_to(B_PEER, "INFO");
    h.advance(Duration::from_secs(40));
    assert!(h.codes_to(A_PEER).contains(&408));
    h.settle();
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::CallEnded {
            reason: EndReason::DialogLost(_),
            ..
        }
    )));
    assert_eq!(h.engine.call_count(), 0);
}

#[test]
fn unknown_dialogs_get_481() {
    let mut h = Harness::new();
    h.deliver_from_a(&in_dialog_from_a("BYE", "nope@carrier", 2, "unknown", ""));
    assert_eq!(h.codes_to(A_PEER), vec![481]);
}

#[test]
fn a_second_fork_answering_is_acked_and_released() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, "call-12@carrier", true);
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 183, "Session Progress", Some("fork1"), SDP_B),
    );
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 183, "Session Progress", Some("fork2"), SDP_B),
    );
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("fork2"), SDP_B),
    );
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("fork1"), SDP_B),
    );
    let to_b = h.take_to(B_PEER);
    let acks = to_b
        .iter()
        .filter(|m| m.method().map(|x| x.as_str()) == Some("ACK"))
        .count();
    let byes: Vec<_> = to_b
        .iter()
        .filter(|m| m.method().map(|x| x.as_str()) == Some("BYE"))
        .collect();
    assert_eq!(acks, 2);
    assert_eq!(byes.len(), 1);
    assert!(
        byes[0]
            .header(Known::To)
            .is_some_and(|t| t.contains("fork1"))
    );
    let codes = h.codes_to(A_PEER);
    assert_eq!(
        codes.iter().filter(|c| **c == 200).count(),
        1,
        "A sees one answer: {codes:?}"
    );
}

#[test]
fn late_offer_answer_travels_in_the_ack() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, "call-13@carrier", false);
    assert!(b_invite.body().is_empty());
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    let ok = h
        .take_to(A_PEER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200");
    assert_eq!(ok.body(), SDP_B.as_bytes(), "the offer is in the 2xx");
    assert!(
        h.take_to(B_PEER).is_empty(),
        "no ACK to B before A's answer"
    );
    let a_tag = to_tag(&ok);
    h.deliver_from_a(&in_dialog_from_a(
        "ACK",
        "call-13@carrier",
        1,
        &a_tag,
        SDP_A,
    ));
    let ack = h.request_to(B_PEER, "ACK");
    assert_eq!(ack.body(), SDP_A.as_bytes());
}

#[test]
fn hang_up_from_outside_sip_byes_both_legs() {
    let mut h = Harness::new();
    let (_b_invite, _a_tag) = answered_call(&mut h, "call-mt@carrier");
    let call = h
        .events
        .iter()
        .find_map(|e| match e {
            EngineEvent::CallStarted { call } => Some(*call),
            _ => None,
        })
        .expect("call started");
    // The media plane saw no packets for its inactivity time.
    let now = h.now;
    assert!(
        h.engine
            .hang_up(now, call, EndReason::MediaTimeout, &mut h.hook)
    );
    h.drain();
    let bye_a = h.request_to(A_PEER, "BYE");
    let bye_b = h.request_to(B_PEER, "BYE");
    for bye in [&bye_a, &bye_b] {
        assert_eq!(
            bye.other_header("Reason"),
            Some("Q.850;cause=102;text=\"Recovery on timer expiry\""),
            "a media timeout"
        );
    }
    h.deliver_msg_from_a(a_response(&bye_a, 200, "OK"));
    h.deliver_from_b(B_PEER, b_response(&bye_b, 200, "OK", None, ""));
    h.settle();
    assert_eq!(h.engine.call_count(), 0);
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::CallEnded {
            reason: EndReason::MediaTimeout,
            ..
        }
    )));
    // A call that is gone is not hung up twice.
    assert!(
        !h.engine
            .hang_up(now, call, EndReason::MediaTimeout, &mut h.hook)
    );
}

#[test]
fn the_ending_byes_reason_crosses_to_the_other_leg() {
    let mut h = Harness::new();
    let (_b_invite, a_tag) = answered_call(&mut h, "call-r@carrier");
    h.deliver_from_a(&in_dialog_from_a_with(
        "BYE",
        "call-r@carrier",
        2,
        &a_tag,
        "",
        "Reason: Q.850;cause=31;text=\"caller gone\"\r\n",
    ));
    let bye = h.request_to(B_PEER, "BYE");
    assert_eq!(
        bye.other_header("Reason"),
        Some("Q.850;cause=31;text=\"caller gone\"")
    );
}

/// RFC 3326: the SBC's CANCEL carries the Reason of A's CANCEL (`SIP;cause=200`, "call
/// completed elsewhere", keeps phones from showing a missed call), else Q.850 16.
#[test]
fn the_cancel_to_b_says_why() {
    for (reason, expected) in [
        (
            Some("SIP;cause=200;text=\"Call completed elsewhere\""),
            "SIP;cause=200;text=\"Call completed elsewhere\"",
        ),
        (None, "Q.850;cause=16;text=\"Normal call clearing\""),
    ] {
        let mut h = Harness::new();
        let call_id = format!("reason-{}@carrier", reason.is_some());
        let b_invite = invite(&mut h, &call_id, true);
        h.deliver_from_b(
            B_PEER,
            b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
        );
        let _ = h.take_to(A_PEER);
        let reason_line = reason
            .map(|r| format!("Reason: {r}\r\n"))
            .unwrap_or_default();
        let branch: String = call_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        h.deliver_from_a(&format!(
            "CANCEL sip:+4930123@{SBC_A} SIP/2.0\r\nVia: SIP/2.0/UDP {A_PEER};branch=z9hG4bKa1{branch};rport\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:+4989555@carrier.example.com>;tag=atag\r\nTo: <sip:+4930123@{SBC_A}>\r\nCall-ID: {call_id}\r\nCSeq: 1 CANCEL\r\n{reason_line}Content-Length: 0\r\n\r\n"
        ));
        let cancel = h.request_to(B_PEER, "CANCEL");
        assert_eq!(cancel.other_header("Reason"), Some(expected));
    }
}

/// RFC 6432: a failure the SBC sends A carries a Q.850 Reason: B's own when it gave one,
/// else the code mapped per RFC 3398 (486 -> 17).
#[test]
fn failures_to_a_say_why() {
    for (b_reason, expected) in [
        (None, "Q.850;cause=17;text=\"User busy\""),
        (
            Some("Q.850;cause=21;text=\"Call rejected\""),
            "Q.850;cause=21;text=\"Call rejected\"",
        ),
    ] {
        let mut h = Harness::new();
        let call_id = format!("busy-{}@carrier", b_reason.is_some());
        let b_invite = invite(&mut h, &call_id, true);
        let mut busy = b_response(&b_invite, 486, "Busy Here", Some("btag"), "");
        if let Some(r) = b_reason {
            busy.push_header(sbc_sip::wire::HeaderName::from_token("Reason"), r);
        }
        h.deliver_from_b(B_PEER, busy);
        let to_a = h.take_to(A_PEER);
        let answer = to_a
            .iter()
            .find(|m| m.status() == Some(486))
            .expect("486 to A");
        assert_eq!(answer.other_header("Reason"), Some(expected));
    }
}
