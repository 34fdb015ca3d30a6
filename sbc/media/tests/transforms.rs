//! The transform phase's seam, with test-only transforms (`fixtures`): 1 -> n, 1 -> 0,
//! packets the engine emits on its own clock (a virtual one), and a transform that fails.
#![allow(clippy::unwrap_used)]

mod common;
mod fixtures;

use std::time::Duration;

use common::{Bench, KEY, addr, rtp};
use fixtures::{Beacon, Delay, Duplicate, FailEvery, Swallow};
use sbc_core::{DropKind, LatchMode, MediaOp, Side};
use sbc_media::{
    DropReason, HEADROOM, MAX_EMITTED, MediaTimer, MediaTransmit, ShardConfig, StepError, TAILROOM,
    Transform, Verdict,
};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";

/// A call with both peers signalled (public: no latching needed) and answered.
fn call(config: ShardConfig) -> Bench {
    let mut b = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(B), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.take_events();
    b
}

fn install(b: &mut Bench, toward: Side, t: impl Transform + 'static) {
    let old = b
        .shard
        .set_transform(KEY, toward, Some(Box::new(t)))
        .unwrap();
    assert!(old.is_none());
}

/// Every packet of the engine's own waiting now, with its bytes.
fn transmits(b: &mut Bench) -> Vec<(MediaTransmit, Vec<u8>)> {
    let mut out = Vec::new();
    let mut mem = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    while let Some(t) = b.shard.poll_transmit(&mut mem) {
        out.push((t, mem[t.start..t.start + t.len].to_vec()));
    }
    out
}

#[test]
fn one_packet_in_three_out_in_order_to_the_same_place() {
    let mut b = call(common::config());
    install(&mut b, Side::B, Duplicate { copies: 2 });
    let sent = rtp(1, 7, 7 * 160);
    let v = b.recv(Side::A, false, A, &sent);
    let Verdict::Forward {
        socket, to, len, ..
    } = v
    else {
        panic!("{v:?}")
    };
    assert_eq!((to, len), (addr(B), sent.len()));
    let copies = transmits(&mut b);
    assert_eq!(copies.len(), 2);
    for (t, bytes) in &copies {
        assert_eq!((t.socket, t.to), (socket, to), "the original's way");
        assert_eq!(bytes, &sent);
    }
    // The other direction has no transform: 1 -> 1.
    assert_eq!(Bench::dest(b.rtp(Side::B, B, 2, 1)), Some(addr(A)));
    assert!(transmits(&mut b).is_empty());
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(
        (s.a.packets, s.a.dropped),
        (1, 0),
        "counted once, as received"
    );
}

#[test]
fn a_swallowing_transform_consumes_and_that_is_no_loss() {
    let mut b = call(common::config());
    install(&mut b, Side::B, Swallow);
    for seq in 1..=5 {
        assert_eq!(
            b.rtp(Side::A, A, 1, seq),
            Verdict::Drop(DropReason::Consumed)
        );
    }
    assert!(transmits(&mut b).is_empty());
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.packets, 5, "received and accepted");
    assert_eq!(s.a.drops.get(DropKind::Consumed), 5);
    assert_eq!((s.a.dropped, s.a.lost), (0, 0), "not a loss");
    assert_eq!(b.shard.drops().get(DropKind::Consumed), 5);
    // Media still counts as activity: the call does not time out meanwhile.
    b.advance(Duration::from_secs(59));
    b.rtp(Side::A, A, 1, 6);
    b.advance(Duration::from_secs(30));
    assert!(b.take_events().is_empty());
}

#[test]
fn a_delayed_packet_leaves_at_its_deadline_on_the_virtual_clock() {
    let mut b = call(common::config());
    install(&mut b, Side::B, Delay::new(Duration::from_millis(20)));
    let t0 = b.now;
    let sent = rtp(1, 1, 160);
    assert_eq!(
        b.recv(Side::A, false, A, &sent),
        Verdict::Drop(DropReason::Consumed)
    );
    assert!(transmits(&mut b).is_empty(), "not yet");
    assert_eq!(
        b.shard.poll_timer(),
        Some((t0 + Duration::from_millis(20), MediaTimer::Transform))
    );
    assert_eq!(b.shard.poll_timeout(), Some(t0 + Duration::from_millis(20)));
    b.advance(Duration::from_millis(19));
    assert!(transmits(&mut b).is_empty(), "1 ms early");
    b.advance(Duration::from_millis(1));
    let out = transmits(&mut b);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].0.to, &out[0].1), (addr(B), &sent));
    // Nothing held: the next deadline is the call's inactivity.
    assert_eq!(
        b.shard.poll_timer().map(|(_, t)| t),
        Some(MediaTimer::Inactivity)
    );
}

