//! The SBC's answer to an OPTIONS addressed to itself (RFC 3261 §11.2): 200 with
//! Contact, Allow, Accept and Supported.
//!
//! Peers such as Microsoft Teams Direct Routing read this answer to decide whether they
//! may send calls, so it says only what is true *for the asking side*:
//!
//! * **Contact**: the SBC on that realm as its calls carry it (the realm's `domain` when
//!   set, else its `public_ip` or the listener's address; the listener's port), `sip:`
//!   with the transport the OPTIONS came over, never `sips:` and no user part;
//! * **Allow**: the methods the SBC takes from that side: INVITE, ACK, BYE, CANCEL,
//!   OPTIONS, PRACK, UPDATE, INFO always; REGISTER only on a realm with a `registrar`
//!   (elsewhere a REGISTER gets 403); REFER only from a trunk whose `refer` takes it
//!   (`"handle"`, `"relay"`; `"reject"` answers it 403).

use sbc_config::{Realm, ReferMode, Trunk};
use sbc_core::Transport;
use sbc_sip::transaction::Peer;
use sbc_sip::uas::Capabilities;
use sbc_sip::{Known, Method};

use crate::policy::{Answer, advertised};

/// 200 to an OPTIONS for the SBC from `peer`, on `realm`, from `trunk` (none: a phone
/// of an open realm).
pub(crate) fn answer(
    caps: &Capabilities,
    realm: &Realm,
    trunk: Option<&Trunk>,
    peer: &Peer,
) -> Answer {
    Answer {
        code: 200,
        headers: vec![
            (Known::Contact, contact(realm, peer)),
            (Known::Allow, allow(caps, realm, trunk)),
            (Known::Accept, caps.accept_header()),
            (Known::Supported, caps.supported_header()),
        ],
        why: "OPTIONS to the SBC".into(),
    }
}

/// `<sip:host:port;transport=..>` of the SBC on `realm`, as `peer` reached it.
pub(crate) fn contact(realm: &Realm, peer: &Peer) -> String {
    let transport = match peer.transport {
        Transport::Udp => "",
        Transport::Tcp => ";transport=tcp",
        Transport::Tls => ";transport=tls",
    };
    format!("<sip:{}{transport}>", advertised(realm, peer.local))
}

/// The Allow list for requests from `trunk` on `realm`.
pub(crate) fn allow(caps: &Capabilities, realm: &Realm, trunk: Option<&Trunk>) -> String {
    // "handle" and "relay" take the REFER; "reject" answers it 403.
    let refer = trunk.is_some_and(|t| t.refer != ReferMode::Reject);
    let mut methods: Vec<&str> = caps
        .allow
        .iter()
        .filter(|m| **m != Method::Register || realm.registrar.is_some())
        .map(Method::as_str)
        .collect();
    if refer && !caps.allow.contains(&Method::Refer) {
        methods.push(Method::Refer.as_str());
    }
    methods.join(", ")
}
