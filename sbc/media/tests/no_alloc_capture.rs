//! The packet path does not allocate while a call is captured: copies go into the batch
//! allocated when the call was picked, and once it is full they are counted, not kept.
#![allow(unsafe_code, clippy::unwrap_used)]

mod common;
mod counting_alloc;

use std::time::Duration;

use common::{Bench, KEY, rtcp_rr, rtp};
use sbc_core::{LatchMode, MediaOp, Side};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn capturing_does_not_allocate_per_packet() {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some("198.51.100.10:4000"), None);
    b.remote(Side::B, Some("198.51.100.20:5004"), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.op(MediaOp::Capture {
        call: KEY.call,
        on: true,
        show_digits: false,
    });
    let (a_rtp, b_rtp, a_rtcp) = (
        b.socket(Side::A, false),
        b.socket(Side::B, false),
        b.socket(Side::A, true),
    );
    let phone = common::addr("198.51.100.10:4000");
    let phone_rtcp = common::addr("198.51.100.10:4001");
    let pbx = common::addr("198.51.100.20:5004");
    let mut pa = rtp(1, 0, 0);
    let mut pb = rtp(2, 0, 0);
    let mut rr = rtcp_rr(1);
    b.rtp(Side::A, "198.51.100.10:4000", 1, 0);
    b.take_events();
    let mut copied = 0;
    for round in 0..10u32 {
        let measuring = counting_alloc::Measuring::start();
        for i in 1..10_001u32 {
            let n = round * 10_000 + i;
            b.now += Duration::from_micros(200);
            let seq = (n as u16).to_be_bytes();
            let ts = (n * 160).to_be_bytes();
            pa[2..4].copy_from_slice(&seq);
            pa[4..8].copy_from_slice(&ts);
            pb[2..4].copy_from_slice(&seq);
            pb[4..8].copy_from_slice(&ts);
            b.shard.handle_packet(b.now, a_rtp, phone, &mut pa);
            b.shard.handle_packet(b.now, b_rtp, pbx, &mut pb);
            if i % 50 == 0 {
                b.shard.handle_packet(b.now, a_rtcp, phone_rtcp, &mut rr);
                b.shard.handle_timeout(b.now);
            }
        }
        let allocs = measuring.stop();
        assert_eq!(allocs, 0, "allocations on the packet path while capturing");
        // The worker takes the batch between rounds (allowed to allocate its successor).
        let batch = b.shard.poll_capture().unwrap();
        assert!(!batch.packets.is_empty() && !batch.dropped.is_empty());
        copied += batch.packets.len();
    }
    assert!(copied > 10_000, "{copied}");
}
