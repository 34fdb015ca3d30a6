//! SIP INFO with DTMF through the media hook: played on an events leg (answered 200, never
//! forwarded), relayed or rewritten between two `sip-info` legs, refused when malformed
//! (400) or flooding (503), other INFOs and INFOs from `rfc4733` legs relayed.

use std::time::{Duration, Instant};

use sbc_core::{Digit, MediaOp, Side};
use sbc_sip::Method;
use sbc_sip::b2bua::{Body, BodyRole, CallId, InDialog, InDialogAction, SessionHook};

use super::MediaHook;
use super::golden::{golden_config, test_names};
use super::tests::plan;

const CARRIER_OFFER: &str = "v=0\r\no=c 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
const PBX_ANSWER: &str = "v=0\r\no=p 1 1 IN IP4 10.0.0.21\r\ns=-\r\nc=IN IP4 10.0.0.21\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

/// An answered call from `from` to `to` with one audio stream.
fn call(from: &str, to: &str) -> (MediaHook, CallId) {
    let mut hook = MediaHook::new(golden_config(), 7, test_names());
    let id = CallId::from_number(1);
    hook.call_started(id, &plan(from, to));
    for (side, role, sdp, fork) in [
        (Side::A, BodyRole::Offer, CARRIER_OFFER, None),
        (Side::B, BodyRole::Answer, PBX_ANSWER, Some("t1")),
    ] {
        hook.relay_body(Body {
            call: id,
            from: side,
            role,
            fork,
            content_type: Some("application/sdp"),
            bytes: sdp.as_bytes(),
        })
        .expect("SDP accepted");
    }
    hook.answered(id, Some("t1"));
    hook.drain_ops();
    (hook, id)
}

fn info(
    hook: &mut MediaHook,
    id: CallId,
    now: Instant,
    from: Side,
    ct: &str,
    body: &str,
) -> InDialogAction {
    hook.in_dialog(InDialog {
        now,
        call: id,
        from,
        method: &Method::Info,
        content_type: Some(ct),
        bytes: body.as_bytes(),
    })
}

#[test]
fn an_info_from_the_pbx_is_answered_and_played_to_the_carrier() {
    let (mut hook, id) = call("carrier", "pbx-info");
    let now = Instant::now();
    let r = info(&mut hook, id, now, Side::B, "application/dtmf", "7");
    assert_eq!(
        r,
        InDialogAction::Answer(200),
        "never forwarded to the events leg"
    );
    let ops = hook.drain_ops();
    assert_eq!(
        ops,
        [MediaOp::PlayDigit {
            stream: sbc_core::StreamKey { call: 1, index: 0 },
            toward: Side::A,
            digit: Digit::from_char('7').expect("7"),
            duration_ms: 160,
        }]
    );
    let notes = hook.drain_digits();
    assert_eq!(
        (notes.len(), notes[0].came, notes[0].went, notes[0].shown),
        (1, "sip-info", "rfc4733", false)
    );
    // Malformed: 400, nothing played.
    let r = info(
        &mut hook,
        id,
        now,
        Side::B,
        "application/dtmf-relay",
        "Signal=X\r\n",
    );
    assert_eq!(r, InDialogAction::Answer(400));
    assert!(hook.drain_ops().is_empty());
    // Not DTMF: relayed as today.
    let r = info(
        &mut hook,
        id,
        now,
        Side::B,
        "application/media_control+xml",
        "<media_control/>",
    );
    assert_eq!(r, InDialogAction::Relay);
    // DTMF from the carrier (an rfc4733 leg): relayed as it came.
    let r = info(
        &mut hook,
        id,
        now,
        Side::A,
        "application/dtmf-relay",
        "Signal=1\r\n",
    );
    assert_eq!(r, InDialogAction::Relay);
}

#[test]
fn a_flood_of_infos_is_answered_503_in_its_dialog_only() {
    let (mut hook, id) = call("carrier", "pbx-info");
    let t = Instant::now();
    let answers: Vec<_> = (0..40)
        .map(|_| info(&mut hook, id, t, Side::B, "application/dtmf", "1"))
        .collect();
    let ok = answers
        .iter()
        .filter(|a| **a == InDialogAction::Answer(200))
        .count();
    let refused = answers
        .iter()
        .filter(|a| **a == InDialogAction::Answer(503))
        .count();
    assert_eq!((ok, refused), (20, 20));
    assert_eq!(hook.drain_ops().len(), 20, "only what was accepted plays");
    // Another call is untouched, and this one recovers with time.
    let (mut other, id2) = call("carrier", "pbx-info");
    assert_eq!(
        info(&mut other, id2, t, Side::B, "application/dtmf", "2"),
        InDialogAction::Answer(200)
    );
    let later = t + Duration::from_secs(1);
    assert_eq!(
        info(&mut hook, id, later, Side::B, "application/dtmf", "3"),
        InDialogAction::Answer(200)
    );
}

#[test]
fn between_two_sip_info_legs_the_body_follows_the_receivers_type() {
    // pbx-info (sip-info, application/dtmf) on both legs: its own type is relayed, the
    // other type rewritten into it.
    let (mut hook, id) = call("pbx-info", "pbx-info");
    let t = Instant::now();
    assert_eq!(
        info(&mut hook, id, t, Side::A, "application/dtmf", "9"),
        InDialogAction::Relay
    );
    let r = info(
        &mut hook,
        id,
        t,
        Side::A,
        "application/dtmf-relay",
        "Signal=9\r\nDuration=250\r\n",
    );
    assert_eq!(
        r,
        InDialogAction::Rewrite {
            content_type: "application/dtmf".into(),
            body: b"9".to_vec()
        }
    );
    assert!(hook.drain_ops().is_empty());
}
