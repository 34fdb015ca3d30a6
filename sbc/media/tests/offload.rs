//! The per-stream forwarder decision: a latched plain RTP stream is handed to the kernel
//! once both latch windows are over, taken back by a new SDP, an answer or the close, and
//! kept in userspace when the switch is off or the IO layer refused the kernel relay.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{A_LOCAL, B_LOCAL, Bench, KEY, addr, config};
use sbc_core::{LatchMode, MediaOp, Side};
use sbc_media::{DropReason, Forwarder, IoOp, KernelRelay, ShardConfig, Verdict};

const A_PEER: &str = "198.51.100.10:4000";
const B_PEER: &str = "198.51.100.20:5004";

fn kernel_on() -> ShardConfig {
    ShardConfig {
        kernel_forwarding: true,
        ..config()
    }
}

/// A stream whose sides signalled public addresses (latched as signalled) and was answered.
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

fn relay() -> KernelRelay {
    KernelRelay {
        a_local: addr(A_LOCAL),
        a_peer: addr(A_PEER),
        b_local: addr(B_LOCAL),
        b_peer: addr(B_PEER),
    }
}

#[test]
fn latched_stream_goes_to_the_kernel_after_the_latch_window() {
    let mut b = call(kernel_on());
    b.rtp(Side::A, A_PEER, 1, 1);
    b.rtp(Side::B, B_PEER, 2, 1);
    assert!(
        b.kernel.is_empty(),
        "not while a new source could still latch"
    );
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));
    b.advance(Duration::from_secs(3));
    assert!(
        Bench::dest(b.rtp(Side::A, A_PEER, 1, 2)).is_some(),
        "relayed too"
    );
    assert_eq!(
        b.kernel,
        vec![IoOp::Offload {
            stream: KEY,
            relay: relay()
        }]
    );
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Kernel));
    assert_eq!(b.shard.stats(KEY).unwrap().forwarder, Forwarder::Kernel);
    assert_eq!(
        b.rtp(Side::B, B_PEER, 2, 2),
        Verdict::Drop(DropReason::Offloaded),
        "a packet queued before the handover is not relayed from the socket"
    );
    assert_eq!(b.kernel.len(), 1, "handed over once");

    // The kernel's counters come back, and keep the call from going inactive.
    b.take_events();
    for _ in 0..5 {
        b.advance(Duration::from_secs(30));
        b.shard.add_offloaded(b.now, KEY, Side::A, 1500, 258_000);
    }
    let events = b.take_events();
    assert!(events.is_empty(), "no inactivity: {events:?}");
    let a = b.shard.stats(KEY).unwrap().a;
    assert_eq!(a.packets, 2 + 5 * 1500);
    assert_eq!(
        (a.kernel_packets, a.kernel_bytes),
        (5 * 1500, 5 * 258_000),
        "the kernel's share is told apart"
    );

    // A re-INVITE's SDP takes it back; after the new window it goes over again.
    b.remote(Side::B, Some(B_PEER), None);
    assert!(matches!(
        b.kernel.last(),
        Some(IoOp::Reclaim { why: "new SDP", .. })
    ));
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));
    b.rtp(Side::A, A_PEER, 1, 3);
    assert_eq!(b.kernel.len(), 2, "not during the new latch window");
    b.advance(Duration::from_secs(3));
    b.rtp(Side::A, A_PEER, 1, 4);
    assert!(matches!(b.kernel.last(), Some(IoOp::Offload { .. })));

    // Close: the relay is removed before the sockets go.
    b.kernel.clear();
    b.op(MediaOp::Close { stream: KEY });
    assert!(matches!(
        b.kernel.as_slice(),
        [IoOp::Reclaim { why: "close", .. }]
    ));
    assert!(b.sockets.is_empty());
}

#[test]
fn off_by_default_and_refusal_is_final() {
    let mut b = call(config());
    b.advance(Duration::from_secs(3));
    b.rtp(Side::A, A_PEER, 1, 1);
    b.rtp(Side::B, B_PEER, 2, 1);
    assert!(b.kernel.is_empty(), "kernel_forwarding is off");

    let mut b = call(kernel_on());
    b.advance(Duration::from_secs(3));
    b.rtp(Side::A, A_PEER, 1, 1);
    assert_eq!(b.kernel.len(), 1);
    b.shard.offload_failed(KEY);
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));
    b.rtp(Side::A, A_PEER, 1, 2);
    assert_eq!(b.kernel.len(), 1, "no retry per packet");
}

#[test]
fn udptl_and_held_streams_stay_in_userspace() {
    let mut b = call(kernel_on());
    b.op(MediaOp::Udptl { stream: KEY });
    b.advance(Duration::from_secs(3));
    b.recv(Side::A, false, A_PEER, &[0, 1, 2, 3]);
    assert!(b.kernel.is_empty(), "T.38 stays in userspace");

    let mut b = call(kernel_on());
    b.op(MediaOp::Sending {
        stream: KEY,
        side: Side::B,
        sends: false,
    });
    b.advance(Duration::from_secs(3));
    b.rtp(Side::A, A_PEER, 1, 1);
    assert!(b.kernel.is_empty(), "a held side stays in userspace");
}

#[test]
fn a_peer_that_never_latched_is_relayed_at_its_sdp_address() {
    // Side B's window ends before it sends (its SDP address is its source): fixed there.
    let mut b = Bench::with(kernel_on(), LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some("10.91.1.2:40000"), None);
    b.remote(Side::B, Some("10.91.2.2:40002"), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.rtp(Side::A, "10.91.1.2:40000", 1, 1);
    b.rtp(Side::A, "10.91.1.2:40000", 1, 2);
    b.advance(Duration::from_secs(3));
    assert!(Bench::dest(b.rtp(Side::B, "10.91.2.2:40002", 2, 1)).is_some());
    assert!(matches!(
        b.kernel.as_slice(),
        [IoOp::Offload { relay, .. }] if relay.b_peer == addr("10.91.2.2:40002")
    ));
}
