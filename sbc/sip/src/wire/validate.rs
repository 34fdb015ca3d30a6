//! Structural validation of a parsed message (RFC 3261 §8.1.1, §20; RFC 4475 §3.1.2).
//!
//! Only what a transaction, a dialog or the SBC's own decisions rely on is checked here:
//! the mandatory fields exist once and parse, and a handful of headers whose malformed
//! values RFC 4475 expects an element to refuse. Everything else is relayed or dropped as
//! written by higher layers, never re-parsed.

use super::error::ParseError;
use super::header_name::Known;
use super::message::Message;
use crate::grammar::scalar::{
    for_each_token, parse_content_type, parse_max_forwards, parse_u32, validate_call_id,
    validate_date,
};
use crate::grammar::{CSeq, GrammarError, NameAddr, name_addr, via};

/// Fields that may appear at most once (§20: not a comma-separated list).
const SINGLE: [Known; 7] = [
    Known::From,
    Known::To,
    Known::CallId,
    Known::CSeq,
    Known::MaxForwards,
    Known::ContentType,
    Known::Expires,
];

/// Fields every request and response must carry (§8.1.1). Max-Forwards is not among
/// them: RFC 2543 peers omit it, and RFC 4475 §3.3.7 asks that they be served.
const MANDATORY: [Known; 5] = [
    Known::Via,
    Known::From,
    Known::To,
    Known::CallId,
    Known::CSeq,
];

pub(crate) fn validate(msg: &Message) -> Result<(), ParseError> {
    // One pass: count each known header and check its grammar.
    let mut count = [0u8; Known::COUNT];
    let mut cseq_method = "";
    for f in msg.headers() {
        let Some(known) = f.known else { continue };
        let c = &mut count[known as usize];
        *c = c.saturating_add(1);
        let checked = if known == Known::CSeq {
            CSeq::parse(f.value).map(|c| cseq_method = c.method)
        } else {
            check_field(known, f.value)
        };
        checked.map_err(|error| ParseError::BadHeader {
            name: known.as_str(),
            error,
        })?;
    }
    for name in MANDATORY {
        if count[name as usize] == 0 {
            return Err(ParseError::MissingHeader {
                name: name.as_str(),
            });
        }
    }
    for name in SINGLE {
        if count[name as usize] > 1 {
            return Err(ParseError::DuplicateHeader {
                name: name.as_str(),
            });
        }
    }
    if let Some(method) = msg.method() {
        // CSeq is present exactly once (checked above), so `cseq_method` is its method.
        if cseq_method != method.as_str() {
            return Err(ParseError::CSeqMethodMismatch {
                method: method.as_str().into(),
                cseq: cseq_method.into(),
            });
        }
    }
    Ok(())
}

fn check_field(name: Known, v: &str) -> Result<(), GrammarError> {
    match name {
        Known::Via => via::for_each(v, |_| Ok(())),
        Known::From | Known::To => NameAddr::parse(v).map(drop),
        Known::Contact => check_contact(v),
        Known::Route | Known::RecordRoute => name_addr::for_each(v, |_| Ok(())),
        Known::CallId => validate_call_id(v),
        Known::CSeq => CSeq::parse(v).map(drop),
        Known::MaxForwards => parse_max_forwards(v).map(drop),
        Known::Expires => parse_u32(v, "Expires").map(drop),
        Known::ContentType => parse_content_type(v).map(drop),
        Known::Date => validate_date(v),
        Known::Require | Known::ProxyRequire | Known::Supported | Known::Unsupported => {
            for_each_token(v, |_| {})
        }
        _ => Ok(()),
    }
}

/// `Contact = ("*" / (contact-param *(COMMA contact-param)))`, with `expires` a 32-bit
/// delta-seconds (RFC 4475 §3.1.2.4).
fn check_contact(v: &str) -> Result<(), GrammarError> {
    if v.trim() == "*" {
        return Ok(());
    }
    name_addr::for_each(v, |a| {
        if let Some(e) = a.params.get("expires") {
            parse_u32(e.unwrap_or_default(), "Contact expires")?;
        }
        Ok(())
    })
}
