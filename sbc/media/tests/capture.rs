//! RTP capture of picked calls (`MediaOp::Capture`): every packet of a picked call's
//! streams copied, received and sent, with its leg, direction and addresses; SRTP copied
//! decrypted; telephone-events masked unless digits may be shown; a full batch drops
//! copies (counted per call), never packets; a kernel-forwarded stream taken back while
//! captured and handed over again after; streams of other calls untouched.
#![allow(clippy::unwrap_used)]

mod common;
mod dtmf_util;

use std::time::Duration;

use common::{A_LOCAL, B_LOCAL, Bench, KEY, addr, config, rtp};
use sbc_core::registry::SRTP_SUITES;
use sbc_core::{
    CaptureBatch, CaptureWay, DtmfWay, LatchMode, MediaOp, Side, SrtpKey, SrtpKeys, StreamKey,
};
use sbc_media::capture::{BATCH_BYTES, BATCH_PACKETS, MASKED_EVENT, MAX_PICKED};
use sbc_media::{Forwarder, IoOp, OpError, ShardConfig, Verdict};
use sbc_srtp::{Context, Suite};

const A_PEER: &str = "198.51.100.10:4000";
const B_PEER: &str = "198.51.100.20:5004";

fn capture(on: bool, show_digits: bool) -> MediaOp {
    MediaOp::Capture {
        call: KEY.call,
        on,
        show_digits,
    }
}

fn call(config: ShardConfig) -> Bench {
    let mut b = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A_PEER), None);
    b.remote(Side::B, Some(B_PEER), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b
}

fn batch(b: &mut Bench) -> CaptureBatch {
    b.shard.poll_capture().unwrap_or_default()
}

#[test]
fn a_picked_call_is_copied_both_ways_on_both_legs_with_its_addresses() {
    let mut b = call(config());
    b.rtp(Side::A, A_PEER, 0xa, 1);
    assert!(
        b.shard.poll_capture().is_none(),
        "not picked: nothing copied"
    );
    b.op(capture(true, false));
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("capture")));
    let sent_a = rtp(0xa, 2, 320);
    assert!(matches!(
        b.recv(Side::A, false, A_PEER, &sent_a),
        Verdict::Forward { .. }
    ));
    let sent_b = rtp(0xb, 7, 1120);
    b.recv(Side::B, false, B_PEER, &sent_b);
    let mut rr = vec![0x80, 201, 0, 1];
    rr.extend(0xbu32.to_be_bytes());
    b.recv(Side::B, true, "198.51.100.20:5005", &rr);
    let got = batch(&mut b);
    let seen: Vec<_> = got
        .packets
        .iter()
        .map(|p| {
            (
                p.side,
                p.way,
                p.rtcp,
                p.local,
                p.remote,
                got.bytes(p).to_vec(),
            )
        })
        .collect();
    let a_local = addr(A_LOCAL);
    let b_local = addr(B_LOCAL);
    let b_rtcp_local = addr("192.0.2.2:30001");
    let a_rtcp_local = addr("192.0.2.1:20001");
    assert_eq!(
        seen,
        vec![
            (
                Side::A,
                CaptureWay::In,
                false,
                a_local,
                addr(A_PEER),
                sent_a.clone()
            ),
            (
                Side::B,
                CaptureWay::Out,
                false,
                b_local,
                addr(B_PEER),
                sent_a
            ),
            (
                Side::B,
                CaptureWay::In,
                false,
                b_local,
                addr(B_PEER),
                sent_b.clone()
            ),
            (
                Side::A,
                CaptureWay::Out,
                false,
                a_local,
                addr(A_PEER),
                sent_b
            ),
            (
                Side::B,
                CaptureWay::In,
                true,
                b_rtcp_local,
                addr("198.51.100.20:5005"),
                rr.clone()
            ),
            (
                Side::A,
                CaptureWay::Out,
                true,
                a_rtcp_local,
                addr("198.51.100.10:4001"),
                rr
            ),
        ]
    );
    assert!(
        got.packets
            .iter()
            .all(|p| p.call == KEY.call && p.at == b.now)
    );
    assert!(got.dropped.is_empty());
    assert!(b.shard.poll_capture().is_none(), "taken once");

    b.op(capture(false, false));
    assert_eq!(b.shard.needs_userspace(KEY), Ok(None));
    b.rtp(Side::A, A_PEER, 0xa, 3);
    assert!(b.shard.poll_capture().is_none(), "stopped");
}

