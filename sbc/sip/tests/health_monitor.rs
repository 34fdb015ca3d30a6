//! OPTIONS health checks on a virtual clock: the monitor's probes run in real client
//! transactions of a [`TransactionLayer`](sbc_sip::TransactionLayer), answered (or not)
//! by a scripted peer.

mod health_util;

use std::time::{Duration, Instant};

use health_util::{Rig, target};
use sbc_core::Transport;
use sbc_sip::health::{
    Health, HealthConfig, HealthError, HealthMonitor, HealthTimer, ProbeFailure,
};
use sbc_sip::transaction::response_for;
use sbc_sip::{Framing, Known, Limits, Message};

#[test]
fn the_first_probe_is_jittered_within_one_interval_and_is_a_proper_options() {
    let mut rig = Rig::new();
    let start = rig.now;
    let id = rig.add(
        target(Transport::Udp, 5062),
        HealthConfig::every(Duration::from_secs(30)),
    );
    assert!(rig.sent.is_empty(), "nothing before the jittered start");
    let (at, who, timer) = rig.monitor.next_timer().expect("armed");
    assert_eq!((who, timer), (id, HealthTimer::Probe));
    assert!(at >= start && at < start + Duration::from_secs(30));
    rig.advance(Duration::from_secs(30));
    assert_eq!(rig.sent.len(), 1);

    let wire = String::from_utf8(rig.sent[0].2.to_bytes()).expect("text");
    let m = Message::parse(
        wire.clone().into_bytes(),
        Framing::Datagram,
        &Limits::default(),
    )
    .expect("the probe parses");
    assert!(
        wire.starts_with("OPTIONS sip:10.91.2.2:5062 SIP/2.0\r\n"),
        "{wire}"
    );
    assert_eq!(m.max_forwards(), Some(70));
    assert!(m.from().expect("From").tag().is_some(), "From has a tag");
    assert_eq!(m.header(Known::To), Some("<sip:10.91.2.2:5062>"));
    assert_eq!(m.header(Known::Accept), Some("application/sdp"));
    assert_eq!(m.header(Known::CSeq), Some("1 OPTIONS"));
    assert_eq!(m.header(Known::UserAgent), Some("sbc/test"));
    let via = m.top_via().expect("Via");
    assert!(via.branch().is_some_and(|b| b.starts_with("z9hG4bK")));
    assert!(wire.contains("Via: SIP/2.0/UDP 10.91.2.1:5060;"), "{wire}");
    assert!(m.call_id().is_some_and(|c| c.len() >= 16));
    assert_eq!(rig.monitor.state(id), Some(Health::Unknown));

    // The next probe: a new request (Call-ID, From tag, branch), the next CSeq.
    rig.answer(200);
    rig.advance(Duration::from_secs(30));
    assert_eq!(rig.sent.len(), 2);
    let (a, b) = (&rig.sent[0].2, &rig.sent[1].2);
    assert_ne!(a.call_id(), b.call_id());
    assert_ne!(a.header(Known::From), b.header(Known::From));
    assert_eq!(b.header(Known::CSeq), Some("2 OPTIONS"));
    assert_ne!(a.header(Known::Via), b.header(Known::Via));
}

/// A long interval (Teams: 60 s) does not delay the first probe beyond
/// `FIRST_PROBE_SPREAD`, whatever the random draw.
#[test]
fn the_first_probe_of_a_long_interval_comes_within_the_spread() {
    for random in [0, 1, 41, 4_999, 59_999, u64::MAX] {
        let mut monitor = HealthMonitor::new(None);
        let start = Instant::now();
        monitor
            .add(
                start,
                target(Transport::Tls, 5061),
                HealthConfig::every(Duration::from_secs(60)),
                random,
            )
            .expect("valid");
        let (at, _, timer) = monitor.next_timer().expect("armed");
        assert_eq!(timer, HealthTimer::Probe);
        assert!(
            at < start + sbc_sip::health::FIRST_PROBE_SPREAD,
            "random {random}: {:?}",
            at - start
        );
    }
}

#[test]
fn tcp_and_tls_peers_get_matching_uris() {
    let mut rig = Rig::new();
    rig.add(
        target(Transport::Tcp, 5060),
        HealthConfig::every(Duration::from_secs(1)),
    );
    rig.add(
        target(Transport::Tls, 5061),
        HealthConfig::every(Duration::from_secs(1)),
    );
    rig.advance(Duration::from_secs(1));
    let uris: Vec<String> = rig
        .sent
        .iter()
        .map(|(_, _, m)| m.request_uri().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        uris,
        [
            "sip:10.91.2.2:5060;transport=tcp",
            "sip:10.91.2.2:5061;transport=tls"
        ]
    );
    let vias: Vec<&str> = rig
        .sent
        .iter()
        .filter_map(|(_, _, m)| m.header(Known::Via))
        .collect();
    assert!(vias[0].starts_with("SIP/2.0/TCP ") && vias[1].starts_with("SIP/2.0/TLS "));
}

