//! Early media from forked dialogs, the answer, and a second 183 (virtual clock).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Bench, KEY, addr};
use sbc_core::{LatchMode, LatchReason, MediaEvent, MediaOp, Side};
use sbc_media::{DropReason, Verdict};

const A: &str = "198.51.100.10:4000";
const F1_SDP: &str = "10.1.0.1:5000";
const F1_NAT: &str = "203.0.113.1:41000";
const F2_SDP: &str = "10.1.0.2:5000";
const F2_NAT: &str = "203.0.113.2:42000";

/// A call forked to two phones (behind NAT), each with a 183 with SDP.
fn forked() -> Bench {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::Always);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(F1_SDP), Some("f1"));
    b.remote(Side::B, Some(F2_SDP), Some("f2"));
    b.take_events();
    b
}

#[test]
fn the_first_fork_that_streams_is_relayed_and_the_answer_switches_at_once() {
    let mut b = forked();
    // Fork 1 streams first: latched, relayed to A.
    b.rtp(Side::B, F1_NAT, 11, 1);
    assert_eq!(Bench::dest(b.rtp(Side::B, F1_NAT, 11, 2)), Some(addr(A)));
    // Fork 2 streams too: learned, but not relayed.
    b.rtp(Side::B, F2_NAT, 22, 1);
    assert_eq!(
        b.rtp(Side::B, F2_NAT, 22, 2),
        Verdict::Drop(DropReason::OtherFork)
    );
    // Reported once: the relayed fork. Fork 2's latch is state until it wins.
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Latched {
            stream: KEY,
            side: Side::B,
            addr: addr(F1_NAT),
            reason: LatchReason::Observed
        }]
    );
    // A's media goes to fork 1.
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(F1_NAT)));
    // The 200 OK comes from fork 2 (its SDP again: a new window for fork 2): switch at once.
    b.remote(Side::B, Some(F2_SDP), Some("f2"));
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: Some("f2".into()),
    });
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Latched {
            stream: KEY,
            side: Side::B,
            addr: addr(F2_NAT),
            reason: LatchReason::ForkAnswered
        }]
    );
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 2)), Some(addr(F2_NAT)));
    assert_eq!(Bench::dest(b.rtp(Side::B, F2_NAT, 22, 3)), Some(addr(A)));
    // The losing fork is a stranger now, even within fork 2's new window.
    for seq in 3..8 {
        assert_eq!(
            b.rtp(Side::B, F1_NAT, 11, seq),
            Verdict::Drop(DropReason::Foreign)
        );
    }
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 3)), Some(addr(F2_NAT)));
}

#[test]
fn an_answer_from_a_silent_fork_uses_its_sdp_address() {
    let mut b = forked();
    b.rtp(Side::B, F1_NAT, 11, 1);
    b.rtp(Side::B, F1_NAT, 11, 2);
    b.take_events();
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: Some("f2".into()),
    });
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Latched {
            stream: KEY,
            side: Side::B,
            addr: addr(F2_SDP),
            reason: LatchReason::Signalled
        }]
    );
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(F2_SDP)));
    // Fork 2 starts sending after the answer (its window opened then): latched.
    b.rtp(Side::B, F2_NAT, 22, 1);
    assert_eq!(Bench::dest(b.rtp(Side::B, F2_NAT, 22, 2)), Some(addr(A)));
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 2)), Some(addr(F2_NAT)));
}

#[test]
fn a_second_183_with_a_changed_address_relatches() {
    let mut b = forked();
    b.rtp(Side::B, F1_NAT, 11, 1);
    b.rtp(Side::B, F1_NAT, 11, 2);
    b.advance(std::time::Duration::from_secs(10));
    // Fork 1 sends another 183: its media now comes from a media server.
    const MOVED: &str = "203.0.113.77:50000";
    assert_eq!(
        b.rtp(Side::B, MOVED, 99, 1),
        Verdict::Drop(DropReason::Foreign),
        "not before the 183"
    );
    b.remote(Side::B, Some("10.1.0.9:6000"), Some("f1"));
    b.take_events();
    b.rtp(Side::B, MOVED, 99, 2);
    assert_eq!(Bench::dest(b.rtp(Side::B, MOVED, 99, 3)), Some(addr(A)));
    assert_eq!(
        b.take_events(),
        vec![MediaEvent::Latched {
            stream: KEY,
            side: Side::B,
            addr: addr(MOVED),
            reason: LatchReason::Observed
        }]
    );
    assert_eq!(Bench::dest(b.rtp(Side::A, A, 1, 1)), Some(addr(MOVED)));
}

#[test]
fn each_latch_is_reported_once() {
    // Public forks, used as signalled: a repeated SDP (183, then the 200's) and the
    // answer from the fork already relayed report nothing new.
    const P1: &str = "198.51.100.31:5000";
    const P2: &str = "198.51.100.32:5000";
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(P1), Some("f1"));
    let signalled = |side, a| MediaEvent::Latched {
        stream: KEY,
        side,
        addr: addr(a),
        reason: LatchReason::Signalled,
    };
    assert_eq!(
        b.take_events(),
        vec![signalled(Side::A, A), signalled(Side::B, P1)]
    );
    b.rtp(Side::B, P1, 11, 1);
    b.remote(Side::B, Some(P1), Some("f1"));
    b.remote(Side::A, Some(A), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: Some("f1".into()),
    });
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: Some("f1".into()),
    });
    assert_eq!(b.take_events(), vec![]);
    // A re-INVITE that moves the media is news.
    b.remote(Side::B, Some(P2), Some("f1"));
    assert_eq!(b.take_events(), vec![signalled(Side::B, P2)]);
    assert_eq!(
        b.shard.stats(KEY).unwrap().latched[1],
        Some((addr(P2), LatchReason::Signalled))
    );
}
