//! [`SipText`]: a SIP message as the rules see it — a start line, header fields as
//! (name, value) text in order, and the body — read from and written back to bytes.
//!
//! The messages rules work on were already read by the SBC's own parser (received) or
//! built by the B2BUA (sent), so this reader only has to be exact, not defensive about
//! every grammar corner: it splits at the first empty line, unfolds continuation lines,
//! and refuses what it cannot split (no colon, no start line, bytes that are not UTF-8
//! in the header section). Writing recomputes Content-Length from the body.

use std::fmt;

/// A message, split into what rules read and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipText {
    /// `INVITE sip:bob@example.com SIP/2.0` or `SIP/2.0 200 OK`.
    pub start: String,
    /// Header fields in order, names as written.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why bytes are not a message this reader can split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the header section is not UTF-8")]
    NotUtf8,
    #[error("no start line")]
    NoStartLine,
    #[error("header line without a colon: \"{0}\"")]
    NoColon(String),
}

/// Compact forms (RFC 3261 §7.3.3 and extensions) and their full names.
const COMPACT: &[(&str, &str)] = &[
    ("i", "Call-ID"),
    ("m", "Contact"),
    ("e", "Content-Encoding"),
    ("l", "Content-Length"),
    ("c", "Content-Type"),
    ("f", "From"),
    ("s", "Subject"),
    ("k", "Supported"),
    ("t", "To"),
    ("v", "Via"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("b", "Referred-By"),
    ("u", "Allow-Events"),
    ("x", "Session-Expires"),
    ("a", "Accept-Contact"),
    ("j", "Reject-Contact"),
    ("d", "Request-Disposition"),
    ("y", "Identity"),
];

/// The full name of a header name, compact or not.
pub fn full_name(name: &str) -> &str {
    COMPACT
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(name))
        .map_or(name, |(_, full)| full)
}

/// Whether two header names name the same header (case, compact forms).
pub fn same_header(a: &str, b: &str) -> bool {
    full_name(a).eq_ignore_ascii_case(full_name(b))
}

impl SipText {
    /// Reads a whole message (one datagram, or one framed stream message).
    pub fn parse(bytes: &[u8]) -> Result<SipText, TextError> {
        let (head, body) = match find(bytes, b"\r\n\r\n") {
            Some(i) => (&bytes[..i], &bytes[i + 4..]),
            None => (bytes, &[][..]),
        };
        let head = std::str::from_utf8(head).map_err(|_| TextError::NotUtf8)?;
        let mut lines = head.split("\r\n");
        let start = lines
            .next()
            .filter(|l| !l.trim().is_empty())
            .ok_or(TextError::NoStartLine)?
            .to_owned();
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                    continue;
                }
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| TextError::NoColon(line.to_owned()))?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(SipText {
            start,
            headers,
            body: body.to_vec(),
        })
    }

    /// The message as bytes, with Content-Length set to the body's length.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(512);
        out.push_str(&self.start);
        out.push_str("\r\n");
        for (name, value) in &self.headers {
            if same_header(name, "Content-Length") {
                continue;
            }
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Whether it is a request.
    pub fn is_request(&self) -> bool {
        !self.start.starts_with("SIP/")
    }

    /// The request's method, or for a response the method of its CSeq.
    pub fn method(&self) -> Option<&str> {
        if self.is_request() {
            return self.start.split(' ').next();
        }
        self.first("CSeq")?.split_whitespace().nth(1)
    }

    /// The response's status code.
    pub fn status(&self) -> Option<u16> {
        if self.is_request() {
            return None;
        }
        self.start.split(' ').nth(1)?.parse().ok()
    }

    /// The first value of header `name` (any case, compact forms too).
    pub fn first(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| same_header(n, name))
            .map(|(_, v)| v.as_str())
    }

    /// The Request-URI of a request.
    pub fn request_uri(&self) -> Option<&str> {
        self.is_request().then(|| self.start.split(' ').nth(1))?
    }

    /// Replaces the Request-URI of a request.
    pub fn set_request_uri(&mut self, uri: &str) {
        let parts: Vec<&str> = self.start.splitn(3, ' ').collect();
        if let [method, _, version] = parts.as_slice() {
            self.start = format!("{method} {uri} {version}");
        }
    }
}

impl fmt::Display for SipText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_unfolds_and_writes_back() {
        let raw = b"INVITE sip:bob@b.example SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nSubject: a\r\n  b\r\nCSeq: 1 INVITE\r\nl: 3\r\n\r\nabc";
        let m = SipText::parse(raw).expect("parses");
        assert_eq!(m.first("Via"), Some("SIP/2.0/UDP h;branch=z9hG4bK1"));
        assert_eq!(m.first("subject"), Some("a b"));
        assert_eq!(m.method(), Some("INVITE"));
        assert_eq!(m.request_uri(), Some("sip:bob@b.example"));
        let out = String::from_utf8(m.to_bytes()).expect("utf-8");
        assert!(out.ends_with("Content-Length: 3\r\n\r\nabc"), "{out}");
        let r = SipText::parse(b"SIP/2.0 183 Session Progress\r\nCSeq: 7 INVITE\r\n\r\n")
            .expect("parses");
        assert_eq!((r.status(), r.method()), (Some(183), Some("INVITE")));
    }

    #[test]
    fn refuses_what_it_cannot_split() {
        assert_eq!(SipText::parse(b""), Err(TextError::NoStartLine));
        assert_eq!(
            SipText::parse(b"INVITE x SIP/2.0\r\nNoColon\r\n\r\n"),
            Err(TextError::NoColon("NoColon".into()))
        );
        assert_eq!(
            SipText::parse(b"INVITE x SIP/2.0\r\nA: \xff\r\n\r\n"),
            Err(TextError::NotUtf8)
        );
    }
}
