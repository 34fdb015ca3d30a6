//! Topology hiding in SDP: what a description says about its writer — who it is, which
//! product, which hosts and addresses — stays on its side. Addresses and ports in `c=`,
//! `m=` and `a=rtcp` are the SBC's own by then ([`anchor`](super::rewrite::anchor)); this
//! module decides the rest, line by line, in one place ([`fate`]):
//!
//! | what | fate | why |
//! |---|---|---|
//! | `s=` | `-` | often the product and version |
//! | `u=`, `e=`, `p=`, `k=`, `a=tool`, `a=T38VendorInfo` | dropped | the writer's URI, mail, phone, product; keys never cross |
//! | `a=ssrc:<id> cname:<name>` | name replaced by its pseudonym | the CNAME is usually `user@host` (baresip: `sip:alice@10.99.1.3:5080`); RTCP SDES gets the same pseudonym ([`Pseudonyms`]) |
//! | other `a=ssrc` attributes (`msid`, `mslabel`, `label`), `a=msid`, `a=msid-semantic` | dropped | WebRTC stream identities; nothing here uses them |
//! | `a=ssrc-group` | kept | SSRC numbers only, the ones relayed |
//! | `a=candidate`, `a=remote-candidates`, `a=ice-*`, `a=crypto` | dropped | removed before, by the offer/answer steps; listed so the table is whole |
//! | attributes the SBC knows to describe media ([`DESCRIBE_MEDIA`]: `rtpmap`, `fmtp`, directions, `rtcp-fb`, `mid`, T.38 parameters ...) | kept | needed for the session, carry no host |
//! | `a=label` (RFC 4574) | kept when it is a token that names no host | other attributes refer to it |
//! | any other attribute, `i=` lines, lines of undefined type | kept unless they name a host | unknown to the SBC: an IP address, `user@host`, a URI or a domain name in them drops the line |
//!
//! Each side gets its own [`Pseudonyms`] result for the same name (one key per run), so
//! two streams of one phone keep sharing their CNAME, as RFC 5576 §6.1 asks.

use std::net::{Ipv4Addr, Ipv6Addr};

use sbc_core::Pseudonyms;
use sbc_sdp::{Attribute, SessionDescription};

/// Attributes that describe media and never name a host; crossing as they are.
pub const DESCRIBE_MEDIA: &[&str] = &[
    // RFC 8866 and RFC 3264
    "rtpmap",
    "fmtp",
    "ptime",
    "maxptime",
    "sendrecv",
    "sendonly",
    "recvonly",
    "inactive",
    "framerate",
    "quality",
    "orient",
    "type",
    "charset",
    "sdplang",
    "lang",
    "cat",
    "keywds",
    // RTCP (RFC 3605 rewritten by `anchor`; RFC 5761, 5506, 4585)
    "rtcp",
    "rtcp-mux",
    "rtcp-rsize",
    "rtcp-fb",
    "rtcp-xr",
    // grouping, header extensions, video (RFC 5888, 8285, 6236, 8851, 8853, 4796)
    "mid",
    "group",
    "ssrc-group",
    "extmap",
    "extmap-allow-mixed",
    "imageattr",
    "framesize",
    "rid",
    "simulcast",
    "content",
    "silenceSupp",
    "maxprate",
    // connection-oriented media and DTLS (RFC 4145, 8122): refused by the SBC today
    "setup",
    "connection",
    "fingerprint",
    "tls-id",
    // T.38 (ITU-T T.38 Annex D)
    "T38FaxVersion",
    "T38MaxBitRate",
    "T38FaxFillBitRemoval",
    "T38FaxTranscodingMMR",
    "T38FaxTranscodingJBIG",
    "T38FaxRateManagement",
    "T38FaxMaxBuffer",
    "T38FaxMaxDatagram",
    "T38FaxMaxIFP",
    "T38FaxUdpEC",
    "T38FaxUdpECDepth",
    "T38FaxUdpFECMaxSpan",
    "T38ModemType",
];

/// Attributes that never cross.
const DROPPED: &[&str] = &[
    "tool",
    "T38VendorInfo",
    "msid",
    "msid-semantic",
    "candidate",
    "remote-candidates",
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-lite",
    "ice-mismatch",
    "ice-pacing",
    "end-of-candidates",
    "crypto",
];

/// What happens to an attribute on its way to the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Keep,
    Drop,
    /// `a=ssrc`: the cname replaced by its pseudonym, any other source attribute dropped.
    Pseudonym,
    /// Kept if it is a token that names no host (`a=label`).
    KeepToken,
    /// Unknown to the SBC: kept unless it names a host.
    KeepUnlessHost,
}

/// The fate of attribute `name` (see the module docs).
pub fn fate(name: &str) -> Fate {
    if name == "ssrc" {
        Fate::Pseudonym
    } else if name == "label" {
        Fate::KeepToken
    } else if DESCRIBE_MEDIA.contains(&name) {
        Fate::Keep
    } else if DROPPED.contains(&name) {
        Fate::Drop
    } else {
        Fate::KeepUnlessHost
    }
}

/// Applies the table of the module docs to `sdp`.
pub fn hide_identities(sdp: &mut SessionDescription, names: &Pseudonyms) {
    "-".clone_into(&mut sdp.session_name);
    sdp.uri = None;
    sdp.emails.clear();
    sdp.phones.clear();
    sdp.key = None;
    if sdp.information.as_deref().is_some_and(names_host) {
        sdp.information = None;
    }
    sdp.other_lines.retain(|l| !names_host(&l.value));
    sdp.attributes.retain_mut(|a| keep(a, names));
    for m in &mut sdp.media {
        m.key = None;
        if m.information.as_deref().is_some_and(names_host) {
            m.information = None;
        }
        m.other_lines.retain(|l| !names_host(&l.value));
        m.attributes.retain_mut(|a| keep(a, names));
    }
}

