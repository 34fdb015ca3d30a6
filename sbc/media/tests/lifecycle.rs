//! Inactivity, statistics, close and bind failures (virtual clock).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Bench, KEY, addr, rtp};
use sbc_core::{LatchMode, MediaEvent, MediaOp, Side, StreamKey};
use sbc_media::{DropReason, IoOp, Shard, Verdict};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";

fn answered() -> Bench {
    let mut b = Bench::open(LatchMode::Always, LatchMode::Always);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(B), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.take_events();
    b
}

fn inactive(events: &[MediaEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, MediaEvent::Inactive { call: 7 }))
        .count()
}

#[test]
fn inactivity_fires_once_and_waits_longer_on_hold() {
    let mut b = answered();
    for seq in 0..500 {
        b.rtp(Side::A, A, 1, seq);
        b.advance(Duration::from_millis(20));
    }
    // 10 s of media, then silence: nothing at 59 s of silence, the event at 60 s.
    b.advance(Duration::from_secs(59));
    assert_eq!(inactive(&b.take_events()), 0);
    assert!(b.shard.poll_timeout().is_some());
    b.advance(Duration::from_secs(1));
    assert_eq!(inactive(&b.take_events()), 1);
    for _ in 0..10 {
        b.advance(Duration::from_secs(60));
    }
    assert_eq!(inactive(&b.take_events()), 0, "once");

    // A held call waits for hold_inactivity (600 s here).
    let mut b = answered();
    b.op(MediaOp::Sending {
        stream: KEY,
        side: Side::B,
        sends: false,
    });
    b.advance(Duration::from_secs(599));
    assert_eq!(inactive(&b.take_events()), 0);
    // Resumed: the normal timeout applies again (from the last activity, the answer).
    b.op(MediaOp::Sending {
        stream: KEY,
        side: Side::B,
        sends: true,
    });
    b.advance(Duration::from_millis(1));
    assert_eq!(inactive(&b.take_events()), 1);
}

#[test]
fn new_timers_apply_to_new_calls_only() {
    // Call 7 opened with the 60 s timer; then the timers change to 2 s.
    let mut b = answered();
    b.shard.set_timers(
        Duration::from_secs(2),
        Duration::from_secs(5),
        Duration::from_secs(3),
    );
    let other = StreamKey { call: 8, index: 0 };
    b.op(MediaOp::Open {
        stream: other,
        a_local: addr("192.0.2.1:20002"),
        b_local: addr("192.0.2.2:30002"),
        latch_a: LatchMode::Always,
        latch_b: LatchMode::Always,
    });
    b.op(MediaOp::Answered {
        stream: other,
        fork: None,
    });
    b.advance(Duration::from_secs(2));
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Inactive { call: 8 }],
        "the new call uses the new timer, call 7 keeps 60 s"
    );
    b.advance(Duration::from_secs(58));
    assert_eq!(inactive(&b.take_events()), 1);
}

#[test]
fn no_inactivity_before_the_answer() {
    let mut b = Bench::open(LatchMode::Always, LatchMode::Always);
    b.remote(Side::A, Some(A), None);
    assert_eq!(b.shard.poll_timeout(), None);
    b.advance(Duration::from_secs(3600));
    assert_eq!(inactive(&b.take_events()), 0);
}

