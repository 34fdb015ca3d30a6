//! Digest authentication on whole SIP messages: choosing among challenges of a 401/407,
//! carrying credentials in a request, and checking them on the server side. The RFC
//! test vectors themselves live beside the code (src/auth/vectors.rs).

use proptest::prelude::*;
use sbc_sip::auth::{
    Algorithm, AuthError, Authorization, Challenge, ChallengeKind, DigestRequest, DigestSession,
    Qop, challenges, select_challenge, verify,
};
use sbc_sip::{Framing, Known, Limits, Message};

fn parse(text: &str) -> Message {
    Message::parse(
        text.as_bytes().to_vec(),
        Framing::Datagram,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("test message does not parse: {e}\n{text}"))
}

fn challenge_response(status: &str, headers: &str) -> Message {
    parse(&format!(
        "SIP/2.0 {status}\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg1;rport=5060\r\n\
         From: <sip:+4930123@carrier.example.com>;tag=f1\r\n\
         To: <sip:+4930123@carrier.example.com>;tag=t1\r\n\
         Call-ID: reg-1\r\n\
         CSeq: 1 REGISTER\r\n\
         {headers}\
         Content-Length: 0\r\n\r\n"
    ))
}

#[test]
fn the_strongest_supported_challenge_wins() {
    // RFC 8760 §2.3: the registrar lists its preference first; the SBC's policy is the
    // strongest algorithm it supports, and AKA is skipped.
    let r = challenge_response(
        "401 Unauthorized",
        "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"n-md5\", algorithm=MD5, qop=\"auth\"\r\n\
         WWW-Authenticate: Digest realm=\"carrier\", nonce=\"n-aka\", algorithm=AKAv1-MD5\r\n\
         WWW-Authenticate: Digest realm=\"carrier\",\r\n  nonce=\"n-sha\", algorithm=SHA-256,\r\n  qop=\"auth\"\r\n",
    );
    assert_eq!(challenges(&r, ChallengeKind::Www).len(), 3);
    let c = select_challenge(&r).expect("a usable challenge");
    assert_eq!(
        (c.algorithm, c.nonce.as_str()),
        (Algorithm::Sha256, "n-sha")
    );
    assert_eq!(c.kind, ChallengeKind::Www);
}

#[test]
fn a_407_is_answered_in_proxy_authorization() {
    let r = challenge_response(
        "407 Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"p1\", qop=\"auth-int,auth\"\r\n\
         WWW-Authenticate: Digest realm=\"ignored\", nonce=\"w1\"\r\n",
    );
    let c = select_challenge(&r).expect("usable");
    assert_eq!((c.kind, c.realm.as_str()), (ChallengeKind::Proxy, "proxy"));
    let mut s = DigestSession::new(c);
    assert_eq!(s.header(), Known::ProxyAuthorization);
    let req = DigestRequest {
        method: "INVITE",
        uri: "sip:bob@pbx.example.net",
        body: b"v=0\r\n",
    };
    let a = s.authorize("sbc", "secret", &req, 42).expect("answerable");
    assert_eq!(a.qop, Some(Qop::Auth));
    assert!(a.verify("secret", "INVITE", b"ignored for qop=auth"));
}

#[test]
fn unusable_challenges_say_why() {
    let only_aka = challenge_response(
        "401 Unauthorized",
        "WWW-Authenticate: Digest realm=\"ims\", nonce=\"x\", algorithm=AKAv1-MD5\r\n",
    );
    assert_eq!(
        select_challenge(&only_aka),
        Err(AuthError::UnsupportedAlgorithm {
            algorithm: "AKAv1-MD5".into()
        })
    );
    let basic_then_bad_qop = challenge_response(
        "401 Unauthorized",
        "WWW-Authenticate: Basic realm=\"x\"\r\n\
         WWW-Authenticate: Digest realm=\"x\", nonce=\"y\", qop=\"auth-conf\"\r\n",
    );
    assert_eq!(
        select_challenge(&basic_then_bad_qop),
        Err(AuthError::UnsupportedQop {
            qop: "auth-conf".into()
        })
    );
    let basic = challenge_response(
        "401 Unauthorized",
        "WWW-Authenticate: Basic realm=\"x\"\r\n",
    );
    assert!(matches!(
        select_challenge(&basic),
        Err(AuthError::NotDigest { .. })
    ));
    let none = challenge_response("401 Unauthorized", "");
    assert_eq!(select_challenge(&none), Err(AuthError::NoChallenge));
    let missing = challenge_response(
        "401 Unauthorized",
        "WWW-Authenticate: Digest nonce=\"y\"\r\n",
    );
    assert_eq!(
        select_challenge(&missing),
        Err(AuthError::MissingParam { name: "realm" })
    );
}

