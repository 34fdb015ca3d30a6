//! The media of a blind transfer: the new leg is offered the kept side's media on the
//! referrer's side's ports, and its answer re-points that side at the new peer.

use sbc_core::{MediaOp, Side};
use sbc_sip::b2bua::{BodyRole, SessionHook};

use super::MediaHook;
use super::golden::{golden_config, test_names};
use super::tests::{Calls, plan};

const OFFER: &str = "v=0\r\no=c 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n\
    t=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";
const ANSWER: &str = "v=0\r\no=p 1 1 IN IP4 10.0.0.20\r\ns=-\r\nc=IN IP4 10.0.0.20\r\n\
    t=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
const NEW_PCMU: &str = "v=0\r\no=n 5 5 IN IP4 10.0.0.77\r\ns=-\r\nc=IN IP4 10.0.0.77\r\n\
    t=0 0\r\nm=audio 41000 RTP/AVP 0\r\n";

fn up(hook: &mut MediaHook, calls: &mut Calls) -> (sbc_sip::b2bua::CallId, String) {
    let id = calls.next();
    hook.call_started(id, &plan("carrier", "pbx"));
    let sdp = Some("application/sdp");
    let body = |from, role, bytes: &'static str| sbc_sip::b2bua::Body {
        call: id,
        from,
        role,
        fork: None,
        content_type: sdp,
        bytes: bytes.as_bytes(),
    };
    let to_b = hook
        .relay_body(body(Side::A, BodyRole::Offer, OFFER))
        .expect("offer");
    hook.relay_body(body(Side::B, BodyRole::Answer, ANSWER))
        .expect("answer");
    hook.answered(id, None);
    hook.drain_ops();
    (id, String::from_utf8(to_b).expect("utf-8"))
}

fn port(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split(' ').next())
}

#[test]
fn the_new_leg_gets_the_kept_sides_media_on_the_referrers_ports() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1));
    let mut calls = Calls::new();
    let (id, first) = up(&mut hook, &mut calls);
    // The PBX (B) refers the carrier (A) elsewhere on the inside.
    let offer = hook
        .transfer_offer(id, Side::B, first.as_bytes())
        .expect("offered");
    let offer = String::from_utf8(offer).expect("utf-8");
    assert!(offer.contains("c=IN IP4 10.0.0.1\r\n"), "{offer}");
    assert_eq!(port(&offer), port(&first), "the same port on B's side");
    assert!(!offer.contains("198.51.100.20"), "{offer}");
    hook.drain_ops();

    hook.transfer_answered(id, Side::B, NEW_PCMU.as_bytes())
        .expect("bridged");
    let ops = hook.drain_ops();
    let repointed = ops.iter().any(|op| {
        matches!(op, MediaOp::Remote { side: Side::B, remote, .. }
            if format!("{remote:?}").contains("10.0.0.77"))
    });
    assert!(repointed, "B's side now sends to the new peer: {ops:?}");
    hook.call_ended(id);
    let u = hook.free_ports("inside").expect("pool");
    assert_eq!(u.free, u.total, "every port back");
}

#[test]
fn an_answer_with_another_codec_than_the_kept_side_sends_is_refused() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1));
    let mut calls = Calls::new();
    let (id, first) = up(&mut hook, &mut calls);
    let offer = hook
        .transfer_offer(id, Side::B, first.as_bytes())
        .expect("offered");
    let offer = String::from_utf8(offer).expect("utf-8");
    // Only what the kept side offered can come back; a codec outside it is refused.
    let pcma = NEW_PCMU.replace("RTP/AVP 0", "RTP/AVP 8");
    assert!(
        hook.transfer_answered(id, Side::B, pcma.as_bytes())
            .is_err(),
        "{offer}"
    );
}