#[test]
fn loss_from_a_gap_across_a_sequence_wrap_and_jitter() {
    let mut b = answered();
    // 65530..=65535, 0..=9 with 3 and 4 missing: a wrap, two lost.
    let seqs = (65530..=65535u16).chain((0..10).filter(|s| *s != 3 && *s != 4));
    for (i, seq) in seqs.enumerate() {
        let p = rtp(5, seq, i as u32 * 160);
        b.recv(Side::A, false, A, &p);
        b.advance(Duration::from_millis(20));
    }
    let s = b.shard.stats(KEY).unwrap().a;
    assert_eq!((s.packets, s.lost), (14, 2));
    assert_eq!(s.bytes, 14 * 172);
    // Perfectly paced: no jitter... (the gap shifts timestamps: count from a new stream)
    let mut b = answered();
    for i in 0..200u32 {
        b.recv(Side::A, false, A, &rtp(6, i as u16, i * 160));
        b.advance(Duration::from_millis(20));
    }
    assert_eq!(b.shard.stats(KEY).unwrap().a.jitter, 0);
    // ...and alternating 0/5 ms late: |D| = 40 timestamp units at 8 kHz, so J -> 40.
    let mut b = answered();
    for i in 0..400u32 {
        b.recv(Side::A, false, A, &rtp(7, i as u16, i * 160));
        let late = if i % 2 == 0 { 25 } else { 15 };
        b.advance(Duration::from_millis(late));
    }
    let j = b.shard.stats(KEY).unwrap().a.jitter;
    assert!((36..=40).contains(&j), "jitter {j}");
    b.op(MediaOp::ClockRate {
        stream: KEY,
        rate: 48_000,
    });
    b.take_events();
    b.op(MediaOp::QueryStats { stream: KEY });
    assert!(matches!(b.take_events()[..], [MediaEvent::Stats { .. }]));
}

#[test]
fn close_releases_everything() {
    let mut b = answered();
    b.rtp(Side::A, A, 1, 1);
    b.take_events();
    let sockets: Vec<_> = b.sockets.iter().map(|(s, _)| *s).collect();
    assert_eq!(sockets.len(), 4);
    b.op(MediaOp::Close { stream: KEY });
    assert!(b.sockets.is_empty(), "every socket unbound");
    assert!(matches!(
        b.take_events()[..],
        [MediaEvent::Closed { stream: KEY, a, .. }] if a.packets == 1
    ));
    assert_eq!((b.shard.streams(), b.shard.calls()), (0, 0));
    assert_eq!(b.shard.poll_timeout(), None.or(b.shard.poll_timeout()));
    let mut buf = rtp(1, 2, 0);
    let v = b.shard.handle_packet(b.now, sockets[0], addr(A), &mut buf);
    assert_eq!(v, Verdict::Drop(DropReason::NoStream));
    b.advance(Duration::from_secs(120));
    assert_eq!(inactive(&b.take_events()), 0, "a closed call is not timed");
    // The slot is reused by the next stream, after the unbinds.
    b.op(MediaOp::Open {
        stream: StreamKey { call: 8, index: 0 },
        a_local: addr(common::A_LOCAL),
        b_local: addr(common::B_LOCAL),
        latch_a: LatchMode::Always,
        latch_b: LatchMode::Always,
    });
    assert_eq!(b.sockets.len(), 4);
    assert!(
        b.shard
            .apply(b.now, MediaOp::Close { stream: KEY })
            .is_err()
    );
}

#[test]
fn a_bind_failure_closes_the_stream_and_is_reported() {
    let mut shard = Shard::new(common::config());
    let now = std::time::Instant::now();
    shard
        .apply(
            now,
            MediaOp::Open {
                stream: KEY,
                a_local: addr(common::A_LOCAL),
                b_local: addr(common::B_LOCAL),
                latch_a: LatchMode::Always,
                latch_b: LatchMode::Always,
            },
        )
        .unwrap();
    let Some(IoOp::Bind { socket, local }) = shard.poll_io() else {
        panic!("bind first")
    };
    shard.bind_failed(socket, local, "Address in use".into());
    let rest: Vec<_> = std::iter::from_fn(|| shard.poll_io()).collect();
    assert_eq!(rest.len(), 4, "only unbinds: {rest:?}");
    assert!(rest.iter().all(|op| matches!(op, IoOp::Unbind { .. })));
    assert!(matches!(
        shard.poll_event(),
        Some(MediaEvent::BindFailed { stream: KEY, .. })
    ));
    assert_eq!(shard.streams(), 0);
    assert_eq!(shard.calls(), 0);
}

#[test]
fn udptl_is_relayed_as_it_is() {
    let mut b = answered();
    b.op(MediaOp::Udptl { stream: KEY });
    let t38 = [0x00, 0x01, 0x06, 0x02, 0x10, 0x00];
    assert_eq!(Bench::dest(b.recv(Side::A, false, A, &t38)), Some(addr(B)));
    assert!(matches!(
        b.recv(Side::A, false, A, &[1]),
        Verdict::Drop(DropReason::Junk(_))
    ));
}
