//! ICE-lite on a side of a stream (virtual clock): checks answered from the socket they
//! came in on, the latch following the last authenticated nomination instead of the
//! window, bad checks dropped as `ice-auth` and never latching, forks, restart, and the
//! stream kept out of the kernel.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Bench, KEY, addr};
use sbc_core::{DropKind, IceCredentials, LatchMode, LatchReason, MediaEvent, MediaOp, Side};
use sbc_ice::message::{BINDING, attr};
use sbc_ice::{Class, Message, Writer};
use sbc_media::{DropReason, Verdict};

const A: &str = "198.51.100.10:4000";
/// The default candidate in the Teams side's SDP, and where its checks come from.
const T_SDP: &str = "52.114.1.1:50000";
const T_CHECK: &str = "52.114.1.1:50010";
const T_OTHER: &str = "52.114.2.2:50020";
const UFRAG: &str = "sbcUfrag";
const PWD: &str = "sbcPasswordOf24Chars0123";

fn creds(ufrag: &str, pwd: &str) -> Option<IceCredentials> {
    Some(IceCredentials {
        ufrag: ufrag.into(),
        pwd: pwd.into(),
    })
}

fn ice(b: &mut Bench, fork: Option<&str>, remote: &str) {
    b.op(MediaOp::Ice {
        stream: KEY,
        side: Side::B,
        fork: fork.map(Into::into),
        local: creds(UFRAG, PWD),
        remote_ufrag: Some(remote.into()),
    });
}

/// A check from remote agent `remote` keyed with `pwd`.
fn check(remote: &str, pwd: &str, nominate: bool) -> Vec<u8> {
    check_as(&format!("{UFRAG}:{remote}"), pwd, nominate)
}

/// A check with this USERNAME.
fn check_as(username: &str, pwd: &str, nominate: bool) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let mut w = Writer::new(&mut buf, BINDING, Class::Request, [3; 12]).unwrap();
    w.attribute(attr::USERNAME, username.as_bytes()).unwrap();
    w.attribute(attr::PRIORITY, &1_853_824_767u32.to_be_bytes())
        .unwrap();
    w.attribute(attr::ICE_CONTROLLING, &7u64.to_be_bytes())
        .unwrap();
    if nominate {
        w.attribute(attr::USE_CANDIDATE, &[]).unwrap();
    }
    w.message_integrity(pwd.as_bytes()).unwrap();
    w.fingerprint().unwrap();
    let n = w.finish();
    buf[..n].to_vec()
}

/// A call whose B side (Teams-like) does ICE, A plain.
fn call() -> Bench {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::Always);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(T_SDP), None);
    ice(&mut b, None, "teams1");
    b.take_events();
    b
}

#[test]
fn a_check_is_answered_and_its_nomination_moves_the_latch() {
    let mut b = call();
    let sock = b.socket(Side::B, false);
    let (v, out) = b.recv_roomy(Side::B, false, T_CHECK, &check("teams1", PWD, false));
    assert_eq!(
        v,
        Verdict::Forward {
            socket: sock,
            to: addr(T_CHECK),
            start: sbc_media::HEADROOM,
            len: out.len()
        },
        "answered from the socket it came in on, to its source"
    );
    let response = Message::parse(&out).unwrap();
    assert_eq!(response.class, Class::Success);
    assert_eq!(response.xor_mapped_address, Some(addr(T_CHECK)));
    assert!(response.verify_integrity(PWD.as_bytes()));
    assert_eq!(response.fingerprint_ok(), Some(true));
    assert!(
        b.take_events().is_empty(),
        "a check without USE-CANDIDATE latches nothing"
    );

    // Media from the default candidate flows; RTP from the check's source does not
    // latch (no window on an ICE side).
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(T_SDP)));
    for seq in 1..5 {
        assert_eq!(
            b.rtp(Side::B, T_CHECK, 9, seq),
            Verdict::Drop(DropReason::Foreign)
        );
    }

    // The nomination moves the latch, both ways.
    let (v, _) = b.recv_roomy(Side::B, false, T_CHECK, &check("teams1", PWD, true));
    assert_eq!(Bench::dest(v), Some(addr(T_CHECK)));
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Latched {
            stream: KEY,
            side: Side::B,
            addr: addr(T_CHECK),
            reason: LatchReason::Nominated
        }]
    );
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 2)), Some(addr(T_CHECK)));
    assert_eq!(Bench::dest(b.rtp(Side::B, T_CHECK, 9, 5)), Some(addr(A)));
    assert_eq!(
        b.rtp(Side::B, T_SDP, 8, 1),
        Verdict::Drop(DropReason::Foreign),
        "the old address is a stranger now"
    );

    // A later nomination from elsewhere (the far end switched pairs): the latch follows,
    // long after any latch window.
    b.advance(std::time::Duration::from_secs(30));
    b.recv_roomy(Side::B, false, T_OTHER, &check("teams1", PWD, true));
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 3)), Some(addr(T_OTHER)));

    // A re-INVITE's SDP does not undo the nomination.
    b.remote(Side::B, Some(T_SDP), None);
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 4)), Some(addr(T_OTHER)));

    // The kernel can never take an ICE stream (it would forward the checks).
    assert_eq!(b.shard.needs_userspace(KEY), Ok(Some("ICE")));
}

