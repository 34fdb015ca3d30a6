//! Registration edge cases: stray responses, unregistering at any moment, how the
//! granted expiry is read, failures and their back-off, configuration errors, and a
//! run through the real transaction layer (Timer F included).

mod registration_util;

use std::time::{Duration, Instant};

use registration_util::*;
use sbc_sip::registration::{
    Backoff, ConfigError, FailureReason, RegistrationClient, RegistrationState,
};
use sbc_sip::{Known, Method, TransactionEvent, TransactionLayer};

fn client() -> (RegistrationClient, Instant) {
    (
        RegistrationClient::new(config(), 5).expect("valid"),
        Instant::now(),
    )
}

#[test]
fn responses_that_are_not_ours_change_nothing() {
    let (mut reg, t0) = client();
    let r1 = next(&mut reg, t0, 1);
    let ok = reply(&r1, "200 OK", "");
    let text = String::from_utf8(ok.to_bytes()).expect("utf-8");
    let other_cseq = parse(&text.replace("CSeq: 1 REGISTER", "CSeq: 7 REGISTER"));
    let other_call = parse(&text.replace(reg.call_id(), "someone-else"));
    assert!(!reg.handle_response(t0, &other_cseq));
    assert!(!reg.handle_response(t0, &other_call));
    assert!(!reg.handle_response(t0, &r1), "a request is not a response");
    assert!(reg.handle_response(t0, &reply(&r1, "180 Ringing", "")));
    assert_eq!(reg.state(), RegistrationState::Registering);
    assert!(reg.handle_response(t0, &ok));
    assert!(
        !reg.handle_response(t0, &ok),
        "a retransmission: nothing in flight"
    );
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));
}

#[test]
fn unregistering_before_during_and_after() {
    // Nothing sent yet: nothing to remove.
    let (mut reg, t0) = client();
    reg.unregister();
    assert_eq!(reg.state(), RegistrationState::Unregistered);
    assert!(reg.poll_request(t0, 1).is_none());

    // A REGISTER in flight is answered first; then the removal goes out, a challenge to
    // it is answered once, and whatever comes next ends it.
    let (mut reg, t0) = client();
    let r1 = next(&mut reg, t0, 1);
    reg.unregister();
    assert_eq!(reg.state(), RegistrationState::Unregistering);
    assert!(reg.poll_request(t0, 2).is_none());
    reg.handle_response(t0, &reply(&r1, "200 OK", ""));
    let u1 = next(&mut reg, t0, 3);
    assert_eq!(expires(&u1).1, "0");
    reg.handle_response(t0, &reply(&u1, "401 Unauthorized", CHALLENGE));
    let u2 = next(&mut reg, t0, 4);
    assert!(authorization(&u2).verify("s3cret", "REGISTER", b""));
    reg.handle_response(t0, &reply(&u2, "401 Unauthorized", CHALLENGE));
    assert_eq!(reg.state(), RegistrationState::Unregistered);

    // A failed registration still removes what an earlier attempt may have left; a
    // timeout ends it too.
    let (mut reg, t0) = client();
    let r1 = next(&mut reg, t0, 1);
    reg.handle_response(t0, &reply(&r1, "403 Forbidden", ""));
    reg.unregister();
    assert_eq!(reg.poll_timeout(), None, "no retry after unregister");
    let _u = next(&mut reg, t0, 2);
    reg.handle_transaction_timeout(t0 + secs(32));
    assert_eq!(reg.state(), RegistrationState::Unregistered);
    reg.unregister();
    assert_eq!(reg.state(), RegistrationState::Unregistered);
}

#[test]
fn the_granted_expiry_and_the_refresh_time() {
    let until = |extra: &str| {
        let (mut reg, t0) = client();
        let r = next(&mut reg, t0, 1);
        reg.handle_response(t0, &reply(&r, "200 OK", extra));
        let refresh = reg.poll_timeout().map(|t| t - t0);
        match reg.state() {
            RegistrationState::Registered { until } => (Some(until - t0), refresh),
            _ => (None, refresh),
        }
    };
    // Our contact, spelled differently (case, explicit default port, parameters).
    let ours = "Contact: <sip:+4930123@192.0.2.1:5060;transport=udp>;expires=90\r\nExpires: 40\r\n";
    assert_eq!(
        until(ours),
        (Some(secs(90)), Some(secs(45))),
        "90/2 > 90-60"
    );
    let ours = "Contact: <sip:+4930123@192.0.2.1>;expires=3600\r\n";
    assert_eq!(until(ours), (Some(secs(3600)), Some(secs(3540))));
    // Not ours: the Expires header; neither: what was asked (600).
    let theirs = "Contact: <sip:+4930123@192.0.2.99>;expires=90\r\nExpires: 300\r\n";
    assert_eq!(until(theirs), (Some(secs(300)), Some(secs(240))));
    assert_eq!(until(""), (Some(secs(600)), Some(secs(540))));
    // Expiry 0 for our binding: not kept.
    let (mut reg, t0) = client();
    let r = next(&mut reg, t0, 1);
    reg.handle_response(
        t0,
        &reply(
            &r,
            "200 OK",
            "Contact: <sip:+4930123@192.0.2.1:5060>;expires=0\r\n",
        ),
    );
    assert!(matches!(
        reg.state(),
        RegistrationState::Failed {
            reason: FailureReason::NotBound,
            ..
        }
    ));
}

