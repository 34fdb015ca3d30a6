//! Messages the transaction layer builds: responses to requests (§8.2.6), the ACK for
//! a non-2xx final response (§17.1.1.3), CANCEL (§9.1), and branch/tag tokens.

use std::fmt::Write as _;

use super::error::TransactionError;
use crate::grammar::{NameAddr, Via, via::MAGIC_COOKIE};
use crate::{Known, Message, Method};

/// A branch for a new client transaction: the RFC 3261 magic cookie followed by a token
/// derived from `random`. The core has no random number generator, so the caller
/// supplies 64 random bits; two calls with the same value give the same branch.
pub fn new_branch(random: u64) -> String {
    format!("{MAGIC_COOKIE}{random:016x}")
}

/// A response to `request` (§8.2.6.2): every Via field in order, From, To, Call-ID and
/// CSeq copied as written. `to_tag` is added to the To header when given and the To has
/// no tag yet (§8.2.6.2: every response but 100 Trying to a request without a To tag
/// must carry one). A 100 Trying also copies Timestamp (§8.2.6.1).
///
/// Responses from 101 to 299 also carry every Record-Route value of the request, byte for
/// byte and in order (§12.1.1: a UAS copies them, URIs, parameters and all, into a response
/// that establishes a dialog, or the caller behind a record-routing proxy has no route set
/// and its ACK and BYE never reach us). Within a dialog the copy is harmless: a UAC never
/// changes its route set from a response to a mid-dialog request (§12.2.1.2).
pub fn response_for(request: &Message, code: u16, reason: &str, to_tag: Option<&str>) -> Message {
    let mut r = Message::response(code, reason);
    for via in request.header_values(Known::Via) {
        r.push_header(Known::Via, via);
    }
    if let Some(from) = request.header(Known::From) {
        r.push_header(Known::From, from);
    }
    if let Some(to) = request.header(Known::To) {
        let has_tag = NameAddr::parse(to).is_ok_and(|a| a.tag().is_some());
        match to_tag {
            Some(tag) if !has_tag => r.push_header(Known::To, format!("{to};tag={tag}")),
            _ => r.push_header(Known::To, to),
        }
    }
    if let Some(call_id) = request.header(Known::CallId) {
        r.push_header(Known::CallId, call_id);
    }
    if let Some(cseq) = request.header(Known::CSeq) {
        r.push_header(Known::CSeq, cseq);
    }
    if (101..=299).contains(&code) {
        copy_record_route(request, &mut r);
    }
    if code == 100 {
        if let Some(ts) = request.other_header("Timestamp") {
            r.push_header(crate::HeaderName::Other("Timestamp".into()), ts);
        }
    }
    r
}

/// What a server transaction keeps of its request to build responses later
/// ([`TransactionLayer::response_to`](super::TransactionLayer::response_to)): the fields
/// [`response_for`] copies, Record-Route included.
pub(crate) fn response_template(request: &Message) -> Message {
    let mut template = response_for(request, 100, "Trying", None);
    copy_record_route(request, &mut template);
    template
}

/// Every Record-Route field of `from`, as written, appended to `to`.
fn copy_record_route(from: &Message, to: &mut Message) {
    for value in from.header_values(Known::RecordRoute) {
        to.push_header(Known::RecordRoute, value);
    }
}

/// The ACK a client transaction sends for a non-2xx final response (§17.1.1.3):
/// Request-URI, Call-ID, From and Route of the INVITE; To of the response; one Via,
/// the INVITE's top one (so the ACK carries the INVITE's branch); the INVITE's CSeq
/// number with method ACK.
pub(crate) fn ack_for(invite: &Message, response: &Message) -> Result<Message, TransactionError> {
    let to = response
        .header(Known::To)
        .ok_or(TransactionError::MissingHeader { name: "To" })?;
    let mut ack = derived_request(invite, Method::Ack)?;
    ack.set_header(Known::To, to);
    Ok(ack)
}

/// The CANCEL for a pending `invite` (§9.1): Request-URI, Call-ID, From, To (with its
/// tags) and Route of the INVITE, a single Via equal to its top Via, its CSeq number
/// with method CANCEL.
pub(crate) fn cancel_for(invite: &Message) -> Result<Message, TransactionError> {
    derived_request(invite, Method::Cancel)
}

/// A request of `method` in `invite`'s transaction: the common part of ACK and CANCEL.
fn derived_request(invite: &Message, method: Method) -> Result<Message, TransactionError> {
    let uri = invite.request_uri().ok_or(TransactionError::NotARequest)?;
    let via = invite
        .top_via()
        .map_err(|error| TransactionError::BadHeader { name: "Via", error })?;
    let cseq = invite.cseq().map_err(|error| TransactionError::BadHeader {
        name: "CSeq",
        error,
    })?;
    let header = |name: Known| {
        invite.header(name).ok_or(TransactionError::MissingHeader {
            name: name.as_str(),
        })
    };
    let mut m = Message::request(method.clone(), uri);
    m.push_header(Known::Via, via_text(&via));
    m.push_header(Known::MaxForwards, "70");
    m.push_header(Known::From, header(Known::From)?);
    m.push_header(Known::To, header(Known::To)?);
    m.push_header(Known::CallId, header(Known::CallId)?);
    m.push_header(Known::CSeq, format!("{} {}", cseq.seq, method.as_str()));
    for route in invite.header_values(Known::Route) {
        m.push_header(Known::Route, route);
    }
    Ok(m)
}

