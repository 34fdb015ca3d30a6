//! RFC 4733 events through the engine on a virtual clock: events to SIP INFO (removed,
//! renumbered, reported once per digit), digits played as events (exact timestamps,
//! sequence numbers, marker and end bits), payload-type renumbering, 48 kHz events, and
//! bad events dropped and counted.
#![allow(clippy::unwrap_used)]

mod common;
mod dtmf_util;

use std::time::Duration;

use common::{Bench, KEY, addr};
use dtmf_util::*;
use sbc_core::dtmf::{Delivery, Heard};
use sbc_core::{Digit, DropKind, DtmfWay, MediaOp, Side};
use sbc_media::{DropReason, StepError, Verdict};

fn d(c: char) -> Digit {
    Digit::from_char(c).unwrap()
}

const MS: fn(u64) -> Duration = Duration::from_millis;

/// A carrier sending events (101) to a PBX that wants INFO.
fn events_to_info() -> common::Bench {
    call(
        leg(DtmfWay::Events, &[(101, 8000)], &[PCMA]),
        leg(DtmfWay::Info, &[], &[PCMA]),
    )
}

#[test]
fn events_become_one_report_per_digit_and_leave_no_gap() {
    let mut b = events_to_info();
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("dtmf")));
    let mut out = Vec::new();
    let mut send = |b: &mut common::Bench, p: Vec<u8>| {
        let (v, bytes) = b.recv_buf(Side::A, false, A, &p);
        if let Verdict::Forward { to, .. } = v {
            assert_eq!(to, addr(B));
            out.push(parse(&bytes));
        }
        v
    };
    // Audio 1..=3, then "5" (seq 4..=8: start, update, three end packets), audio 9..,
    // then "5" again at another timestamp (seq 11..=13), audio 14.
    for seq in 1..=3u16 {
        send(&mut b, audio(8, seq, u32::from(seq) * 160));
    }
    let ts = 4 * 160;
    assert_eq!(
        send(&mut b, event(101, true, 4, ts, 5, false, 160)),
        Verdict::Drop(DropReason::Consumed)
    );
    send(&mut b, event(101, false, 5, ts, 5, false, 320));
    assert!(digits(&mut b).is_empty(), "not before its end");
    for seq in 6..=8 {
        send(&mut b, event(101, false, seq, ts, 5, true, 480));
    }
    let first = digits(&mut b);
    assert_eq!(first.len(), 1, "three end packets, one digit");
    assert_eq!(
        (first[0].from, first[0].digit, first[0].duration_ms),
        (Side::A, d('5'), 60)
    );
    assert_eq!(
        (first[0].heard, first[0].delivery, &first[0].fork),
        (Heard::Events, Delivery::Info, &None)
    );
    for seq in 9..=10u16 {
        send(&mut b, audio(8, seq, u32::from(seq) * 160));
    }
    let ts2 = 11 * 160;
    send(&mut b, event(101, true, 11, ts2, 5, false, 160));
    send(&mut b, event(101, false, 12, ts2, 5, true, 320));
    send(&mut b, event(101, false, 13, ts2, 5, true, 320));
    send(&mut b, audio(8, 14, 14 * 160));
    assert_eq!(digits(&mut b).len(), 1, "55 is two digits");
    // What reached the PBX: audio only, numbered without gaps, timestamps as sent.
    let seqs: Vec<u16> = out.iter().map(|p| p.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    let tss: Vec<u32> = out.iter().map(|p| p.ts).collect();
    assert_eq!(tss, [160, 320, 480, 1440, 1600, 2240], "the sender's clock");
    assert!(out.iter().all(|p| p.pt == 8));
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(
        s.a.drops.get(DropKind::Consumed),
        8,
        "the eight event packets"
    );
    assert_eq!(s.a.dropped, 0, "consumed is no loss");
    assert!(transmits(&mut b).is_empty());
}

#[test]
fn an_event_whose_end_is_lost_is_reported_on_its_timeout() {
    let mut b = events_to_info();
    b.recv(Side::A, false, A, &event(101, true, 1, 800, 9, false, 160));
    b.advance(MS(20));
    b.recv(Side::A, false, A, &event(101, false, 2, 800, 9, false, 320));
    assert!(digits(&mut b).is_empty());
    b.advance(MS(499));
    assert!(digits(&mut b).is_empty());
    b.advance(MS(1));
    let got = digits(&mut b);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].digit, got[0].duration_ms), (d('9'), 40));
}

