//! Re-cutting relayed G.722 and G.729 does not allocate per packet: a counting global
//! allocator around 5,000 packets each way (100 s, every 20th one missing, so the
//! packet being built leaves short and timestamps jump) — G.722 from A re-cut from 20 to
//! 30 ms towards B, G.729 from B (every 50th packet ending in a SID frame) re-cut from
//! 20 to 60 ms towards A — with the flush timer, RTCP of the SBC's own and the draining of
//! what is emitted.
#![allow(unsafe_code, clippy::unwrap_used)]

mod common;
mod counting_alloc;

use std::time::Duration;

use common::{Bench, KEY, rtp};
use sbc_codec::transcode::Codec;
use sbc_core::{LatchMode, MediaOp, Side};
use sbc_media::transcode::TranscodeSpec;
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn recut_packets_do_not_allocate() {
    let a = "198.51.100.10:4000";
    let b_addr = "198.51.100.20:5004";
    let mut b = Bench::open(LatchMode::Never, LatchMode::Never);
    b.remote(Side::A, Some(a), None);
    b.remote(Side::B, Some(b_addr), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let spec = |pt, codec, ptime_ms| TranscodeSpec {
        input_pt: pt,
        input: codec,
        output_pt: pt,
        output: codec,
        ptime_ms,
        events: None,
        comfort_noise_pt: None,
        comfort_noise_out_pt: None,
    };
    let g729 = Codec::G729 { annex_b: true };
    b.shard
        .set_transcode(KEY, Side::B, Some(spec(9, Codec::G722, 30)))
        .unwrap();
    b.shard
        .set_transcode(KEY, Side::A, Some(spec(18, g729, 60)))
        .unwrap();
    let (sa, sb) = (b.socket(Side::A, false), b.socket(Side::B, false));
    let (from_a, from_b) = (common::addr(a), common::addr(b_addr));
    let mut pa = rtp(1, 0, 0);
    pa[1] = 9;
    pa.resize(12 + 160, 0x55);
    let mut pb = rtp(2, 0, 0);
    pb[1] = 18;
    pb.resize(12 + 20, 0x33);
    let mut pb_sid = pb.clone();
    pb_sid.truncate(12 + 12);
    let mut out = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    let mut emitted = 0u64;
    b.take_events();
    let measuring = counting_alloc::Measuring::start();
    for i in 1..=5_000u32 {
        b.now += Duration::from_millis(20);
        if i % 20 == 0 {
            continue;
        }
        let seq = (i as u16).to_be_bytes();
        let ts = (i * 160).to_be_bytes();
        let from_b_packet = if i % 50 == 7 { &mut pb_sid } else { &mut pb };
        for p in [&mut pa, from_b_packet] {
            p[2..4].copy_from_slice(&seq);
            p[4..8].copy_from_slice(&ts);
        }
        b.shard.handle_packet(b.now, sa, from_a, &mut pa);
        let p = if i % 50 == 7 { &mut pb_sid } else { &mut pb };
        b.shard.handle_packet(b.now, sb, from_b, p);
        while b.shard.poll_timeout().is_some_and(|t| t <= b.now) {
            b.shard.handle_timeout(b.now);
        }
        while b.shard.poll_transmit(&mut out).is_some() {
            emitted += 1;
        }
    }
    let allocs = measuring.stop();
    assert_eq!(allocs, 0, "allocations while re-cutting");
    // G.722: about 2 packets out per 3 in; G.729: about 1 per 3 (and the SID packets).
    assert!(
        emitted > 4_750 * 2 / 3 + 4_750 / 3,
        "{emitted} packets emitted"
    );
}
