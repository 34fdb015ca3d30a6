//! What is done on the way to one side: the packet grows in its buffer's room,
//! payload types are renumbered and SSRC/sequence/timestamps rewritten towards that side
//! only, and a stream that needs any of it stays out of the kernel fast path.
#![allow(clippy::unwrap_used)]

mod common;
mod fixtures;

use std::time::Duration;

use common::{Bench, KEY, addr, rtp};
use fixtures::{Grow, Swallow};
use sbc_core::{DropKind, LatchMode, MediaOp, Side};
use sbc_media::{
    DropReason, Forwarder, HEADROOM, IoOp, PacketBuf, PtMap, Rewrite, ShardConfig, StepError,
    TAILROOM, Verdict,
};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";

fn call(config: ShardConfig) -> Bench {
    let mut b = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(B), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b
}

#[test]
fn a_packet_grows_into_its_head_and_tailroom() {
    let mut b = call(common::config());
    b.shard
        .set_transform(KEY, Side::B, Some(Box::new(Grow { prefix: 4, tag: 10 })))
        .unwrap();
    let sent = rtp(1, 1, 160);
    let mut mem = vec![0u8; HEADROOM + sent.len() + TAILROOM];
    mem[HEADROOM..][..sent.len()].copy_from_slice(&sent);
    let buf = PacketBuf::new(&mut mem, HEADROOM, sent.len()).unwrap();
    let socket = b.socket(Side::A, false);
    let v = b.shard.handle_datagram(b.now, socket, addr(A), buf);
    let Verdict::Forward { start, len, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!((start, len), (HEADROOM - 4, sent.len() + 14));
    let out = &mem[start..start + len];
    assert_eq!(&out[..4], &[0xaa; 4]);
    assert_eq!(&out[4..4 + sent.len()], &sent[..]);
    assert_eq!(&out[4 + sent.len()..], &[0x55; 10]);
    // Without room (an exact-length buffer) the step fails: dropped and counted.
    assert_eq!(
        b.rtp(Side::A, A, 1, 2),
        Verdict::Drop(DropReason::Transform(StepError::NoRoom {
            needed: 10,
            room: 0
        }))
    );
    assert_eq!(
        b.shard.stats(KEY).unwrap().a.drops.get(DropKind::Transform),
        1
    );
}

#[test]
fn payload_types_and_rewrite_apply_towards_one_side() {
    let mut b = call(common::config());
    let mut map = PtMap::default();
    map.set(8, 18).unwrap();
    b.shard.set_payload_types(KEY, Side::B, map).unwrap();
    b.shard
        .set_rewrite(
            KEY,
            Side::B,
            Rewrite {
                ssrc: Some(0x5bc0_0001),
                seq_offset: 1000,
                ts_offset: 80,
            },
        )
        .unwrap();
    let mut marked = rtp(1, 65535, 160);
    marked[1] |= 0x80;
    let (v, out) = b.recv_buf(Side::A, false, A, &marked);
    assert_eq!(Bench::dest(v), Some(addr(B)));
    assert_eq!(out[1], 0x80 | 18, "PT renumbered, marker kept");
    assert_eq!(u16::from_be_bytes([out[2], out[3]]), 999, "65535 + 1000");
    assert_eq!(u32::from_be_bytes([out[4], out[5], out[6], out[7]]), 240);
    assert_eq!(&out[8..12], &0x5bc0_0001u32.to_be_bytes());
    assert_eq!(&out[12..], &marked[12..], "payload untouched");
    // Towards A nothing changes.
    let back = rtp(2, 5, 800);
    let (_, out) = b.recv_buf(Side::B, false, B, &back);
    assert_eq!(out, back);
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("payload-type map")));
    b.shard
        .set_payload_types(KEY, Side::B, PtMap::default())
        .unwrap();
    assert_eq!(
        b.shard.needs_userspace(KEY),
        Ok(Some("SSRC/sequence rewrite"))
    );
    b.shard
        .set_rewrite(KEY, Side::B, Rewrite::default())
        .unwrap();
    assert_eq!(b.shard.needs_userspace(KEY), Ok(None));
}

fn kernel_on() -> ShardConfig {
    ShardConfig {
        kernel_forwarding: true,
        ..common::config()
    }
}

#[test]
fn a_stream_that_needs_the_engine_is_not_handed_to_the_kernel() {
    let mut b = call(kernel_on());
    b.shard
        .set_transform(KEY, Side::A, Some(Box::new(Swallow)))
        .unwrap();
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("swallow")));
    b.advance(Duration::from_secs(3));
    b.rtp(Side::A, A, 1, 1);
    b.rtp(Side::B, B, 2, 1);
    assert!(b.kernel.is_empty(), "{:?}", b.kernel);
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));
    // Plain again: the next relayed packet hands it over.
    b.shard.set_transform(KEY, Side::A, None).unwrap();
    b.rtp(Side::A, A, 1, 2);
    assert!(matches!(b.kernel[..], [IoOp::Offload { .. }]));
    // A transform installed on a stream the kernel forwards takes it back first.
    b.shard
        .set_transform(KEY, Side::B, Some(Box::new(Swallow)))
        .unwrap();
    b.io();
    assert!(matches!(
        b.kernel[..],
        [IoOp::Offload { .. }, IoOp::Reclaim { .. }]
    ));
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));
    assert_eq!(
        b.rtp(Side::A, A, 1, 3),
        Verdict::Drop(DropReason::Consumed),
        "relayed here again"
    );
}

#[test]
fn a_t38_stream_stays_in_userspace_and_says_why() {
    let mut b = call(kernel_on());
    b.op(MediaOp::Udptl { stream: KEY });
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("T.38 UDPTL")));
    b.advance(Duration::from_secs(3));
    b.recv(Side::A, false, A, &[0, 1, 6, 2, 0x10]);
    assert!(b.kernel.is_empty());
}
