//! The parts of `refer = "handle"` that stand alone: reading a REFER's Refer-To (kept as
//! received, or refused with the status the REFER gets) and the sipfrag NOTIFYs the
//! referrer hears the transfer's progress by (RFC 3515).

use sbc_sip::b2bua::{Progress, ReferError, TransferRequest};
use sbc_sip::{Known, Message, Method};

/// The SBC's addresses on its two sides, as advertised.
const OWN: [&str; 2] = ["203.0.113.1:5060", "sbc1.example.com"];
/// The referrer's Contact.
const REFERRER: &str = "sip:agent@10.20.0.50:5060;transport=tls";

fn refer(refer_to: &[&str], referred_by: Option<&str>) -> Message {
    let mut m = Message::request(Method::Refer, "sip:203.0.113.1:5060");
    for v in refer_to {
        m.push_header(Known::ReferTo, *v);
    }
    if let Some(v) = referred_by {
        m.push_header(Known::ReferredBy, v);
    }
    m
}

fn read(refer_to: &[&str]) -> Result<TransferRequest, ReferError> {
    TransferRequest::from_refer(&refer(refer_to, None), &OWN, &[REFERRER])
}

#[test]
fn a_teams_refer_to_is_kept_as_received_with_referred_by() {
    let m = refer(
        &["<sip:+4930999@sip.pstnhub.microsoft.com:5061;user=phone;x-m=ab12;x-t=7;transport=tls>"],
        Some("<sip:+4930111@sip.pstnhub.microsoft.com;user=phone>"),
    );
    let t = TransferRequest::from_refer(&m, &OWN, &[REFERRER]).expect("taken");
    assert_eq!(
        t.target,
        "sip:+4930999@sip.pstnhub.microsoft.com:5061;user=phone;x-m=ab12;x-t=7;transport=tls"
    );
    assert_eq!(t.user.as_deref(), Some("+4930999"));
    assert_eq!(t.host, "sip.pstnhub.microsoft.com:5061");
    assert_eq!(
        t.referred_by.as_deref(),
        Some("<sip:+4930111@sip.pstnhub.microsoft.com;user=phone>")
    );
    // A host without a user is fine too.
    let t = read(&["<sip:sip2.pstnhub.microsoft.com;x-m=1>"]).expect("taken");
    assert_eq!(t.target, "sip:sip2.pstnhub.microsoft.com;x-m=1");
    assert_eq!(t.user, None);
    // A bare addr-spec's parameters are the header's, not the URI's (RFC 3261 §20.10).
    let t = read(&["sip:sip2.pstnhub.microsoft.com;x-m=1"]).expect("taken");
    assert_eq!(t.target, "sip:sip2.pstnhub.microsoft.com");
}

#[test]
fn missing_repeated_and_malformed_refer_to_get_400() {
    assert_eq!(read(&[]), Err(ReferError::MissingReferTo));
    let two = read(&["<sip:1@10.0.0.9>", "<sip:2@10.0.0.9>"]).expect_err("two");
    assert_eq!(two, ReferError::SeveralReferTo { count: 2 });
    let listed = read(&["<sip:1@10.0.0.9>, <sip:2@10.0.0.9>"]).expect_err("a list");
    assert_eq!(listed, ReferError::SeveralReferTo { count: 2 });
    for bad in ["", "<sip:>", "<not a uri", "<sip:1@10.0.0.300:99999>"] {
        let e = read(&[bad]).expect_err(bad);
        assert!(matches!(e, ReferError::BadReferTo { .. }), "{bad}: {e:?}");
        assert_eq!(e.status(), 400);
    }
    // A long hostile value is not echoed whole into the error.
    let long = format!("<{}>", "x".repeat(5000));
    match read(&[&long]).expect_err("long") {
        ReferError::BadReferTo { value } => assert!(value.len() <= 200),
        e => panic!("{e:?}"),
    }
}

#[test]
fn other_schemes_get_416_and_uri_headers_such_as_replaces_403() {
    let e = read(&["<tel:+4930999>"]).expect_err("tel");
    assert_eq!(e.status(), 416);
    let attended = "<sip:1000@10.0.0.9?Replaces=abc%4010.0.0.9%3Bto-tag%3D1%3Bfrom-tag%3D2>";
    let e = read(&[attended]).expect_err("Replaces");
    assert!(matches!(e, ReferError::UriHeaders { .. }), "{e:?}");
    assert_eq!(e.status(), 403);
    assert!(e.to_string().contains("Replaces"), "{e}");
}

