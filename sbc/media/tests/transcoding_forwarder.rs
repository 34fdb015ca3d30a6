//! Who forwards a stream as a re-INVITE moves it between relayed, transcoded and
//! kernel-forwarded (virtual clock): a kernel-forwarded stream that gets a transcoding
//! step is taken back to userspace at once; with the steps gone it goes back to the
//! kernel on the next relayed packet, and a step put on again takes it back again.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{A_LOCAL, B_LOCAL, Bench, KEY, addr, config};
use sbc_codec::transcode::Codec;
use sbc_core::{LatchMode, MediaOp, Side};
use sbc_media::transcode::TranscodeSpec;
use sbc_media::{Forwarder, IoOp, KernelRelay, ShardConfig};

const A_PEER: &str = "198.51.100.10:4000";
const B_PEER: &str = "198.51.100.20:5004";

fn relay() -> KernelRelay {
    KernelRelay {
        a_local: addr(A_LOCAL),
        a_peer: addr(A_PEER),
        b_local: addr(B_LOCAL),
        b_peer: addr(B_PEER),
    }
}

fn spec(input: Codec, output: Codec, input_pt: u8, output_pt: u8) -> TranscodeSpec {
    TranscodeSpec {
        input_pt,
        input,
        output_pt,
        output,
        ptime_ms: 20,
        events: None,
        comfort_noise_pt: None,
        comfort_noise_out_pt: None,
    }
}

fn transcode(b: &mut Bench, on: bool) {
    let (to_b, to_a) = if on {
        (
            Some(spec(Codec::Pcma, Codec::G722, 8, 9)),
            Some(spec(Codec::G722, Codec::Pcma, 9, 8)),
        )
    } else {
        (None, None)
    };
    b.shard.set_transcode(KEY, Side::B, to_b).unwrap();
    b.shard.set_transcode(KEY, Side::A, to_a).unwrap();
    b.io();
}

#[test]
fn a_stream_moves_between_kernel_transcoded_and_back() {
    let mut b = Bench::with(
        ShardConfig {
            kernel_forwarding: true,
            ..config()
        },
        LatchMode::PrivateOnly,
        LatchMode::PrivateOnly,
    );
    b.remote(Side::A, Some(A_PEER), None);
    b.remote(Side::B, Some(B_PEER), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.rtp(Side::A, A_PEER, 1, 1);
    b.rtp(Side::B, B_PEER, 2, 1);
    b.advance(Duration::from_secs(3));
    b.rtp(Side::A, A_PEER, 1, 2);
    assert_eq!(
        b.shard.forwarder(KEY),
        Some(Forwarder::Kernel),
        "relayed: kernel"
    );

    // Transcoded: taken back at once, and kept in userspace whatever is relayed.
    transcode(&mut b, true);
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));
    assert!(matches!(b.kernel.last(), Some(IoOp::Reclaim { .. })));
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("transcoding")));
    for seq in 3..10 {
        b.rtp(Side::A, A_PEER, 1, seq);
    }
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));

    // Relayed again: back to the kernel on the next relayed packet.
    transcode(&mut b, false);
    assert_eq!(b.shard.needs_userspace(KEY), Ok(None));
    b.rtp(Side::A, A_PEER, 1, 10);
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Kernel));
    let offloads = b
        .kernel
        .iter()
        .filter(|op| matches!(op, IoOp::Offload { relay: r, .. } if *r == relay()))
        .count();
    assert_eq!(offloads, 2, "handed over twice: {:?}", b.kernel);

    // And transcoded once more.
    transcode(&mut b, true);
    assert_eq!(b.shard.forwarder(KEY), Some(Forwarder::Userspace));
    let reclaims = b
        .kernel
        .iter()
        .filter(|op| matches!(op, IoOp::Reclaim { .. }))
        .count();
    assert_eq!(reclaims, 2);
}
