//! Matching keys: which transaction a message belongs to.
//!
//! * Responses → client transactions (§17.1.3): the top Via branch and the CSeq method.
//! * Requests → server transactions (§17.2.3): with a magic-cookie branch, the branch,
//!   the top Via sent-by and the method (ACK counting as INVITE) — hardened with the
//!   Call-ID and CSeq number, which a retransmission, its ACK and its CANCEL all share
//!   (§9.1, §17.1.1.3): a peer that reuses a branch for a new request (RFC 4475 §3.3.2 and
//!   §3.3.3 do exactly that) gets a new transaction, not another request's answer, and
//!   nobody can absorb someone else's transaction by guessing only its branch. Without it (RFC 2543
//!   peers), Request-URI, From tag, Call-ID, CSeq number, top Via and method, with the
//!   To tag compared after the lookup (an ACK's To tag is the one of the response, not
//!   of the INVITE, so it cannot be part of the hashed key).
//! * Merged requests (§8.2.2.2): From tag, Call-ID and CSeq of a request without a To
//!   tag.

use super::build::via_text;
use super::error::TransactionError;
use crate::grammar::{NameAddr, Via};
use crate::{Message, Method};

/// §17.1.3: the branch of the request's top Via and the request's method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub(crate) branch: Box<str>,
    pub(crate) method: Method,
}

impl ClientKey {
    /// The key of a request the TU wants to send, checking what the transaction relies
    /// on: a top Via with an RFC 3261 branch, and the headers ACK and CANCEL copy.
    pub(crate) fn for_request(request: &Message) -> Result<ClientKey, TransactionError> {
        let method = request.method().ok_or(TransactionError::NotARequest)?;
        if *method == Method::Ack {
            return Err(TransactionError::AckTransaction);
        }
        for name in [
            crate::Known::From,
            crate::Known::To,
            crate::Known::CallId,
            crate::Known::CSeq,
        ] {
            if !request.has_header(name) {
                return Err(TransactionError::MissingHeader {
                    name: name.as_str(),
                });
            }
        }
        let cseq = request
            .cseq()
            .map_err(|error| TransactionError::BadHeader {
                name: "CSeq",
                error,
            })?;
        if cseq.method != method.as_str() {
            return Err(TransactionError::CSeqMethodMismatch {
                method: method.as_str().into(),
                cseq: cseq.method.into(),
            });
        }
        let via = request
            .top_via()
            .map_err(|_| TransactionError::MissingBranch)?;
        let branch = via.branch().ok_or(TransactionError::MissingBranch)?;
        if !via.is_rfc3261() {
            return Err(TransactionError::NotRfc3261Branch {
                branch: branch.into(),
            });
        }
        Ok(ClientKey {
            branch: branch.into(),
            method: method.clone(),
        })
    }

    /// The key of a received response; `None` when its top Via or CSeq is unusable
    /// (such a response cannot be ours and is dropped).
    pub(crate) fn for_response(response: &Message) -> Option<ClientKey> {
        let via = response.top_via().ok()?;
        let branch = via.branch()?;
        let cseq = response.cseq().ok()?;
        Some(ClientKey {
            branch: branch.into(),
            method: Method::from_token(cseq.method),
        })
    }
}

/// `sent-by` of a Via: the host (case-folded) and the port as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SentBy {
    host: Box<str>,
    port: Option<u16>,
}

impl SentBy {
    fn of(via: &Via<'_>) -> SentBy {
        SentBy {
            host: via.host.to_string().to_ascii_lowercase().into(),
            port: via.port,
        }
    }
}

/// §17.2.3: the key of a server transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    /// The top Via branch starts with the magic cookie.
    Rfc3261 {
        branch: Box<str>,
        sent_by: SentBy,
        call_id: Box<str>,
        cseq: u32,
        method: Method,
    },
    /// RFC 2543 fallback; the To tag is compared after the lookup.
    Rfc2543 {
        request_uri: Box<str>,
        from_tag: Option<Box<str>>,
        call_id: Box<str>,
        cseq: u32,
        top_via: Box<str>,
        method: Method,
    },
}

impl ServerKey {
    /// The same key for another method: how a CANCEL finds the INVITE it cancels
    /// (§9.2 applies the §17.2.3 rules with the method of the cancelled request).
    pub(crate) fn with_method(&self, method: Method) -> ServerKey {
        let mut key = self.clone();
        match &mut key {
            ServerKey::Rfc3261 { method: m, .. } | ServerKey::Rfc2543 { method: m, .. } => {
                *m = method;
            }
        }
        key
    }

    pub(crate) fn is_rfc2543(&self) -> bool {
        matches!(self, ServerKey::Rfc2543 { .. })
    }
}

/// §8.2.2.2: From tag, Call-ID and CSeq (number and method) of a request without a To
/// tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct MergeKey {
    from_tag: Option<Box<str>>,
    call_id: Box<str>,
    cseq: u32,
    method: Method,
}