#[test]
fn failures_and_their_back_off() {
    let failed = |status: &str, extra: &str| {
        let (mut reg, t0) = client();
        let r = next(&mut reg, t0, 1);
        reg.handle_response(t0, &reply(&r, status, extra));
        match reg.state() {
            RegistrationState::Failed { retry_at, reason } => (retry_at - t0, reason),
            other => panic!("{status}: {other:?}"),
        }
    };
    assert_eq!(
        failed("423 Interval Too Brief", ""),
        (
            secs(30),
            FailureReason::IntervalTooBrief { min_expires: None }
        )
    );
    assert_eq!(
        failed("423 Interval Too Brief", "Min-Expires: 60\r\n").1,
        FailureReason::IntervalTooBrief {
            min_expires: Some(60)
        }
    );
    assert_eq!(
        failed(
            "302 Moved Temporarily",
            "Contact: <sip:elsewhere.example.com>\r\n"
        )
        .1,
        FailureReason::Rejected {
            status: 302,
            reason: "Moved Temporarily".into()
        }
    );
    // Retry-After is honoured, but not below the first back-off step.
    assert_eq!(
        failed("503 Service Unavailable", "Retry-After: 5\r\n").0,
        secs(30)
    );
    assert_eq!(
        failed("480 Temporarily Unavailable", "Retry-After: 900\r\n").0,
        secs(900)
    );
    assert_eq!(failed("603 Decline", "").0, secs(30));

    // With the default jitter the wait lies between half and all of the step.
    let mut cfg = config();
    cfg.backoff = Backoff::default();
    let t0 = Instant::now();
    let mut seen = Vec::new();
    for seed in 0..20 {
        let mut reg = RegistrationClient::new(cfg.clone(), seed).expect("valid");
        let _ = reg.poll_request(t0, seed * 7919);
        reg.handle_transaction_timeout(t0);
        let at = reg.poll_timeout().expect("retry armed") - t0;
        assert!(at >= secs(15) && at <= secs(30), "{at:?}");
        seen.push(at);
    }
    seen.dedup();
    assert!(seen.len() > 1, "jitter varies: {seen:?}");
}

#[test]
fn configuration_errors_and_a_redacted_password() {
    let mut c = config();
    c.registrar = "carrier.example.com".into();
    assert_eq!(
        RegistrationClient::new(c, 1).err(),
        Some(ConfigError::InvalidUri {
            field: "registrar",
            value: "carrier.example.com".into()
        })
    );
    let mut c = config();
    c.expires = 0;
    assert!(matches!(
        RegistrationClient::new(c, 1),
        Err(ConfigError::Invalid {
            field: "expires",
            ..
        })
    ));
    let mut c = config();
    c.backoff.initial = Duration::ZERO;
    assert!(RegistrationClient::new(c, 1).is_err());
    assert!(!format!("{:?}", config()).contains("s3cret"));
}

#[test]
fn through_the_transaction_layer() {
    let t0 = Instant::now();
    let mut layer = TransactionLayer::default();
    let mut reg = RegistrationClient::new(config(), 11).expect("valid");
    let peer = reg.config().peer;

    // REGISTER -> 401 -> REGISTER with credentials -> 200, all through transactions.
    let mut now = t0;
    for (round, random) in [(0, 1_u64), (1, 2)] {
        let request = reg.poll_request(now, random).expect("due");
        let tx = layer.start_client(now, request, peer).expect("accepted");
        let sent = layer.poll_transmit().expect("sent");
        assert_eq!((sent.remote, sent.local), (peer.remote, peer.local));
        let on_wire = parse(std::str::from_utf8(&sent.payload).expect("utf-8"));
        assert_eq!(on_wire.method(), Some(&Method::Register));
        let answer = if round == 0 {
            reply(&on_wire, "401 Unauthorized", CHALLENGE)
        } else {
            assert!(authorization(&on_wire).verify("s3cret", "REGISTER", b""));
            reply(&on_wire, "200 OK", "")
        };
        now += Duration::from_millis(40);
        layer.handle_message(now, answer, peer);
        while let Some(event) = layer.poll_event() {
            if let TransactionEvent::Response { tx: id, response } = event {
                assert_eq!(id, tx);
                assert!(reg.handle_response(now, &response));
            }
        }
    }
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));

    // The refresh meets silence: Timer F ends the transaction, the client backs off.
    let refresh = reg.poll_timeout().expect("refresh");
    reg.handle_timeout(refresh);
    let request = reg.poll_request(refresh, 3).expect("refresh due");
    assert_eq!(request.header(Known::CSeq), Some("3 REGISTER"));
    layer
        .start_client(refresh, request, peer)
        .expect("accepted");
    let mut timed_out = None;
    while let Some(at) = layer.poll_timeout() {
        layer.handle_timeout(at);
        while let Some(event) = layer.poll_event() {
            if let TransactionEvent::Timeout { .. } = event {
                reg.handle_transaction_timeout(at);
                timed_out = Some(at);
            }
        }
        while layer.poll_transmit().is_some() {}
    }
    let at = timed_out.expect("Timer F fired");
    assert_eq!(at - refresh, secs(32));
    assert_eq!(
        reg.state(),
        RegistrationState::Failed {
            retry_at: at + secs(30),
            reason: FailureReason::Timeout
        }
    );
}