#[test]
fn streams_opened_later_are_captured_and_other_calls_are_not() {
    let mut b = call(config());
    b.op(capture(true, false));
    let later = StreamKey {
        call: KEY.call,
        index: 1,
    };
    let other = StreamKey { call: 99, index: 0 };
    for (stream, a, bb) in [
        (later, "192.0.2.1:20010", "192.0.2.2:30010"),
        (other, "192.0.2.1:20020", "192.0.2.2:30020"),
    ] {
        b.op(MediaOp::Open {
            stream,
            a_local: addr(a),
            b_local: addr(bb),
            latch_a: LatchMode::PrivateOnly,
            latch_b: LatchMode::PrivateOnly,
        });
    }
    assert_eq!(b.shard.needs_userspace(later), Ok(Some("capture")));
    assert_eq!(b.shard.needs_userspace(other), Ok(None));
}

fn key(fill: u8, s: Suite) -> SrtpKey {
    SrtpKey::new(&vec![fill; s.key_len()], &vec![fill ^ 0xff; s.salt_len()]).unwrap()
}

#[test]
fn srtp_is_copied_in_the_clear_both_ways() {
    let s = Suite::AesCm128HmacSha1_80;
    let suite = SRTP_SUITES
        .iter()
        .find(|x| x.name == s.name())
        .copied()
        .unwrap();
    let mut b = call(config());
    b.op(MediaOp::Srtp {
        stream: KEY,
        side: Side::A,
        fork: None,
        keys: Some(SrtpKeys::new(suite, key(0x11, s), key(0x22, s)).unwrap()),
    });
    b.op(capture(true, false));
    let k = key(0x11, s);
    let mut phone = Context::new(s, k.key(), k.salt(), None).unwrap();
    let plain = rtp(0xaaaa, 1, 160);
    let mut sealed = plain.clone();
    sealed.resize(plain.len() + 64, 0);
    let n = phone.protect_rtp(&mut sealed, plain.len()).unwrap();
    sealed.truncate(n);
    assert_ne!(sealed[12..], plain[12..], "encrypted on the wire");
    let (v, _) = b.recv_roomy(Side::A, false, A_PEER, &sealed);
    assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
    let reply = rtp(0xbbbb, 1, 160);
    let (v, out) = b.recv_roomy(Side::B, false, B_PEER, &reply);
    assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
    assert_eq!(
        out.len(),
        reply.len() + s.rtp_tag_len(),
        "the phone gets SRTP"
    );
    let got = batch(&mut b);
    let copies: Vec<_> = got
        .packets
        .iter()
        .map(|p| (p.side, p.way, got.bytes(p)))
        .collect();
    assert_eq!(
        copies,
        vec![
            (Side::A, CaptureWay::In, &plain[..]),
            (Side::B, CaptureWay::Out, &plain[..]),
            (Side::B, CaptureWay::In, &reply[..]),
            (Side::A, CaptureWay::Out, &reply[..]),
        ],
        "decrypted when received, before protect when sent"
    );
}