/// Everything the layer needs to place a received request.
#[derive(Debug)]
pub(crate) struct RequestKeys {
    pub(crate) key: ServerKey,
    /// The request's To tag (compared after a lookup by an RFC 2543 key).
    pub(crate) to_tag: Option<Box<str>>,
    /// Set when the request has no To tag (candidate for merge detection).
    pub(crate) merge: Option<MergeKey>,
}

impl RequestKeys {
    /// `None` when a header the keys depend on does not parse. Messages from
    /// [`Message::parse`] have been validated, so that only happens to hand-built ones.
    pub(crate) fn of(request: &Message) -> Option<RequestKeys> {
        let method = request.method()?;
        let via = request.top_via().ok()?;
        let cseq = request.cseq().ok()?;
        let from = request.from().ok()?;
        let to = request.to().ok()?;
        let call_id = request.call_id()?;
        let tx_method = match method {
            Method::Ack => Method::Invite,
            m => m.clone(),
        };
        let key = match via.branch() {
            Some(branch) if via.is_rfc3261() => ServerKey::Rfc3261 {
                branch: branch.into(),
                sent_by: SentBy::of(&via),
                call_id: call_id.into(),
                cseq: cseq.seq,
                method: tx_method,
            },
            _ => ServerKey::Rfc2543 {
                request_uri: request.request_uri()?.into(),
                from_tag: tag(&from),
                call_id: call_id.into(),
                cseq: cseq.seq,
                top_via: via_text(&via).into(),
                method: tx_method,
            },
        };
        let to_tag = tag(&to);
        let merge = to_tag.is_none().then(|| MergeKey {
            from_tag: tag(&from),
            call_id: call_id.into(),
            cseq: cseq.seq,
            method: method.clone(),
        });
        Some(RequestKeys { key, to_tag, merge })
    }
}

fn tag(addr: &NameAddr<'_>) -> Option<Box<str>> {
    addr.tag().map(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Framing, Limits};

    fn req(via: &str, method: &str, to: &str) -> Message {
        let s = format!(
            "{method} sip:bob@example.com SIP/2.0\r\nVia: {via}\r\nFrom: <sip:a@x>;tag=f\r\n\
             To: {to}\r\nCall-ID: c@x\r\nCSeq: 1 {method}\r\n\r\n"
        );
        Message::parse(s.into_bytes(), Framing::Datagram, &Limits::default()).expect("valid")
    }

    #[test]
    fn ack_shares_the_invite_key_and_sent_by_is_case_insensitive() {
        let inv = RequestKeys::of(&req(
            "SIP/2.0/UDP Host.Example:5060;branch=z9hG4bK1",
            "INVITE",
            "<sip:b@x>",
        ))
        .expect("keys");
        let ack = RequestKeys::of(&req(
            "SIP/2.0/UDP host.example:5060;branch=z9hG4bK1",
            "ACK",
            "<sip:b@x>;tag=t",
        ))
        .expect("keys");
        assert_eq!(inv.key, ack.key);
        assert!(inv.merge.is_some() && ack.merge.is_none());
        let other_port = RequestKeys::of(&req(
            "SIP/2.0/UDP host.example:5070;branch=z9hG4bK1",
            "INVITE",
            "<sip:b@x>",
        ))
        .expect("keys");
        assert_ne!(inv.key, other_port.key);
        let other_call = RequestKeys::of(&req(
            "SIP/2.0/UDP host.example:5060;branch=z9hG4bK1",
            "INVITE",
            "<sip:b@x>",
        ))
        .map(|k| k.key);
        assert_eq!(other_call, Some(inv.key.clone()));
    }

    #[test]
    fn a_reused_branch_with_another_call_id_is_another_transaction() {
        let a = req("SIP/2.0/UDP h;branch=z9hG4bKkdjuw", "OPTIONS", "<sip:b@x>");
        let text = String::from_utf8_lossy(&a.to_bytes()).replace("Call-ID: c@x", "Call-ID: d@x");
        let b = Message::parse(text.into_bytes(), Framing::Datagram, &Limits::default())
            .expect("valid");
        let (ka, kb) = (
            RequestKeys::of(&a).expect("keys"),
            RequestKeys::of(&b).expect("keys"),
        );
        assert_ne!(ka.key, kb.key);
    }

    #[test]
    fn branches_without_cookie_use_rfc2543_keys() {
        let k = RequestKeys::of(&req("SIP/2.0/UDP h;branch=old1", "OPTIONS", "<sip:b@x>"))
            .expect("keys");
        assert!(k.key.is_rfc2543());
        let k = RequestKeys::of(&req("SIP/2.0/UDP h", "OPTIONS", "<sip:b@x>")).expect("keys");
        assert!(k.key.is_rfc2543());
    }
}
