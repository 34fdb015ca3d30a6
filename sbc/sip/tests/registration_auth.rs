//! Digest challenges during registration: refused credentials, stale nonces, a proxy
//! and a registrar both challenging, unusable and competing challenges.

mod registration_util;

use std::time::Instant;

use registration_util::*;
use sbc_sip::Known;
use sbc_sip::auth::{Algorithm, AuthError, Authorization};
use sbc_sip::registration::{FailureReason, RegistrationClient, RegistrationState};

fn challenge(nonce: &str, stale: bool) -> String {
    format!(
        "WWW-Authenticate: Digest realm=\"carrier.example.com\", nonce=\"{nonce}\", qop=\"auth\"{}\r\n",
        if stale { ", stale=true" } else { "" }
    )
}

fn client() -> (RegistrationClient, Instant) {
    (
        RegistrationClient::new(config(), 99).expect("valid"),
        Instant::now(),
    )
}

#[test]
fn a_second_challenge_without_stale_fails_then_the_retry_starts_afresh() {
    let (mut reg, t0) = client();
    let r1 = next(&mut reg, t0, 1);
    reg.handle_response(t0, &reply(&r1, "401 Unauthorized", &challenge("n1", false)));
    let r2 = next(&mut reg, t0, 2);
    reg.handle_response(t0, &reply(&r2, "401 Unauthorized", &challenge("n1", false)));
    assert_eq!(
        reg.state(),
        RegistrationState::Failed {
            retry_at: t0 + secs(30),
            reason: FailureReason::AuthenticationFailed { status: 401 },
        }
    );
    assert!(reg.poll_request(t0, 3).is_none());

    // The retry carries the old credentials; a fresh nonce is answered once more.
    let t1 = t0 + secs(30);
    reg.handle_timeout(t1);
    let r3 = next(&mut reg, t1, 4);
    assert_eq!(authorization(&r3).nonce, "n1");
    reg.handle_response(t1, &reply(&r3, "401 Unauthorized", &challenge("n2", false)));
    let r4 = next(&mut reg, t1, 5);
    let a = authorization(&r4);
    assert_eq!((a.nonce.as_str(), a.nc), ("n2", Some(1)));
    reg.handle_response(t1, &reply(&r4, "200 OK", ""));
    assert_eq!(
        reg.state(),
        RegistrationState::Registered {
            until: t1 + secs(600)
        }
    );
}

#[test]
fn stale_nonces_are_answered_but_not_forever() {
    let (mut reg, t0) = client();
    let r1 = next(&mut reg, t0, 1);
    reg.handle_response(t0, &reply(&r1, "401 Unauthorized", &challenge("n1", false)));
    let r2 = next(&mut reg, t0, 2);
    reg.handle_response(t0, &reply(&r2, "401 Unauthorized", &challenge("n2", true)));
    let r3 = next(&mut reg, t0, 3);
    let a = authorization(&r3);
    assert_eq!((a.nonce.as_str(), a.nc), ("n2", Some(1)));
    assert!(a.verify("s3cret", "REGISTER", b""));
    reg.handle_response(t0, &reply(&r3, "200 OK", ""));
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));

    // A registrar that calls every nonce stale: the refresh gives up after a bound.
    let t1 = reg.poll_timeout().expect("refresh armed");
    reg.handle_timeout(t1);
    let mut answered = 0;
    for n in 0.. {
        let Some(r) = reg.poll_request(t1, 10 + n) else {
            break;
        };
        assert!(n < 10, "loops");
        reg.handle_response(
            t1,
            &reply(&r, "401 Unauthorized", &challenge(&format!("s{n}"), true)),
        );
        answered += 1;
    }
    assert_eq!(
        answered, 4,
        "preemptive credentials, then a fresh nonce, then two stale"
    );
    assert!(matches!(
        reg.state(),
        RegistrationState::Failed {
            reason: FailureReason::AuthenticationFailed { status: 401 },
            ..
        }
    ));
}

#[test]
fn a_proxy_and_the_registrar_both_challenge() {
    let (mut reg, t0) = client();
    let r1 = next(&mut reg, t0, 1);
    let proxy = "Proxy-Authenticate: Digest realm=\"edge-proxy\", nonce=\"p1\", algorithm=SHA-256, qop=\"auth\"\r\n";
    reg.handle_response(t0, &reply(&r1, "407 Proxy Authentication Required", proxy));
    let r2 = next(&mut reg, t0, 2);
    assert!(!r2.has_header(Known::Authorization));
    let p = Authorization::parse(r2.header(Known::ProxyAuthorization).expect("proxy creds"))
        .expect("valid");
    assert_eq!(
        (p.realm.as_str(), p.algorithm),
        ("edge-proxy", Algorithm::Sha256)
    );
    assert!(p.verify("s3cret", "REGISTER", b""));

    reg.handle_response(t0, &reply(&r2, "401 Unauthorized", CHALLENGE));
    let r3 = next(&mut reg, t0, 3);
    assert!(r3.has_header(Known::ProxyAuthorization));
    assert!(authorization(&r3).verify("s3cret", "REGISTER", b""));
    reg.handle_response(t0, &reply(&r3, "200 OK", ""));
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));
}

#[test]
fn the_strongest_challenge_is_answered_and_unusable_ones_fail() {
    let (mut reg, t0) = client();
    let r1 = next(&mut reg, t0, 1);
    let both = "WWW-Authenticate: Digest realm=\"c\", nonce=\"m\", algorithm=MD5, qop=\"auth\"\r\n\
                WWW-Authenticate: Digest realm=\"c\", nonce=\"s\", algorithm=SHA-256, qop=\"auth\"\r\n";
    reg.handle_response(t0, &reply(&r1, "401 Unauthorized", both));
    let a = authorization(&next(&mut reg, t0, 2));
    assert_eq!((a.algorithm, a.nonce.as_str()), (Algorithm::Sha256, "s"));

    let (mut reg, t0) = client();
    let r1 = next(&mut reg, t0, 1);
    let aka = "WWW-Authenticate: Digest realm=\"ims\", nonce=\"x\", algorithm=AKAv1-MD5\r\n";
    reg.handle_response(t0, &reply(&r1, "401 Unauthorized", aka));
    assert!(matches!(
        reg.state(),
        RegistrationState::Failed {
            reason: FailureReason::Challenge(AuthError::UnsupportedAlgorithm { .. }),
            ..
        }
    ));
}
