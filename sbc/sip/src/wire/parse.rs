//! The wire parser: bytes in, [`Message`] out, or a [`ParseError`].
//!
//! One pass over the header section finds line ends with `memchr`, records the start
//! line and each header field as spans (folded continuation lines extend the field they
//! continue), and looks header names up once. [`validate`](super::validate) then checks
//! the fields a transaction and a dialog depend on.

use memchr::{memchr, memmem};

use super::error::ParseError;
use super::header_name::Known;
use super::limits::Limits;
use super::message::{Field, Message, StartLine, Text};
use super::method::Method;
use super::validate::validate;
use crate::grammar::chars::is_token;
use crate::grammar::scalar::parse_u32;
use crate::grammar::{Uri, is_token_str};

/// How the body's end is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One message per datagram: Content-Length, when present, cuts the body (bytes past
    /// it are ignored, RFC 3261 §18.3); when absent the body runs to the datagram's end.
    Datagram,
    /// The caller has framed exactly one message (see [`StreamFramer`](super::StreamFramer)):
    /// Content-Length is mandatory and must match.
    Stream,
}

/// Where the header section ends, skipping CRLFs before the start line (§7.5).
/// Returns `(start, end)` with `end` just past the empty line.
pub(crate) fn find_head(buf: &[u8]) -> Option<(usize, usize)> {
    let start = leading_crlfs(buf);
    memmem::find(&buf[start..], b"\r\n\r\n").map(|i| (start, start + i + 4))
}

pub(crate) fn leading_crlfs(buf: &[u8]) -> usize {
    let mut i = 0;
    while i + 1 < buf.len() && buf[i] == b'\r' && buf[i + 1] == b'\n' {
        i += 2;
    }
    i
}

impl Message {
    /// Parses one message: a whole datagram, or one framed stream message.
    pub fn parse(buf: Vec<u8>, framing: Framing, limits: &Limits) -> Result<Message, ParseError> {
        Message::parse_or_return(buf, framing, limits).map_err(|(e, _)| e)
    }

    /// Like [`Message::parse`], but a refused message's bytes come back with the error,
    /// so the caller can still answer it (see [`reject_response`](super::reject_response))
    /// without having copied the buffer up front.
    pub fn parse_or_return(
        mut buf: Vec<u8>,
        framing: Framing,
        limits: &Limits,
    ) -> Result<Message, (ParseError, Vec<u8>)> {
        if buf.len() > limits.max_message_size {
            let error = ParseError::TooLarge {
                size: buf.len(),
                limit: limits.max_message_size,
            };
            return Err((error, buf));
        }
        let Some((skip, head_end)) = find_head(&buf) else {
            return Err((ParseError::NoEndOfHeaders, buf));
        };
        let mut rest = buf.split_off(head_end);
        buf.drain(..skip);
        let head = match String::from_utf8(buf) {
            Ok(h) => h,
            Err(e) => return Err((ParseError::NotUtf8, rejoin(e.into_bytes(), rest))),
        };
        let parsed = scan_head(&head, limits)
            .and_then(|(start, fields)| Ok((start, content_length(&head, &fields)?, fields)));
        let (start, content_length, fields) = match parsed {
            Ok(p) => p,
            Err(e) => return Err((e, rejoin(head.into_bytes(), rest))),
        };
        let body = match (content_length, framing) {
            (Some(n), _) if n > rest.len() => {
                let error = ParseError::BodyTruncated {
                    declared: n,
                    available: rest.len(),
                };
                return Err((error, rejoin(head.into_bytes(), rest)));
            }
            (Some(n), _) => {
                rest.truncate(n);
                rest
            }
            (None, Framing::Datagram) => rest,
            (None, Framing::Stream) => {
                return Err((
                    ParseError::MissingContentLength,
                    rejoin(head.into_bytes(), rest),
                ));
            }
        };
        let msg = Message {
            head,
            start,
            fields,
            body,
        };
        match validate(&msg) {
            Ok(()) => Ok(msg),
            Err(e) => Err((e, rejoin(msg.head.into_bytes(), msg.body))),
        }
    }
}

fn rejoin(mut head: Vec<u8>, body: Vec<u8>) -> Vec<u8> {
    head.extend_from_slice(&body);
    head
}

fn scan_head(head: &str, limits: &Limits) -> Result<(StartLine, Vec<Field>), ParseError> {
    let b = head.as_bytes();
    // Invariant: `head` ends with "\r\n\r\n" (found by `find_head`).
    let body_sep = head.len() - 2;
    let first_end = line_end(b, 0)?;
    let start = start_line(head, first_end)?;
    let mut fields: Vec<Field> = Vec::with_capacity(16);
    let mut pos = first_end + 2;
    while pos < body_sep {
        let end = line_end(b, pos)?;
        if matches!(b[pos], b' ' | b'\t') {
            // A continuation line: the previous field's value runs on.
            let Some(last) = fields.last_mut() else {
                return Err(bad_line(head, pos, end));
            };
            if let Text::Span { end: e, .. } = &mut last.value {
                *e = trim_end(b, pos, end) as u32;
            }
        } else {
            if fields.len() == limits.max_headers {
                return Err(ParseError::TooManyHeaders {
                    limit: limits.max_headers,
                });
            }
            fields.push(header_line(head, pos, end)?);
        }
        pos = end + 2;
    }
    Ok((start, fields))
}

