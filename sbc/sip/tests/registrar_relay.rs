//! Registration relay for NATed phones, sans-IO: bindings, token contacts, throttling.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sbc_core::Transport;
use sbc_sip::b2bua::{LegIdentity, Target, Tokens};
use sbc_sip::registrar::{RegisterAction, RegisterPlan, RegistrarRelay};
use sbc_sip::transaction::{ClientTxId, Peer, ServerTxId};
use sbc_sip::{Framing, Known, Limits, Message};

const PHONE_NAT: &str = "198.51.100.77:41234";
const SBC_OUT: &str = "203.0.113.1:5060";
const SBC_IN: &str = "10.20.0.1:5060";
const REGISTRAR: &str = "10.20.0.50:5060";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

fn parse(text: &str) -> Message {
    Message::parse(
        text.as_bytes().to_vec(),
        Framing::Datagram,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn plan() -> RegisterPlan {
    RegisterPlan {
        target: Target {
            peer: Peer {
                transport: Transport::Udp,
                local: addr(SBC_IN),
                remote: addr(REGISTRAR),
            },
            host: REGISTRAR.into(),
            request_uri: None,
        },
        inbound: LegIdentity {
            advertised: SBC_OUT.into(),
        },
        outbound: LegIdentity {
            advertised: SBC_IN.into(),
        },
        nat_expires: 60,
        realm: "phones".into(),
        trunk: "pbx".into(),
    }
}

fn phone() -> Peer {
    Peer {
        transport: Transport::Udp,
        local: addr(SBC_OUT),
        remote: addr(PHONE_NAT),
    }
}

fn register(cseq: u32, expires: u32, auth: bool) -> Message {
    let auth = if auth {
        "Authorization: Digest username=\"201\", realm=\"pbx\", nonce=\"n\", uri=\"sip:203.0.113.1\", response=\"r\"\r\n"
    } else {
        ""
    };
    parse(&format!(
        "REGISTER sip:203.0.113.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKph{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:201@203.0.113.1>;tag=ph\r\n\
         To: <sip:201@203.0.113.1>\r\n\
         Call-ID: phone-reg-1@192.168.1.20\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:201@192.168.1.20:5060>;expires={expires}\r\n\
         {auth}Content-Length: 0\r\n\r\n"
    ))
}

fn upstream_response(req: &Message, code: u16, extra: &str) -> Message {
    parse(&format!(
        "SIP/2.0 {code} X\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=reg\r\nCall-ID: {}\r\nCSeq: {}\r\n{extra}Content-Length: 0\r\n\r\n",
        req.header(Known::Via).unwrap_or_default(),
        req.header(Known::From).unwrap_or_default(),
        req.header(Known::To).unwrap_or_default(),
        req.call_id().unwrap_or_default(),
        req.header(Known::CSeq).unwrap_or_default(),
    ))
}

fn forward(action: RegisterAction) -> Message {
    match action {
        RegisterAction::Forward { request, peer } => {
            assert_eq!(peer.remote, addr(REGISTRAR));
            request
        }
        RegisterAction::Respond(r) => panic!("expected a forward, got {r:?}"),
    }
}

fn respond(action: RegisterAction) -> Message {
    match action {
        RegisterAction::Respond(r) => r,
        RegisterAction::Forward { request, .. } => {
            panic!("expected a local answer, forwarded {request:?}")
        }
    }
}

/// Server and client transaction ids come from the transaction layer; build them the way
/// a test can: through a real layer.
fn ids() -> (ServerTxId, ClientTxId) {
    use sbc_sip::transaction::{TimerConfig, TransactionEvent, TransactionLayer};
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let now = Instant::now();
    layer.handle_message(now, register(99, 60, false), phone());
    let server = loop {
        match layer.poll_event() {
            Some(TransactionEvent::Request { tx, .. }) => break tx,
            Some(_) => continue,
            None => panic!("no request event"),
        }
    };
    let mut req = register(98, 60, false);
    req.set_header(
        Known::Via,
        "SIP/2.0/UDP 10.20.0.1:5060;branch=z9hG4bKclient",
    );
    let client = layer.start_client(now, req, phone()).expect("client tx");
    (server, client)
}

#[test]
fn a_phone_registers_through_the_sbc_with_digest_and_nat_keepalive() {
    let mut relay = RegistrarRelay::new("edge-sbc");
    let mut tokens = Tokens::new(7);
    let (stx, ctx) = ids();
    let plan = plan();
    let t0 = Instant::now();

    // First REGISTER: forwarded with the SBC's own contact, nothing of the phone.
    let up = forward(relay.handle_register(
        t0,
        stx,
        &register(1, 3600, false),
        phone(),
        &plan,
        &mut tokens,
    ));
    let raw = String::from_utf8_lossy(&up.to_bytes()).into_owned();
    for leak in [
        "192.168.1.20",
        "198.51.100.77",
        "phone-reg-1",
        "203.0.113.1",
        "tag=ph",
    ] {
        assert!(
            !raw.contains(leak),
            "upstream REGISTER leaks {leak:?}:\n{raw}"
        );
    }
    assert_eq!(up.request_uri(), Some(format!("sip:{REGISTRAR}").as_str()));
    assert!(
        up.header(Known::To)
            .is_some_and(|t| t.contains("201@10.20.0.50"))
    );
    let contact = up.header(Known::Contact).unwrap_or_default().to_owned();
    assert!(
        contact.contains(SBC_IN) && contact.contains("expires=3600"),
        "{contact}"
    );
    relay.forwarded(ctx);

    // The registrar challenges: the challenge reaches the phone.
    let (to, r) = relay
        .handle_response(
            t0,
            ctx,
            &upstream_response(
                &up,
                401,
                "WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n\"\r\n",
            ),
            &mut tokens,
        )
        .expect("401 for the phone");
    assert_eq!((to, r.status()), (stx, Some(401)));
    assert!(r.header(Known::WwwAuthenticate).is_some());

    // With credentials: forwarded with them, same Call-ID, CSeq + 1.
    let up2 = forward(relay.handle_register(
        t0,
        stx,
        &register(2, 3600, true),
        phone(),
        &plan,
        &mut tokens,
    ));
    assert_eq!(up2.call_id(), up.call_id());
    assert_eq!(
        up2.cseq().map(|c| c.seq),
        Ok(up.cseq().map(|c| c.seq).unwrap_or(0) + 1)
    );
    assert!(up2.header(Known::Authorization).is_some());
    relay.forwarded(ctx);
    let granted = format!("Contact: {contact}\r\n");
    let (_, ok) = relay
        .handle_response(
            t0,
            ctx,
            &upstream_response(&up2, 200, &granted),
            &mut tokens,
        )
        .expect("200");
    assert_eq!(ok.status(), Some(200));
    let c = ok.header(Known::Contact).unwrap_or_default();
    assert!(
        c.contains("192.168.1.20") && c.contains("expires=60"),
        "the phone gets its own contact and a NAT keep-alive expiry: {c}"
    );

    // A call for the token finds the phone at its NAT address.
    let token = contact
        .trim_start_matches("<sip:")
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    let b = relay.by_token(&token).expect("binding by token");
    assert_eq!(b.phone.remote, addr(PHONE_NAT));
    assert_eq!(b.phone_contact, "sip:201@192.168.1.20:5060");

    // A refresh 50 s later is answered by the SBC (the registrar's binding has ~1 h left).
    let refresh = respond(relay.handle_register(
        t0 + Duration::from_secs(50),
        stx,
        &register(3, 3600, true),
        phone(),
        &plan,
        &mut tokens,
    ));
    assert_eq!(refresh.status(), Some(200));

    // The phone goes silent: its binding expires with the keep-alive.
    assert_eq!(relay.expire(t0 + Duration::from_secs(200)), 1);
    assert!(relay.by_token(&token).is_none());
}

#[test]
fn unregistering_removes_the_binding() {
    let mut relay = RegistrarRelay::new("edge-sbc");
    let mut tokens = Tokens::new(8);
    let (stx, ctx) = ids();
    let plan = plan();
    let t0 = Instant::now();
    let up = forward(relay.handle_register(
        t0,
        stx,
        &register(1, 600, false),
        phone(),
        &plan,
        &mut tokens,
    ));
    relay.forwarded(ctx);
    let contact = up.header(Known::Contact).unwrap_or_default().to_owned();
    relay.handle_response(
        t0,
        ctx,
        &upstream_response(&up, 200, &format!("Contact: {contact}\r\n")),
        &mut tokens,
    );
    assert_eq!(relay.bindings().count(), 1);
    let bye = forward(relay.handle_register(
        t0,
        stx,
        &register(2, 0, false),
        phone(),
        &plan,
        &mut tokens,
    ));
    assert!(
        bye.header(Known::Contact)
            .is_some_and(|c| c.contains("expires=0"))
    );
    relay.forwarded(ctx);
    let (_, r) = relay
        .handle_response(t0, ctx, &upstream_response(&bye, 200, ""), &mut tokens)
        .expect("200");
    assert_eq!(r.status(), Some(200));
    assert_eq!(relay.bindings().count(), 0);
}

#[test]
fn a_registrar_that_never_answers_gets_the_phone_a_408_and_no_binding() {
    let mut relay = RegistrarRelay::new("edge-sbc");
    let mut tokens = Tokens::new(9);
    let (stx, ctx) = ids();
    let _ = forward(relay.handle_register(
        Instant::now(),
        stx,
        &register(1, 600, false),
        phone(),
        &plan(),
        &mut tokens,
    ));
    relay.forwarded(ctx);
    let (_, r) = relay.handle_timeout(ctx, &mut tokens).expect("408");
    assert_eq!(r.status(), Some(408));
    assert_eq!(relay.bindings().count(), 0);
}

#[test]
fn a_to_that_is_not_a_sip_aor_is_refused() {
    let mut relay = RegistrarRelay::new("edge-sbc");
    let mut tokens = Tokens::new(10);
    let (stx, _) = ids();
    let bad = String::from_utf8_lossy(&register(1, 60, false).to_bytes())
        .replace("To: <sip:201@203.0.113.1>", "To: isbn:2983792873");
    let r = respond(relay.handle_register(
        Instant::now(),
        stx,
        &parse(&bad),
        phone(),
        &plan(),
        &mut tokens,
    ));
    assert_eq!(r.status(), Some(400));
}
