//! Known answers and behaviour of whole contexts: libsrtp's reference packets (the master key
//! of RFC 3711 B.3, AES_CM_128_HMAC_SHA1_80, SSRC 0xcafebabe), round trips for every suite,
//! tampering, replay, rollover, MKI and SRTCP.

use sbc_srtp::{Context, Error, Suite};

fn hex(text: &str) -> Vec<u8> {
    let d: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    d.chunks(2)
        .map(|p| {
            u8::from_str_radix(std::str::from_utf8(p).unwrap_or("zz"), 16)
                .unwrap_or_else(|_| panic!("hex"))
        })
        .collect()
}

const MASTER_KEY: &str = "e1f97a0d3e018be0d64fa32c06de4139";
const MASTER_SALT: &str = "0ec675ad498afeebb6960b3aabe6";

fn reference() -> Context {
    Context::new(
        Suite::AesCm128HmacSha1_80,
        &hex(MASTER_KEY),
        &hex(MASTER_SALT),
        None,
    )
    .expect("context")
}

/// Protects `packet` and returns the bytes.
fn protect(ctx: &mut Context, packet: &[u8], rtcp: bool) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; packet.len() + 64];
    buf[..packet.len()].copy_from_slice(packet);
    let len = if rtcp {
        ctx.protect_rtcp(&mut buf, packet.len())?
    } else {
        ctx.protect_rtp(&mut buf, packet.len())?
    };
    buf.truncate(len);
    Ok(buf)
}

fn unprotect(ctx: &mut Context, packet: &[u8], rtcp: bool) -> Result<Vec<u8>, Error> {
    let mut buf = packet.to_vec();
    let len = if rtcp {
        ctx.unprotect_rtcp(&mut buf, packet.len())?
    } else {
        ctx.unprotect_rtp(&mut buf, packet.len())?
    };
    buf.truncate(len);
    Ok(buf)
}

#[test]
fn libsrtp_reference_packets() {
    let rtp = hex("800f1234decafbadcafebabe abababababababababababababababab");
    let srtp =
        hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb");
    assert_eq!(
        protect(&mut reference(), &rtp, false).expect("protect"),
        srtp
    );
    assert_eq!(
        unprotect(&mut reference(), &srtp, false).expect("unprotect"),
        rtp
    );
    let rtcp = hex("81c8000bcafebabe abababababababababababababababab");
    let srtcp =
        hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798");
    assert_eq!(
        protect(&mut reference(), &rtcp, true).expect("protect"),
        srtcp
    );
    assert_eq!(
        unprotect(&mut reference(), &srtcp, true).expect("unprotect"),
        rtcp
    );
}

fn rtp_packet(seq: u16, ssrc: u32, payload: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend(seq.to_be_bytes());
    p.extend((u32::from(seq) * 160).to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    p.extend((0..payload).map(|i| i as u8));
    p
}

fn pair(suite: Suite) -> (Context, Context) {
    let key: Vec<u8> = (0..suite.key_len()).map(|i| i as u8 ^ 0x5a).collect();
    let salt: Vec<u8> = (0..suite.salt_len()).map(|i| i as u8 ^ 0xa5).collect();
    (
        Context::new(suite, &key, &salt, None).expect("tx"),
        Context::new(suite, &key, &salt, None).expect("rx"),
    )
}

#[test]
fn every_suite_round_trips_rtp_and_rtcp_with_its_tag_lengths() {
    for suite in Suite::ALL {
        let (mut tx, mut rx) = pair(suite);
        let plain = rtp_packet(7, 0x1234_5678, 160);
        let sealed = protect(&mut tx, &plain, false).expect("protect");
        assert_eq!(sealed.len(), plain.len() + suite.rtp_tag_len(), "{suite:?}");
        assert_ne!(&sealed[12..172], &plain[12..], "{suite:?}: encrypted");
        assert_eq!(
            unprotect(&mut rx, &sealed, false).expect("unprotect"),
            plain
        );
        let mut rtcp = vec![0x80, 201, 0, 1];
        rtcp.extend(0x1234_5678u32.to_be_bytes());
        let sealed = protect(&mut tx, &rtcp, true).expect("protect rtcp");
        assert_eq!(
            sealed.len(),
            rtcp.len() + 4 + suite.rtcp_tag_len(),
            "{suite:?}"
        );
        assert_eq!(
            unprotect(&mut rx, &sealed, true).expect("unprotect rtcp"),
            rtcp
        );
    }
}

#[test]
fn tampering_replay_and_age_are_refused_and_change_nothing() {
    for suite in Suite::ALL {
        let (mut tx, mut rx) = pair(suite);
        let sealed = protect(&mut tx, &rtp_packet(100, 9, 40), false).expect("protect");
        for at in [1, 12, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 0x01;
            assert_eq!(
                unprotect(&mut rx, &bad, false),
                Err(Error::Authentication),
                "{suite:?} byte {at}"
            );
        }
        assert!(
            unprotect(&mut rx, &sealed, false).is_ok(),
            "the original still authenticates"
        );
        assert!(matches!(
            unprotect(&mut rx, &sealed, false),
            Err(Error::Replay { .. })
        ));
        for seq in 101..200 {
            let p = protect(&mut tx, &rtp_packet(seq, 9, 40), false).expect("protect");
            unprotect(&mut rx, &p, false).expect("in order");
        }
        let again = protect(&mut tx, &rtp_packet(190, 9, 40), false);
        assert!(
            matches!(again, Err(Error::IndexReused { .. })),
            "{suite:?}: the sender never reuses an index"
        );
        assert!(matches!(
            unprotect(&mut rx, &sealed, false),
            Err(Error::TooOld { .. })
        ));
        assert!(matches!(
            unprotect(&mut rx, &sealed[..10], false),
            Err(Error::TooShort { .. })
        ));
    }
}

#[test]
fn the_rollover_counter_carries_across_65535() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80);
    for seq in (65_500..=65_535u16).chain(0..40) {
        let p = protect(&mut tx, &rtp_packet(seq, 3, 20), false).expect("protect");
        assert_eq!(
            unprotect(&mut rx, &p, false).expect("unprotect"),
            rtp_packet(seq, 3, 20)
        );
    }
    // A receiver that missed the wrap's ROC would fail: a fresh one that starts after the
    // wrap takes the counter as 0 and cannot authenticate.
    let after = protect(&mut tx, &rtp_packet(41, 3, 20), false).expect("protect");
    let (_, mut fresh) = pair(Suite::AesCm128HmacSha1_80);
    assert_eq!(
        unprotect(&mut fresh, &after, false),
        Err(Error::Authentication)
    );
}

