//! Symmetric latching and its defences (RTP Bleed), on a virtual clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Bench, KEY, addr, rtcp_rr};
use sbc_core::{LatchMode, LatchReason, MediaEvent, Side};
use sbc_media::{DropReason, Verdict};

const A_SDP: &str = "10.0.0.5:4000"; // private: behind NAT
const A_NAT: &str = "203.0.113.9:61000"; // where its packets really come from
const B_SDP: &str = "198.51.100.20:5004"; // a public PBX/carrier address
const EVIL: &str = "198.51.100.66:40000";

/// A stream whose A side (NATed) and B side (public) have signalled.
fn call() -> Bench {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A_SDP), None);
    b.remote(Side::B, Some(B_SDP), None);
    b
}

#[test]
fn a_natted_peer_is_latched_from_where_its_packets_come() {
    let mut b = call();
    // B's public SDP address is used as written.
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Latched {
            stream: KEY,
            side: Side::B,
            addr: addr(B_SDP),
            reason: LatchReason::Signalled
        }]
    );
    // Before A latches, B's media goes to A's SDP address (all we know).
    assert_eq!(Bench::dest(b.rtp(Side::B, B_SDP, 2, 1)), Some(addr(A_SDP)));
    // A's first packet from the NAT is checked, the second (same SSRC, next seq) latches.
    assert_eq!(
        b.rtp(Side::A, A_NAT, 1, 100),
        Verdict::Drop(DropReason::Latching)
    );
    let v = b.rtp(Side::A, A_NAT, 1, 101);
    let Verdict::Forward { to, len, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!((to, len), (addr(B_SDP), 172));
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Latched {
            stream: KEY,
            side: Side::A,
            addr: addr(A_NAT),
            reason: LatchReason::Observed
        }]
    );
    // From now on B's media goes to the NAT address.
    assert_eq!(Bench::dest(b.rtp(Side::B, B_SDP, 2, 2)), Some(addr(A_NAT)));
    let report = b.shard.stats(KEY).unwrap();
    assert_eq!(
        report.latched[0],
        Some((addr(A_NAT), LatchReason::Observed))
    );
    assert_eq!(
        report.latched[1],
        Some((addr(B_SDP), LatchReason::Signalled))
    );
}

#[test]
fn injected_packets_are_not_relayed_during_or_after_the_window() {
    let mut b = call();
    b.rtp(Side::A, A_NAT, 1, 1);
    b.rtp(Side::A, A_NAT, 1, 2);
    b.take_events();
    // During the window: a third party with a perfectly consistent stream.
    for seq in 0..10 {
        let v = b.rtp(Side::A, EVIL, 0xbad, 500 + seq);
        assert_eq!(v, Verdict::Drop(DropReason::Foreign), "seq {seq}");
    }
    // Also on the public side, which never learns (its SDP is public).
    for seq in 0..10 {
        assert_eq!(
            b.rtp(Side::B, EVIL, 0xbad, seq),
            Verdict::Drop(DropReason::Foreign)
        );
    }
    // After the window.
    b.advance(Duration::from_secs(5));
    for seq in 0..10 {
        assert_eq!(
            b.rtp(Side::A, EVIL, 0xbad, 600 + seq),
            Verdict::Drop(DropReason::Foreign)
        );
    }
    assert!(b.take_events().is_empty(), "no relatch");
    // The real peer still gets through, and the B side still sends to it.
    assert_eq!(Bench::dest(b.rtp(Side::A, A_NAT, 1, 3)), Some(addr(B_SDP)));
    assert_eq!(Bench::dest(b.rtp(Side::B, B_SDP, 2, 1)), Some(addr(A_NAT)));
    let stats = b.shard.stats(KEY).unwrap();
    assert_eq!(stats.a.foreign, 20);
    assert_eq!(stats.b.foreign, 10);
    assert_eq!(stats.a.packets, 2, "the latching packet and seq 3");
}

