//! The packet path does not allocate: a counting global allocator around 100k packets of
//! an established call (both directions, RTP and RTCP, drops of every kind).
//! Only the test's own thread is counted: libtest's threads may allocate meanwhile (seen
//! once under load in CI).
#![allow(unsafe_code, clippy::unwrap_used)]

mod common;
mod counting_alloc;

use std::time::Duration;

use common::{Bench, KEY, rtcp_rr, rtp};
use sbc_core::{LatchMode, MediaOp, Side};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn the_packet_path_does_not_allocate() {
    let mut b = Bench::open(LatchMode::Always, LatchMode::PrivateOnly);
    b.remote(Side::A, Some("10.0.0.5:4000"), None);
    b.remote(Side::B, Some("198.51.100.20:5004"), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let (a_rtp, b_rtp, a_rtcp) = (
        b.socket(Side::A, false),
        b.socket(Side::B, false),
        b.socket(Side::A, true),
    );
    let nat = common::addr("203.0.113.9:61000");
    let nat_rtcp = common::addr("203.0.113.9:61001");
    let pbx = common::addr("198.51.100.20:5004");
    let evil = common::addr("198.51.100.66:1234");
    let mut pa = rtp(1, 0, 0);
    let mut pb = rtp(2, 0, 0);
    let mut rr = rtcp_rr(1);
    let mut junk = b"hello, this is not rtp".to_vec();
    // Latch first (events are allowed to allocate), then measure.
    for seq in 0..3u16 {
        pa[2..4].copy_from_slice(&seq.to_be_bytes());
        b.shard.handle_packet(b.now, a_rtp, nat, &mut pa);
    }
    b.shard.handle_packet(b.now, a_rtcp, nat_rtcp, &mut rr);
    b.take_events();
    let measuring = counting_alloc::Measuring::start();
    for i in 3..100_003u32 {
        b.now += Duration::from_micros(200);
        let seq = (i as u16).to_be_bytes();
        let ts = (i * 160).to_be_bytes();
        pa[2..4].copy_from_slice(&seq);
        pa[4..8].copy_from_slice(&ts);
        pb[2..4].copy_from_slice(&seq);
        pb[4..8].copy_from_slice(&ts);
        b.shard.handle_packet(b.now, a_rtp, nat, &mut pa);
        b.shard.handle_packet(b.now, b_rtp, pbx, &mut pb);
        if i % 50 == 0 {
            b.shard.handle_packet(b.now, a_rtcp, nat_rtcp, &mut rr);
            b.shard.handle_packet(b.now, a_rtp, evil, &mut pb);
            b.shard.handle_packet(b.now, b_rtp, evil, &mut junk);
            b.shard.handle_timeout(b.now);
        }
    }
    let allocs = measuring.stop();
    assert_eq!(allocs, 0, "allocations on the packet path");
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.packets, 100_000 + 2 + 2001, "{s:?}");
    assert_eq!(s.b.junk, 2000);
}
