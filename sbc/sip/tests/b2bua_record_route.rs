//! Record-Route through the B2BUA (RFC 3261 §12.1.1, §12.2): a caller behind a
//! record-routing proxy (Kamailio, OpenSIPS in front of a PBX; carrier edges) gets every
//! Record-Route value of its INVITE back, byte for byte, in every response that
//! establishes (or confirms) its dialog, and the SBC's own requests on that leg follow
//! the route set. Without the copy the caller's ACK reaches the proxy with no Route and
//! is dropped, and the call fails after 64*T1.

mod b2bua_util;

use b2bua_util::*;
use sbc_sip::{Known, Message};

/// Record-Route of A's INVITE: a display name, proxy parameters (`ftag`, a dotted value
/// that looks like an address), a header parameter, a second header with two values
/// (one an IPv6 reference with a port and transport), as Kamailio and friends write them.
const RR_LINES: [&str; 2] = [
    "\"Edge Proxy\" <sip:10.99.2.2;lr;ftag=as0f1c;did=6b4.a1>;x-hdr=1",
    "<sip:p2.carrier.example;lr>, <sip:[2001:db8::7]:5070;transport=tcp;lr>",
];

/// The route set A's dialog must have: the Record-Route values in order.
const ROUTE_SET: [&str; 3] = [
    "<sip:10.99.2.2;lr;ftag=as0f1c;did=6b4.a1>;x-hdr=1",
    "<sip:p2.carrier.example;lr>",
    "<sip:[2001:db8::7]:5070;transport=tcp;lr>",
];

fn rr_headers() -> String {
    RR_LINES
        .iter()
        .map(|v| format!("Record-Route: {v}\r\n"))
        .collect()
}

/// A's INVITE with our Record-Route lines in place of the harness's single one.
fn invite_with_rr(call_id: &str, extra: &str) -> String {
    invite_from_a_with(call_id, 1, true, extra).replace(
        "Record-Route: <sip:proxy.carrier.example.com;lr>\r\n",
        &rr_headers(),
    )
}

fn record_route(m: &Message) -> Vec<&str> {
    m.header_values(Known::RecordRoute).collect()
}

#[test]
fn every_response_that_makes_the_dialog_carries_the_invites_record_route() {
    let mut h = Harness::new();
    let call = "rr-1@carrier";
    h.deliver_from_a(&invite_with_rr(call, ""));
    let trying = h.take_to(A_PEER);
    assert_eq!(trying.len(), 1);
    assert_eq!(trying[0].status(), Some(100));
    assert!(
        record_route(&trying[0]).is_empty(),
        "100 Trying creates no dialog"
    );
    let b_invite = h.request_to(B_PEER, "INVITE");
    let raw = String::from_utf8_lossy(&b_invite.to_bytes()).into_owned();
    for leak in ["10.99.2.2", "p2.carrier", "2001:db8::7", "Edge Proxy"] {
        assert!(!raw.contains(leak), "B's INVITE names A's proxy: {leak}");
    }

    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
    );
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    let to_a = h.take_to(A_PEER);
    let codes: Vec<u16> = to_a.iter().filter_map(Message::status).collect();
    assert_eq!(codes, vec![180, 200]);
    for response in &to_a {
        assert_eq!(
            record_route(response),
            RR_LINES,
            "{:?} must copy the Record-Route exactly",
            response.status()
        );
        let raw = String::from_utf8_lossy(&response.to_bytes()).into_owned();
        assert!(
            !raw.contains("pbx-proxy.internal"),
            "B's Record-Route must not reach A"
        );
    }
    let a_tag = to_tag(&to_a[1]);
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("ACK", call, 1, &a_tag, ""));

    // A re-INVITE through another proxy path: its 200 carries that request's values, and
    // the A leg's route set stays what the dialog was made with (§12.2.1.2).
    h.deliver_from_a(&in_dialog_from_a_with(
        "INVITE",
        call,
        2,
        &a_tag,
        SDP_A,
        "Record-Route: <sip:other-proxy.example;lr>\r\n",
    ));
    let reinvite = h.request_to(B_PEER, "INVITE");
    h.deliver_from_b(
        B_PEER,
        b_response(&reinvite, 200, "OK", Some("btag"), SDP_B),
    );
    let ok = h
        .take_to(A_PEER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200 to the re-INVITE");
    assert_eq!(record_route(&ok), ["<sip:other-proxy.example;lr>"]);
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("ACK", call, 2, &a_tag, ""));

    // B hangs up: the SBC's BYE to A goes through A's route set, in order.
    h.deliver_from_b(B_PEER, in_dialog_from_b("BYE", &b_invite, "btag", 1));
    assert_eq!(h.codes_to(B_PEER), vec![200]);
    let bye = h.request_to(A_PEER, "BYE");
    assert_eq!(
        bye.header_values(Known::Route).collect::<Vec<_>>(),
        ROUTE_SET
    );
    assert_eq!(
        bye.request_uri(),
        Some(format!("sip:alice@{A_PEER}").as_str())
    );
    h.deliver_msg_from_a(a_response(&bye, 200, "OK"));
    h.assert_drained();
}