#[test]
fn bad_events_are_dropped_and_counted_and_nothing_is_reported() {
    let mut b = events_to_info();
    let (_, first) = b.recv_buf(Side::A, false, A, &audio(8, 1, 160));
    assert_eq!(parse(&first).seq, 1);
    let out_of_range = event(101, true, 2, 320, 16, true, 800);
    assert_eq!(
        b.recv(Side::A, false, A, &out_of_range),
        Verdict::Drop(DropReason::Transform(StepError::Malformed {
            what: "telephone-event code out of range"
        }))
    );
    let empty = packet(101, true, 3, 480, 1, &[]);
    assert!(matches!(
        b.recv(Side::A, false, A, &empty),
        Verdict::Drop(DropReason::Transform(StepError::Malformed { .. }))
    ));
    let short = packet(101, true, 4, 640, 1, &[5, 0x8a]);
    assert!(matches!(
        b.recv(Side::A, false, A, &short),
        Verdict::Drop(DropReason::Transform(_))
    ));
    assert!(digits(&mut b).is_empty());
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.drops.get(DropKind::Transform), 3);
    // The stream goes on, gapless: the next audio follows the last one relayed.
    let (_, next) = b.recv_buf(Side::A, false, A, &audio(8, 5, 800));
    assert_eq!(parse(&next).seq, 2, "three removed packets, no gap");
}

/// A PBX sending INFO towards a carrier that takes events 96.
fn info_to_events(rate_audio: sbc_core::dtmf::AudioPt, te: (u8, u32)) -> common::Bench {
    call(
        leg(DtmfWay::Info, &[], &[rate_audio]),
        leg(DtmfWay::Events, &[te], &[rate_audio]),
    )
}

#[test]
fn a_digit_is_played_as_events_in_the_audios_numbering() {
    let mut b = info_to_events(PCMA, (96, 8000));
    // The PBX's audio flows: seq 100.., ts 8000.., every 20 ms.
    let mut relayed = Vec::new();
    let mut out = Vec::new();
    for i in 0..3u16 {
        let (v, p) = b.recv_buf(
            Side::A,
            false,
            A,
            &audio(8, 100 + i, 8000 + u32::from(i) * 160),
        );
        assert!(matches!(v, Verdict::Forward { .. }));
        relayed.push(parse(&p));
        run_until(&mut b, MS(20 * u64::from(i + 1)), &mut out);
    }
    // At 60 ms (20 ms after the last packet, ts 8320): "5" for 100 ms.
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: d('5'),
        duration_ms: 100,
    });
    // Audio keeps coming while it plays: suppressed.
    for i in 3..12u16 {
        run_until(&mut b, MS(20 * u64::from(i)) + MS(1), &mut out);
        let (v, p) = b.recv_buf(
            Side::A,
            false,
            A,
            &audio(8, 100 + i, 8000 + u32::from(i) * 160),
        );
        if let Verdict::Forward { .. } = v {
            relayed.push(parse(&p));
        }
    }
    let events: Vec<_> = out.iter().filter(|(_, p)| p.pt == 96).collect();
    let ts = 8000 + 3 * 160;
    // (when, marker, seq, timestamp, (event, end, duration))
    type Sent = (Duration, bool, u16, u32, (u8, bool, u16));
    let expected: Vec<Sent> = vec![
        (MS(60), true, 103, ts, (5, false, 160)),
        (MS(80), false, 104, ts, (5, false, 320)),
        (MS(100), false, 105, ts, (5, false, 480)),
        (MS(120), false, 106, ts, (5, false, 640)),
        (MS(140), false, 107, ts, (5, true, 800)),
        (MS(140), false, 108, ts, (5, true, 800)),
        (MS(140), false, 109, ts, (5, true, 800)),
    ];
    let got: Vec<_> = events
        .iter()
        .map(|(t, p)| (*t, p.marker, p.seq, p.ts, p.event()))
        .collect();
    assert_eq!(got, expected);
    assert!(
        events.iter().all(|(_, p)| p.ssrc == 0xca11e4),
        "the audio's SSRC"
    );
    // Audio: 100..=102 before, suppressed while the digit played (60..=140 ms), then on
    // after the events' numbers.
    let after: Vec<(u16, u32)> = relayed.iter().map(|p| (p.seq, p.ts)).collect();
    assert_eq!(
        after,
        [
            (100, 8000),
            (101, 8160),
            (102, 8320),
            (110, 9120),
            (111, 9280),
            (112, 9440),
            (113, 9600),
            (114, 9760)
        ],
        "seq 103..=109 were the events; the audio of 60..=121 ms suppressed; timestamps the sender's"
    );
    assert!(
        digits(&mut b).is_empty(),
        "played digits are the INFO's: not reported"
    );
}