#[test]
fn a_sips_trunk_probes_with_sips_uris() {
    let mut rig = Rig::new();
    let mut t = target(Transport::Tls, 5061);
    t.sips = true;
    rig.add(t, HealthConfig::every(Duration::from_secs(1)));
    rig.advance(Duration::from_secs(1));
    let (_, _, m) = rig.sent.first().expect("a probe");
    assert_eq!(m.request_uri(), Some("sips:10.91.2.2:5061"));
    assert_eq!(m.header(Known::To), Some("<sips:10.91.2.2:5061>"));
    assert_eq!(m.header(Known::Contact), Some("<sips:10.91.2.1:5060>"));
}

#[test]
fn a_silent_peer_is_down_after_three_deadlines_long_before_timer_f() {
    let mut rig = Rig::new();
    let config = HealthConfig::every(Duration::from_secs(30));
    let id = rig.add(target(Transport::Udp, 5062), config);
    let (first, _, _) = rig.monitor.next_timer().expect("armed");
    rig.advance(first - rig.now);
    assert_eq!(rig.sent.len(), 1);
    // Each probe waits min(probe_timeout 5 s, interval) and the next goes a period later.
    rig.advance(Duration::from_secs(5));
    assert_eq!(rig.monitor.status(id).map(|s| s.failures), Some(1));
    assert_eq!(rig.monitor.state(id), Some(Health::Unknown));
    rig.advance(Duration::from_secs(25));
    assert_eq!(
        rig.sent.len(),
        2,
        "second probe one interval after the first"
    );
    rig.advance(Duration::from_secs(35));
    assert_eq!(rig.monitor.state(id), Some(Health::Down));
    let status = rig.monitor.status(id).expect("watched").clone();
    assert_eq!(status.last_failure, Some(ProbeFailure::NoAnswer));
    assert_eq!(status.failures, 3);
    assert_eq!(
        status.since,
        first + Duration::from_secs(65),
        "third deadline"
    );
    assert_eq!(
        rig.changes(),
        [(id, Health::Down)],
        "one change, reported once"
    );

    // While down: every min(interval, down_interval) = 5 s.
    let before = rig.sent.len();
    rig.advance(Duration::from_secs(20));
    assert!(rig.sent.len() - before >= 3, "probing every 5 s while down");
    // Timer F (32 s) of the abandoned probes ends them: recognised as the monitor's.
    rig.advance(Duration::from_secs(40));
    assert!(rig.foreign.is_empty(), "{:?}", rig.foreign);
    assert!(rig.changes().is_empty(), "still down, no new change");
}

#[test]
fn any_answer_but_408_and_503_means_alive() {
    for code in [200, 404, 405, 403, 481, 500, 486, 603] {
        let mut rig = Rig::new();
        let id = rig.add(
            target(Transport::Udp, 5060),
            HealthConfig::every(Duration::from_secs(1)),
        );
        rig.advance(Duration::from_secs(1));
        rig.answer(code);
        assert_eq!(rig.monitor.state(id), Some(Health::Up), "{code}");
        assert_eq!(rig.changes(), [(id, Health::Up)], "{code}");
        assert_eq!(
            rig.monitor.status(id).and_then(|s| s.last_status),
            Some(code)
        );
    }
    for code in [408, 503] {
        let mut rig = Rig::new();
        let config = HealthConfig {
            down_after: 1,
            ..HealthConfig::every(Duration::from_secs(1))
        };
        let id = rig.add(target(Transport::Udp, 5060), config);
        rig.advance(Duration::from_secs(1));
        rig.answer(code);
        assert_eq!(rig.monitor.state(id), Some(Health::Down), "{code}");
        let why = rig.monitor.status(id).and_then(|s| s.last_failure);
        assert_eq!(why, Some(ProbeFailure::Status(code)));
    }
}

