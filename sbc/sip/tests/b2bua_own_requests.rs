//! The signalling seams the DTMF and Teams work build on: the session hook sees in-dialog
//! requests without SDP (INFO, NOTIFY) and may relay, rewrite or answer them; the SBC sends
//! requests of its own on one leg of a call (its dialog, or one of B's early dialogs), with
//! their own transaction and CSeq, the other leg untouched, and their failures reported,
//! never ending the call.

mod b2bua_util;

use b2bua_util::*;
use sbc_sip::b2bua::{
    Body, CallId, EngineEvent, InDialog, InDialogAction, NotAcceptable, OwnRequestError,
    SessionHook, Side,
};
use sbc_sip::{Known, Message, Method};

const DTMF_RELAY: &str = "Signal=5\r\nDuration=160\r\n";

/// A hook that answers INFO from A itself and rewrites INFO from B; records what it saw.
#[derive(Default)]
struct DtmfHook {
    seen: Vec<(Side, String, String)>,
}

impl SessionHook for DtmfHook {
    fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable> {
        Ok(body.bytes.to_vec())
    }

    fn call_ended(&mut self, _call: CallId) {}

    fn in_dialog(&mut self, r: InDialog<'_>) -> InDialogAction {
        self.seen.push((
            r.from,
            r.method.to_string(),
            String::from_utf8_lossy(r.bytes).into_owned(),
        ));
        match (r.from, r.method) {
            (Side::A, Method::Info) => InDialogAction::Answer(200),
            (Side::B, Method::Info) => InDialogAction::Rewrite {
                content_type: "application/dtmf".into(),
                body: b"5".to_vec(),
            },
            _ => InDialogAction::Relay,
        }
    }
}

/// An answered, confirmed call; returns (B's INVITE, the SBC's A-leg tag, the call).
fn answered(h: &mut Harness, call_id: &str) -> (Message, String, CallId) {
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
    let call = call_of(h);
    (b_invite, a_tag, call)
}

fn call_of(h: &Harness) -> CallId {
    h.events
        .iter()
        .find_map(|e| match e {
            EngineEvent::CallStarted { call } => Some(*call),
            _ => None,
        })
        .expect("a call started")
}

#[test]
fn the_hook_answers_rewrites_or_relays_in_dialog_requests() {
    let mut h = Harness::new();
    let (b_invite, a_tag, _) = answered(&mut h, "seam-1@carrier");
    let mut hook = DtmfHook::default();

    // INFO from A: answered 200 by the hook, nothing to B.
    let info = in_dialog_from_a_with(
        "INFO",
        "seam-1@carrier",
        2,
        &a_tag,
        "",
        "Content-Type: application/dtmf-relay\r\n",
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Length: {}\r\n\r\n{DTMF_RELAY}", DTMF_RELAY.len()),
    );
    h.engine
        .handle_message(h.now, parse(&info), Harness::a_peer(), &mut hook);
    h.drain();
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    assert!(h.take_to(B_PEER).is_empty(), "B never hears of it");
    assert_eq!(
        hook.seen[0],
        (Side::A, "INFO".into(), DTMF_RELAY.into()),
        "the hook saw the body"
    );

    // INFO from B: relayed to A with the hook's body and type.
    let mut from_b = in_dialog_from_b("INFO", &b_invite, "btag", 5);
    from_b.push_header(Known::ContentType, "application/dtmf-relay");
    from_b.set_body(DTMF_RELAY.as_bytes().to_vec());
    h.engine
        .handle_message(h.now, from_b, Harness::b_peer(B_PEER), &mut hook);
    h.drain();
    let to_a = h.request_to(A_PEER, "INFO");
    assert_eq!(to_a.header(Known::ContentType), Some("application/dtmf"));
    assert_eq!(to_a.body(), b"5");

    // NOTIFY from B: the hook relays it as it came.
    let mut notify = in_dialog_from_b("NOTIFY", &b_invite, "btag", 6);
    notify.push_header(Known::Event, "talk");
    h.engine
        .handle_message(h.now, notify, Harness::b_peer(B_PEER), &mut hook);
    h.drain();
    let to_a = h.request_to(A_PEER, "NOTIFY");
    assert_eq!(to_a.header(Known::Event), Some("talk"));
    assert_eq!(hook.seen.len(), 3);
}

