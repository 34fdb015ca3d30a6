//! [`Message`]: a parsed request or response that owns its bytes.
//!
//! The header section is kept as the one `String` it arrived in; start line and header
//! fields are spans into it, so parsing copies nothing. Edits (adding a Via, replacing a
//! Contact) store the new text beside the spans, and [`Message::to_bytes`] prints the
//! result. Printing always writes a Content-Length computed from the body, so a message
//! whose body was replaced can never be framed wrongly.

use std::fmt;

use super::header_name::{HeaderName, Known};
use super::method::Method;
use crate::grammar::{CSeq, GrammarError, NameAddr, Uri, Via};

/// A piece of header text: a span of the received header section, or new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Text {
    Span { start: u32, end: u32 },
    Owned(Box<str>),
}

impl Text {
    pub(crate) fn span(start: usize, end: usize) -> Text {
        // Message size is capped far below 4 GiB by `Limits`, so offsets fit in u32.
        Text::Span {
            start: start as u32,
            end: end as u32,
        }
    }

    fn get<'a>(&'a self, head: &'a str) -> &'a str {
        match self {
            Text::Span { start, end } => &head[*start as usize..*end as usize],
            Text::Owned(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) known: Option<Known>,
    pub(crate) name: Text,
    pub(crate) value: Text,
}

/// The first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartLine {
    Request { method: Method, uri: Text },
    Response { code: u16, reason: Text },
}

/// A SIP message.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub(crate) head: String,
    pub(crate) start: StartLine,
    pub(crate) fields: Vec<Field>,
    pub(crate) body: Vec<u8>,
}

/// One header field as seen through [`Message::headers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRef<'a> {
    pub known: Option<Known>,
    pub name: &'a str,
    pub value: &'a str,
}

impl Message {
    /// A new request with no header fields.
    pub fn request(method: Method, uri: &str) -> Message {
        Message {
            head: String::new(),
            start: StartLine::Request {
                method,
                uri: Text::Owned(uri.into()),
            },
            fields: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A new response with no header fields.
    pub fn response(code: u16, reason: &str) -> Message {
        Message {
            head: String::new(),
            start: StartLine::Response {
                code,
                reason: Text::Owned(reason.into()),
            },
            fields: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The request method, `None` for a response.
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI text, `None` for a response.
    pub fn request_uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri.get(&self.head)),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match &self.start {
            StartLine::Response { reason, .. } => Some(reason.get(&self.head)),
            StartLine::Request { .. } => None,
        }
    }

    pub fn set_request_uri(&mut self, uri: &str) {
        if let StartLine::Request { uri: u, .. } = &mut self.start {
            *u = Text::Owned(uri.into());
        }
    }

    /// Every header field in order.
    pub fn headers(&self) -> impl Iterator<Item = HeaderRef<'_>> {
        self.fields.iter().map(|f| HeaderRef {
            known: f.known,
            name: match f.known {
                Some(k) => k.as_str(),
                None => f.name.get(&self.head),
            },
            value: f.value.get(&self.head),
        })
    }

    /// The values of every field named `name` (long or compact form), in order.
    pub fn header_values(&self, name: Known) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .filter(move |f| f.known == Some(name))
            .map(|f| f.value.get(&self.head))
    }

    /// The first value of `name`.
    pub fn header(&self, name: Known) -> Option<&str> {
        self.header_values(name).next()
    }

