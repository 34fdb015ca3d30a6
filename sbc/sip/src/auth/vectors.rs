//! The worked examples of RFC 2617 §3.5 and RFC 7616 §3.9, computed both ways: the
//! client answering the RFC's challenge must print the RFC's response, and the server
//! must accept the RFC's `Authorization` value.

use super::*;

const GET_INDEX: DigestRequest<'static> = DigestRequest {
    method: "GET",
    uri: "/dir/index.html",
    body: b"",
};

/// Answers `challenge` with the RFC's cnonce and nc 1, checks the response, and checks
/// that the RFC's own credentials verify.
fn check(
    challenge: &str,
    user: &str,
    password: &str,
    request: &DigestRequest<'_>,
    cnonce: &str,
    expected: &str,
) -> Authorization {
    let c = Challenge::parse(challenge, ChallengeKind::Www).expect("RFC challenge parses");
    let a = Authorization::answer(&c, user, password, request, cnonce, 1).expect("answerable");
    assert_eq!(a.response, expected);
    let reparsed = Authorization::parse(&a.to_string()).expect("printed credentials parse");
    assert_eq!(reparsed, a);
    a
}

#[test]
fn rfc_2617_section_3_5_md5_qop_auth() {
    let a = check(
        "Digest\r\n realm=\"testrealm@host.com\",\r\n qop=\"auth,auth-int\",\r\n \
         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n \
         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        "Mufasa",
        "Circle Of Life",
        &GET_INDEX,
        "0a4f113b",
        "6629fae49393a05397450978507c4ef1",
    );
    assert_eq!(
        a.opaque.as_deref(),
        Some("5ccc069c403ebaf9f0171e9517f40e41")
    );
    let rfc = "Digest username=\"Mufasa\",\r\n realm=\"testrealm@host.com\",\r\n \
        nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n uri=\"/dir/index.html\",\r\n \
        qop=auth,\r\n nc=00000001,\r\n cnonce=\"0a4f113b\",\r\n \
        response=\"6629fae49393a05397450978507c4ef1\",\r\n \
        opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    assert_eq!(verify(rfc, "Circle Of Life", "GET"), Ok(true));
    assert_eq!(verify(rfc, "Circle of Life", "GET"), Ok(false));
    assert_eq!(verify(rfc, "Circle Of Life", "POST"), Ok(false));
}

const RFC_7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC_7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

fn rfc_7616_challenge(algorithm: &str) -> String {
    format!(
        "Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n    \
         algorithm={algorithm},\r\n    nonce=\"{RFC_7616_NONCE}\",\r\n    \
         opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
    )
}

fn rfc_7616_credentials(algorithm: &str, response: &str) -> String {
    format!(
        "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
         algorithm={algorithm}, nonce=\"{RFC_7616_NONCE}\", nc=00000001, \
         cnonce=\"{RFC_7616_CNONCE}\", qop=auth, response=\"{response}\", \
         opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
    )
}

#[test]
fn rfc_7616_section_3_9_1_sha_256() {
    let expected = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";
    let a = check(
        &rfc_7616_challenge("SHA-256"),
        "Mufasa",
        "Circle of Life",
        &GET_INDEX,
        RFC_7616_CNONCE,
        expected,
    );
    assert_eq!((a.algorithm, a.qop), (Algorithm::Sha256, Some(Qop::Auth)));
    let rfc = rfc_7616_credentials("SHA-256", expected);
    assert_eq!(verify(&rfc, "Circle of Life", "GET"), Ok(true));
    assert_eq!(verify(&rfc, "Circle Of Life", "GET"), Ok(false));
}

#[test]
fn rfc_7616_section_3_9_1_md5() {
    let expected = "8ca523f5e9506fed4657c9700eebdbec";
    check(
        &rfc_7616_challenge("MD5"),
        "Mufasa",
        "Circle of Life",
        &GET_INDEX,
        RFC_7616_CNONCE,
        expected,
    );
    let rfc = rfc_7616_credentials("MD5", expected);
    assert_eq!(verify(&rfc, "Circle of Life", "GET"), Ok(true));
}

