//! DTMF conversions do not allocate per packet: a counting global allocator around 50k
//! packets of a call whose A leg sends RFC 4733 events (turned into tones towards B) and
//! whose B leg sends in-band tones in A-law (heard by the detector, turned into events
//! towards A), with the engine's own packets drained through `poll_transmit` and the
//! digits through `poll_event`. Only the test's own thread is counted.
#![allow(unsafe_code, clippy::unwrap_used)]

mod common;
mod counting_alloc;
mod dtmf_util;

use std::time::Duration;

use common::KEY;
use dtmf_util::{A, B, PCMA, call, leg, packet};
use sbc_codec::Law;
use sbc_core::{DtmfWay, MediaEvent, Side};
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn dtmf_conversions_do_not_allocate() {
    let mut b = call(
        leg(DtmfWay::Events, &[(101, 8000)], &[PCMA]),
        leg(DtmfWay::Inband, &[], &[PCMA]),
    );
    let (sa, sb) = (b.socket(Side::A, false), b.socket(Side::B, false));
    let (from_a, from_b) = (common::addr(A), common::addr(B));
    // B's 200 ms of "9" every second, and silence between.
    let (l, h) = sbc_core::Digit::from_char('9').unwrap().frequencies();
    let tone: Vec<u8> = (0..1600)
        .map(|n| {
            let t = f64::from(n) / 8000.0;
            let v = 7000.0 * (2.0 * std::f64::consts::PI * f64::from(l) * t).sin()
                + 9000.0 * (2.0 * std::f64::consts::PI * f64::from(h) * t).sin();
            Law::Alaw.encode(v as i16)
        })
        .collect();
    let mut pa = packet(8, false, 0, 0, 1, &[0xd5; 160]);
    let mut ev = packet(101, false, 0, 0, 1, &[5, 10, 0, 160]);
    let mut pb = packet(8, false, 0, 0, 2, &[0xd5; 160]);
    let mut out = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    let (mut emitted, mut heard) = (0u64, 0u64);
    b.take_events();
    let measuring = counting_alloc::Measuring::start();
    for i in 1..=25_000u32 {
        b.now += Duration::from_millis(20);
        let seq = (i as u16).to_be_bytes();
        let ts = (i * 160).to_be_bytes();
        // A: an event of 100 ms starting every 500 ms (five packets, the last one ends
        // it), audio otherwise.
        let phase = i % 25;
        let a = if phase < 5 {
            let start = ((i - phase) * 160).to_be_bytes();
            ev[2..4].copy_from_slice(&seq);
            ev[4..8].copy_from_slice(&start);
            ev[13] = if phase == 4 { 0x8a } else { 10 };
            ev[14..16].copy_from_slice(&(((phase + 1) * 160) as u16).to_be_bytes());
            &mut ev
        } else {
            pa[2..4].copy_from_slice(&seq);
            pa[4..8].copy_from_slice(&ts);
            &mut pa
        };
        let _ = b.shard.handle_packet(b.now, sa, from_a, a);
        pb[2..4].copy_from_slice(&seq);
        pb[4..8].copy_from_slice(&ts);
        let k = (i % 50) as usize;
        pb[12..].copy_from_slice(if k < 10 {
            &tone[k * 160..][..160]
        } else {
            &[0xd5; 160]
        });
        let _ = b.shard.handle_packet(b.now, sb, from_b, &mut pb);
        while b.shard.poll_timeout().is_some_and(|t| t <= b.now) {
            b.shard.handle_timeout(b.now);
        }
        while b.shard.poll_transmit(&mut out).is_some() {
            emitted += 1;
        }
        while let Some(e) = b.shard.poll_event() {
            heard += u64::from(matches!(e, MediaEvent::Digit { .. }));
        }
    }
    let allocs = measuring.stop();
    assert_eq!(allocs, 0, "allocations with DTMF conversions");
    // 1,000 events from A, 500 tones from B.
    assert_eq!(heard, 1_500);
    assert!(emitted > 10_000, "tones and events played: {emitted}");
    let _ = KEY;
}