#[test]
fn events_at_48_khz_count_six_times_the_units() {
    let mut b = info_to_events(OPUS, (110, 48000));
    b.recv(
        Side::A,
        false,
        A,
        &packet(111, false, 1, 48_000, 7, &[0; 60]),
    );
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: d('#'),
        duration_ms: 40,
    });
    let mut out = Vec::new();
    run_until(&mut b, MS(200), &mut out);
    let got: Vec<(u8, u32, (u8, bool, u16))> =
        out.iter().map(|(_, p)| (p.pt, p.ts, p.event())).collect();
    assert_eq!(
        got,
        [
            (110, 48_000, (11, false, 960)),
            (110, 48_000, (11, true, 1920)),
            (110, 48_000, (11, true, 1920)),
            (110, 48_000, (11, true, 1920)),
        ]
    );
}

#[test]
fn queued_digits_play_in_order_with_a_pause_between() {
    let mut b = info_to_events(PCMU, (101, 8000));
    for c in ['1', '2'] {
        b.op(MediaOp::PlayDigit {
            stream: KEY,
            toward: Side::B,
            digit: d(c),
            duration_ms: 40,
        });
    }
    let mut out = Vec::new();
    run_until(&mut b, MS(500), &mut out);
    let starts: Vec<(Duration, u8)> = out
        .iter()
        .filter(|(_, p)| p.marker)
        .map(|(t, p)| (*t, p.event().0))
        .collect();
    // "1": 0 and 20 ms (end), pause 40 ms, "2" at 60 ms.
    assert_eq!(starts, [(MS(0), 1), (MS(60), 2)]);
    let seqs: Vec<u16> = out.iter().map(|(_, p)| p.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)),
        "{seqs:?}"
    );
    assert_ne!(out[0].1.ts, out[4].1.ts, "two events, two timestamps");
}

#[test]
fn event_payload_types_are_renumbered_and_an_equal_pair_stays_plain() {
    let mut b = call(
        leg(DtmfWay::Events, &[(101, 8000), (110, 48000)], &[PCMA, OPUS]),
        leg(DtmfWay::Events, &[(96, 8000), (97, 48000)], &[PCMA, OPUS]),
    );
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("payload-type map")));
    let (_, p) = b.recv_buf(Side::A, false, A, &event(101, true, 1, 160, 3, false, 160));
    assert_eq!((parse(&p).pt, parse(&p).marker), (96, true));
    let (_, p) = b.recv_buf(Side::A, false, A, &event(110, false, 2, 960, 3, false, 960));
    assert_eq!(parse(&p).pt, 97, "48 kHz events to the 48 kHz number");
    let (_, p) = b.recv_buf(Side::B, false, B, &event(96, false, 1, 160, 3, true, 160));
    assert_eq!(parse(&p).pt, 101, "and back");
    assert!(
        digits(&mut b).is_empty(),
        "relayed untouched, not inspected"
    );
    let mut same = call(
        leg(DtmfWay::Events, &[(101, 8000)], &[PCMA]),
        leg(DtmfWay::Events, &[(101, 8000)], &[PCMA]),
    );
    assert_eq!(same.shard.needs_userspace(KEY), Ok(None), "kernel-eligible");
    assert_eq!(Bench::dest(same.rtp(Side::A, A, 1, 1)), Some(addr(B)));
}

#[test]
fn a_leg_without_any_way_gets_no_digits_and_they_are_counted() {
    let mut b = call(
        leg(DtmfWay::Events, &[(101, 48000)], &[OPUS]),
        leg(DtmfWay::None, &[], &[OPUS]),
    );
    b.recv(Side::A, false, A, &event(101, true, 1, 0, 7, true, 960));
    let got = digits(&mut b);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].delivery, Delivery::Dropped);
    assert!(transmits(&mut b).is_empty());
}

#[test]
fn playing_towards_a_side_that_takes_no_digits_is_refused() {
    let mut b = events_to_info();
    let r = b.shard.apply(
        b.now,
        MediaOp::PlayDigit {
            stream: KEY,
            toward: Side::A,
            digit: d('1'),
            duration_ms: 100,
        },
    );
    assert!(r.is_ok(), "towards the events leg: {r:?}");
    let refused = b.shard.apply(
        b.now,
        MediaOp::PlayDigit {
            stream: KEY,
            toward: Side::B,
            digit: d('1'),
            duration_ms: 100,
        },
    );
    assert!(refused.is_err(), "the INFO leg gets INFO, not RTP");
    // A flood fills the queue and is refused there, not grown.
    let mut refusals = 0;
    for _ in 0..40 {
        let r = b.shard.apply(
            b.now,
            MediaOp::PlayDigit {
                stream: KEY,
                toward: Side::A,
                digit: d('1'),
                duration_ms: 100,
            },
        );
        refusals += usize::from(r.is_err());
    }
    assert_eq!(refusals, 40 - 15, "16 digits wait at most");
}