/// RFC 7616 §3.9.2 with the values of erratum 4897: the RFC's own response and user
/// hash were computed with a draft SHA-512/256 and do not match the final standard.
#[test]
fn rfc_7616_section_3_9_2_sha_512_256_userhash() {
    let challenge = "Digest realm=\"api@example.org\", qop=\"auth\", algorithm=SHA-512-256, \
        nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", \
        opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", charset=UTF-8, userhash=true";
    let request = DigestRequest {
        method: "GET",
        uri: "/doe.json",
        body: b"",
    };
    let a = check(
        challenge,
        "J\u{e4}s\u{f8}n Doe",
        "Secret, or not?",
        &request,
        "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
        "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5",
    );
    assert_eq!(
        a.username,
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    );
    assert!(a.userhash);
    // The hashed name cannot be checked against a password: the server resolves the
    // user first and checks HA1.
    assert!(!a.verify("Secret, or not?", "GET", b""));
    let key = ha1(
        Algorithm::Sha512_256,
        "J\u{e4}s\u{f8}n Doe",
        "api@example.org",
        "Secret, or not?",
    );
    assert!(a.verify_ha1(&key, "GET", b""));
}

#[test]
fn rfc_2069_form_without_qop() {
    // No qop: response = H(HA1:nonce:HA2), no cnonce or nc (RFC 2617 §3.2.2.1).
    let c = Challenge::parse(
        "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
        ChallengeKind::Www,
    )
    .expect("valid");
    let a = Authorization::answer(&c, "Mufasa", "Circle Of Life", &GET_INDEX, "x", 1)
        .expect("answerable");
    assert_eq!((a.cnonce.as_deref(), a.nc, a.qop), (None, None, None));
    let ha1 = Algorithm::Md5.hash(&[b"Mufasa", b"testrealm@host.com", b"Circle Of Life"]);
    let ha2 = Algorithm::Md5.hash(&[b"GET", b"/dir/index.html"]);
    let expected = Algorithm::Md5.hash(&[
        ha1.as_bytes(),
        b"dcd98b7102dd2f0e8b11d0f600bfb0c093",
        ha2.as_bytes(),
    ]);
    assert_eq!(a.response, expected);
    assert!(a.verify("Circle Of Life", "GET", b""));
}

#[test]
fn sess_and_auth_int() {
    let c = Challenge::parse(
        "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256-sess, qop=\"auth-int\"",
        ChallengeKind::Www,
    )
    .expect("valid");
    let req = DigestRequest {
        method: "MESSAGE",
        uri: "sip:bob@example.com",
        body: b"hello",
    };
    let a = Authorization::answer(&c, "u", "p", &req, "c", 7).expect("answerable");
    let alg = Algorithm::Sha256;
    let key = alg.hash(&[alg.hash(&[b"u", b"r", b"p"]).as_bytes(), b"n", b"c"]);
    let ha2 = alg.hash(&[
        b"MESSAGE",
        b"sip:bob@example.com",
        alg.hash(&[b"hello"]).as_bytes(),
    ]);
    let expected = alg.hash(&[
        key.as_bytes(),
        b"n",
        b"00000007",
        b"c",
        b"auth-int",
        ha2.as_bytes(),
    ]);
    assert_eq!(a.response, expected);
    assert!(a.verify("p", "MESSAGE", b"hello"));
    assert!(!a.verify("p", "MESSAGE", b"hellO"));
    // -sess without qop cannot be answered.
    let c = Challenge::parse(
        "Digest realm=r, nonce=n, algorithm=MD5-sess",
        ChallengeKind::Www,
    )
    .expect("valid");
    assert!(matches!(
        Authorization::answer(&c, "u", "p", &req, "c", 1),
        Err(AuthError::UnsupportedQop { .. })
    ));
}