#[test]
fn an_unlatched_side_does_not_learn_after_its_window() {
    let mut b = call();
    b.advance(Duration::from_secs(4));
    // A NATed peer that starts late (no answer yet to reopen the window) is not learned...
    for seq in 0..5 {
        assert_eq!(
            b.rtp(Side::A, EVIL, 9, seq),
            Verdict::Drop(DropReason::Foreign)
        );
    }
    // ...but the answer opens a new window for a side that has not latched.
    b.op(sbc_core::MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.rtp(Side::A, A_NAT, 1, 1);
    assert_eq!(Bench::dest(b.rtp(Side::A, A_NAT, 1, 2)), Some(addr(B_SDP)));
}

#[test]
fn inconsistent_sources_do_not_latch() {
    let mut b = call();
    b.take_events();
    // SSRC changes every packet, or sequence numbers jump around: never two in a row.
    for i in 0..20u16 {
        let v = b.rtp(Side::A, EVIL, u32::from(i), i * 1000);
        assert_eq!(v, Verdict::Drop(DropReason::Latching));
    }
    assert!(b.take_events().is_empty());
}

#[test]
fn mode_never_accepts_only_the_signalled_address() {
    let mut b = Bench::open(LatchMode::Never, LatchMode::Never);
    b.remote(Side::A, Some(A_SDP), None);
    b.remote(Side::B, Some(B_SDP), None);
    for seq in 0..5 {
        assert_eq!(
            b.rtp(Side::A, A_NAT, 1, seq),
            Verdict::Drop(DropReason::Foreign)
        );
    }
    assert_eq!(Bench::dest(b.rtp(Side::A, A_SDP, 1, 9)), Some(addr(B_SDP)));
}

#[test]
fn a_new_sdp_reopens_the_window_and_relatches() {
    let mut b = Bench::open(LatchMode::Always, LatchMode::Always);
    b.remote(Side::A, Some(A_SDP), None);
    b.remote(Side::B, Some(B_SDP), None);
    b.rtp(Side::A, A_NAT, 1, 1);
    b.rtp(Side::A, A_NAT, 1, 2);
    b.advance(Duration::from_secs(30));
    const MOVED: &str = "203.0.113.50:7000";
    assert_eq!(
        b.rtp(Side::A, MOVED, 5, 1),
        Verdict::Drop(DropReason::Foreign)
    );
    // A re-INVITE from A: a new address, a new window.
    b.remote(Side::A, Some("10.0.0.6:4002"), None);
    b.take_events();
    // The old source keeps flowing until the new one is confirmed.
    assert_eq!(Bench::dest(b.rtp(Side::A, A_NAT, 1, 3)), Some(addr(B_SDP)));
    b.rtp(Side::A, MOVED, 5, 2);
    assert_eq!(Bench::dest(b.rtp(Side::A, MOVED, 5, 3)), Some(addr(B_SDP)));
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Latched {
            stream: KEY,
            side: Side::A,
            addr: addr(MOVED),
            reason: LatchReason::Observed
        }]
    );
    assert_eq!(
        b.rtp(Side::A, A_NAT, 1, 4),
        Verdict::Drop(DropReason::Foreign)
    );
}

#[test]
fn junk_is_dropped_and_counted() {
    let mut b = call();
    let junk: [&[u8]; 4] = [
        b"GET / HTTP/1.0\r\n\r\n",
        &[0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42], // a STUN header
        &[0x80],
        &[0x80, 201, 0, 50, 1, 2, 3, 4], // RTCP with a length past the end
    ];
    for j in junk {
        let v = b.recv(Side::A, false, A_NAT, j);
        assert!(matches!(v, Verdict::Drop(DropReason::Junk(_))), "{v:?}");
    }
    let v = b.recv(Side::B, true, B_SDP, b"\xff\xff\xff\xff\xff\xff\xff\xff");
    assert!(matches!(v, Verdict::Drop(DropReason::Junk(_))));
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!((s.a.junk, s.a.dropped, s.a.packets), (4, 4, 0));
    assert_eq!(s.b.junk, 1);
}

#[test]
fn rtcp_follows_the_latched_address_and_honours_mux() {
    let mut b = call();
    b.rtp(Side::A, A_NAT, 1, 1);
    b.rtp(Side::A, A_NAT, 1, 2);
    // A's RTCP from its NAT address (another port): learned, relayed to B's RTCP (+1).
    let v = b.recv(Side::A, true, "203.0.113.9:61001", &rtcp_rr(1));
    let Verdict::Forward { socket, to, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!(to, addr("198.51.100.20:5005"));
    assert_eq!(socket, b.socket(Side::B, true));
    // RTCP from elsewhere is foreign.
    let v = b.recv(Side::A, true, "198.51.100.66:61001", &rtcp_rr(1));
    assert_eq!(v, Verdict::Drop(DropReason::Foreign));
    // B switches to rtcp-mux: its RTCP arrives on its RTP port and A's goes to B's RTP
    // address over B's RTP socket.
    b.remote_spec(
        Side::B,
        sbc_core::RemoteSpec {
            rtp: Some(addr(B_SDP)),
            rtcp: None,
            rtcp_mux: true,
            fork: None,
        },
    );
    let v = b.recv(Side::B, false, B_SDP, &rtcp_rr(2));
    let Verdict::Forward { socket, to, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!(
        (socket, to),
        (b.socket(Side::A, true), addr("203.0.113.9:61001"))
    );
    let v = b.recv(Side::A, true, "203.0.113.9:61001", &rtcp_rr(1));
    let Verdict::Forward { socket, to, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!((socket, to), (b.socket(Side::B, false), addr(B_SDP)));
    let a = b.shard.stats(KEY).unwrap().a;
    assert_eq!((a.rtcp, a.rtcp_bytes), (2, 2 * rtcp_rr(1).len() as u64));
}