#[test]
fn mki_is_carried_and_checked() {
    let suite = Suite::AesCm128HmacSha1_32;
    let key = vec![1u8; 16];
    let salt = vec![2u8; 14];
    let mut tx = Context::new(suite, &key, &salt, Some(&[0, 0, 0, 1])).expect("tx");
    let mut rx = Context::new(suite, &key, &salt, Some(&[0, 0, 0, 1])).expect("rx");
    let mut other = Context::new(suite, &key, &salt, Some(&[0, 0, 0, 2])).expect("other");
    let p = rtp_packet(1, 5, 30);
    let sealed = protect(&mut tx, &p, false).expect("protect");
    assert_eq!(sealed.len(), p.len() + 4 + 4);
    assert_eq!(
        unprotect(&mut other, &sealed, false),
        Err(Error::UnknownMki)
    );
    assert_eq!(unprotect(&mut rx, &sealed, false).expect("unprotect"), p);
    assert!(matches!(
        Context::new(suite, &key, &salt, Some(&[0; 17])),
        Err(Error::MkiLength { .. })
    ));
}

#[test]
fn wrong_lengths_are_refused() {
    assert_eq!(
        Context::new(Suite::AeadAes128Gcm, &[0; 16], &[0; 14], None).err(),
        Some(Error::SaltLength { len: 14 }),
        "GCM salts are 12 bytes"
    );
    assert_eq!(
        Context::new(Suite::AesCm256HmacSha1_80, &[0; 16], &[0; 14], None).err(),
        Some(Error::KeyLength { len: 16 })
    );
    let (mut tx, _) = pair(Suite::AesCm128HmacSha1_80);
    let p = rtp_packet(1, 1, 10);
    let mut tight = p.clone();
    assert!(matches!(
        tx.protect_rtp(&mut tight, p.len()),
        Err(Error::NoRoom { .. })
    ));
}

#[test]
fn a_receiver_reuses_slots_for_many_ssrcs_a_sender_refuses_a_ninth() {
    let (mut tx, mut rx) = pair(Suite::AeadAes128Gcm);
    for ssrc in 0..40u32 {
        // Each SSRC from its own sender: the receiver's slots are reused.
        let (mut own, _) = pair(Suite::AeadAes128Gcm);
        for seq in 0..3 {
            let p = protect(&mut own, &rtp_packet(seq, ssrc, 10), false).expect("protect");
            unprotect(&mut rx, &p, false).expect("unprotect");
        }
    }
    // One sender: forgetting an SSRC could repeat its indexes, so a ninth is refused.
    for ssrc in 0..8u32 {
        protect(&mut tx, &rtp_packet(1, ssrc, 10), false).expect("protect");
    }
    assert_eq!(
        protect(&mut tx, &rtp_packet(1, 8, 10), false),
        Err(Error::TooManySources { ssrc: 8 })
    );
    protect(&mut tx, &rtp_packet(2, 7, 10), false).expect("a known SSRC goes on");
}

#[test]
fn a_restarted_source_continues_the_index_and_the_receiver_follows() {
    for suite in Suite::ALL {
        let (mut tx, mut rx) = pair(suite);
        // The first source: sequence 65,500 to 65,535, then 0 to 99 (the ROC is 1).
        for seq in (65_500..=65_535u16).chain(0..100) {
            let p = protect(&mut tx, &rtp_packet(seq, 7, 20), false).expect("protect");
            unprotect(&mut rx, &p, false).expect("unprotect");
        }
        // Another source behind the same SSRC starts again at 1 (a fork switch, a
        // re-INVITE): its packets continue at 100, 101, ... in ROC 1.
        for (n, seq) in (1..50u16).enumerate() {
            let p = protect(&mut tx, &rtp_packet(seq, 7, 20), false).expect("continued");
            let want = 100 + u16::try_from(n).expect("small");
            assert_eq!(u16::from_be_bytes([p[2], p[3]]), want, "{suite:?}");
            let clear = unprotect(&mut rx, &p, false).expect("the receiver follows");
            assert_eq!(clear[12..], rtp_packet(seq, 7, 20)[12..], "{suite:?}");
        }
        // A duplicate of what was just sent (within the window) is still refused.
        assert!(matches!(
            protect(&mut tx, &rtp_packet(49, 7, 20), false),
            Err(Error::IndexReused { .. })
        ));
    }
}
