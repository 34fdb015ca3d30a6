//! The transcoding cap (`media.max_transcoded`) across calls, and what the views are told
//! about each leg's codec and SRTP suite.

use std::sync::Arc;

use sbc_config::Config;
use sbc_core::Side;
use sbc_sip::b2bua::{Body, BodyRole, CallId, SessionHook};

use super::tests::{Calls, plan};
use super::{CallCodecs, MediaHook};

const PCMA_ONLY: &str = "v=0\r\no=c 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n\
    t=0 0\r\nm=audio 49170 RTP/AVP 8\r\n";
const G722_ANSWER: &str = "v=0\r\no=p 1 1 IN IP4 10.0.0.24\r\ns=-\r\nc=IN IP4 10.0.0.24\r\n\
    t=0 0\r\nm=audio 6000 RTP/AVP 9\r\n";

/// The golden configuration with `media.max_transcoded = 1`.
fn hook() -> MediaHook {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/media/config.toml"
    );
    let text = std::fs::read_to_string(path).expect("golden config");
    let text = format!("{text}\n[media]\nmax_transcoded = 1\n");
    let config = Config::from_toml_str(&text, "/etc/sbc").expect("valid config");
    MediaHook::new(Arc::new(config), 1, super::golden::test_names())
        .with_key_source(crate::KeySource::Seeded(1))
        .with_transcoding(true)
}

fn send(
    hook: &mut MediaHook,
    call: CallId,
    from: Side,
    role: BodyRole,
    sdp: &str,
) -> Result<Vec<u8>, String> {
    hook.relay_body(Body {
        call,
        from,
        role,
        fork: None,
        content_type: Some("application/sdp"),
        bytes: sdp.as_bytes(),
    })
    .map_err(|e| e.0)
}

fn call(hook: &mut MediaHook, calls: &mut Calls, to: &str) -> CallId {
    let id = calls.next();
    hook.call_started(id, &plan("carrier", to));
    id
}

#[test]
fn a_call_over_the_cap_gets_488_and_an_ended_call_frees_its_slot() {
    let (mut hook, mut calls) = (hook(), Calls::new());
    let first = call(&mut hook, &mut calls, "pbx-g722");
    send(&mut hook, first, Side::A, BodyRole::Offer, PCMA_ONLY).expect("transcoding offered");
    assert_eq!(hook.transcoded_calls(), 1, "the offer takes the slot");

    let second = call(&mut hook, &mut calls, "pbx-g722");
    let refused =
        send(&mut hook, second, Side::A, BodyRole::Offer, PCMA_ONLY).expect_err("over the cap");
    assert!(
        refused.contains("no transcoding: media.max_transcoded = 1 reached"),
        "{refused}"
    );
    // A relayed call needs no slot.
    let relayed = call(&mut hook, &mut calls, "pbx");
    send(&mut hook, relayed, Side::A, BodyRole::Offer, PCMA_ONLY).expect("shared codec");
    assert_eq!(hook.transcoded_calls(), 1);

    // The first call is answered in G.722 (transcoded: it keeps the slot), then ends.
    send(&mut hook, first, Side::B, BodyRole::Answer, G722_ANSWER).expect("answer");
    assert_eq!(hook.transcoded_calls(), 1);
    hook.call_ended(first);
    assert_eq!(hook.transcoded_calls(), 0);
    send(&mut hook, second, Side::A, BodyRole::Offer, PCMA_ONLY).expect("a slot is free");
    assert_eq!(hook.transcoded_calls(), 1);
    for id in [second, relayed] {
        hook.call_ended(id);
    }
    assert_eq!(hook.transcoded_calls(), 0);
}

#[test]
fn the_views_see_each_legs_codec_and_whether_it_is_transcoded() {
    let (mut hook, mut calls) = (hook(), Calls::new());
    let transcoded = call(&mut hook, &mut calls, "pbx-g722");
    assert_eq!(hook.codecs(transcoded), None, "nothing answered yet");
    send(&mut hook, transcoded, Side::A, BodyRole::Offer, PCMA_ONLY).expect("offer");
    send(
        &mut hook,
        transcoded,
        Side::B,
        BodyRole::Answer,
        G722_ANSWER,
    )
    .expect("answer");
    assert_eq!(
        hook.codecs(transcoded),
        Some(CallCodecs {
            a: "PCMA/8000".into(),
            b: "G722/8000".into(),
            transcoded: true,
        })
    );

    let relayed = call(&mut hook, &mut calls, "pbx");
    send(&mut hook, relayed, Side::A, BodyRole::Offer, PCMA_ONLY).expect("offer");
    let answer = PCMA_ONLY.replace("o=c", "o=p");
    send(&mut hook, relayed, Side::B, BodyRole::Answer, &answer).expect("answer");
    assert_eq!(
        hook.codecs(relayed),
        Some(CallCodecs {
            a: "PCMA/8000".into(),
            b: "PCMA/8000".into(),
            transcoded: false,
        })
    );
    for id in [transcoded, relayed] {
        hook.call_ended(id);
    }
}

#[test]
fn the_views_see_each_legs_srtp_suite() {
    let (mut hook, mut calls) = (hook(), Calls::new());
    // The carrier sends plain RTP; the PBX trunk (OSRTP, `sdes_without_tls`) is offered
    // the SBC's own key in RTP/AVP and accepts it.
    let id = call(&mut hook, &mut calls, "pbx-osrtp");
    assert_eq!(hook.srtp_suites(id), [None, None], "nothing negotiated yet");
    send(&mut hook, id, Side::A, BodyRole::Offer, PCMA_ONLY).expect("offer");
    let answer = "v=0\r\no=p 1 1 IN IP4 10.0.0.21\r\ns=-\r\nc=IN IP4 10.0.0.21\r\nt=0 0\r\n\
        m=audio 6000 RTP/AVP 8\r\n\
        a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:U/Qi81dHNCK82BmFa9oglfma1SJP10USLdZ9VR+x\r\n";
    send(&mut hook, id, Side::B, BodyRole::Answer, answer).expect("answer");
    assert_eq!(
        hook.srtp_suites(id),
        [None, Some("AES_CM_128_HMAC_SHA1_80")]
    );
    hook.call_ended(id);
    assert_eq!(hook.srtp_suites(id), [None, None], "forgotten at the end");
}