#[test]
fn a_loop_back_to_the_sbc_or_to_the_referrer_gets_482() {
    for own in [
        "<sip:1000@203.0.113.1:5060>",
        "<sip:1000@203.0.113.1>",
        "<sip:1000@SBC1.example.com:5061;transport=tls>",
    ] {
        let e = read(&[own]).expect_err(own);
        assert!(matches!(e, ReferError::Loop { .. }), "{own}: {e:?}");
        assert_eq!(e.status(), 482);
    }
    // Another port on the SBC's address is someone else (a second daemon, a PBX).
    assert!(read(&["<sip:1000@203.0.113.1:5070>"]).is_ok());
    let e = read(&["<sip:agent@10.20.0.50:5060>"]).expect_err("itself");
    assert!(matches!(e, ReferError::SameDialog { .. }), "{e:?}");
    assert_eq!(e.status(), 482);
    assert!(read(&["<sip:other@10.20.0.50:5060>"]).is_ok());
}

#[test]
fn notify_parts_follow_rfc_3515() {
    let (headers, (ct, body)) = Progress::Trying.notify();
    assert_eq!(ct, "message/sipfrag;version=2.0");
    assert_eq!(body, b"SIP/2.0 100 Trying\r\n");
    assert!(headers.contains(&(Known::Event, "refer".into())));
    assert!(headers.contains(&(Known::SubscriptionState, "active;expires=60".into())));

    let (_, (_, body)) = Progress::Provisional(180).notify();
    assert_eq!(body, b"SIP/2.0 180 Ringing\r\n");

    let (headers, (_, body)) = Progress::Final(200).notify();
    assert_eq!(body, b"SIP/2.0 200 OK\r\n");
    let state = (
        Known::SubscriptionState,
        "terminated;reason=noresource".into(),
    );
    assert!(headers.contains(&state));

    let (headers, (_, body)) = Progress::Final(486).notify();
    assert_eq!(body, b"SIP/2.0 486 Busy Here\r\n");
    assert!(headers.contains(&state));
}

mod malformed {
    //! Hostile Refer-To values: whatever arrives, reading it never panics, a refusal is
    //! one of the REFER's documented answers, and a value taken gives a target the new
    //! INVITE's Request-URI can carry (it parses again as a SIP URI).

    use proptest::prelude::*;
    use sbc_sip::grammar::Uri;

    use super::read;

    /// Pieces of name-addrs, glued at random: brackets, schemes, user/host/port, params,
    /// headers, IPv6 brackets, quotes, escapes, list commas.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("sip:".to_owned()),
            Just("sips:".to_owned()),
            Just("tel:".to_owned()),
            Just("\"Agent \\\" x\" ".to_owned()),
            Just("+4930999@".to_owned()),
            Just("10.20.0.60".to_owned()),
            Just("[2001:db8::1]".to_owned()),
            Just("sip.pstnhub.microsoft.com".to_owned()),
            Just(":5061".to_owned()),
            Just(":99999".to_owned()),
            Just(";user=phone".to_owned()),
            Just(";x-m=ab1;x-t=7".to_owned()),
            Just("?Replaces=a%40b%3Bto-tag%3D1".to_owned()),
            Just("%".to_owned()),
            Just(",".to_owned()),
            Just("@".to_owned()),
            "[ -~]{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_refer_to_is_taken_or_refused_without_panic(
            pieces in prop::collection::vec(piece(), 0..10)
        ) {
            let value = pieces.concat();
            match read(&[&value]) {
                Ok(t) => {
                    prop_assert!(t.target.starts_with("sip:") || t.target.starts_with("sips:"));
                    prop_assert!(
                        matches!(Uri::parse(&t.target), Ok(Uri::Sip(_))),
                        "{value:?} gave target {:?}", t.target
                    );
                }
                Err(e) => prop_assert!([400, 403, 416, 482].contains(&e.status()), "{e:?}"),
            }
        }
    }
}
