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

/// The carrier (A) offers PCMU and PCMA, the PBX (B) answers PCMU: the call relays PCMU.
const OFFER_BOTH: &str = "v=0\r\no=c 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n\
    t=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";

fn up_with(hook: &mut MediaHook, calls: &mut Calls, offer: &str) -> sbc_sip::b2bua::CallId {
    let id = calls.next();
    hook.call_started(id, &plan("carrier", "pbx"));
    hook.relay_body(sbc_sip::b2bua::Body {
        call: id,
        from: Side::A,
        role: BodyRole::Offer,
        fork: None,
        content_type: Some("application/sdp"),
        bytes: offer.as_bytes(),
    })
    .expect("offer");
    hook.relay_body(sbc_sip::b2bua::Body {
        call: id,
        from: Side::B,
        role: BodyRole::Answer,
        fork: None,
        content_type: Some("application/sdp"),
        bytes: ANSWER.as_bytes(),
    })
    .expect("answer");
    hook.answered(id, None);
    hook.drain_ops();
    id
}

/// The formats of the first `m=audio` line.
fn formats(sdp: &str) -> Vec<String> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .map(|l| l.split(' ').skip(2).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn the_new_leg_is_offered_the_kept_codec_first_then_what_the_sbc_transcodes_to() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1))
        .with_transcoding(true);
    let mut calls = Calls::new();
    let id = up_with(&mut hook, &mut calls, OFFER_BOTH);
    let offer = hook.transfer_offer(id, Side::B, b"").expect("offered");
    let offer = String::from_utf8(offer).expect("utf-8");
    let f = formats(&offer);
    // PCMU (what A sends) first; PCMA, which A offered but does not use, only as a codec
    // the SBC transcodes to; A's telephone-events kept.
    assert_eq!(f.first().map(String::as_str), Some("0"), "{offer}");
    assert!(f.contains(&"8".to_owned()), "{offer}");
    assert!(f.contains(&"101".to_owned()), "{offer}");
    hook.drain_ops();

    // The new party picks PCMA: the SBC transcodes, A goes on with PCMU.
    let pcma = NEW_PCMU.replace("RTP/AVP 0", "RTP/AVP 8");
    hook.transfer_answered(id, Side::B, pcma.as_bytes())
        .expect("bridged through a transcoder");
    let ops = hook.drain_ops();
    let transcodes = ops
        .iter()
        .filter(|op| matches!(op, MediaOp::Transcode { spec: Some(_), .. }))
        .count();
    assert_eq!(transcodes, 2, "both directions transcoded: {ops:?}");
    let repointed = ops.iter().any(|op| {
        matches!(op, MediaOp::Remote { side: Side::B, remote, .. }
            if format!("{remote:?}").contains("10.0.0.77"))
    });
    assert!(repointed, "{ops:?}");
    let codecs = hook.codecs(id).expect("codecs");
    assert_eq!(
        (codecs.a.as_str(), codecs.b.as_str(), codecs.transcoded),
        ("PCMU/8000", "PCMA/8000", true)
    );
    assert_eq!(hook.transcoded_calls(), 1);
    hook.call_ended(id);
    assert_eq!(hook.transcoded_calls(), 0);
}

#[test]
fn the_same_codec_answered_is_relayed_and_frees_the_transcoding_slot() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1))
        .with_transcoding(true);
    let mut calls = Calls::new();
    let id = up_with(&mut hook, &mut calls, OFFER_BOTH);
    hook.transfer_offer(id, Side::B, b"").expect("offered");
    assert_eq!(hook.transcoded_calls(), 1, "the offer holds a slot");
    hook.drain_ops();
    hook.transfer_answered(id, Side::B, NEW_PCMU.as_bytes())
        .expect("bridged");
    let ops = hook.drain_ops();
    assert!(
        !ops.iter()
            .any(|op| matches!(op, MediaOp::Transcode { spec: Some(_), .. })),
        "{ops:?}"
    );
    assert_eq!(hook.transcoded_calls(), 0, "relayed: the slot is back");
}

#[test]
fn a_refused_answer_changes_nothing_and_a_failed_transfer_gives_the_slot_back() {
    for transcoding in [false, true] {
        let mut hook = MediaHook::new(golden_config(), 1, test_names())
            .with_key_source(crate::KeySource::Seeded(1))
            .with_transcoding(transcoding);
        let mut calls = Calls::new();
        let id = up_with(&mut hook, &mut calls, OFFER_BOTH);
        let offer = hook.transfer_offer(id, Side::B, b"").expect("offered");
        let offer = String::from_utf8(offer).expect("utf-8");
        if !transcoding {
            // Without codecs in the engine, the kept codec only.
            assert_eq!(formats(&offer), ["0", "101"], "{offer}");
        }
        hook.drain_ops();
        // A codec that was not offered, a rejected stream, a section too many, junk.
        let gsm = NEW_PCMU.replace("RTP/AVP 0", "RTP/AVP 3");
        let rejected = NEW_PCMU.replace("m=audio 41000", "m=audio 0");
        let more = format!("{NEW_PCMU}m=video 41010 RTP/AVP 96\r\n");
        for bad in [gsm.as_str(), rejected.as_str(), more.as_str(), "junk"] {
            assert!(
                hook.transfer_answered(id, Side::B, bad.as_bytes()).is_err(),
                "{bad}"
            );
            let ops = hook.drain_ops();
            assert!(
                ops.is_empty(),
                "the media plane was changed by {bad}: {ops:?}"
            );
        }
        hook.transfer_failed(id, Side::B);
        assert_eq!(hook.transcoded_calls(), 0, "transcoding {transcoding}");
        let codecs = hook.codecs(id).expect("codecs");
        assert_eq!((codecs.a.as_str(), codecs.transcoded), ("PCMU/8000", false));
        hook.call_ended(id);
    }
}
