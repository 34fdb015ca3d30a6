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
    let suite = sbc_core::registry::SRTP_SUITES[0];
    MediaOp::Srtp {
        stream,
        side: Side::B,
        fork: None,
        keys: keys.then(|| SrtpKeys::new(suite, key(), key()).unwrap()),
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

#[test]
fn keys_must_fit_their_suite() {
    let gcm = sbc_core::registry::SRTP_SUITES
        .iter()
        .find(|s| s.name == "AEAD_AES_128_GCM")
        .copied()
        .unwrap();
    let cm_key = SrtpKey::new(&[7; 16], &[9; 14]).unwrap();
    let gcm_key = SrtpKey::new(&[7; 16], &[9; 12]).unwrap();
    assert_eq!(
        SrtpKeys::new(gcm, cm_key.clone(), gcm_key.clone()).err(),
        Some(sbc_core::SrtpKeyError::Suite {
            suite: "AEAD_AES_128_GCM"
        })
    );
    let keys = SrtpKeys::new(gcm, gcm_key.clone(), gcm_key).unwrap();
    assert_eq!(keys.suite().name, "AEAD_AES_128_GCM");
    assert!(format!("{keys:?}").contains("redacted"));
}
