//! Framing on stream transports (TCP, TLS): where one message ends and the next begins.
//!
//! RFC 3261 §18.3: on a stream, Content-Length is mandatory and is the only way to find
//! the end of the body. CRLFs between messages are ignored (§7.5); a double CRLF is a
//! RFC 5626 §3.5.1 keep-alive ping that the daemon answers with a single CRLF pong.
//! The framer buffers at most one message's worth of bytes ([`Limits::max_message_size`]);
//! a peer that sends an endless header block is cut off with [`FrameError::TooLarge`].

use memchr::memmem;

use super::limits::Limits;
use super::parse::leading_crlfs;
use crate::grammar::scalar::parse_u32;

/// What the framer found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The bytes of one complete message, to be parsed with `Framing::Stream`.
    Message(Vec<u8>),
    /// A CRLF CRLF keep-alive ping; answer with `b"\r\n"`.
    Ping,
}

/// The stream cannot be framed any more; the connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("message exceeds {limit} bytes")]
    TooLarge { limit: usize },
    #[error("message without a valid Content-Length on a stream transport")]
    BadContentLength,
}

/// Accumulates bytes read from one connection and splits them into messages.
#[derive(Debug)]
pub struct StreamFramer {
    buf: Vec<u8>,
    limits: Limits,
    /// How far the search for the end of the header section has already looked.
    scanned: usize,
    /// Total length of the message at the front, once its header section is complete.
    pending: Option<usize>,
}

impl StreamFramer {
    pub fn new(limits: Limits) -> Self {
        StreamFramer {
            buf: Vec::new(),
            limits,
            scanned: 0,
            pending: None,
        }
    }

    /// Appends bytes read from the connection.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes buffered and not yet returned.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete message or ping, `Ok(None)` when more bytes are needed.
    pub fn next_event(&mut self) -> Result<Option<StreamEvent>, FrameError> {
        if self.pending.is_none() {
            if self.buf.starts_with(b"\r\n\r\n") {
                self.consume(4);
                return Ok(Some(StreamEvent::Ping));
            }
            let crlfs = leading_crlfs(&self.buf);
            if crlfs > 0 && self.buf.len() > crlfs {
                // Stray CRLFs (or a pong) before a start line are ignored (§7.5).
                self.consume(crlfs);
            }
            if self.buf == b"\r\n" || self.buf == b"\r" {
                return Ok(None);
            }
            let from = self.scanned.saturating_sub(3);
            let Some(i) = memmem::find(&self.buf[from..], b"\r\n\r\n") else {
                self.scanned = self.buf.len();
                if self.buf.len() > self.limits.max_message_size {
                    return Err(FrameError::TooLarge {
                        limit: self.limits.max_message_size,
                    });
                }
                return Ok(None);
            };
            let head_end = from + i + 4;
            let body = content_length(&self.buf[..head_end]).ok_or(FrameError::BadContentLength)?;
            let total = head_end + body;
            if total > self.limits.max_message_size {
                return Err(FrameError::TooLarge {
                    limit: self.limits.max_message_size,
                });
            }
            self.pending = Some(total);
        }
        match self.pending {
            Some(total) if self.buf.len() >= total => {
                let rest = self.buf.split_off(total);
                let msg = std::mem::replace(&mut self.buf, rest);
                self.pending = None;
                self.scanned = 0;
                Ok(Some(StreamEvent::Message(msg)))
            }
            _ => Ok(None),
        }
    }

    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
        self.scanned = 0;
    }
}

/// The single Content-Length of a header section (long or compact form).
fn content_length(head: &[u8]) -> Option<usize> {
    let mut found = None;
    for line in head.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            if found.is_some() {
                return None;
            }
            let value = std::str::from_utf8(line[colon + 1..].trim_ascii()).ok()?;
            found = Some(parse_u32(value, "Content-Length").ok()? as usize);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 4\r\n\r\nbody";

    fn framer() -> StreamFramer {
        StreamFramer::new(Limits {
            max_message_size: 256,
            max_headers: 16,
        })
    }

    #[test]
    fn splits_pipelined_messages_and_pings() {
        let mut f = framer();
        let mut input = b"\r\n\r\n".to_vec();
        input.extend_from_slice(MSG);
        input.extend_from_slice(b"\r\n");
        input.extend_from_slice(MSG);
        f.push(&input);
        assert_eq!(f.next_event(), Ok(Some(StreamEvent::Ping)));
        assert_eq!(f.next_event(), Ok(Some(StreamEvent::Message(MSG.to_vec()))));
        assert_eq!(f.next_event(), Ok(Some(StreamEvent::Message(MSG.to_vec()))));
        assert_eq!(f.next_event(), Ok(None));
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn reassembles_byte_by_byte() {
        let mut f = framer();
        let mut out = vec![];
        for b in MSG.iter().chain(MSG) {
            f.push(&[*b]);
            while let Some(e) = f.next_event().expect("valid stream") {
                out.push(e);
            }
        }
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn an_endless_header_block_is_cut_off() {
        let mut f = framer();
        let mut err = None;
        for _ in 0..100 {
            f.push(b"X-Junk: aaaaaaaaaaaaaaaa\r\n");
            if let Err(e) = f.next_event() {
                err = Some(e);
                break;
            }
        }
        assert_eq!(err, Some(FrameError::TooLarge { limit: 256 }));
    }

    #[test]
    fn content_length_is_required_and_bounded() {
        let mut f = framer();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
        assert_eq!(f.next_event(), Err(FrameError::BadContentLength));
        let mut f = framer();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 100000\r\n\r\n");
        assert_eq!(f.next_event(), Err(FrameError::TooLarge { limit: 256 }));
        let mut f = framer();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 1\r\n\r\nxx");
        assert_eq!(f.next_event(), Err(FrameError::BadContentLength));
    }
}
