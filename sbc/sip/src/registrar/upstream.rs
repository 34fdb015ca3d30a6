//! Reading REGISTER requests and responses, and building the upstream REGISTER.

use crate::b2bua::Target;
use crate::grammar::scalar::parse_u32;
use crate::grammar::{NameAddr, Uri};
use crate::wire::{Known, Message, Method};

/// Default registration interval when the phone asks none (RFC 3261 §10.2.1.1 leaves it
/// to the registrar; 3600 is the customary value).
pub const DEFAULT_EXPIRES: u32 = 3600;

/// What a REGISTER asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contacts {
    /// No Contact: a query for the current bindings.
    Query,
    /// `Contact: *` with Expires 0: remove every binding of the AOR.
    RemoveAll,
    /// One contact (URI) and its requested expiry (0 removes it).
    One { uri: String, expires: u32 },
}

/// `user@domain` of a name-addr's URI, domain lower-cased; `None` for non-SIP URIs.
pub fn aor_of(addr: &NameAddr<'_>) -> Option<String> {
    match &addr.uri {
        Uri::Sip(u) => Some(format!(
            "{}@{}",
            u.user.unwrap_or_default(),
            u.host.to_string().to_ascii_lowercase()
        )),
        Uri::Other { .. } => None,
    }
}

/// The contact of a REGISTER (this relay handles one contact per REGISTER, which is what
/// phones send).
pub fn contacts(req: &Message) -> Result<Contacts, &'static str> {
    let header_expires = req
        .header(Known::Expires)
        .and_then(|v| parse_u32(v, "Expires").ok());
    let mut values = req.header_values(Known::Contact).peekable();
    let Some(first) = values.next() else {
        return Ok(Contacts::Query);
    };
    if first.trim() == "*" {
        return if header_expires == Some(0) && values.peek().is_none() {
            Ok(Contacts::RemoveAll)
        } else {
            Err("Contact * needs Expires: 0 and no other contact")
        };
    }
    let list = NameAddr::parse_list(first).map_err(|_| "malformed Contact")?;
    if list.len() != 1 || values.peek().is_some() {
        return Err("one contact per REGISTER");
    }
    let contact = &list[0];
    let uri = uri_text(&contact.uri);
    let expires = contact
        .params
        .get("expires")
        .flatten()
        .and_then(|e| parse_u32(e, "expires").ok())
        .or(header_expires)
        .unwrap_or(DEFAULT_EXPIRES);
    Ok(Contacts::One { uri, expires })
}

pub fn uri_text(uri: &Uri<'_>) -> String {
    match uri {
        Uri::Sip(u) => u.to_string(),
        Uri::Other { scheme, rest } => format!("{scheme}:{rest}"),
    }
}

/// What the registrar granted to the contact whose user part is `token`: `Some(0)` or
/// `None` when the binding is not (or no longer) there.
pub fn granted(resp: &Message, token: &str) -> Option<u32> {
    let header_expires = resp
        .header(Known::Expires)
        .and_then(|v| parse_u32(v, "Expires").ok());
    for v in resp.header_values(Known::Contact) {
        let Ok(list) = NameAddr::parse_list(v) else {
            continue;
        };
        for c in list {
            let ours = matches!(&c.uri, Uri::Sip(u) if u.user == Some(token));
            if ours {
                return c
                    .params
                    .get("expires")
                    .flatten()
                    .and_then(|e| parse_u32(e, "expires").ok())
                    .or(header_expires);
            }
        }
    }
    None
}

/// Fields of the upstream REGISTER.
pub struct Upstream<'a> {
    pub request_uri: String,
    pub aor: &'a str,
    pub call_id: &'a str,
    pub from_tag: &'a str,
    pub cseq: u32,
    pub contact: String,
    pub expires: u32,
    pub via_host: &'a str,
    pub branch: &'a str,
    pub target: &'a Target,
    pub agent: &'a str,
}

/// The REGISTER the SBC sends to the registrar for a phone (or `*` removal).
pub fn register(up: &Upstream<'_>, phone_request: &Message, remove_all: bool) -> Message {
    let mut m = Message::request(Method::Register, &up.request_uri);
    m.push_header(
        Known::Via,
        format!(
            "SIP/2.0/{} {};branch={};rport",
            up.target.peer.transport.via_token(),
            up.via_host,
            up.branch
        ),
    );
    let max_forwards = phone_request
        .max_forwards()
        .map_or(70, |m| m.saturating_sub(1));
    m.push_header(Known::MaxForwards, max_forwards.to_string());
    m.push_header(Known::From, format!("<sip:{}>;tag={}", up.aor, up.from_tag));
    m.push_header(Known::To, format!("<sip:{}>", up.aor));
    m.push_header(Known::CallId, up.call_id);
    m.push_header(Known::CSeq, format!("{} REGISTER", up.cseq));
    if remove_all {
        m.push_header(Known::Contact, "*");
    } else {
        m.push_header(
            Known::Contact,
            format!("{};expires={}", up.contact, up.expires),
        );
    }
    m.push_header(Known::Expires, up.expires.to_string());
    // Credentials belong to the AOR's domain, which the registrar serves: they cross.
    for name in [Known::Authorization, Known::ProxyAuthorization] {
        for v in phone_request.header_values(name) {
            m.push_header(name, v);
        }
    }
    m.push_header(Known::UserAgent, up.agent);
    m
}
