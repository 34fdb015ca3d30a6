//! What the SBC answers to a new request, decided from the config alone.
//!
//! The order follows what a perimeter element must do cheaply first:
//! 1. a source that is no trunk's peer, on a realm that is not open, gets 403 and nothing
//!    more is read (scanners cost one lookup);
//! 2. RFC 3261 §8.2 screening: 416 (URI scheme), 420 (Require), 415 (body type);
//! 3. OPTIONS addressed to the SBC itself is answered 200 with Allow/Accept/Supported;
//! 4. a request with a To tag belongs to a dialog the SBC does not have: 481;
//! 5. Max-Forwards 0: 483 (§16.3);
//! 6. a request with no matching `[[route]]`: 404; with a route: 501 until the B2BUA lands.

use std::net::IpAddr;

use sbc_config::{Config, Realm};
use sbc_core::TransportAddr;
use sbc_sip::grammar::Uri;
use sbc_sip::transaction::Peer;
use sbc_sip::uas::{Capabilities, screen};
use sbc_sip::{Known, Message, Method};

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub code: u16,
    pub headers: Vec<(Known, String)>,
    /// Logged, and sent as a Warning for 4xx/5xx.
    pub why: String,
}

impl Answer {
    fn new(code: u16, why: impl Into<String>) -> Self {
        Answer {
            code,
            headers: Vec::new(),
            why: why.into(),
        }
    }
}

/// Decides the answer to a new (non-ACK, non-CANCEL) request.
pub fn decide(config: &Config, caps: &Capabilities, req: &Message, peer: &Peer) -> Answer {
    let local = TransportAddr {
        transport: peer.transport,
        addr: peer.local,
    };
    let Some(realm) = config.realm_for_listener(&local) else {
        return Answer::new(403, "listener not in any realm");
    };
    let trunk = config.trunk_for_source_in(&realm.name, peer.remote.ip());
    if trunk.is_none() && !realm.open {
        return Answer::new(
            403,
            format!(
                "source {} is not a peer of realm {}",
                peer.remote.ip(),
                realm.name
            ),
        );
    }
    if let Err(r) = screen(req, caps) {
        return Answer {
            code: r.code,
            headers: r.headers,
            why: r.reason,
        };
    }
    let uri = req.request_uri_parsed().and_then(Result::ok);
    if req.method() == Some(&Method::Options)
        && uri.as_ref().is_some_and(|u| addressed_to_us(u, realm))
    {
        return Answer {
            code: 200,
            headers: vec![
                (Known::Allow, caps.allow_header()),
                (Known::Accept, caps.accept_header()),
                (Known::Supported, caps.supported_header()),
            ],
            why: "OPTIONS to the SBC".into(),
        };
    }
    if req.to().is_ok_and(|to| to.tag().is_some()) {
        return Answer::new(481, "no such dialog");
    }
    if req.max_forwards() == Some(0) {
        return Answer::new(483, "Max-Forwards exhausted");
    }
    let from = trunk.map_or(realm.name.as_str(), |t| t.name.as_str());
    let user = match &uri {
        Some(Uri::Sip(u)) => u.user.unwrap_or_default(),
        Some(Uri::Other { rest, .. }) => rest,
        None => "",
    };
    match config.route_for(from, user) {
        None => Answer::new(404, format!("no route from {from} for \"{user}\"")),
        Some((route, _)) => Answer::new(
            501,
            format!(
                "route to trunk {} found, but calls are not relayed by this build",
                route.to
            ),
        ),
    }
}

/// Whether a Request-URI names the SBC itself: its host is one of the realm's listening
/// or advertised addresses.
fn addressed_to_us(uri: &Uri<'_>, realm: &Realm) -> bool {
    let Some(ip) = uri.as_sip().and_then(|u| u.host.ip()) else {
        return false;
    };
    let ip: IpAddr = ip.to_canonical();
    realm
        .listen
        .iter()
        .any(|l| l.addr.ip().to_canonical() == ip)
        || realm.public_ip == Some(ip)
}