#[test]
fn reliable_provisionals_and_pracks_carry_it_too() {
    let mut h = Harness::new();
    let call = "rr-2@carrier";
    h.deliver_from_a(&invite_with_rr(call, "Supported: 100rel\r\n"));
    assert_eq!(h.codes_to(A_PEER), vec![100]);
    let b_invite = h.request_to(B_PEER, "INVITE");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
    );
    let to_a = h.take_to(A_PEER);
    assert_eq!(to_a.len(), 1);
    let ringing = &to_a[0];
    assert!(ringing.has_header(Known::RSeq), "reliable towards A");
    assert_eq!(record_route(ringing), RR_LINES);
    let a_tag = to_tag(ringing);
    let rseq = ringing
        .header(Known::RSeq)
        .unwrap_or_default()
        .trim()
        .to_owned();
    h.deliver_from_a(&in_dialog_from_a_with(
        "PRACK",
        call,
        2,
        &a_tag,
        "",
        &format!("RAck: {rseq} 1 INVITE\r\n"),
    ));
    assert_eq!(h.codes_to(A_PEER), vec![200], "the PRACK answered");
    h.deliver_from_a(&format!(
        "CANCEL sip:+4930123@{SBC_A} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {A_PEER};branch=z9hG4bKa1rr2carrier;rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice\" <sip:+4989555@carrier.example.com>;tag=atag\r\n\
         To: <sip:+4930123@{SBC_A}>\r\n\
         Call-ID: {call}\r\n\
         CSeq: 1 CANCEL\r\n\
         Content-Length: 0\r\n\r\n"
    ));
    let to_a = h.take_to(A_PEER);
    let terminated = to_a
        .iter()
        .find(|m| m.status() == Some(487))
        .expect("CANCEL ends the INVITE with 487");
    assert!(
        record_route(terminated).is_empty(),
        "a final non-2xx establishes nothing"
    );
    let cancel = h.request_to(B_PEER, "CANCEL");
    h.deliver_from_b(B_PEER, b_response(&cancel, 200, "OK", None, ""));
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 487, "Request Terminated", Some("btag"), ""),
    );
    h.deliver_from_a(&format!(
        "ACK sip:+4930123@{SBC_A} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {A_PEER};branch=z9hG4bKa1rr2carrier;rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice\" <sip:+4989555@carrier.example.com>;tag=atag\r\n\
         To: <sip:+4930123@{SBC_A}>;tag={a_tag}\r\n\
         Call-ID: {call}\r\n\
         CSeq: 1 ACK\r\n\
         Content-Length: 0\r\n\r\n"
    ));
    h.assert_drained();
}

#[test]
fn a_malformed_record_route_gets_400_naming_it() {
    let text = invite_with_rr("rr-3@carrier", "")
        .replace(RR_LINES[0], "<sip:10.99.2.2;lr, \"unclosed <sip:x>");
    let error = Message::parse(
        text.clone().into_bytes(),
        sbc_sip::Framing::Datagram,
        &sbc_sip::Limits::default(),
    )
    .expect_err("a malformed Record-Route does not parse");
    let response = sbc_sip::reject_response(text.as_bytes(), &error, "sbc").expect("answered");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("SIP/2.0 400 "), "{response}");
    assert!(
        response.contains("Warning: 399 sbc \"") && response.contains("Record-Route"),
        "the Warning names the header: {response}"
    );
}

#[test]
fn a_long_record_route_is_copied_whole() {
    let mut h = Harness::new();
    let call = "rr-4@carrier";
    let values: Vec<String> = (0..60)
        .map(|i| format!("<sip:10.1.{}.{};lr;ftag=t{i}>", i / 250, i % 250 + 1))
        .collect();
    let lines: String = values
        .chunks(7)
        .map(|c| format!("Record-Route: {}\r\n", c.join(",")))
        .collect();
    h.deliver_from_a(&invite_from_a_with(call, 1, true, "").replace(
        "Record-Route: <sip:proxy.carrier.example.com;lr>\r\n",
        &lines,
    ));
    let b_invite = h.request_to(B_PEER, "INVITE");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    let ok = h
        .take_to(A_PEER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200 to A");
    let copied: Vec<String> = ok
        .header_values(Known::RecordRoute)
        .flat_map(|v| v.split(','))
        .map(str::to_owned)
        .collect();
    assert_eq!(copied, values);
    let a_tag = to_tag(&ok);
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("ACK", call, 1, &a_tag, ""));
    h.deliver_from_b(B_PEER, in_dialog_from_b("BYE", &b_invite, "btag", 1));
    let bye = h.request_to(A_PEER, "BYE");
    let route: Vec<&str> = bye.header_values(Known::Route).collect();
    assert_eq!(route, values);
    h.deliver_msg_from_a(a_response(&bye, 200, "OK"));
    h.assert_drained();
}