#[test]
fn credentials_survive_the_wire_and_verify_on_the_server() {
    // RFC 3261 §22.4: the digest uri is the Request-URI.
    let c = Challenge::parse(
        "Digest realm=\"biloxi.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        ChallengeKind::Www,
    )
    .expect("valid");
    let req = DigestRequest {
        method: "REGISTER",
        uri: "sip:biloxi.com",
        body: b"",
    };
    let a = Authorization::answer(&c, "bob", "zanzibar", &req, "0a4f113b", 1).expect("ok");
    let mut m = Message::request(sbc_sip::Method::Register, "sip:biloxi.com");
    m.push_header(
        Known::Via,
        "SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7",
    );
    m.push_header(Known::From, "Bob <sip:bob@biloxi.com>;tag=456248");
    m.push_header(Known::To, "Bob <sip:bob@biloxi.com>");
    m.push_header(Known::CallId, "843817637684230@998sdasdh09");
    m.push_header(Known::CSeq, "1826 REGISTER");
    m.push_header(Known::Authorization, a.to_string());
    let received = parse(std::str::from_utf8(&m.to_bytes()).expect("utf-8"));
    let value = received.header(Known::Authorization).expect("present");
    assert_eq!(verify(value, "zanzibar", "REGISTER"), Ok(true));
    assert_eq!(verify(value, "zanzibaR", "REGISTER"), Ok(false));
    let parsed = Authorization::parse(value).expect("parses");
    assert_eq!(parsed, a);
    // Uppercase hex from a sloppy client is still the same digest.
    let mut upper = parsed.clone();
    upper.response = upper.response.to_ascii_uppercase();
    assert!(upper.verify("zanzibar", "REGISTER", b""));
}

#[test]
fn malformed_credentials_are_errors_not_panics() {
    let base = "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\"";
    assert_eq!(
        Authorization::parse(&format!("Digest {base}")),
        Err(AuthError::MissingParam { name: "response" })
    );
    assert_eq!(
        Authorization::parse(&format!(
            "Digest {base}, response=\"00\", qop=auth, cnonce=\"c\""
        )),
        Err(AuthError::MissingParam { name: "nc" })
    );
    assert!(matches!(
        Authorization::parse(&format!(
            "Digest {base}, response=\"00\", qop=auth, cnonce=\"c\", nc=zz"
        )),
        Err(AuthError::Malformed { .. })
    ));
    assert!(matches!(
        Authorization::parse("Basic dXNlcjpwYXNz"),
        Err(AuthError::NotDigest { .. } | AuthError::Malformed { .. })
    ));
    assert!(matches!(
        verify(
            &format!("Digest {base}, response=\"00\", algorithm=SHA-1"),
            "p",
            "REGISTER"
        ),
        Err(AuthError::UnsupportedAlgorithm { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The parsers take any peer bytes without panicking.
    #[test]
    fn parsers_never_panic(s in "[ -~\t\r\n\u{e4}]{0,120}") {
        let _ = Challenge::parse(&s, ChallengeKind::Www);
        let _ = Authorization::parse(&s);
        let _ = verify(&s, "p", "REGISTER");
    }

    /// Whatever the credentials carry, printing and parsing them gives them back.
    #[test]
    fn credentials_round_trip(
        user in "[ -~\u{e4}]{1,20}",
        realm in "[ -~]{1,20}",
        nonce in "[!-~]{1,30}",
        sha in any::<bool>(),
    ) {
        let alg = if sha { "SHA-256" } else { "MD5" };
        let value = format!(
            "Digest realm=\"{}\", nonce=\"{}\", qop=\"auth\", algorithm={alg}",
            realm.replace('\\', "\\\\").replace('"', "\\\""),
            nonce.replace('\\', "\\\\").replace('"', "\\\""),
        );
        let c = Challenge::parse(&value, ChallengeKind::Www).expect("valid challenge");
        prop_assert_eq!(&c.realm, &realm);
        prop_assert_eq!(&c.nonce, &nonce);
        let req = DigestRequest { method: "REGISTER", uri: "sip:x", body: b"" };
        let a = Authorization::answer(&c, &user, "pw", &req, "cn", 1).expect("answerable");
        let back = Authorization::parse(&a.to_string()).expect("parses");
        prop_assert!(back.verify("pw", "REGISTER", b""));
        prop_assert_eq!(back, a);
    }
}
