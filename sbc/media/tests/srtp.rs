//! SRTP through the engine (`MediaOp::Srtp`): a leg with SDES keys bridged to a plain-RTP
//! leg, each direction under its own key; tampered and replayed packets dropped and counted
//! per reason; keys signalled again keep their contexts (rollover counters go on), new keys
//! replace them; forked early dialogs each with their own key, a source latching only the
//! fork whose key it authenticates under. The far ends are real SRTP contexts of sbc-srtp.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Bench, KEY, rtp};
use sbc_core::registry::SRTP_SUITES;
use sbc_core::{DropKind, LatchMode, MediaOp, RemoteSpec, Side, SrtpKey, SrtpKeys, StreamKey};
use sbc_media::{DropReason, OpError, Verdict};
use sbc_srtp::{Context, Suite};

const PHONE: &str = "198.51.100.10:4000";
const PHONE_RTCP: &str = "198.51.100.10:4001";
const PBX: &str = "198.51.100.20:5004";

fn suite(name: &str) -> sbc_core::registry::SrtpSuite {
    SRTP_SUITES
        .iter()
        .find(|s| s.name == name)
        .copied()
        .unwrap()
}

fn key(fill: u8, suite: Suite) -> SrtpKey {
    SrtpKey::new(
        &vec![fill; suite.key_len()],
        &vec![fill ^ 0xff; suite.salt_len()],
    )
    .unwrap()
}

fn srtp_op(side: Side, fork: Option<&str>, s: Suite, inbound: u8, outbound: u8) -> MediaOp {
    MediaOp::Srtp {
        stream: KEY,
        side,
        fork: fork.map(str::to_owned),
        keys: Some(SrtpKeys::new(suite(s.name()), key(inbound, s), key(outbound, s)).unwrap()),
    }
}

/// The far end's SRTP context under key `fill`.
fn peer_context(fill: u8, s: Suite) -> Context {
    let k = key(fill, s);
    Context::new(s, k.key(), k.salt(), None).unwrap()
}

fn seal(ctx: &mut Context, packet: &[u8], rtcp: bool) -> Vec<u8> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + 64, 0);
    let n = if rtcp {
        ctx.protect_rtcp(&mut buf, packet.len()).unwrap()
    } else {
        ctx.protect_rtp(&mut buf, packet.len()).unwrap()
    };
    buf.truncate(n);
    buf
}

fn open(ctx: &mut Context, packet: &[u8], rtcp: bool) -> Vec<u8> {
    let mut buf = packet.to_vec();
    let n = if rtcp {
        ctx.unprotect_rtcp(&mut buf, packet.len())
    } else {
        ctx.unprotect_rtp(&mut buf, packet.len())
    }
    .unwrap_or_else(|e| panic!("the SBC's packet does not open: {e}"));
    buf.truncate(n);
    buf
}

fn call(s: Suite) -> Bench {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(PHONE), None);
    b.remote(Side::B, Some(PBX), None);
    b.op(srtp_op(Side::A, None, s, 0x11, 0x22));
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b
}

#[test]
fn an_srtp_leg_is_bridged_to_a_plain_leg_under_a_key_per_direction() {
    for s in Suite::ALL {
        let mut b = call(s);
        assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("SRTP")));
        let mut phone_tx = peer_context(0x11, s);
        let mut phone_rx = peer_context(0x22, s);
        for seq in 1..=5u16 {
            let plain = rtp(0xaaaa, seq, u32::from(seq) * 160);
            let (v, out) = b.recv_roomy(Side::A, false, PHONE, &seal(&mut phone_tx, &plain, false));
            assert!(matches!(v, Verdict::Forward { .. }), "{s:?}: {v:?}");
            assert_eq!(out, plain, "{s:?}: the PBX gets plain RTP");
            let reply = rtp(0xbbbb, seq, u32::from(seq) * 160);
            let (v, out) = b.recv_roomy(Side::B, false, PBX, &reply);
            assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
            assert_eq!(out.len(), reply.len() + s.rtp_tag_len());
            assert_eq!(
                open(&mut phone_rx, &out, false),
                reply,
                "{s:?}: the phone decrypts"
            );
        }
        // RTCP both ways.
        let mut rr = vec![0x80, 201, 0, 1];
        rr.extend(0xaaaau32.to_be_bytes());
        let (v, out) = b.recv_roomy(Side::A, true, PHONE_RTCP, &seal(&mut phone_tx, &rr, true));
        assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
        assert_eq!(out, rr);
        let mut sr = vec![0x80, 201, 0, 1];
        sr.extend(0xbbbbu32.to_be_bytes());
        let (_, out) = b.recv_roomy(Side::B, true, "198.51.100.20:5005", &sr);
        assert_eq!(open(&mut phone_rx, &out, true), sr);
    }
}

