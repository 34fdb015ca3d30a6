use std::time::{Duration, Instant, SystemTime};

use sbc_core::{CaptureBatch, CaptureWay, CapturedPacket, Side as Leg};
use sbc_mgmt::live::CaptureRefused;

use super::rtp::{RECORD, RtpLimits};
use super::*;

const SBC_A: &str = "10.0.0.1:20000";
const PHONE: &str = "10.0.0.9:4000";

fn ladders(limits: RtpLimits) -> Ladders {
    let mut l = Ladders {
        rtp_limits: limits,
        ..Ladders::default()
    };
    for call in 1..=3 {
        l.started(call, &format!("a{call}"), &format!("b{call}"), false);
    }
    l
}

/// `n` packets of `size` bytes of `call`, received from the phone, `at` and after.
fn batch(call: u64, n: usize, size: usize, at: Instant) -> CaptureBatch {
    let mut b = CaptureBatch::default();
    for i in 0..n {
        b.packets.push(CapturedPacket {
            call,
            at: at + Duration::from_millis(20 * i as u64),
            side: Leg::A,
            way: if i % 2 == 0 {
                CaptureWay::In
            } else {
                CaptureWay::Out
            },
            rtcp: false,
            local: SBC_A.parse().expect("addr"),
            remote: PHONE.parse().expect("addr"),
            offset: (i * size) as u32,
            len: size as u32,
        });
        b.data.extend(std::iter::repeat_n(i as u8, size));
    }
    b
}

#[test]
fn only_live_calls_are_picked_and_only_so_many_at_once() {
    let mut l = ladders(RtpLimits {
        calls: 2,
        ..RtpLimits::default()
    });
    assert_eq!(l.capture(9, true), Err(CaptureRefused::NotLive { call: 9 }));
    assert!(l.capture(1, true).is_ok() && l.capture(2, true).is_ok());
    assert!(l.capture(1, true).is_ok(), "again: no second slot taken");
    assert_eq!(l.capture(3, true), Err(CaptureRefused::Full { max: 2 }));
    let (state, show_digits) = l.capture(2, false).expect("stopped");
    assert!(!state.capturing && !show_digits);
    assert!(l.capture(3, true).is_ok());
    assert!(l.ended(3), "the media plane is told to stop");
    assert!(!l.capturing(3));
    assert_eq!(l.capture(3, true), Err(CaptureRefused::NotLive { call: 3 }));
}

#[test]
fn packets_are_kept_with_their_direction_time_and_bytes() {
    let mut l = ladders(RtpLimits::default());
    let t0 = Instant::now();
    l.captured(&batch(1, 2, 20, t0), t0, SystemTime::now());
    assert_eq!(l.rtp_bytes(), 0, "not picked: not kept");
    l.capture(1, true).expect("live");
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let mut b = batch(1, 2, 20, t0);
    b.dropped.push((1, 4));
    l.captured(&b, t0 + Duration::from_millis(20), wall);
    let v = l.view(1, true).expect("kept");
    assert_eq!(
        (v.rtp.capturing, v.rtp.packets, v.rtp.bytes, v.rtp.dropped),
        (true, 2, 40, 4)
    );
    let got: Vec<_> = v
        .media
        .iter()
        .map(|p| (p.unix_us, p.src.to_string(), p.dst.to_string(), p.bytes[0]))
        .collect();
    assert_eq!(
        got,
        vec![
            (999_980_000, PHONE.into(), SBC_A.into(), 0),
            (1_000_000_000, SBC_A.into(), PHONE.into(), 1),
        ]
    );
    assert!(
        l.view(1, false).expect("kept").media.is_empty(),
        "JSON: counts only"
    );
    l.ended(1);
    assert_eq!(l.view(1, true).expect("kept after the end").media.len(), 2);
}

#[test]
fn caps_per_call_and_in_all_drop_and_count_the_oldest_ended_call_goes_first() {
    let each = 100 + RECORD;
    let mut l = ladders(RtpLimits {
        call_bytes: 10 * each,
        total_bytes: 15 * each,
        calls: 8,
    });
    let t0 = Instant::now();
    let now = SystemTime::now();
    l.capture(1, true).expect("live");
    l.captured(&batch(1, 12, 100, t0), t0, now);
    let r = l.view(1, false).expect("kept").rtp;
    assert_eq!((r.packets, r.dropped), (10, 2), "per call");
    l.ended(1);
    l.capture(2, true).expect("live");
    l.captured(&batch(2, 8, 100, t0), t0, now);
    let r1 = l.view(1, false).expect("kept").rtp;
    let r2 = l.view(2, false).expect("kept").rtp;
    assert_eq!((r2.packets, r2.dropped), (8, 0), "the ended call made room");
    assert_eq!((r1.packets, r1.dropped), (0, 12));
    assert_eq!(l.rtp_bytes(), 8 * each);
    l.capture(3, true).expect("live");
    l.captured(&batch(3, 10, 100, t0), t0, now);
    let r3 = l.view(3, false).expect("kept").rtp;
    assert_eq!(
        (r3.packets, r3.dropped),
        (7, 3),
        "nothing ended left to evict"
    );
    assert_eq!(l.rtp_bytes(), 15 * each);
    l.ended(2);
    l.ended(3);
    for call in 4..=600 {
        l.started(call, &format!("a{call}"), &format!("b{call}"), false);
        l.ended(call);
    }
    assert_eq!(l.rtp_bytes(), 0, "evicted with their ladders");
}