/// Whether `attr` crosses (rewritten if its fate says so).
fn keep(attr: &mut Attribute, names: &Pseudonyms) -> bool {
    let value = attr.value.as_deref().unwrap_or("");
    match fate(&attr.name) {
        Fate::Keep => true,
        Fate::Drop => false,
        Fate::KeepUnlessHost => !names_host(value) && !names_host(&attr.name),
        Fate::KeepToken => is_token(value) && !names_host(value),
        Fate::Pseudonym => match cname_pseudonym(value, names) {
            Some(v) => {
                attr.value = Some(v);
                true
            }
            None => false,
        },
    }
}

/// `<ssrc-id> cname:<name>` with the name replaced; `None` for any other source attribute
/// (RFC 5576 §4.1: `a=ssrc:<ssrc-id> <attribute>[:<value>]`).
fn cname_pseudonym(value: &str, names: &Pseudonyms) -> Option<String> {
    let (id, rest) = value.split_once(' ')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let name = rest.strip_prefix("cname:")?;
    Some(format!("{id} cname:{}", names.of(name)))
}

/// A token in the sense of RFC 8866 (`token-char`): visible ASCII but separators.
fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"(),/:;<=>?@[\\]{}".contains(&b))
}

/// Whether `text` names a host or a person: an IPv4 or IPv6 address, `user@host`, a URI,
/// or a domain name (two dots or more, ending in letters).
pub fn names_host(text: &str) -> bool {
    if text.contains('@') {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if ["sip:", "sips:", "tel:", "://"]
        .iter()
        .any(|scheme| lower.contains(scheme))
    {
        return true;
    }
    let address_char = |c: char| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']');
    if text.split(|c: char| !address_char(c)).any(is_ip_literal) {
        return true;
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
    text.split(|c: char| !name_char(c)).any(is_domain_name)
}

/// `192.0.2.1`, `192.0.2.1:5060`, `2001:db8::1`, `[2001:db8::1]:5060`.
fn is_ip_literal(token: &str) -> bool {
    let token = token.trim_matches(|c| c == ':' || c == '.');
    if token.len() < 3 {
        return false;
    }
    let unbracketed = token
        .strip_prefix('[')
        .and_then(|t| t.split_once(']'))
        .map_or(token, |(inner, _)| inner);
    if unbracketed.parse::<Ipv6Addr>().is_ok() || unbracketed.parse::<Ipv4Addr>().is_ok() {
        return true;
    }
    token
        .rsplit_once(':')
        .is_some_and(|(host, _port)| host.parse::<Ipv4Addr>().is_ok())
}

/// `pbx.corp.example`: at least three labels of letters, digits and hyphens, the last
/// one letters only.
fn is_domain_name(token: &str) -> bool {
    let labels: Vec<&str> = token.trim_matches('.').split('.').collect();
    labels.len() >= 3
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .is_some_and(|l| l.len() >= 2 && l.bytes().all(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_names_a_host() {
        for text in [
            "sip:alice@10.99.1.3:5080",
            "alice@phone",
            "10.0.0.1",
            "IN IP4 10.0.0.1",
            "10.0.0.1:5060",
            "x=192.168.1.20;y",
            "2001:db8::7",
            "[fe80::1]:5060",
            "fe80::1%eth0",
            "http://provisioning/x",
            "pbx.corp.example",
            "route via gw1.carrier.example.net",
        ] {
            assert!(names_host(text), "{text}");
        }
        for text in [
            "0 PCMU/8000",
            "101 0-16",
            "96 profile-level-id=42e01f;packetization-mode=1",
            "29.97",
            "1.2",
            "sendrecv",
            "main",
            "nack pli",
            "1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "t38UDPRedundancy",
            "",
        ] {
            assert!(!names_host(text), "{text}");
        }
    }

    #[test]
    fn every_listed_attribute_has_one_fate() {
        for name in DESCRIBE_MEDIA {
            assert!(!DROPPED.contains(name), "{name} listed twice");
            assert_eq!(fate(name), Fate::Keep);
        }
        for name in DROPPED {
            assert_eq!(fate(name), Fate::Drop);
        }
        assert_eq!(fate("ssrc"), Fate::Pseudonym);
        assert_eq!(fate("x-anything"), Fate::KeepUnlessHost);
    }

    #[test]
    fn ssrc_cname_becomes_a_pseudonym_of_the_same_length() {
        let names = Pseudonyms::new([1; 16]);
        let v =
            cname_pseudonym("1283742453 cname:sip:alice@10.99.1.3:5080", &names).expect("a cname");
        assert_eq!(
            v,
            format!("1283742453 cname:{}", names.of("sip:alice@10.99.1.3:5080"))
        );
        assert_eq!(v.len(), "1283742453 cname:sip:alice@10.99.1.3:5080".len());
        assert_eq!(cname_pseudonym("1 msid:stream track", &names), None);
        assert_eq!(cname_pseudonym("1 mslabel:x", &names), None);
        assert_eq!(cname_pseudonym("x cname:y", &names), None);
        assert_eq!(cname_pseudonym("12", &names), None);
    }
}
