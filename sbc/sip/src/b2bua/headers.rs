//! The header policy: what crosses from one leg to the other.
//!
//! Each leg is its own dialog, so Via, Route, Record-Route, Contact, Call-ID, tags, CSeq
//! and Max-Forwards are always the SBC's own. Of the rest, only what the far side needs
//! to understand the request crosses; everything else — including every header the SBC
//! does not know — stays on its side, so no host name, address or product banner leaks.

use crate::grammar::scalar::for_each_token;
use crate::wire::{Known, Message};

/// Option tags the SBC relays end to end in Supported and Require (it implements their
/// hop-by-hop part itself or they need nothing from it).
pub const RELAYED_OPTION_TAGS: [&str; 1] = ["timer"];

/// Headers copied as they are when present (session description, session timer,
/// capabilities, and what responses need to make sense).
const CROSSING: [Known; 11] = [
    Known::Allow,
    Known::Accept,
    Known::ContentType,
    Known::Subject,
    Known::SessionExpires,
    Known::MinSe,
    Known::Event,
    // A NOTIFY's state of its subscription (RFC 6665 §8.2.3): relayed REFERs' NOTIFYs.
    Known::SubscriptionState,
    Known::Expires,
    Known::RetryAfter,
    Known::Unsupported,
];

/// Unknown-to-the-parser headers that cross by name.
const CROSSING_OTHER: [&str; 2] = ["Privacy", "Reason"];

/// Copies what may cross from `src` (received on one leg) into `dst` (to be sent on the
/// other), and the body.
pub fn copy_crossing(src: &Message, dst: &mut Message, trust_identity: bool) {
    for name in CROSSING {
        for v in src.header_values(name) {
            dst.push_header(name, v);
        }
    }
    for h in src.headers().filter(|h| h.known.is_none()) {
        if CROSSING_OTHER
            .iter()
            .any(|n| n.eq_ignore_ascii_case(h.name))
        {
            dst.push_header(crate::wire::HeaderName::Other(h.name.into()), h.value);
        }
    }
    for name in [Known::Supported, Known::Require] {
        let tags = relayed_tags(src, name);
        if !tags.is_empty() {
            dst.push_header(name, tags.join(", "));
        }
    }
    if trust_identity {
        for v in src.header_values(Known::PAssertedIdentity) {
            dst.push_header(Known::PAssertedIdentity, v);
        }
    }
    dst.set_body(src.body().to_vec());
}

/// The option tags of `name` that the SBC relays.
fn relayed_tags(src: &Message, name: Known) -> Vec<String> {
    let mut out = Vec::new();
    for v in src.header_values(name) {
        let _ = for_each_token(v, |t| {
            if RELAYED_OPTION_TAGS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(t))
            {
                out.push(t.to_owned());
            }
        });
    }
    out
}

/// Whether `name` (Supported, Require, Allow ...) of `msg` lists `tag`.
pub(crate) fn lists(msg: &Message, name: Known, tag: &str) -> bool {
    let mut found = false;
    for v in msg.header_values(name) {
        // A list that does not parse past some point lists nothing more.
        let _ = for_each_token(v, |t| found |= t.eq_ignore_ascii_case(tag));
    }
    found
}

/// Whether `msg` says it supports option `tag` (in Supported or Require).
pub(crate) fn supports(msg: &Message, tag: &str) -> bool {
    lists(msg, Known::Supported, tag) || lists(msg, Known::Require, tag)
}

/// Removes option `tag` from every `name` header of `msg` (dropping headers left empty).
pub(crate) fn remove_tag(msg: &mut Message, name: Known, tag: &str) {
    if !lists(msg, name, tag) {
        return;
    }
    let mut kept = Vec::new();
    for v in msg.header_values(name) {
        let _ = for_each_token(v, |t| {
            if !t.eq_ignore_ascii_case(tag) {
                kept.push(t.to_owned());
            }
        });
    }
    msg.remove_header(name);
    if !kept.is_empty() {
        msg.push_header(name, kept.join(", "));
    }
}