#[test]
fn bad_checks_are_dropped_counted_and_never_latch() {
    let mut b = call();
    let bad_pwd = check("teams1", "anotherPasswordOf24Char", true);
    assert_eq!(
        b.recv(Side::B, false, T_OTHER, &bad_pwd),
        Verdict::Drop(DropReason::IceAuth)
    );
    // A ufrag that is not ours (another stream's, or from before a restart), under the
    // right password and FINGERPRINT.
    let wrong_ufrag = check_as("otherUfrag:teams1", PWD, true);
    assert_eq!(
        b.recv(Side::B, false, T_OTHER, &wrong_ufrag),
        Verdict::Drop(DropReason::IceAuth)
    );
    assert_eq!(
        b.recv(Side::B, false, T_OTHER, &[0, 1, 0, 4, 1, 2, 3]),
        Verdict::Drop(DropReason::Junk(sbc_media::packet::Junk::Stun))
    );
    assert!(b.take_events().is_empty());
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(T_SDP)));
    let stats = b.shard.stats(KEY).unwrap();
    assert_eq!(stats.b.drops.get(DropKind::IceAuth), 2);
    assert_eq!(stats.b.drops.get(DropKind::Stun), 1);
    assert_eq!(
        stats.b.ice_checks, 0,
        "refused checks are not answered ones"
    );
    // A good check is answered and counted (what the live calls view shows).
    assert!(!matches!(
        b.recv(Side::B, false, T_OTHER, &check("teams1", PWD, false)),
        Verdict::Drop(_)
    ));
    assert_eq!(b.shard.stats(KEY).unwrap().b.ice_checks, 1);

    // Side A has no ICE: STUN there is dropped as before, unanswered.
    assert_eq!(
        b.recv(Side::A, false, A, &check("teams1", PWD, true)),
        Verdict::Drop(DropReason::Junk(sbc_media::packet::Junk::Stun))
    );
}

#[test]
fn forks_nominate_before_the_answer_and_the_winner_keeps_its_latch() {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::Always);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some("52.114.1.1:50000"), Some("f1"));
    ice(&mut b, Some("f1"), "endpoint1");
    b.remote(Side::B, Some("52.114.2.2:50000"), Some("f2"));
    ice(&mut b, Some("f2"), "endpoint2");
    b.take_events();
    let e1 = "52.114.1.1:50001";
    let e2 = "52.114.2.2:50002";
    b.recv_roomy(Side::B, false, e1, &check("endpoint1", PWD, true));
    b.recv_roomy(Side::B, false, e2, &check("endpoint2", PWD, true));
    // Endpoint 1 streams first: relayed; endpoint 2's media is the other fork's.
    assert_eq!(Bench::dest(b.rtp(Side::B, e1, 1, 1)), Some(addr(A)));
    assert_eq!(
        b.rtp(Side::B, e2, 2, 1),
        Verdict::Drop(DropReason::OtherFork)
    );
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(e1)));
    // The 200 comes from endpoint 2: media switches to its nominated address.
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: Some("f2".into()),
    });
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 2)), Some(addr(e2)));
    assert_eq!(Bench::dest(b.rtp(Side::B, e2, 2, 2)), Some(addr(A)));
    assert_eq!(b.rtp(Side::B, e1, 1, 2), Verdict::Drop(DropReason::Foreign));
}