/// The index of the CRLF ending the line that starts at `from`.
fn line_end(b: &[u8], from: usize) -> Result<usize, ParseError> {
    // Invariant: the head ends with CRLF CRLF, so a '\n' is always found.
    let nl = from + memchr(b'\n', &b[from..]).ok_or(ParseError::NoEndOfHeaders)?;
    if nl == from || b[nl - 1] != b'\r' {
        return Err(ParseError::BareLineFeed);
    }
    Ok(nl - 1)
}

fn trim_end(b: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    end
}

fn bad_line(head: &str, start: usize, end: usize) -> ParseError {
    ParseError::BadHeaderLine {
        line: head[start..end].chars().take(80).collect(),
    }
}

fn header_line(head: &str, start: usize, end: usize) -> Result<Field, ParseError> {
    let b = head.as_bytes();
    let colon = start + memchr(b':', &b[start..end]).ok_or_else(|| bad_line(head, start, end))?;
    let name_end = trim_end(b, start, colon);
    let name = &head[start..name_end];
    if name.is_empty() || !name.bytes().all(is_token) {
        return Err(bad_line(head, start, end));
    }
    let mut v = colon + 1;
    while v < end && matches!(b[v], b' ' | b'\t') {
        v += 1;
    }
    let known = Known::lookup(name);
    Ok(Field {
        known,
        name: Text::span(start, name_end),
        value: Text::span(v, trim_end(b, v, end)),
    })
}

fn start_line(head: &str, end: usize) -> Result<StartLine, ParseError> {
    let line = &head[..end];
    let bad = || ParseError::BadStartLine {
        line: line.chars().take(80).collect(),
    };
    if let Some(rest) = strip_version_prefix(line) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let (version, rest) = rest;
        check_version(version)?;
        let code = rest.get(..3).ok_or_else(bad)?;
        if !code.bytes().all(|c| c.is_ascii_digit()) || rest.as_bytes().get(3) != Some(&b' ') {
            return Err(bad());
        }
        let code: u16 = code.parse().map_err(|_| bad())?;
        if !(100..=699).contains(&code) {
            return Err(bad());
        }
        let reason_start = version.len() + 1 + 4;
        return Ok(StartLine::Response {
            code,
            reason: Text::span(reason_start, end),
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces.
    let first = memchr(b' ', line.as_bytes()).ok_or_else(bad)?;
    let last = memchr::memrchr(b' ', line.as_bytes()).ok_or_else(bad)?;
    if first == last {
        return Err(bad());
    }
    let method = &line[..first];
    let uri = &line[first + 1..last];
    let version = &line[last + 1..];
    if !is_token_str(method) || version.is_empty() {
        return Err(bad());
    }
    if !is_version(version) {
        return Err(bad());
    }
    if uri.is_empty() || memchr::memchr2(b' ', b'\t', uri.as_bytes()).is_some() {
        return Err(ParseError::BadRequestUri { uri: uri.into() });
    }
    check_version(version)?;
    match Uri::parse(uri) {
        Ok(Uri::Sip(u)) if !u.headers.is_empty() => {
            return Err(ParseError::HeadersInRequestUri { uri: uri.into() });
        }
        Ok(_) => {}
        Err(_) => return Err(ParseError::BadRequestUri { uri: uri.into() }),
    }
    Ok(StartLine::Request {
        method: Method::from_token(method),
        uri: Text::span(first + 1, last),
    })
}

/// `("SIP/2.0", "200 OK")` when the line starts with a SIP version and a space.
fn strip_version_prefix(line: &str) -> Option<(&str, &str)> {
    let sp = memchr(b' ', line.as_bytes())?;
    let version = &line[..sp];
    is_version(version).then(|| (version, &line[sp + 1..]))
}

/// `SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT` ("SIP" is case-insensitive).
fn is_version(v: &str) -> bool {
    let Some(num) = v.get(4..) else { return false };
    if !v[..4].eq_ignore_ascii_case("SIP/") {
        return false;
    }
    match num.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn check_version(v: &str) -> Result<(), ParseError> {
    if v[4..] == *"2.0" {
        Ok(())
    } else {
        Err(ParseError::UnsupportedVersion { version: v.into() })
    }
}

fn content_length(head: &str, fields: &[Field]) -> Result<Option<usize>, ParseError> {
    let mut found = None;
    for f in fields
        .iter()
        .filter(|f| f.known == Some(Known::ContentLength))
    {
        if found.is_some() {
            return Err(ParseError::DuplicateHeader {
                name: "Content-Length",
            });
        }
        let Text::Span { start, end } = f.value else {
            continue;
        };
        let v = &head[start as usize..end as usize];
        let n = parse_u32(v, "Content-Length").map_err(|error| ParseError::BadHeader {
            name: "Content-Length",
            error,
        })?;
        found = Some(n as usize);
    }
    Ok(found)
}