#[test]
fn telephone_events_are_masked_in_each_legs_numbering_unless_digits_show() {
    use dtmf_util::{PCMA, event, leg};
    for show in [false, true] {
        let mut b = dtmf_util::call(
            leg(DtmfWay::Events, &[(101, 8000)], &[PCMA]),
            leg(DtmfWay::Events, &[(96, 8000)], &[PCMA]),
        );
        b.op(capture(true, show));
        let (v, out) = b.recv_buf(
            Side::A,
            false,
            dtmf_util::A,
            &event(101, true, 1, 160, 5, false, 160),
        );
        assert!(matches!(v, Verdict::Forward { .. }));
        assert_eq!(out[12], 5, "the PBX still gets the digit");
        b.recv(Side::A, false, dtmf_util::A, &dtmf_util::audio(8, 2, 320));
        let got = batch(&mut b);
        let firsts: Vec<(u8, u8)> = got
            .packets
            .iter()
            .map(|p| {
                let bytes = got.bytes(p);
                (bytes[1] & 0x7f, bytes[12])
            })
            .collect();
        let code = if show { 5 } else { MASKED_EVENT };
        assert_eq!(
            firsts,
            vec![(101, code), (96, code), (8, 0xd5), (8, 0xd5)],
            "show_digits {show}: events on both legs, audio untouched"
        );
    }
}

#[test]
fn a_full_batch_drops_copies_counts_them_and_relays_every_packet() {
    let mut b = call(config());
    b.op(capture(true, false));
    let fits = BATCH_PACKETS.min(BATCH_BYTES / 172) / 2;
    let total = fits + 100;
    for seq in 0..total as u16 {
        let v = b.rtp(Side::A, A_PEER, 0xa, seq + 1);
        assert!(matches!(v, Verdict::Forward { .. }), "relayed: {v:?}");
    }
    let got = batch(&mut b);
    let kept = got.packets.len() as u64;
    assert!(kept >= 2 * fits as u64, "{kept}");
    assert_eq!(got.dropped, vec![(KEY.call, 2 * total as u64 - kept)]);
    b.rtp(Side::A, A_PEER, 0xa, total as u16 + 1);
    let next = batch(&mut b);
    assert_eq!(
        (next.packets.len(), next.dropped.len()),
        (2, 0),
        "room again"
    );
}

#[test]
fn a_shard_picks_a_bounded_number_of_calls() {
    let mut b = call(config());
    for call in 0..MAX_PICKED as u64 {
        b.op(MediaOp::Capture {
            call: 1000 + call,
            on: true,
            show_digits: false,
        });
    }
    let refused = b.shard.apply(b.now, capture(true, false));
    assert_eq!(refused, Err(OpError::CaptureFull { call: KEY.call }));
    assert_eq!(b.shard.needs_userspace(KEY), Ok(None), "nothing changed");
    b.op(MediaOp::Capture {
        call: 1000,
        on: false,
        show_digits: false,
    });
    b.op(capture(true, false));
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("capture")));
}

#[test]
fn a_kernel_forwarded_stream_is_taken_back_while_captured() {
    let mut b = call(ShardConfig {
        kernel_forwarding: true,
        ..config()
    });
    b.rtp(Side::A, A_PEER, 1, 1);
    b.rtp(Side::B, B_PEER, 2, 1);
    b.advance(Duration::from_secs(3));
    b.rtp(Side::A, A_PEER, 1, 2);
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Kernel));
    b.kernel.clear();
    b.op(capture(true, false));
    assert!(
        matches!(b.kernel.as_slice(), [IoOp::Reclaim { why: "capture", .. }]),
        "{:?}",
        b.kernel
    );
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));
    for seq in 3..6 {
        b.rtp(Side::A, A_PEER, 1, seq);
    }
    assert_eq!(
        b.shard.forwarder(KEY),
        Some(Forwarder::Userspace),
        "stays while captured"
    );
    assert_eq!(batch(&mut b).packets.len(), 6);
    b.op(capture(false, false));
    b.rtp(Side::A, A_PEER, 1, 6);
    assert_eq!(
        b.shard.forwarder(KEY),
        Some(Forwarder::Kernel),
        "handed over again"
    );
}