#[test]
fn the_sbc_sends_info_of_its_own_on_one_leg_and_survives_its_failure() {
    let mut h = Harness::new();
    let (_b_invite, a_tag, call) = answered(&mut h, "seam-2@carrier");
    let tx = h
        .engine
        .send_in_dialog(
            h.now,
            call,
            Side::A,
            None,
            Method::Info,
            Vec::new(),
            Some((
                "application/dtmf-relay".into(),
                DTMF_RELAY.as_bytes().to_vec(),
            )),
        )
        .expect("sent");
    h.drain();
    assert!(h.take_to(B_PEER).is_empty(), "the other leg is untouched");
    let info = h.request_to(A_PEER, "INFO");
    assert_eq!(
        info.request_uri(),
        Some(format!("sip:alice@{A_PEER}").as_str())
    );
    assert_eq!(
        info.header(Known::Route),
        Some("<sip:proxy.carrier.example.com;lr>"),
        "the leg's route set"
    );
    assert!(
        info.header(Known::From)
            .is_some_and(|f| f.contains(&format!("tag={a_tag}")))
    );
    assert!(
        info.header(Known::To)
            .is_some_and(|t| t.contains("tag=atag"))
    );
    let first_cseq = info.cseq().map(|c| c.seq).expect("CSeq");
    assert_eq!(info.body(), DTMF_RELAY.as_bytes());
    h.deliver_msg_from_a(a_response(&info, 200, "OK"));
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::Response { tx: t, response } if *t == tx && response.status() == Some(200)
    )));

    // A second one gets 481: reported, and the call goes on.
    let tx2 = h
        .engine
        .send_in_dialog(h.now, call, Side::A, None, Method::Info, Vec::new(), None)
        .expect("sent");
    h.drain();
    let info2 = h.request_to(A_PEER, "INFO");
    assert_eq!(info2.cseq().map(|c| c.seq), Ok(first_cseq + 1), "next CSeq");
    h.deliver_msg_from_a(a_response(&info2, 481, "Call Does Not Exist"));
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::Response { tx: t, response } if *t == tx2 && response.status() == Some(481)
    )));
    assert_eq!(
        h.engine.call_count(),
        1,
        "a failed INFO does not end the call"
    );

    // A relayed request on that leg continues the CSeq space after the SBC's own.
    h.deliver_from_b(B_PEER, in_dialog_from_b("OPTIONS", &_b_invite, "btag", 7));
    let options = h.request_to(A_PEER, "OPTIONS");
    assert_eq!(options.cseq().map(|c| c.seq), Ok(first_cseq + 2));
}

#[test]
fn info_goes_into_bs_early_dialog_before_the_answer() {
    let mut h = Harness::new();
    h.deliver_from_a(&invite_from_a("seam-3@carrier", 1, true));
    let b_invite = h.request_to(B_PEER, "INVITE");
    let call = call_of(&h);
    // No early dialog yet: nothing to send in.
    let none = h.engine.send_in_dialog(
        h.now,
        call,
        Side::B,
        Some("ivr"),
        Method::Info,
        Vec::new(),
        None,
    );
    assert!(
        matches!(none, Err(OwnRequestError::NoDialog { .. })),
        "{none:?}"
    );
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 183, "Session Progress", Some("ivr"), SDP_B),
    );
    h.take_to(A_PEER);
    h.engine
        .send_in_dialog(
            h.now,
            call,
            Side::B,
            Some("ivr"),
            Method::Info,
            Vec::new(),
            Some(("application/dtmf".into(), b"7".to_vec())),
        )
        .expect("sent in the early dialog");
    h.drain();
    let info = h.request_to(B_PEER, "INFO");
    assert!(
        info.header(Known::To)
            .is_some_and(|t| t.contains("tag=ivr"))
    );
    assert_eq!(
        info.request_uri(),
        Some(format!("sip:pbx@{B_PEER}").as_str())
    );
    assert_eq!(
        info.header(Known::Route),
        Some("<sip:pbx-proxy.internal;lr>")
    );
    assert_eq!(
        info.cseq().map(|c| c.seq),
        Ok(2),
        "after the INVITE's CSeq 1"
    );
    assert!(h.take_to(A_PEER).is_empty());
}

#[test]
fn what_cannot_be_sent_is_refused_with_a_reason() {
    let mut h = Harness::new();
    let (_b, _tag, call) = answered(&mut h, "seam-4@carrier");
    for method in [Method::Invite, Method::Bye, Method::Update, Method::Prack] {
        let r = h
            .engine
            .send_in_dialog(h.now, call, Side::B, None, method, Vec::new(), None);
        assert!(
            matches!(r, Err(OwnRequestError::NotAllowed { .. })),
            "{r:?}"
        );
    }
    let mut other = Harness::new();
    let (_, _, unknown) = answered(&mut other, "seam-5@carrier");
    h.deliver_from_a(&in_dialog_from_a("BYE", "seam-4@carrier", 2, &_tag, ""));
    let ending =
        h.engine
            .send_in_dialog(h.now, call, Side::B, None, Method::Info, Vec::new(), None);
    assert!(
        matches!(ending, Err(OwnRequestError::Ending { .. })),
        "{ending:?}"
    );
    h.settle();
    let gone = h.engine.send_in_dialog(
        h.now,
        unknown,
        Side::A,
        None,
        Method::Notify,
        Vec::new(),
        None,
    );
    assert!(
        matches!(gone, Err(OwnRequestError::UnknownCall { .. })),
        "{gone:?}"
    );
    assert!(
        h.take_to(A_PEER)
            .iter()
            .all(|m| m.method() != Some(&Method::Info))
    );
}
