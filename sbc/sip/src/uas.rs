//! Screening of requests the SBC receives as a UAS (RFC 3261 §8.2), before anything is
//! routed: the checks whose answers do not depend on where the request would go.

use crate::grammar::Uri;
use crate::grammar::scalar::{for_each_token, parse_content_type};
use crate::wire::{Known, Message, Method};

/// What the SBC understands, advertised in OPTIONS answers and used for screening.
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// Methods answered or relayed (Allow).
    pub allow: Vec<Method>,
    /// Body types accepted (Accept), `type/subtype`.
    pub accept: Vec<&'static str>,
    /// Option tags understood (Supported); anything else in Require gets 420.
    pub supported: Vec<&'static str>,
    /// The SBC's name in Server/User-Agent and Warning headers.
    pub agent: String,
}

impl Capabilities {
    pub fn sbc(agent: impl Into<String>) -> Self {
        Capabilities {
            allow: vec![
                Method::Invite,
                Method::Ack,
                Method::Bye,
                Method::Cancel,
                Method::Options,
                Method::Prack,
                Method::Update,
                Method::Info,
                Method::Register,
            ],
            accept: vec!["application/sdp"],
            supported: vec!["100rel", "timer"],
            agent: agent.into(),
        }
    }

    pub fn allow_header(&self) -> String {
        join(self.allow.iter().map(Method::as_str))
    }

    pub fn accept_header(&self) -> String {
        join(self.accept.iter().copied())
    }

    pub fn supported_header(&self) -> String {
        join(self.supported.iter().copied())
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// A refusal: the status to answer with and headers that explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub headers: Vec<(Known, String)>,
    /// Why, for the log and the Warning header.
    pub reason: String,
}

impl Refusal {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Refusal {
            code,
            headers: Vec::new(),
            reason: reason.into(),
        }
    }
}

/// Runs the §8.2 checks in the RFC's order: URI scheme (416), Require (420), body type
/// (415), then whether an answer can carry a session description at all (406, RFC 4475
/// §3.3.15). ACK is never refused (it gets no response) and CANCEL ignores Require
/// (§8.2.2.3).
pub fn screen(req: &Message, caps: &Capabilities) -> Result<(), Refusal> {
    let Some(method) = req.method() else {
        return Ok(());
    };
    if *method == Method::Ack {
        return Ok(());
    }
    match req.request_uri_parsed() {
        Some(Ok(Uri::Sip(_))) => {}
        Some(Ok(Uri::Other { scheme, .. })) if scheme.eq_ignore_ascii_case("tel") => {}
        Some(Ok(Uri::Other { scheme, .. })) => {
            return Err(Refusal::new(
                416,
                format!("URI scheme \"{scheme}\" not supported"),
            ));
        }
        // The parser refuses requests with a malformed Request-URI before this point.
        Some(Err(_)) | None => return Err(Refusal::new(400, "malformed Request-URI")),
    }
    if *method != Method::Cancel {
        let mut unsupported = Vec::new();
        for v in req.header_values(Known::Require) {
            // Validated by the parser; a failure here only means nothing more to read.
            let _ = for_each_token(v, |t| {
                if !caps.supported.iter().any(|s| s.eq_ignore_ascii_case(t)) {
                    unsupported.push(t.to_owned());
                }
            });
        }
        if !unsupported.is_empty() {
            let list = unsupported.join(", ");
            let mut r = Refusal::new(420, format!("unsupported extension {list}"));
            r.headers.push((Known::Unsupported, list));
            return Err(r);
        }
    }
    if !req.body().is_empty() {
        if let Some(ct) = req.header(Known::ContentType) {
            let supported = parse_content_type(ct).is_ok_and(|(t, s)| {
                caps.accept.iter().any(|a| {
                    a.split_once('/').is_some_and(|(at, asub)| {
                        at.eq_ignore_ascii_case(t) && asub.eq_ignore_ascii_case(s)
                    })
                })
            });
            let encoded = req
                .header(Known::ContentEncoding)
                .is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"));
            if (!supported || encoded) && consumes_body(method) {
                let mut r = Refusal::new(415, format!("body type \"{ct}\" not supported"));
                r.headers.push((Known::Accept, caps.accept_header()));
                r.headers.push((Known::AcceptEncoding, "identity".into()));
                return Err(r);
            }
        }
    }
    if matches!(method, Method::Invite | Method::Update) && !accepts_sdp(req) {
        return Err(Refusal::new(
            406,
            "Accept does not allow application/sdp answers",
        ));
    }
    Ok(())
}

/// Whether the request's Accept (absent means `application/sdp`, §20.1) admits SDP.
fn accepts_sdp(req: &Message) -> bool {
    let mut values = req.header_values(Known::Accept).peekable();
    if values.peek().is_none() {
        return true;
    }
    values.flat_map(|v| v.split(',')).any(|range| {
        let media = range.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("application/sdp")
            || media.eq_ignore_ascii_case("application/*")
            || media == "*/*"
    })
}

/// Methods whose body the SBC itself reads (session descriptions); other bodies (INFO,
/// MESSAGE ...) are relayed as they are.
fn consumes_body(m: &Method) -> bool {
    matches!(
        m,
        Method::Invite | Method::Update | Method::Prack | Method::Options
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Framing, Limits};

    fn invite(require: &str) -> Message {
        let text = format!(
            "INVITE sip:bob@example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\
             From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n\
             Call-ID: c\r\nCSeq: 1 INVITE\r\nRequire: {require}\r\n\
             Content-Length: 0\r\n\r\n"
        );
        Message::parse(text.into_bytes(), Framing::Datagram, &Limits::default())
            .expect("valid test message")
    }

    #[test]
    fn the_b2bua_extensions_are_accepted() {
        // RFC 3262 and RFC 4028 are implemented by the B2BUA (b2bua::prack_*,
        // b2bua::session_timer): requiring them is fine.
        let caps = Capabilities::sbc("sbc");
        assert_eq!(screen(&invite("100rel, timer"), &caps), Ok(()));
        let refused = screen(&invite("100rel, foo"), &caps).expect_err("foo is unknown");
        assert_eq!(refused.code, 420);
        assert_eq!(refused.headers, vec![(Known::Unsupported, "foo".into())]);
    }
}
