//! `MediaOp::Srtp` until SRTP is implemented: plain RTP is accepted (it is what every
//! crypto slot holds), keys are refused with a typed error and change nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Bench, KEY, addr};
use sbc_core::{LatchMode, MediaOp, Side, SrtpKey, SrtpKeys, StreamKey};
use sbc_media::OpError;

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";

fn srtp(stream: StreamKey, keys: bool) -> MediaOp {
    let key = || SrtpKey::new(&[7; 16], &[9; 14]).unwrap();
    MediaOp::Srtp {
        stream,
        side: Side::B,
        fork: None,
        keys: keys.then(|| SrtpKeys {
            suite: "AES_CM_128_HMAC_SHA1_80".into(),
            inbound: key(),
            outbound: key(),
        }),
    }
}

#[test]
fn keys_are_refused_and_change_nothing() {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(B), None);
    assert_eq!(b.shard.apply(b.now, srtp(KEY, false)), Ok(()));
    assert_eq!(
        b.shard.apply(b.now, srtp(KEY, true)),
        Err(OpError::Unsupported {
            stream: KEY,
            what: "SRTP"
        })
    );
    let other = StreamKey { call: 99, index: 0 };
    assert_eq!(
        b.shard.apply(b.now, srtp(other, false)),
        Err(OpError::UnknownStream { stream: other })
    );
    assert_eq!(b.shard.needs_userspace(KEY), Ok(None), "still plain");
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(B)));
}
