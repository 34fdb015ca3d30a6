//! REFER (RFC 3515) inside a call, per the `refer` policy of the leg it arrives on. The
//! mode built today is `Reject`: the SBC answers 403 itself, nothing reaches the other
//! leg, and the call goes on (a transfer the SBC does not take must not cost the call).

mod b2bua_util;

use b2bua_util::*;
use sbc_sip::{Known, Message};

/// An answered, confirmed call; returns (B's INVITE, the SBC's A-leg tag).
fn answered(h: &mut Harness, call_id: &str) -> (Message, String) {
    h.deliver_from_a(&invite_from_a(call_id, 1, true));
    let b_invite = h.request_to(B_PEER, "INVITE");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    let ok = h
        .take_to(A_PEER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200 to A");
    let a_tag = to_tag(&ok);
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("ACK", call_id, 1, &a_tag, ""));
    (b_invite, a_tag)
}

#[test]
fn a_refer_from_either_leg_is_refused_with_403_and_the_call_stays() {
    let mut h = Harness::new();
    let (b_invite, a_tag) = answered(&mut h, "refer-1@carrier");

    // From B (a Teams-style side transferring the caller): 403 with a Warning, A hears
    // nothing.
    let mut refer = in_dialog_from_b("REFER", &b_invite, "btag", 5);
    refer.push_header(Known::ReferTo, "<sip:+4930999@10.20.0.60;x-t=1>");
    refer.push_header(Known::ReferredBy, "<sip:agent@10.20.0.50>");
    h.deliver_from_b(B_PEER, refer);
    let answers = h.take_to(B_PEER);
    assert_eq!(answers.len(), 1, "one answer: {answers:?}");
    assert_eq!(answers[0].status(), Some(403));
    let warning = answers[0].header(Known::Warning).unwrap_or_default();
    assert!(warning.contains("REFER"), "the Warning says why: {warning}");
    assert!(h.take_to(A_PEER).is_empty(), "A never hears of the REFER");

    // From A likewise; B never hears of it.
    let refer_a = in_dialog_from_a_with(
        "REFER",
        "refer-1@carrier",
        2,
        &a_tag,
        "",
        "Refer-To: <sip:1000@203.0.113.50>\r\n",
    );
    h.deliver_from_a(&refer_a);
    assert_eq!(h.codes_to(A_PEER), vec![403]);
    assert!(h.take_to(B_PEER).is_empty(), "B never hears of the REFER");

    // The call is intact: BYE still ends it on both legs.
    h.deliver_from_a(&in_dialog_from_a("BYE", "refer-1@carrier", 3, &a_tag, ""));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    let bye = h.request_to(B_PEER, "BYE");
    h.deliver_from_b(B_PEER, a_response(&bye, 200, "OK"));
    h.settle();
    h.assert_drained();
}

/// Replaces (RFC 3891) never reaches the other side: an INVITE naming a dialog to
/// replace is relayed as a new call without it (the dialog it names is the far side's,
/// which the other leg cannot know), and one that requires it is refused 420 by screening.
#[test]
fn replaces_never_crosses() {
    let mut h = Harness::new();
    let replaces = "Replaces: 98asjd8@10.20.0.50;to-tag=12345;from-tag=54321\r\n";
    h.deliver_from_a(&invite_from_a_with("replaces-1@carrier", 1, true, replaces));
    let b_invite = h.request_to(B_PEER, "INVITE");
    let text = String::from_utf8_lossy(&b_invite.to_bytes()).into_owned();
    assert!(!text.contains("Replaces"), "Replaces relayed: {text}");

    let required = invite_from_a_with(
        "replaces-2@carrier",
        1,
        true,
        &format!("{replaces}Require: replaces\r\n"),
    );
    let caps = sbc_sip::uas::Capabilities::sbc("sbc");
    let refusal = sbc_sip::uas::screen(&parse(&required), &caps).expect_err("refused");
    assert_eq!(refusal.code, 420);
    assert!(refusal.reason.contains("replaces"), "{}", refusal.reason);
}

/// The transfer's progress NOTIFY, sent by the SBC in the referrer's dialog, reads on the
/// wire as RFC 3515 §2.4.5 asks: Event, Subscription-State, message/sipfrag.
#[test]
fn a_progress_notify_goes_out_in_the_referrers_dialog() {
    use sbc_sip::Method;
    use sbc_sip::b2bua::{EngineEvent, Progress, Side};
    let mut h = Harness::new();
    let (_b_invite, _a_tag) = answered(&mut h, "refer-2@carrier");
    let call = h
        .events
        .iter()
        .find_map(|e| match e {
            EngineEvent::CallStarted { call } => Some(*call),
            _ => None,
        })
        .expect("a call started");
    for step in [Progress::Trying, Progress::Final(200)] {
        let (headers, body) = step.notify();
        h.engine
            .send_in_dialog(
                h.now,
                call,
                Side::B,
                None,
                Method::Notify,
                headers,
                Some(body),
            )
            .expect("sent");
        h.drain();
        let notify = h.request_to(B_PEER, "NOTIFY");
        assert_eq!(notify.header(Known::Event), Some("refer"));
        let state = notify.header(Known::SubscriptionState).unwrap_or_default();
        assert_eq!(state.starts_with("terminated"), step != Progress::Trying);
        let ct = notify.header(Known::ContentType).unwrap_or_default();
        assert!(ct.starts_with("message/sipfrag"), "{ct}");
        let line = format!("SIP/2.0 {} ", step.code());
        assert!(notify.body().starts_with(line.as_bytes()));
        h.deliver_from_b(B_PEER, a_response(&notify, 200, "OK"));
    }
    assert!(h.take_to(A_PEER).is_empty(), "A never hears of it");
}