#[test]
fn a_check_that_overtakes_its_sdp_nominates_once_the_sdp_names_its_fork() {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::Always);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some("52.114.1.1:50000"), Some("f1"));
    ice(&mut b, Some("f1"), "endpoint1");
    b.remote(Side::B, Some("52.114.2.2:50000"), Some("f2"));
    b.take_events();
    let e2 = "52.114.2.2:50002";
    // Endpoint 2's check arrives before its ufrag is known: answered, not yet latched.
    let (v, _) = b.recv_roomy(Side::B, false, e2, &check("endpoint2", PWD, true));
    assert_eq!(Bench::dest(v), Some(addr(e2)));
    assert!(b.take_events().is_empty());
    // Its SDP's ufrag arrives: the nomination applies to fork 2.
    ice(&mut b, Some("f2"), "endpoint2");
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: Some("f2".into()),
    });
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(e2)));
}

#[test]
fn an_ice_restart_voids_the_old_credentials_and_nominations() {
    let mut b = call();
    b.recv_roomy(Side::B, false, T_CHECK, &check("teams1", PWD, true));
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(T_CHECK)));
    let new_pwd = "newPasswordOf24Chars0123";
    b.op(MediaOp::Ice {
        stream: KEY,
        side: Side::B,
        fork: None,
        local: creds("newUfrag", new_pwd),
        remote_ufrag: Some("teams2".into()),
    });
    assert_eq!(
        Bench::dest(b.rtp(Side::A, A, 1, 2)),
        Some(addr(T_SDP)),
        "back to the default candidate"
    );
    assert_eq!(
        b.recv(Side::B, false, T_CHECK, &check("teams1", PWD, true)),
        Verdict::Drop(DropReason::IceAuth),
        "the old credentials are void"
    );
}

/// SRTP on the ICE side (Teams requires it): checks are answered before unprotect, the
/// nominated source's SRTP authenticates and crosses as plain RTP, and A's media goes
/// protected to the nominated address.
#[test]
fn ice_and_srtp_together() {
    use sbc_core::registry::SRTP_SUITES;
    use sbc_core::{SrtpKey, SrtpKeys};
    use sbc_srtp::{Context, Suite};

    let s = Suite::AesCm128HmacSha1_80;
    let key = |fill: u8| {
        SrtpKey::new(&vec![fill; s.key_len()], &vec![fill ^ 0xff; s.salt_len()]).unwrap()
    };
    let registry = SRTP_SUITES
        .iter()
        .find(|r| r.name == s.name())
        .copied()
        .unwrap();
    let mut b = call();
    b.op(MediaOp::Srtp {
        stream: KEY,
        side: Side::B,
        fork: None,
        keys: Some(SrtpKeys::new(registry, key(0x31), key(0x32)).unwrap()),
    });
    let (mut far_tx, mut far_rx) = (
        Context::new(s, key(0x31).key(), key(0x31).salt(), None).unwrap(),
        Context::new(s, key(0x32).key(), key(0x32).salt(), None).unwrap(),
    );
    let (v, out) = b.recv_roomy(Side::B, false, T_CHECK, &check("teams1", PWD, true));
    assert_eq!(Bench::dest(v), Some(addr(T_CHECK)));
    assert!(
        Message::parse(&out)
            .unwrap()
            .verify_integrity(PWD.as_bytes())
    );

    // The far end's SRTP from the nominated address: authenticated, relayed plain to A.
    let plain = common::rtp(0x7ea5, 1, 160);
    let mut sealed = plain.clone();
    sealed.resize(plain.len() + 64, 0);
    let n = far_tx.protect_rtp(&mut sealed, plain.len()).unwrap();
    sealed.truncate(n);
    let (v, relayed) = b.recv_roomy(Side::B, false, T_CHECK, &sealed);
    assert_eq!(Bench::dest(v), Some(addr(A)));
    assert_eq!(relayed, plain);

    // A's RTP goes protected to the nominated address and opens under the far end's key.
    let from_a = common::rtp(0xa, 1, 160);
    let (v, mut protected) = b.recv_roomy(Side::A, false, A, &from_a);
    assert_eq!(Bench::dest(v), Some(addr(T_CHECK)));
    let len = protected.len();
    let n = far_rx.unprotect_rtp(&mut protected, len).unwrap();
    assert_eq!(&protected[..n], &from_a[..]);
}
