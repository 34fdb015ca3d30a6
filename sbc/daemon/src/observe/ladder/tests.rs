use super::*;

fn wire(local: &str, remote: &str) -> Wire {
    Wire {
        transport: Transport::Udp,
        local: local.parse().expect("addr"),
        remote: remote.parse().expect("addr"),
    }
}

fn msg(first: &str, call_id: &str, cseq: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "{first}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const A: &str = "10.0.0.1:5060";
const CARRIER: &str = "10.0.0.2:5060";
const B: &str = "10.1.0.1:5060";
const PBX: &str = "10.1.0.2:5060";

#[test]
fn both_legs_in_time_order_with_addresses_as_on_the_wire() {
    let mut l = Ladders::default();
    let invite = msg("INVITE sip:1@x SIP/2.0", "a-id", "1 INVITE", "", "");
    assert!(l.received(1_000, wire(A, CARRIER), invite).is_none());
    // Another call's INVITE read in the same batch, before the engine's events are handled.
    let other = msg("INVITE sip:2@x SIP/2.0", "z-id", "1 INVITE", "", "");
    assert!(l.received(1_100, wire(A, CARRIER), other).is_none());
    // Not a call's (yet): nothing kept.
    let options = msg("OPTIONS sip:x SIP/2.0", "o-id", "1 OPTIONS", "", "");
    assert!(l.received(1_500, wire(A, CARRIER), options).is_none());
    l.started(9, "a-id", "b-id", false);
    assert!(l.wants("a-id") && l.wants("b-id") && !l.wants("o-id"));
    l.sent(
        2_000,
        wire(B, PBX),
        &msg("INVITE sip:1@pbx SIP/2.0", "b-id", "1 INVITE", "", ""),
    );
    l.sent(
        1_800,
        wire(A, CARRIER),
        &msg("SIP/2.0 100 Trying", "a-id", "1 INVITE", "", ""),
    );
    let busy = msg(
        "SIP/2.0 486 Busy Here",
        "b-id",
        "1 INVITE",
        "Reason: Q.850;cause=17;text=\"busy\"\r\n",
        "",
    );
    let ending = l.received(3_000, wire(B, PBX), busy).expect("a cause");
    assert_eq!(
        (ending.call, ending.side, ending.way),
        (9, Side::B, Way::In)
    );
    assert_eq!(ending.cause.cause, 17);
    // A final response without a Reason: nothing for the CDR (it maps the code itself).
    let relayed = msg("SIP/2.0 486 Busy Here", "a-id", "1 INVITE", "", "");
    assert!(l.sent(3_100, wire(A, CARRIER), &relayed).is_none());
    l.ended(9);
    let v = l.view(9, false).expect("kept");
    assert!(v.ended);
    let lines: Vec<_> = v
        .messages
        .iter()
        .map(|m| {
            (
                m.leg.as_str(),
                m.direction.as_str(),
                m.src.as_str(),
                m.dst.as_str(),
                m.first_line.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("a", "in", CARRIER, A, "INVITE sip:1@x SIP/2.0"),
            ("a", "out", A, CARRIER, "SIP/2.0 100 Trying"),
            ("b", "out", B, PBX, "INVITE sip:1@pbx SIP/2.0"),
            ("b", "in", PBX, B, "SIP/2.0 486 Busy Here"),
            ("a", "out", A, CARRIER, "SIP/2.0 486 Busy Here"),
        ]
    );
    assert_eq!(v.messages[0].time, "1970-01-01T00:00:00.001000Z");
    l.started(10, "z-id", "y-id", false);
    let other = l.view(10, false).expect("kept");
    assert_eq!(other.messages.len(), 1, "its INVITE was waiting too");
    assert_eq!(other.messages[0].first_line, "INVITE sip:2@x SIP/2.0");
    assert_eq!(v.legs[1].call_id, "b-id");
}

#[test]
fn dtmf_digits_are_masked_unless_shown() {
    let info = |id| {
        msg(
            "INFO sip:x SIP/2.0",
            id,
            "2 INFO",
            "Content-Type: application/dtmf-relay\r\n",
            "Signal=5\r\nDuration=160\r\n",
        )
    };
    let mut l = Ladders::default();
    l.started(1, "masked", "masked-b", false);
    l.started(2, "shown", "shown-b", true);
    l.received(1, wire(A, CARRIER), info("masked"));
    l.received(1, wire(A, CARRIER), info("shown"));
    let body = |call| {
        l.view(call, false).expect("kept").messages[0]
            .message
            .clone()
    };
    assert!(
        body(1).ends_with("Signal=x\r\nDuration=160\r\n"),
        "{}",
        body(1)
    );
    assert!(body(2).ends_with("Signal=5\r\nDuration=160\r\n"));
}

#[test]
fn srtp_keys_are_masked_in_the_ladder_and_its_pcap_even_with_digits_shown() {
    const CARRIER_KEY: &str = "WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4";
    const SBC_KEY: &str = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    let sdp = |key: &str| {
        format!(
            "v=0\r\nm=audio 4000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|2^20|1:4\r\n\
             a=fingerprint:sha-256 4A:AD:B9\r\n"
        )
    };
    let sdp_type = "Content-Type: application/sdp\r\n";
    let mut l = Ladders::default();
    // The INVITE waits among the unclaimed ones until the call starts.
    let invite = msg(
        "INVITE sip:1@x SIP/2.0",
        "a-id",
        "1 INVITE",
        sdp_type,
        &sdp(CARRIER_KEY),
    );
    let invite_len = invite.len();
    l.received(1_000, wire(A, CARRIER), invite);
    l.started(1, "a-id", "b-id", true);
    let ok = msg(
        "SIP/2.0 200 OK",
        "a-id",
        "1 INVITE",
        sdp_type,
        &sdp(SBC_KEY),
    );
    l.sent(2_000, wire(A, CARRIER), &ok);
    assert!(
        String::from_utf8_lossy(&ok).contains(SBC_KEY),
        "the message sent is not changed"
    );
    let view = l.view(1, false).expect("kept");
    assert_eq!(view.messages.len(), 2);
    assert_eq!(view.messages[0].message.len(), invite_len, "same length");
    let masked = format!("inline:{}|2^20|1:4\r\n", "A".repeat(40));
    for m in &view.messages {
        assert!(m.message.contains(&masked), "{}", m.message);
        assert!(m.message.contains("a=fingerprint:sha-256 4A:AD:B9\r\n"));
    }
    let pcap = sbc_mgmt::ladder::pcap::pcap(&view);
    for key in [CARRIER_KEY, SBC_KEY] {
        let json = serde_json::to_string(&view).expect("JSON");
        assert!(!json.contains(key), "{json}");
        assert!(
            !pcap.windows(key.len()).any(|w| w == key.as_bytes()),
            "key in the pcap"
        );
    }
}

#[test]
fn bounded_by_ended_calls_call_bytes_and_total_bytes() {
    let limits = Limits {
        ended_calls: 2,
        call_bytes: 400,
        total_bytes: 500,
    };
    let mut l = Ladders::new(limits);
    let bye = |id: &str| msg("BYE sip:x SIP/2.0", id, "3 BYE", "", &"x".repeat(100));
    for call in 1..=3u64 {
        let (a, b) = (format!("a{call}"), format!("b{call}"));
        l.started(call, &a, &b, false);
        l.received(1, wire(A, CARRIER), bye(&a));
        l.ended(call);
    }
    assert!(
        l.view(1, false).is_none(),
        "only the last two ended calls are kept"
    );
    assert!(!l.wants("a1"));
    assert!(l.view(2, false).is_some() && l.view(3, false).is_some());
    // A live call over its share: the rest dropped and counted.
    l.started(4, "a4", "b4", false);
    for _ in 0..3 {
        l.received(1, wire(A, CARRIER), bye("a4"));
    }
    let v = l.view(4, false).expect("live");
    assert_eq!((v.messages.len(), v.dropped), (2, 1));
    assert!(l.bytes() <= limits.total_bytes);
    assert!(
        l.view(2, false).is_none(),
        "the oldest ended call made room"
    );
    // INVITEs of no call are kept up to their bound, the oldest dropped.
    for n in 0..UNCLAIMED + 10 {
        let invite = msg("INVITE sip:x SIP/2.0", &format!("u{n}"), "1 INVITE", "", "");
        l.received(1, wire(A, CARRIER), invite);
    }
    l.started(5, "u0", "v0", false);
    assert!(
        l.view(5, false).expect("started").messages.is_empty(),
        "u0 was dropped"
    );
    l.started(6, &format!("u{}", UNCLAIMED + 9), "v6", false);
    assert_eq!(l.view(6, false).expect("started").messages.len(), 1);
    // Garbage is ignored.
    assert!(
        l.received(1, wire(A, CARRIER), b"\xff\xfe".to_vec())
            .is_none()
    );
    assert!(l.sent(1, wire(A, CARRIER), b"no call id\r\n\r\n").is_none());
}

#[test]
fn off_keeps_no_message_but_still_gives_the_cdr_its_causes() {
    let mut l = Ladders::default();
    l.set_recording(false);
    assert!(!l.recording());
    let invite = msg("INVITE sip:1@x SIP/2.0", "a-id", "1 INVITE", "", "");
    assert!(l.received(1_000, wire(A, CARRIER), invite).is_none());
    l.started(3, "a-id", "b-id", false);
    let bye = msg(
        "BYE sip:1@x SIP/2.0",
        "b-id",
        "2 BYE",
        "Reason: Q.850;cause=16\r\n",
        "",
    );
    let ending = l.received(2_000, wire(B, PBX), bye).expect("a cause");
    assert_eq!(
        (ending.call, ending.side, ending.cause.cause),
        (3, Side::B, 16)
    );
    let relayed = msg(
        "BYE sip:1@x SIP/2.0",
        "a-id",
        "2 BYE",
        "Reason: Q.850;cause=16\r\n",
        "",
    );
    assert!(l.sent(2_100, wire(A, CARRIER), &relayed).is_some());
    assert_eq!(l.bytes(), 0, "nothing kept");
    assert!(l.view(3, false).is_none(), "no ladder: 404");
    // On again: the next call is recorded.
    l.set_recording(true);
    l.started(4, "c-id", "d-id", false);
    l.received(
        3_000,
        wire(A, CARRIER),
        msg("BYE sip:1@x SIP/2.0", "c-id", "2 BYE", "", ""),
    );
    assert_eq!(l.view(4, false).expect("kept").messages.len(), 1);
}
