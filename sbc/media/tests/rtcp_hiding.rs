//! Topology hiding in relayed RTCP: a phone's SDES (CNAME `user@host`, NAME, TOOL) never
//! reaches the other side; the CNAME arrives as the pseudonym SDP gave it, and an SDES
//! that cannot be read is dropped and counted, never relayed.

mod common;

use common::{Bench, KEY, rtcp_rr};
use sbc_core::{LatchMode, MediaOp, Side};
use sbc_media::packet::Junk;
use sbc_media::{DropReason, Verdict};

const PHONE: &str = "10.0.0.5:4000";
const PHONE_RTCP: &str = "10.0.0.5:4001";
const PBX: &str = "198.51.100.20:5004";
const CNAME: &[u8] = b"sip:alice@10.99.1.3:5080";

fn call() -> Bench {
    let mut b = Bench::open(LatchMode::Always, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(PHONE), None);
    b.remote(Side::B, Some(PBX), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b
}

/// SR-less compound: RR, then SDES with CNAME, NAME and TOOL, as baresip sends it.
fn compound(cname: &[u8]) -> Vec<u8> {
    let mut p = rtcp_rr(0x4c84_4d15);
    let mut sdes = vec![0x81, 202, 0, 0];
    sdes.extend_from_slice(&0x4c84_4d15u32.to_be_bytes());
    for (t, v) in [
        (1u8, cname),
        (2, b"Alice".as_slice()),
        (6, b"baresip v3.0.0".as_slice()),
    ] {
        sdes.push(t);
        sdes.push(v.len() as u8);
        sdes.extend_from_slice(v);
    }
    sdes.push(0);
    while sdes.len() % 4 != 0 {
        sdes.push(0);
    }
    let words = (sdes.len() / 4 - 1) as u16;
    sdes[2..4].copy_from_slice(&words.to_be_bytes());
    p.extend(sdes);
    p
}

#[test]
fn the_phones_sdes_reaches_the_pbx_as_a_pseudonym_only() {
    let mut b = call();
    let names = common::config().pseudonyms;
    let sent = compound(CNAME);
    let (v, out) = b.recv_buf(Side::A, true, PHONE_RTCP, &sent);
    assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
    assert!(out.len() < sent.len(), "NAME and TOOL removed");
    let text = String::from_utf8_lossy(&out);
    for leak in ["alice", "10.99", "Alice", "baresip"] {
        assert!(!text.contains(leak), "{leak} relayed: {text:?}");
    }
    let pseudonym = names.of(std::str::from_utf8(CNAME).unwrap_or_default());
    assert!(
        text.contains(&pseudonym),
        "the CNAME as SDP names it: {pseudonym}"
    );
    // The RR in front is untouched, and the compound still walks: every length field
    // adds up to the datagram.
    assert_eq!(&out[..8], &rtcp_rr(0x4c84_4d15)[..]);
    let sdes_words = u16::from_be_bytes([out[10], out[11]]);
    assert_eq!(8 + (usize::from(sdes_words) + 1) * 4, out.len());
}

#[test]
fn an_unreadable_sdes_is_dropped_and_counted() {
    let mut b = call();
    let mut bad = compound(CNAME);
    bad[8 + 9] = 250; // the CNAME's length runs past the packet
    let (v, _) = b.recv_buf(Side::A, true, PHONE_RTCP, &bad);
    assert_eq!(v, Verdict::Drop(DropReason::Junk(Junk::BadSdes)));
    // A later good one is relayed: the stream is unharmed.
    let (v, _) = b.recv_buf(Side::A, true, PHONE_RTCP, &compound(b"x@y"));
    assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
    let stats = b.shard.stats(KEY).unwrap_or_else(|| panic!("stream"));
    assert_eq!(stats.a.junk, 1);
}
