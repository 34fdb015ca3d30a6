//! The trunk registration client on a virtual clock: the registrar is played by hand,
//! its responses built from text and parsed like received datagrams.

mod registration_util;

use std::time::{Duration, Instant};

use registration_util::*;
use sbc_sip::Known;
use sbc_sip::registration::{FailureReason, REFRESH_MARGIN, RegistrationClient, RegistrationState};

#[test]
fn register_challenge_refresh_423_503_timeouts_and_unregister() {
    let t0 = Instant::now();
    let mut reg = RegistrationClient::new(config(), 7).expect("valid config");
    assert_eq!(reg.state(), RegistrationState::Registering);

    // First REGISTER: no credentials.
    let r1 = next(&mut reg, t0, 1);
    assert_eq!(cseq(&r1), 1);
    assert_eq!(
        expires(&r1),
        ("<sip:+4930123@192.0.2.1:5060>;expires=600", "600")
    );
    assert!(!r1.has_header(Known::Authorization));
    assert!(reg.handle_response(t0, &reply(&r1, "100 Trying", "")));
    assert!(reg.handle_response(t0, &reply(&r1, "401 Unauthorized", CHALLENGE)));

    // Answered with credentials the registrar can verify.
    let r2 = next(&mut reg, t0, 2);
    assert_eq!((cseq(&r2), r2.call_id()), (2, r1.call_id()));
    assert_ne!(
        r2.top_via().expect("Via").branch(),
        r1.top_via().expect("Via").branch()
    );
    let a = authorization(&r2);
    assert_eq!(
        (a.uri.as_str(), a.username.as_str(), a.nc),
        (REGISTRAR, "+4930123", Some(1))
    );
    assert_eq!(
        sbc_sip::auth::verify(
            r2.header(Known::Authorization).expect("set"),
            "s3cret",
            "REGISTER"
        ),
        Ok(true)
    );

    // 200 grants 600 s for our contact (another node's binding is listed first).
    let ok = "Contact: <sip:+4930123@10.1.1.1:5060>;expires=3000, <sip:+4930123@192.0.2.1>;expires=600;received=\"sip:192.0.2.1\"\r\n";
    assert!(reg.handle_response(t0, &reply(&r2, "200 OK", ok)));
    assert_eq!(
        reg.state(),
        RegistrationState::Registered {
            until: t0 + secs(600)
        }
    );
    let refresh_at = t0 + secs(600) - REFRESH_MARGIN;
    assert_eq!(reg.poll_timeout(), Some(refresh_at));
    reg.handle_timeout(refresh_at - Duration::from_millis(1));
    assert!(
        reg.poll_request(refresh_at, 3).is_none(),
        "nothing before the refresh"
    );

    // Refresh at 540 s: CSeq + 1, same Call-ID, credentials up front with nc 2.
    reg.handle_timeout(refresh_at);
    let r3 = next(&mut reg, refresh_at, 3);
    assert_eq!((cseq(&r3), r3.call_id()), (3, r1.call_id()));
    assert_eq!(authorization(&r3).nc, Some(2));
    assert!(authorization(&r3).verify("s3cret", "REGISTER", b""));
    assert!(
        matches!(reg.state(), RegistrationState::Registered { .. }),
        "still bound"
    );

    // 423: ask again with Min-Expires.
    assert!(reg.handle_response(
        refresh_at,
        &reply(&r3, "423 Interval Too Brief", "Min-Expires: 1200\r\n")
    ));
    let r4 = next(&mut reg, refresh_at, 4);
    assert_eq!(cseq(&r4), 4);
    assert_eq!(
        expires(&r4),
        ("<sip:+4930123@192.0.2.1:5060>;expires=1200", "1200")
    );
    assert_eq!(reg.requested_expires(), 1200);

    // 503 with Retry-After: 120 s, even though the binding lapses before.
    assert!(reg.handle_response(
        refresh_at,
        &reply(
            &r4,
            "503 Service Unavailable",
            "Retry-After: 120 (maintenance);duration=60\r\n"
        )
    ));
    let retry_at = refresh_at + secs(120);
    let RegistrationState::Failed {
        retry_at: at,
        reason,
    } = reg.state()
    else {
        panic!("failed expected, got {:?}", reg.state());
    };
    assert_eq!(at, retry_at);
    assert_eq!(
        reason,
        FailureReason::Rejected {
            status: 503,
            reason: "Service Unavailable".into()
        }
    );
    assert_eq!(
        reg.poll_timeout(),
        Some(t0 + secs(600)),
        "the binding expires first"
    );
    reg.handle_timeout(t0 + secs(600));
    assert!(reg.poll_request(t0 + secs(600), 5).is_none());
    assert!(matches!(reg.state(), RegistrationState::Failed { .. }));
    assert_eq!(reg.poll_timeout(), Some(retry_at));

    // Timeouts: the back-off doubles (the 503 was failure 1) up to the 30 min cap.
    let mut now = retry_at;
    let mut waits = Vec::new();
    for random in 10..17 {
        reg.handle_timeout(now);
        let _ = next(&mut reg, now, random);
        reg.handle_transaction_timeout(now + secs(32));
        let RegistrationState::Failed { retry_at, reason } = reg.state() else {
            panic!("failed expected");
        };
        assert_eq!(reason, FailureReason::Timeout);
        waits.push((retry_at - (now + secs(32))).as_secs());
        now = retry_at;
        assert_eq!(reg.poll_timeout(), Some(now));
    }
    assert_eq!(waits, [60, 120, 240, 480, 960, 1800, 1800]);

    // Success starts the back-off over; then the binding is removed.
    reg.handle_timeout(now);
    let r5 = next(&mut reg, now, 20);
    assert!(r5.has_header(Known::Authorization));
    assert!(reg.handle_response(now, &reply(&r5, "200 OK", "Expires: 1200\r\n")));
    assert_eq!(
        reg.state(),
        RegistrationState::Registered {
            until: now + secs(1200)
        }
    );
    reg.unregister();
    assert_eq!(reg.state(), RegistrationState::Unregistering);
    assert_eq!(reg.poll_timeout(), None);
    let bye = next(&mut reg, now, 21);
    assert_eq!(
        expires(&bye),
        ("<sip:+4930123@192.0.2.1:5060>;expires=0", "0")
    );
    assert!(authorization(&bye).verify("s3cret", "REGISTER", b""));
    assert!(reg.handle_response(now, &reply(&bye, "200 OK", "")));
    assert_eq!(reg.state(), RegistrationState::Unregistered);
    assert!(reg.poll_request(now, 22).is_none());
    assert_eq!(reg.poll_timeout(), None);
}
