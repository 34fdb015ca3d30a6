//! One leg's dialog state (RFC 3261 §12): what the SBC needs to send requests on that leg
//! and to recognise requests arriving on it.

use crate::transaction::Peer;
use crate::wire::{Known, Message, Method};

/// A dialog as the SBC holds it on one leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub call_id: String,
    /// Our tag on this leg (To tag on the A leg, From tag on the B leg).
    pub local_tag: String,
    /// The peer's tag, once known.
    pub remote_tag: Option<String>,
    /// Our party header as we present it, with our tag (From of our requests).
    pub local_party: String,
    /// The peer's party header with its tag (To of our requests).
    pub remote_party: String,
    /// CSeq of the last request we sent on this leg.
    pub local_cseq: u32,
    /// CSeq of the last request the peer sent on this leg.
    pub remote_cseq: Option<u32>,
    /// Request-URI of our in-dialog requests: the peer's Contact.
    pub remote_target: String,
    /// Route headers of our in-dialog requests (from the peer's Record-Route).
    pub route_set: Vec<String>,
    /// Where this leg's messages go (the peer's observed or configured address).
    pub peer: Peer,
    /// Our Contact on this leg.
    pub contact: String,
    /// Our Via `host:port` on this leg.
    pub via_host: String,
    /// The last session description the SBC sent on this leg (re-sent in a re-INVITE
    /// when the SBC refreshes the session itself, RFC 4028 §7.4).
    pub last_sdp: Option<Vec<u8>>,
}

impl Dialog {
    /// A new request within this dialog (§12.2.1.1): next CSeq, our Via with `branch`.
    pub fn request(&mut self, method: Method, branch: &str) -> Message {
        if method != Method::Ack && method != Method::Cancel {
            self.local_cseq = self.local_cseq.wrapping_add(1);
        }
        self.request_with_cseq(method, self.local_cseq, branch)
    }

    /// A request with an explicit CSeq number (ACK reuses its INVITE's).
    pub fn request_with_cseq(&self, method: Method, cseq: u32, branch: &str) -> Message {
        let mut m = Message::request(method.clone(), &self.remote_target);
        m.push_header(
            Known::Via,
            format!(
                "SIP/2.0/{} {};branch={branch};rport",
                self.peer.transport.via_token(),
                self.via_host
            ),
        );
        m.push_header(Known::MaxForwards, "70");
        for route in &self.route_set {
            m.push_header(Known::Route, route.as_str());
        }
        m.push_header(Known::From, self.local_party.as_str());
        m.push_header(Known::To, self.remote_party.as_str());
        m.push_header(Known::CallId, self.call_id.as_str());
        m.push_header(Known::CSeq, format!("{cseq} {method}"));
        if matches!(
            method,
            Method::Invite | Method::Update | Method::Subscribe | Method::Refer
        ) {
            m.push_header(Known::Contact, self.contact.as_str());
        }
        m
    }

    /// Records the peer's CSeq of an in-dialog request; `false` when it is not higher than
    /// the last one (§12.2.2: answer 500).
    pub fn accept_remote_cseq(&mut self, cseq: u32, method: &Method) -> bool {
        if *method == Method::Ack || *method == Method::Cancel {
            return true;
        }
        match self.remote_cseq {
            Some(last) if cseq <= last => false,
            _ => {
                self.remote_cseq = Some(cseq);
                true
            }
        }
    }

    /// Takes a target refresh (§12.2): a new Contact of the peer.
    pub fn refresh_target(&mut self, msg: &Message) {
        if let Some(uri) = contact_uri(msg) {
            self.remote_target = uri;
        }
    }
}

/// The early dialog a provisional response with To tag `tag` opens on our UAC leg
/// `leg` (§12.1.2): the peer's tag, To, Contact and the Record-Route in reverse; our side
/// as on the leg.
pub fn early_dialog(leg: &Dialog, response: &Message, tag: String) -> Dialog {
    let mut fork = leg.clone();
    fork.remote_tag = Some(tag);
    fork.remote_party = response.header(Known::To).unwrap_or_default().to_owned();
    if let Some(target) = contact_uri(response) {
        fork.remote_target = target;
    }
    fork.route_set = record_route(response).into_iter().rev().collect();
    fork
}

/// The URI of the first Contact of a message, without brackets or parameters.
pub fn contact_uri(msg: &Message) -> Option<String> {
    let v = msg.header(Known::Contact)?;
    let list = crate::grammar::NameAddr::parse_list(v).ok()?;
    let first = list.first()?;
    Some(match first.uri {
        crate::grammar::Uri::Sip(u) => u.to_string(),
        crate::grammar::Uri::Other { scheme, rest } => format!("{scheme}:{rest}"),
    })
}

/// Record-Route values of a message, in order, each as one Route value.
pub fn record_route(msg: &Message) -> Vec<String> {
    let mut out = Vec::new();
    for v in msg.header_values(Known::RecordRoute) {
        let _ = crate::grammar::name_addr::for_each(v, |a| {
            let uri = match a.uri {
                crate::grammar::Uri::Sip(u) => u.to_string(),
                crate::grammar::Uri::Other { scheme, rest } => format!("{scheme}:{rest}"),
            };
            out.push(format!("<{uri}>{}", a.params.as_str()));
            Ok(())
        });
    }
    out
}