/// One `via-parm` printed back: `SIP/2.0/UDP host:port;params`.
pub(crate) fn via_text(via: &Via<'_>) -> String {
    let mut s = format!(
        "{}/{}/{} {}",
        via.protocol, via.version, via.transport, via.host
    );
    if let Some(port) = via.port {
        // Writing to a String cannot fail.
        let _ = write!(s, ":{port}");
    }
    s.push_str(via.params.as_str());
    s
}

/// A To tag for a response the layer generates itself (481, 482, 200 to CANCEL): a
/// hash of the request's identity, so a retransmitted request gets the same tag
/// without the layer storing or generating random state.
pub(crate) fn derived_tag(request: &Message) -> String {
    let mut h = Fnv::default();
    h.write(request.call_id().unwrap_or_default());
    h.write(
        request
            .from()
            .ok()
            .and_then(|f| f.tag())
            .unwrap_or_default(),
    );
    h.write(request.header(Known::CSeq).unwrap_or_default());
    h.write(request.header(Known::Via).unwrap_or_default());
    format!("{:016x}", h.0)
}

/// FNV-1a, 64 bit.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, s: &str) {
        for &b in s.as_bytes().iter().chain(b"\x00") {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Framing, Limits};

    fn parse(s: &str) -> Message {
        Message::parse(s.as_bytes().to_vec(), Framing::Datagram, &Limits::default())
            .expect("valid test message")
    }

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.1:5060 ;branch=z9hG4bKabc;rport, SIP/2.0/UDP 10.0.0.1\r\n\
        Via: SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKdef\r\n\
        Route: <sip:p1.example.com;lr>\r\n\
        Route: <sip:p2.example.com;lr>\r\n\
        From: <sip:alice@example.com>;tag=a1\r\n\
        To: <sip:bob@example.com>\r\n\
        Call-ID: c1@192.0.2.1\r\n\
        CSeq: 7 INVITE\r\n\
        Timestamp: 54\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn responses_copy_the_transaction_headers() {
        let r = response_for(&parse(INVITE), 486, "Busy Here", Some("b2"));
        let vias: Vec<_> = r.header_values(Known::Via).collect();
        assert_eq!(vias.len(), 2);
        assert!(vias[0].contains("z9hG4bKabc") && vias[0].contains("10.0.0.1"));
        assert_eq!(r.header(Known::To), Some("<sip:bob@example.com>;tag=b2"));
        assert_eq!(r.header(Known::CSeq), Some("7 INVITE"));
        assert_eq!(r.other_header("Timestamp"), None);
        let trying = response_for(&parse(INVITE), 100, "Trying", None);
        assert_eq!(trying.header(Known::To), Some("<sip:bob@example.com>"));
        assert_eq!(trying.other_header("Timestamp"), Some("54"));
        // Round trip through the parser.
        assert!(Message::parse(r.to_bytes(), Framing::Datagram, &Limits::default()).is_ok());
    }

    #[test]
    fn dialog_responses_copy_record_route_exactly() {
        let rr = [
            "\"P1\" <sip:p1.example.com;lr;ftag=x>;foo",
            "<sip:p2.example.com;lr>,<sip:p3;lr>",
        ];
        let invite = parse(&INVITE.replace(
            "Timestamp: 54\r\n",
            &format!("Record-Route: {}\r\nRecord-Route: {}\r\n", rr[0], rr[1]),
        ));
        for code in [101, 180, 183, 200, 299] {
            let r = response_for(&invite, code, "x", Some("b2"));
            assert_eq!(r.header_values(Known::RecordRoute).collect::<Vec<_>>(), rr);
        }
        for code in [100, 300, 486, 500] {
            let r = response_for(&invite, code, "x", Some("b2"));
            assert_eq!(r.header_values(Known::RecordRoute).count(), 0, "{code}");
        }
        // The kept template serves responses built later, Record-Route included.
        let template = response_template(&invite);
        let ok = response_for(&template, 200, "OK", Some("b2"));
        assert_eq!(ok.header_values(Known::RecordRoute).collect::<Vec<_>>(), rr);
    }

    #[test]
    fn ack_and_cancel_follow_9_1_and_17_1_1_3() {
        let invite = parse(INVITE);
        let busy = response_for(&invite, 486, "Busy Here", Some("b2"));
        let ack = ack_for(&invite, &busy).expect("buildable");
        assert_eq!(ack.method(), Some(&Method::Ack));
        assert_eq!(ack.request_uri(), Some("sip:bob@example.com"));
        assert_eq!(
            ack.header_values(Known::Via).collect::<Vec<_>>(),
            ["SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport"]
        );
        assert_eq!(ack.header(Known::To), Some("<sip:bob@example.com>;tag=b2"));
        assert_eq!(ack.header(Known::CSeq), Some("7 ACK"));
        assert_eq!(ack.header_values(Known::Route).count(), 2);
        let cancel = cancel_for(&invite).expect("buildable");
        assert_eq!(cancel.header(Known::To), Some("<sip:bob@example.com>"));
        assert_eq!(cancel.header(Known::CSeq), Some("7 CANCEL"));
        let reparsed = Message::parse(cancel.to_bytes(), Framing::Datagram, &Limits::default());
        assert!(reparsed.is_ok(), "{reparsed:?}");
    }

    #[test]
    fn branches_and_tags() {
        assert_eq!(new_branch(0xabc), "z9hG4bK0000000000000abc");
        let invite = parse(INVITE);
        assert_eq!(derived_tag(&invite), derived_tag(&invite.clone()));
    }
}