#[test]
fn tampered_and_replayed_packets_are_dropped_and_counted_apart() {
    let s = Suite::AesCm128HmacSha1_80;
    let mut b = call(s);
    let mut phone_tx = peer_context(0x11, s);
    let good = seal(&mut phone_tx, &rtp(0xaaaa, 10, 1600), false);
    let mut bad = good.clone();
    bad[20] ^= 1;
    let (v, _) = b.recv_roomy(Side::A, false, PHONE, &bad);
    assert!(
        matches!(v, Verdict::Drop(DropReason::Unprotect(_))),
        "{v:?}"
    );
    let (v, _) = b.recv_roomy(Side::A, false, PHONE, &good);
    assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
    let (v, _) = b.recv_roomy(Side::A, false, PHONE, &good);
    assert!(
        matches!(v, Verdict::Drop(DropReason::Unprotect(_))),
        "{v:?}"
    );
    let stats = b.shard.stats(KEY).unwrap();
    assert_eq!(
        stats.a.drops.get(DropKind::Unprotect),
        1,
        "the tampered one"
    );
    assert_eq!(stats.a.drops.get(DropKind::Replay), 1, "the replayed one");
    // A stranger with no key cannot latch or be relayed, even within the latch window.
    let (v, _) = b.recv_roomy(Side::A, false, "203.0.113.66:4000", &rtp(0xcccc, 1, 0));
    assert!(matches!(v, Verdict::Drop(_)), "{v:?}");
}

#[test]
fn the_same_keys_again_keep_the_rollover_counter_new_keys_replace_it() {
    let s = Suite::AeadAes128Gcm;
    let mut b = call(s);
    let mut phone_tx = peer_context(0x11, s);
    for seq in (65_530..=65_535u16).chain(0..3) {
        let (v, _) = b.recv_roomy(
            Side::A,
            false,
            PHONE,
            &seal(&mut phone_tx, &rtp(1, seq, 0), false),
        );
        assert!(matches!(v, Verdict::Forward { .. }), "{seq}: {v:?}");
    }
    // A re-INVITE signals the same keys: the engine's context (its ROC of 1) goes on.
    b.op(srtp_op(Side::A, None, s, 0x11, 0x22));
    let (v, _) = b.recv_roomy(
        Side::A,
        false,
        PHONE,
        &seal(&mut phone_tx, &rtp(1, 3, 0), false),
    );
    assert!(
        matches!(v, Verdict::Forward { .. }),
        "after the wrap: {v:?}"
    );
    // New keys: the old key's packets no longer authenticate.
    b.op(srtp_op(Side::A, None, s, 0x33, 0x44));
    let (v, _) = b.recv_roomy(
        Side::A,
        false,
        PHONE,
        &seal(&mut phone_tx, &rtp(1, 4, 0), false),
    );
    assert!(
        matches!(v, Verdict::Drop(DropReason::Unprotect(_))),
        "{v:?}"
    );
    let mut new_tx = peer_context(0x33, s);
    let (v, _) = b.recv_roomy(
        Side::A,
        false,
        PHONE,
        &seal(&mut new_tx, &rtp(1, 5, 0), false),
    );
    assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
}

#[test]
fn a_source_latches_only_the_fork_whose_key_it_authenticates_under() {
    let s = Suite::AesCm128HmacSha1_80;
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::Always);
    b.remote(Side::A, Some(PBX), None);
    // Two forks of B with early media, each with its own key; both behind NAT (their
    // packets come from elsewhere than their SDP).
    for (fork, at) in [("fork-a", "10.0.0.5:6000"), ("fork-b", "10.0.0.6:6000")] {
        b.remote_spec(
            Side::B,
            RemoteSpec {
                rtp: Some(at.parse().unwrap()),
                rtcp: None,
                rtcp_mux: false,
                fork: Some(fork.into()),
            },
        );
    }
    b.op(srtp_op(Side::B, Some("fork-a"), s, 0xa1, 0xb0));
    b.op(srtp_op(Side::B, Some("fork-b"), s, 0xa2, 0xb0));
    let mut fork_b = peer_context(0xa2, s);
    let nat_b = "203.0.113.20:30000";
    for seq in 1..=3u16 {
        let (v, out) = b.recv_roomy(
            Side::B,
            false,
            nat_b,
            &seal(&mut fork_b, &rtp(0xb, seq, 0), false),
        );
        if seq >= 2 {
            assert!(matches!(v, Verdict::Forward { .. }), "{seq}: {v:?}");
            assert_eq!(out, rtp(0xb, seq, 0));
        }
    }
    let report = b.shard.stats(KEY).unwrap();
    assert_eq!(
        report.latched[1].map(|(a, _)| a.to_string()),
        Some(nat_b.to_owned()),
        "latched, as fork-b's"
    );
    // Answered by fork-a: fork-b's source (under fork-b's key) is not fork-a's.
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: Some("fork-a".into()),
    });
    let (v, _) = b.recv_roomy(
        Side::B,
        false,
        nat_b,
        &seal(&mut fork_b, &rtp(0xb, 4, 0), false),
    );
    assert!(matches!(v, Verdict::Drop(_)), "{v:?}");
}

#[test]
fn keys_for_a_peer_never_described_or_of_a_bad_length_are_refused() {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(PHONE), None);
    let s = Suite::AesCm128HmacSha1_80;
    let op = srtp_op(Side::B, Some("nobody"), s, 1, 2);
    assert!(matches!(
        b.shard.apply(b.now, op),
        Err(OpError::UnknownPeer { .. })
    ));
    let other = StreamKey { call: 99, index: 0 };
    let mut op = srtp_op(Side::A, None, s, 1, 2);
    if let MediaOp::Srtp { stream, .. } = &mut op {
        *stream = other;
    }
    assert_eq!(
        b.shard.apply(b.now, op),
        Err(OpError::UnknownStream { stream: other })
    );
    // Plain again: keys: None empties the slots.
    b.op(srtp_op(Side::A, None, s, 1, 2));
    b.op(MediaOp::Srtp {
        stream: KEY,
        side: Side::A,
        fork: None,
        keys: None,
    });
    assert_eq!(b.shard.needs_userspace(KEY), Ok(None));
}