    /// The first value of an unknown header, matched case-insensitively.
    pub fn other_header(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.known.is_none() && f.name.get(&self.head).eq_ignore_ascii_case(name))
            .map(|f| f.value.get(&self.head))
    }

    pub fn has_header(&self, name: Known) -> bool {
        self.fields.iter().any(|f| f.known == Some(name))
    }

    /// Appends a header field.
    pub fn push_header(&mut self, name: impl Into<HeaderName>, value: impl Into<Box<str>>) {
        let f = field(name.into(), value.into());
        self.fields.push(f);
    }

    /// Inserts a header field before all others (a new top Via).
    pub fn prepend_header(&mut self, name: impl Into<HeaderName>, value: impl Into<Box<str>>) {
        let f = field(name.into(), value.into());
        self.fields.insert(0, f);
    }

    /// Removes every field named `name`; returns how many were removed.
    pub fn remove_header(&mut self, name: Known) -> usize {
        let before = self.fields.len();
        self.fields.retain(|f| f.known != Some(name));
        before - self.fields.len()
    }

    /// Replaces every field named `name` with one field holding `value`, at the position
    /// of the first (or at the end when there was none).
    pub fn set_header(&mut self, name: Known, value: impl Into<Box<str>>) {
        let new = field(name.into(), value.into());
        match self.fields.iter().position(|f| f.known == Some(name)) {
            Some(i) => {
                self.fields[i] = new;
                let mut seen = 0usize;
                self.fields.retain(|f| {
                    if f.known == Some(name) {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => self.fields.push(new),
        }
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Replaces the body (Content-Length follows automatically when printed).
    pub fn set_body(&mut self, body: Vec<u8>) {
        self.body = body;
    }

    // ---- typed accessors over validated headers -------------------------------------

    pub fn call_id(&self) -> Option<&str> {
        self.header(Known::CallId)
    }

    pub fn cseq(&self) -> Result<CSeq<'_>, GrammarError> {
        CSeq::parse(self.header(Known::CSeq).unwrap_or_default())
    }

    pub fn from(&self) -> Result<NameAddr<'_>, GrammarError> {
        NameAddr::parse(self.header(Known::From).unwrap_or_default())
    }

    pub fn to(&self) -> Result<NameAddr<'_>, GrammarError> {
        NameAddr::parse(self.header(Known::To).unwrap_or_default())
    }

    /// The topmost Via `via-parm` (the first of the first Via field).
    pub fn top_via(&self) -> Result<Via<'_>, GrammarError> {
        Via::parse_first(self.header(Known::Via).unwrap_or_default())
    }

    /// Max-Forwards, when present.
    pub fn max_forwards(&self) -> Option<u8> {
        self.header(Known::MaxForwards)
            .and_then(|v| crate::grammar::scalar::parse_max_forwards(v).ok())
    }

    pub fn request_uri_parsed(&self) -> Option<Result<Uri<'_>, GrammarError>> {
        self.request_uri().map(Uri::parse)
    }

    // ---- printing ---------------------------------------------------------------------

    /// Appends the wire form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.reserve(self.head.len() + self.body.len() + 64);
        match &self.start {
            StartLine::Request { method, uri } => {
                out.extend_from_slice(method.as_str().as_bytes());
                out.push(b' ');
                out.extend_from_slice(uri.get(&self.head).as_bytes());
                out.extend_from_slice(b" SIP/2.0\r\n");
            }
            StartLine::Response { code, reason } => {
                out.extend_from_slice(b"SIP/2.0 ");
                push_u16(out, *code);
                out.push(b' ');
                out.extend_from_slice(reason.get(&self.head).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        for f in &self.fields {
            if f.known == Some(Known::ContentLength) {
                continue;
            }
            let name = match f.known {
                Some(k) => k.as_str(),
                None => f.name.get(&self.head),
            };
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(f.value.get(&self.head).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Content-Length: ");
        push_usize(out, self.body.len());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(&self.body);
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

fn field(name: HeaderName, value: Box<str>) -> Field {
    match name {
        HeaderName::Known(k) => Field {
            known: Some(k),
            name: Text::Owned("".into()),
            value: Text::Owned(value),
        },
        HeaderName::Other(n) => Field {
            known: None,
            name: Text::Owned(n),
            value: Text::Owned(value),
        },
    }
}

fn push_u16(out: &mut Vec<u8>, n: u16) {
    push_usize(out, n as usize);
}

fn push_usize(out: &mut Vec<u8>, mut n: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}
