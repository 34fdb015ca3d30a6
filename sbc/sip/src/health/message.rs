//! The OPTIONS probe (RFC 3261 §11) and what its answer says about the peer.

use sbc_core::Transport;

use super::config::ProbeTarget;
use super::state::ProbeFailure;
use crate::transaction::new_branch;
use crate::wire::{Known, Message, Method};

/// The parts of a probe that vary between requests.
#[derive(Debug)]
pub(crate) struct ProbeFields<'a> {
    pub(crate) call_id: &'a str,
    pub(crate) from_tag: &'a str,
    pub(crate) cseq: u32,
    pub(crate) branch_random: u64,
    pub(crate) user_agent: Option<&'a str>,
}

/// The peer as a URI ([`ProbeTarget::host`]: its name as configured, else its address):
/// `sip:` with `;transport=tcp` or `;transport=tls` (RFC 3261 §19.1). Not `sips:` unless
/// the trunk asks for it ([`ProbeTarget::sips`]): that asks for TLS on every hop behind
/// the peer too (RFC 5630 §3), which carriers and PBXs reached over TLS commonly refuse or
/// do not honour.
pub(crate) fn peer_uri(target: &ProbeTarget) -> String {
    let addr = &target.host;
    match target.peer.transport {
        Transport::Udp => format!("sip:{addr}"),
        Transport::Tcp => format!("sip:{addr};transport=tcp"),
        Transport::Tls if target.sips => format!("sips:{addr}"),
        Transport::Tls => format!("sip:{addr};transport=tls"),
    }
}

/// An OPTIONS out of any dialog (§11.1, §8.1.1): Request-URI and To the peer (by name when
/// it was configured by one; it is sent to the address that name resolved to),
/// From the SBC on that side with a tag (no userinfo in any of its URIs: the host is the
/// resource, RFC 3261 §19.1.1, and Microsoft Teams Direct Routing refuses a user part),
/// one Via with a fresh branch and `rport` (RFC 3581), Max-Forwards 70, Contact (`sips:`
/// when the Request-URI is, §8.1.1.8), and Accept naming the one body type the SBC
/// handles (§11.1: what the answer's capabilities should be described for).
pub(crate) fn options_request(target: &ProbeTarget, f: &ProbeFields<'_>) -> Message {
    let uri = peer_uri(target);
    let sips = target.sips && target.peer.transport == Transport::Tls;
    let mut m = Message::request(Method::Options, &uri);
    m.push_header(
        Known::Via,
        format!(
            "SIP/2.0/{} {};branch={};rport",
            target.peer.transport.via_token(),
            target.advertised,
            new_branch(f.branch_random)
        ),
    );
    m.push_header(Known::MaxForwards, "70");
    m.push_header(
        Known::From,
        format!(
            "<{}:{}>;tag={}",
            if sips { "sips" } else { "sip" },
            target.advertised,
            f.from_tag
        ),
    );
    m.push_header(Known::To, format!("<{uri}>"));
    m.push_header(Known::CallId, f.call_id);
    m.push_header(Known::CSeq, format!("{} OPTIONS", f.cseq));
    let contact = match target.peer.transport {
        Transport::Tls if sips => format!("<sips:{}>", target.advertised),
        Transport::Tls => format!("<sip:{};transport=tls>", target.advertised),
        Transport::Tcp => format!("<sip:{};transport=tcp>", target.advertised),
        Transport::Udp => format!("<sip:{}>", target.advertised),
    };
    m.push_header(Known::Contact, contact);
    m.push_header(Known::Accept, "application/sdp");
    if let Some(ua) = f.user_agent {
        m.push_header(Known::UserAgent, ua);
    }
    m
}

/// Whether a final response to an OPTIONS shows the peer alive: any answer but 408
/// (Request Timeout) and 503 (Service Unavailable). 404, 405, 403 or 481 come from a
/// peer that parses and answers SIP, which is what a trunk needs.
pub fn is_alive(status: u16) -> Result<(), ProbeFailure> {
    match status {
        408 | 503 => Err(ProbeFailure::Status(status)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::Peer;

    /// The probe Microsoft Teams Direct Routing expects ("Direct Routing - SIP
    /// protocol"): `sip:` URIs without userinfo, the SBC's FQDN in Via, From and Contact,
    /// `transport=tls` on the Contact.
    #[test]
    fn a_tls_probe_has_no_userinfo_and_the_fqdn_contact() {
        let target = ProbeTarget {
            name: "teams".into(),
            peer: Peer {
                transport: Transport::Tls,
                local: "192.0.2.10:5061".parse().expect("addr"),
                remote: "52.114.148.0:5061".parse().expect("addr"),
            },
            host: "52.114.148.0:5061".into(),
            advertised: "sbc1.example.com:5061".into(),
            sips: false,
        };
        let fields = ProbeFields {
            call_id: "c1",
            from_tag: "t1",
            cseq: 1,
            branch_random: 7,
            user_agent: None,
        };
        let m = options_request(&target, &fields);
        let text = String::from_utf8(m.to_bytes()).expect("utf-8");
        assert!(
            text.starts_with("OPTIONS sip:52.114.148.0:5061;transport=tls SIP/2.0\r\n"),
            "{text}"
        );
        assert_eq!(
            m.header(Known::From),
            Some("<sip:sbc1.example.com:5061>;tag=t1")
        );
        assert_eq!(
            m.header(Known::Contact),
            Some("<sip:sbc1.example.com:5061;transport=tls>")
        );
        assert!(
            m.header(Known::Via)
                .is_some_and(|v| v.starts_with("SIP/2.0/TLS sbc1.example.com:5061;"))
        );
        assert!(!text.contains('@') && !text.contains("sips:"), "{text}");
    }

    /// A peer given by name is probed by that name, as Microsoft's examples show
    /// (`OPTIONS sip:sip.pstnhub.microsoft.com:5061;transport=tls`), while the request
    /// goes to the address it resolved to.
    #[test]
    fn a_peer_by_name_is_probed_by_its_name() {
        let peer = Peer {
            transport: Transport::Tls,
            local: "192.0.2.10:5061".parse().expect("addr"),
            remote: "52.114.148.0:5061".parse().expect("addr"),
        };
        let target = ProbeTarget {
            name: "teams".into(),
            peer,
            host: "sip.pstnhub.microsoft.com:5061".into(),
            advertised: "sbc1.example.com:5061".into(),
            sips: false,
        };
        let fields = ProbeFields {
            call_id: "c1",
            from_tag: "t1",
            cseq: 1,
            branch_random: 7,
            user_agent: None,
        };
        let m = options_request(&target, &fields);
        let text = String::from_utf8(m.to_bytes()).expect("utf-8");
        assert!(
            text.starts_with(
                "OPTIONS sip:sip.pstnhub.microsoft.com:5061;transport=tls SIP/2.0\r\n"
            ),
            "{text}"
        );
        assert_eq!(
            m.header(Known::To),
            Some("<sip:sip.pstnhub.microsoft.com:5061;transport=tls>")
        );
        assert!(
            !text.contains("52.114.148.0"),
            "no address in the probe: {text}"
        );
        assert_eq!(
            target.peer.remote, peer.remote,
            "sent to the resolved address"
        );
    }
}
