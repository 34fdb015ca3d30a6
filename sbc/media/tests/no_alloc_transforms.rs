//! Packets of the engine's own do not allocate either: a counting global allocator around
//! 50k packets through a transform that duplicates each one (1 -> 2), a transform that
//! emits on its own clock, and the draining of both through `poll_transmit`.
//! Only the test's own thread is counted (libtest's threads may allocate meanwhile).
#![allow(unsafe_code, clippy::unwrap_used)]

mod common;
mod counting_alloc;
mod fixtures;

use std::time::Duration;

use common::{Bench, KEY, rtp};
use fixtures::{Beacon, Duplicate};
use sbc_core::{LatchMode, MediaOp, Side};
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM, Verdict};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn engine_packets_do_not_allocate() {
    let a = "198.51.100.10:4000";
    let b_addr = "198.51.100.20:5004";
    let mut b = Bench::open(LatchMode::Never, LatchMode::Never);
    b.remote(Side::A, Some(a), None);
    b.remote(Side::B, Some(b_addr), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let beacon = Beacon {
        every: Duration::from_millis(20),
        next: b.now,
        pt: 13,
        seq: 0,
    };
    let dup = Box::new(Duplicate { copies: 1 });
    b.shard.set_transform(KEY, Side::B, Some(dup)).unwrap();
    b.shard
        .set_transform(KEY, Side::A, Some(Box::new(beacon)))
        .unwrap();
    let (sa, sb) = (b.socket(Side::A, false), b.socket(Side::B, false));
    let (from_a, from_b) = (common::addr(a), common::addr(b_addr));
    let mut pa = rtp(1, 0, 0);
    let mut pb = rtp(2, 0, 0);
    let mut out = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    let (mut relayed, mut emitted) = (0u64, 0u64);
    b.take_events();
    let measuring = counting_alloc::Measuring::start();
    for i in 1..=25_000u32 {
        b.now += Duration::from_micros(400);
        let seq = (i as u16).to_be_bytes();
        pa[2..4].copy_from_slice(&seq);
        pb[2..4].copy_from_slice(&seq);
        for v in [
            b.shard.handle_packet(b.now, sa, from_a, &mut pa),
            b.shard.handle_packet(b.now, sb, from_b, &mut pb),
        ] {
            relayed += u64::from(matches!(v, Verdict::Forward { .. }));
        }
        while b.shard.poll_timeout().is_some_and(|t| t <= b.now) {
            b.shard.handle_timeout(b.now);
        }
        while b.shard.poll_transmit(&mut out).is_some() {
            emitted += 1;
        }
    }
    let allocs = measuring.stop();
    assert_eq!(allocs, 0, "allocations with transforms");
    assert_eq!(relayed, 50_000);
    // One duplicate per A packet, and a beacon every 20 ms of the 10 s.
    assert_eq!(emitted, 25_000 + 501);
}