#[test]
fn packets_no_packet_caused_follow_the_transforms_clock() {
    let mut b = call(common::config());
    let t0 = b.now;
    install(
        &mut b,
        Side::A,
        Beacon {
            every: Duration::from_millis(20),
            next: t0 + Duration::from_millis(20),
            pt: 13,
            seq: 0,
        },
    );
    // Drive the shard as the worker does: sleep until poll_timeout, fire, drain.
    let mut sent = Vec::new();
    while b.now < t0 + Duration::from_millis(100) {
        let due = b.shard.poll_timeout().unwrap();
        b.now = due;
        b.shard.handle_timeout(b.now);
        for (t, bytes) in transmits(&mut b) {
            assert_eq!(t.to, addr(A), "towards the side it is installed on");
            sent.push((
                b.now - t0,
                u16::from_be_bytes([bytes[2], bytes[3]]),
                bytes[1],
            ));
        }
    }
    let ms = Duration::from_millis;
    assert_eq!(
        sent,
        vec![
            (ms(20), 0, 13),
            (ms(40), 1, 13),
            (ms(60), 2, 13),
            (ms(80), 3, 13),
            (ms(100), 4, 13)
        ]
    );
    // Removing it stops its timer.
    let old = b.shard.set_transform(KEY, Side::A, None).unwrap();
    assert_eq!(old.map(|t| t.name()), Some("beacon"));
    assert_eq!(
        b.shard.poll_timer().map(|(_, t)| t),
        Some(MediaTimer::Inactivity)
    );
}

#[test]
fn a_failing_transform_drops_that_packet_only() {
    let mut b = call(common::config());
    install(&mut b, Side::B, FailEvery { n: 3, seen: 0 });
    let mut verdicts = Vec::new();
    for seq in 1..=9 {
        verdicts.push(b.rtp(Side::A, A, 1, seq));
    }
    let failed = Verdict::Drop(DropReason::Transform(StepError::Malformed {
        what: "a payload this step cannot decode",
    }));
    for (i, v) in verdicts.iter().enumerate() {
        if (i + 1) % 3 == 0 {
            assert_eq!(*v, failed, "packet {}", i + 1);
        } else {
            assert_eq!(Bench::dest(*v), Some(addr(B)), "packet {}", i + 1);
        }
    }
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.drops.get(DropKind::Transform), 3);
    assert_eq!(s.a.dropped, 3);
    // The stream and the other direction are unharmed.
    assert_eq!(Bench::dest(b.rtp(Side::B, B, 2, 1)), Some(addr(A)));
    assert_eq!(b.shard.streams(), 1);
}

#[test]
fn a_full_queue_fails_the_transform_not_the_stream() {
    let config = ShardConfig {
        transmit_slots: 2,
        ..common::config()
    };
    let mut b = call(config);
    install(&mut b, Side::B, Duplicate { copies: 3 });
    assert_eq!(
        b.rtp(Side::A, A, 1, 1),
        Verdict::Drop(DropReason::Transform(StepError::QueueFull))
    );
    assert_eq!(transmits(&mut b).len(), 2, "what fitted still goes");
    b.shard
        .set_transform(KEY, Side::B, Some(Box::new(Duplicate { copies: 1 })))
        .unwrap();
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 2)), Some(addr(B)));
    assert_eq!(transmits(&mut b).len(), 1, "slots are reused");
}

#[test]
fn packets_of_a_closed_stream_are_not_sent() {
    let mut b = call(common::config());
    install(&mut b, Side::B, Duplicate { copies: 1 });
    b.rtp(Side::A, A, 1, 1);
    b.op(MediaOp::Close { stream: KEY });
    assert!(transmits(&mut b).is_empty());
    assert_eq!(b.shard.drops().get(DropKind::NoStream), 1);
}

#[test]
fn a_buffer_too_small_for_the_packet_is_counted_not_overrun() {
    let mut b = call(common::config());
    install(&mut b, Side::B, Duplicate { copies: 1 });
    b.rtp(Side::A, A, 1, 1);
    let mut small = [0u8; 64];
    assert_eq!(b.shard.poll_transmit(&mut small), None);
    assert_eq!(b.shard.drops().get(DropKind::Transform), 1);
}