#[test]
fn a_down_peer_comes_back_after_up_after_successes_and_a_provisional_changes_nothing() {
    let mut rig = Rig::new();
    let config = HealthConfig {
        up_after: 2,
        ..HealthConfig::every(Duration::from_secs(1))
    };
    let id = rig.add(target(Transport::Udp, 5062), config);
    rig.advance(Duration::from_secs(1));
    for _ in 0..3 {
        rig.answer(503);
        rig.advance(Duration::from_secs(1));
    }
    assert_eq!(rig.monitor.state(id), Some(Health::Down));
    rig.answer(100);
    assert_eq!(rig.monitor.status(id).map(|s| s.failures), Some(3));
    rig.answer(200);
    assert_eq!(
        rig.monitor.state(id),
        Some(Health::Down),
        "one success is not enough"
    );
    rig.advance(Duration::from_secs(1));
    rig.answer(200);
    assert_eq!(rig.monitor.state(id), Some(Health::Up));
    assert_eq!(rig.changes(), [(id, Health::Down), (id, Health::Up)]);
    // One failure does not take it down again; a success resets the count.
    rig.advance(Duration::from_secs(1));
    rig.answer(503);
    rig.advance(Duration::from_secs(1));
    rig.answer(200);
    assert_eq!(
        rig.monitor.status(id).map(|s| (s.health, s.failures)),
        Some((Health::Up, 0))
    );
}

#[test]
fn a_late_answer_to_a_probe_given_up_on_is_recognised_and_ignored() {
    let mut rig = Rig::new();
    let id = rig.add(
        target(Transport::Udp, 5062),
        HealthConfig::every(Duration::from_secs(2)),
    );
    rig.advance(Duration::from_secs(2));
    let (_, old_tx, old) = rig.sent[0].clone();
    rig.advance(Duration::from_secs(2)); // deadline passed, next probe out
    assert_eq!(rig.monitor.status(id).map(|s| s.failures), Some(1));
    let late = response_for(&old, 200, "OK", Some("x"));
    assert!(rig.monitor.handle_response(rig.now, old_tx, &late), "ours");
    assert_eq!(
        rig.monitor.status(id).map(|s| s.failures),
        Some(1),
        "ignored"
    );
    assert_eq!(rig.monitor.state(id), Some(Health::Unknown));
}

#[test]
fn removed_peers_are_forgotten_and_others_untouched() {
    let mut rig = Rig::new();
    let config = HealthConfig::every(Duration::from_secs(1));
    let a = rig.add(target(Transport::Udp, 5060), config);
    let b = rig.add(target(Transport::Udp, 5062), config);
    rig.advance(Duration::from_secs(1));
    assert_eq!(rig.sent.len(), 2);
    let (_, tx_a, req_a) = rig
        .sent
        .iter()
        .find(|(p, _, _)| *p == a)
        .cloned()
        .expect("a");
    assert_eq!(
        rig.monitor.remove(a).map(|t| t.peer.remote.port()),
        Some(5060)
    );
    assert_eq!(rig.monitor.state(a), None);
    let ok = response_for(&req_a, 200, "OK", Some("x"));
    assert!(
        !rig.monitor.handle_response(rig.now, tx_a, &ok),
        "no longer ours"
    );
    assert_eq!(rig.monitor.peers().collect::<Vec<_>>(), [b]);
}

#[test]
fn a_send_failure_counts_as_a_failed_probe() {
    let mut monitor = HealthMonitor::new(None);
    let now = Instant::now();
    let config = HealthConfig {
        down_after: 1,
        ..HealthConfig::every(Duration::from_secs(1))
    };
    let id = monitor
        .add(now, target(Transport::Tcp, 5060), config, 1)
        .expect("valid");
    let later = now + Duration::from_secs(1);
    let (who, request, _) = monitor.poll_request(later, 9).expect("due");
    assert_eq!(who, id);
    assert!(request.header(Known::UserAgent).is_none());
    assert!(
        monitor.poll_request(later, 10).is_none(),
        "one probe in flight"
    );
    monitor.send_failed(later, id);
    assert_eq!(monitor.state(id), Some(Health::Down));
    let why = monitor.status(id).and_then(|s| s.last_failure);
    assert_eq!(why, Some(ProbeFailure::SendFailed));
}

#[test]
fn unusable_settings_are_refused() {
    let mut monitor = HealthMonitor::new(None);
    let now = Instant::now();
    let zero = HealthConfig::every(Duration::ZERO);
    assert_eq!(
        monitor.add(now, target(Transport::Udp, 5060), zero, 0),
        Err(HealthError::ZeroDuration { field: "interval" })
    );
    let never_down = HealthConfig {
        down_after: 0,
        ..HealthConfig::default()
    };
    let err = monitor.add(now, target(Transport::Udp, 5060), never_down, 0);
    assert_eq!(
        err,
        Err(HealthError::ZeroThreshold {
            field: "down_after"
        })
    );
    assert_eq!(monitor.peers().count(), 0);
}
