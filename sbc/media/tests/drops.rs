//! Every drop is counted once, under its reason, in the stats of the side it came from
//! and in the shard's totals; the older sums (`dropped`, `junk`, `foreign`) agree with
//! the per-reason counters. The demux phase tells STUN, DTLS, ZRTP and TURN from RTP.
#![allow(clippy::unwrap_used)]

mod common;
mod fixtures;

use common::{Bench, KEY, rtcp_rr, rtp};
use fixtures::FailEvery;
use sbc_core::{DropKind, LatchMode, MediaOp, RemoteSpec, Side, StreamStats};
use sbc_media::packet::Junk;
use sbc_media::{DropReason, Verdict};

const A_SDP: &str = "10.0.0.5:4000";
const A_NAT: &str = "203.0.113.9:61000";
const B: &str = "198.51.100.20:5004";
const EVIL: &str = "198.51.100.66:40000";

/// A STUN Binding request header (RFC 8489 §5: first byte 0x00, magic cookie).
const STUN: [u8; 20] = [
    0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
];
/// A DTLS 1.2 handshake record header (content type 22).
const DTLS: [u8; 13] = [22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// ZRTP (RFC 6189 §5: first byte 0x10).
const ZRTP: [u8; 12] = [0x10, 0, 0, 1, 0x5a, 0x52, 0x54, 0x50, 0, 0, 0, 1];
/// TURN ChannelData (RFC 8656 §12: channel 0x4000).
const TURN: [u8; 8] = [0x40, 0x00, 0, 4, 0x80, 0, 0, 0];

fn sums_agree(s: &StreamStats) {
    let losses: u64 = s
        .drops
        .iter()
        .filter(|(k, _)| k.is_loss())
        .map(|(_, n)| n)
        .sum();
    let junk: u64 = s
        .drops
        .iter()
        .filter(|(k, _)| k.is_junk())
        .map(|(_, n)| n)
        .sum();
    assert_eq!(s.dropped, losses, "{s:?}");
    assert_eq!(s.junk, junk, "{s:?}");
    assert_eq!(s.foreign, s.drops.get(DropKind::Foreign), "{s:?}");
}

#[test]
fn each_reason_has_its_counter() {
    let mut b = Bench::open(LatchMode::Always, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A_SDP), None);
    let expect = |v: Verdict, r: DropReason| assert_eq!(v, Verdict::Drop(r));
    // B has no SDP yet: nowhere to send A's media.
    expect(b.rtp(Side::A, A_NAT, 1, 1), DropReason::Latching);
    expect(b.rtp(Side::A, A_NAT, 1, 2), DropReason::NoDestination);
    b.remote(Side::B, Some(B), None);
    expect(b.rtp(Side::A, EVIL, 9, 1), DropReason::Foreign);
    // Not RTP: each RFC 7983 class, and junk.
    expect(
        b.recv(Side::A, false, A_NAT, &STUN),
        DropReason::Junk(Junk::Stun),
    );
    expect(
        b.recv(Side::A, false, A_NAT, &DTLS),
        DropReason::Junk(Junk::Dtls),
    );
    expect(
        b.recv(Side::A, false, A_NAT, &ZRTP),
        DropReason::Junk(Junk::Zrtp),
    );
    expect(
        b.recv(Side::A, false, A_NAT, &TURN),
        DropReason::Junk(Junk::TurnChannel),
    );
    assert!(matches!(
        b.recv(Side::A, false, A_NAT, b"hello, not rtp"),
        Verdict::Drop(DropReason::Junk(Junk::Version { .. }))
    ));
    b.shard.truncated(b.socket(Side::A, false));
    // A transform that fails.
    b.shard
        .set_transform(KEY, Side::B, Some(Box::new(FailEvery { n: 1, seen: 0 })))
        .unwrap();
    assert!(matches!(
        b.rtp(Side::A, A_NAT, 1, 3),
        Verdict::Drop(DropReason::Transform(_))
    ));
    b.shard.set_transform(KEY, Side::B, None).unwrap();
    assert_eq!(
        Bench::dest(b.rtp(Side::A, A_NAT, 1, 4)),
        Some(common::addr(B))
    );

    let a = b.shard.stats(KEY).unwrap().a;
    let counted: Vec<_> = a.drops.iter().collect();
    assert_eq!(
        counted,
        vec![
            (DropKind::Junk, 2),
            (DropKind::Stun, 1),
            (DropKind::Dtls, 1),
            (DropKind::Zrtp, 1),
            (DropKind::TurnChannel, 1),
            (DropKind::Foreign, 1),
            (DropKind::Latching, 1),
            (DropKind::Transform, 1),
            (DropKind::NoDestination, 1),
        ]
    );
    assert_eq!((a.dropped, a.junk, a.foreign), (10, 6, 1));
    sums_agree(&a);
    // The shard's totals are the streams' plus what no stream is charged with.
    let sockets: Vec<_> = b.sockets.iter().map(|(s, _)| *s).collect();
    b.op(MediaOp::Close { stream: KEY });
    let mut p = rtp(1, 5, 0);
    assert_eq!(
        b.shard
            .handle_packet(b.now, sockets[0], common::addr(A_NAT), &mut p),
        Verdict::Drop(DropReason::NoStream)
    );
    let shard: Vec<_> = b.shard.drops().iter().collect();
    let mut want = counted.clone();
    want.insert(0, (DropKind::NoStream, 1));
    assert_eq!(shard, want);
    assert_eq!(b.shard.strays(), 1);
}

#[test]
fn forks_and_rtcp_drops_are_counted_on_their_side() {
    let mut b = Bench::open(LatchMode::Never, LatchMode::Never);
    b.remote(Side::A, Some(A_SDP), None);
    for (fork, addr) in [("f1", "198.51.100.21:5004"), ("f2", "198.51.100.22:5004")] {
        b.remote_spec(
            Side::B,
            RemoteSpec {
                rtp: Some(common::addr(addr)),
                rtcp: None,
                rtcp_mux: false,
                fork: Some(fork.into()),
            },
        );
    }
    assert!(Bench::dest(b.rtp(Side::B, "198.51.100.21:5004", 1, 1)).is_some());
    assert_eq!(
        b.rtp(Side::B, "198.51.100.22:5004", 2, 1),
        Verdict::Drop(DropReason::OtherFork)
    );
    // RTCP from a stranger, and RTP on the RTCP port.
    assert_eq!(
        b.recv(Side::B, true, EVIL, &rtcp_rr(3)),
        Verdict::Drop(DropReason::Foreign)
    );
    assert_eq!(
        b.recv(Side::B, true, "198.51.100.21:5005", &rtp(1, 2, 0)),
        Verdict::Drop(DropReason::Foreign)
    );
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.b.drops.get(DropKind::OtherFork), 1);
    assert_eq!(s.b.drops.get(DropKind::Foreign), 2);
    assert_eq!(s.a.drops.iter().count(), 0, "nothing charged to A");
    sums_agree(&s.b);
}

#[test]
fn a_udptl_stream_is_not_demultiplexed() {
    let mut b = Bench::open(LatchMode::Never, LatchMode::Never);
    b.remote(Side::A, Some(A_SDP), None);
    b.remote(Side::B, Some(B), None);
    b.op(MediaOp::Udptl { stream: KEY });
    // A UDPTL sequence number 0..=3 starts like STUN: relayed all the same.
    assert_eq!(
        Bench::dest(b.recv(Side::A, false, A_SDP, &[0, 3, 6, 2, 0x10])),
        Some(common::addr(B))
    );
    assert_eq!(b.shard.stats(KEY).unwrap().a.drops.iter().count(), 0);
}
