//! ICE-lite in the lab: `sbc-media-harness` (the daemon's media workers) in the sbc
//! namespace with ICE on its inside side (`ice` op: the credentials a Teams-like trunk
//! would get in the SBC's SDP); the test plays the far end's full agent from the pbx
//! namespace — a check with the wrong password, then one with USE-CANDIDATE from another
//! port than its SDP address — and checks the SBC's Binding response (XOR-MAPPED-ADDRESS,
//! MESSAGE-INTEGRITY under the SBC's password, FINGERPRINT) and that the carrier's RTP
//! then goes to the nominated address, not to the SDP's, with the bad check dropped
//! unanswered and counted.

use std::net::SocketAddr;
use std::time::Duration;

use sbc_ice::message::{BINDING, attr};
use sbc_ice::{Class, Message, Writer};
use sbc_lab::media_harness::{MediaHarness, rtp_packet as rtp, ssrc_of};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP};
use sbc_lab::{Lab, Ns, UdpBurst};

const UFRAG: &str = "sbcLabUf";
const PWD: &str = "sbcLabPasswordOf24Chars0";
const CARRIER: u32 = 0xca11;

/// A connectivity check from remote agent `teams1`, keyed with `pwd`.
fn check(pwd: &str, nominate: bool, transaction: u8) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let mut w = Writer::new(&mut buf, BINDING, Class::Request, [transaction; 12]).expect("room");
    w.attribute(attr::USERNAME, format!("{UFRAG}:teams1").as_bytes())
        .expect("room");
    w.attribute(attr::PRIORITY, &1_853_824_767u32.to_be_bytes())
        .expect("room");
    w.attribute(attr::ICE_CONTROLLING, &0x1234u64.to_be_bytes())
        .expect("room");
    if nominate {
        w.attribute(attr::USE_CANDIDATE, &[]).expect("room");
    }
    w.message_integrity(pwd.as_bytes()).expect("room");
    w.fingerprint().expect("room");
    let n = w.finish();
    buf[..n].to_vec()
}

#[test]
fn checks_are_answered_and_media_follows_the_nomination() {
    let lab = Lab::new().expect("create lab");
    let mut h = MediaHarness::start(&lab, &[]);
    let a_local = SocketAddr::from((SBC_OUTSIDE_IP, 20100));
    let b_local = SocketAddr::from((SBC_INSIDE_IP, 20100));
    let carrier = SocketAddr::from((CARRIER_IP, 4446));
    let sdp_address = SocketAddr::from((PBX_IP, 6100));
    let nominated = SocketAddr::from((PBX_IP, 6102));
    h.send(&format!("open 1 0 {a_local} {b_local} never private"));
    h.send(&format!("remote 1 0 a {carrier}"));
    h.send(&format!("remote 1 0 b {sdp_address}"));
    h.send(&format!("ice 1 0 b {UFRAG} {PWD} remote=teams1"));
    h.send("answered 1 0");

    let checks = vec![
        check("notTheSbcPasswordAtAll00", true, 1),
        check(PWD, true, 2),
    ];
    let carrier_rtp: Vec<Vec<u8>> = (0..40).map(|s| rtp(CARRIER, s)).collect();
    let (at_nominated, at_sdp) = std::thread::scope(|s| {
        let far_end = s.spawn(|| {
            lab.udp_burst(&UdpBurst {
                ns: Ns::Pbx,
                from: Some(nominated),
                to: b_local,
                datagrams: &checks,
                interval: Duration::from_millis(100),
                wait: Duration::from_millis(4000),
                first_only: false,
            })
        });
        // The SDP address listens too: nothing may reach it once nominated.
        let sdp_peer = s.spawn(|| {
            lab.udp_burst(&UdpBurst {
                ns: Ns::Pbx,
                from: Some(sdp_address),
                to: SocketAddr::from((PBX_IP, 9)),
                datagrams: &[],
                interval: Duration::from_millis(20),
                wait: Duration::from_millis(4000),
                first_only: false,
            })
        });
        // The carrier starts once the nomination has latched side B.
        let latched = h.wait_line("Nominated");
        assert!(latched.contains(&nominated.to_string()), "{latched}");
        let c = lab.udp_burst(&UdpBurst {
            ns: Ns::Carrier,
            from: Some(carrier),
            to: a_local,
            datagrams: &carrier_rtp,
            interval: Duration::from_millis(20),
            wait: Duration::from_millis(200),
            first_only: false,
        });
        c.expect("carrier netio");
        (
            far_end.join().expect("far end").expect("far end netio"),
            sdp_peer.join().expect("sdp peer").expect("sdp peer netio"),
        )
    });

    // Exactly one STUN answer: to the good check, from the SBC's inside port.
    let stun: Vec<_> = at_nominated
        .iter()
        .filter(|d| d.bytes.first().is_some_and(|&b| b < 4))
        .collect();
    assert_eq!(
        stun.len(),
        1,
        "one answer (the bad check is dropped): {stun:?}"
    );
    assert_eq!(stun[0].from, b_local);
    let response = Message::parse(&stun[0].bytes).expect("a STUN message");
    assert_eq!(response.class, Class::Success);
    assert_eq!(response.transaction, [2; 12]);
    assert_eq!(response.xor_mapped_address, Some(nominated));
    assert!(
        response.verify_integrity(PWD.as_bytes()),
        "under the SBC's password"
    );
    assert_eq!(response.fingerprint_ok(), Some(true));

    // The carrier's RTP goes to the nominated address, none to the SDP's.
    let relayed = at_nominated
        .iter()
        .filter(|d| ssrc_of(d) == Some(CARRIER))
        .count();
    assert!(
        relayed >= 35,
        "carrier RTP at the nominated address: {relayed} of 40"
    );
    assert!(
        !at_sdp.iter().any(|d| ssrc_of(d) == Some(CARRIER)),
        "RTP went to the SDP address after the nomination"
    );
    h.send("stats 1 0");
    let stats = h.wait_line("event Stats");
    assert!(
        stats.contains("\"ice-auth\": 1"),
        "the bad check counted: {stats}"
    );
    h.send("close 1 0");
    h.wait_line("event Closed");
}
