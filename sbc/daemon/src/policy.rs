//! What the SBC answers to a new request, decided from the config and the health of
//! trunk peers (call limits are checked by the core afterwards: they count).
//!
//! The order follows what a perimeter element must do cheaply first:
//! 1. a source that is no trunk's peer, on a realm that is not open, gets 403 (the core's
//!    [`gate`](crate::gate) already refuses those statelessly; this is the second line);
//! 2. RFC 3261 §8.2 screening: 416 (URI scheme), 420 (Require), 415 (body type), 406;
//! 3. OPTIONS addressed to the SBC itself is answered 200 with Contact/Allow/Accept/
//!    Supported ([`own_options`](crate::own_options): what is true for the asking side);
//! 4. Max-Forwards 0: 483 (§16.3);
//! 5. REGISTER goes to the realm's `registrar` trunk (403 without one);
//! 6. an INVITE for a phone registered through the SBC (its token contact), from the
//!    registrar trunk, goes to the phone's observed address;
//! 7. an INVITE with a matching `[[route]]` is relayed to the route's trunk (its peers in
//!    order, for failover, leaving out peers whose OPTIONS health checks say Down; 503
//!    with Retry-After when all are); without a route: 404. Other methods outside a
//!    dialog are not relayed (501).

use std::net::IpAddr;

use sbc_config::{Config, Realm, Trunk};
use sbc_core::{Transport, TransportAddr};
use sbc_sip::b2bua::{LegIdentity, ReferMode, RelayPlan, Target};
use sbc_sip::grammar::Uri;
use sbc_sip::registrar::{Binding, RegisterPlan, RegistrarRelay};
use sbc_sip::transaction::Peer;
use sbc_sip::uas::{Capabilities, screen};
use sbc_sip::{Known, Message, Method};

use crate::trunks::Health;

/// What to do with a new request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Answer(Answer),
    Relay(Box<RelayPlan>),
    /// A phone's REGISTER, for the registration relay.
    Register(Box<RegisterPlan>),
}

impl From<Answer> for Decision {
    fn from(a: Answer) -> Self {
        Decision::Answer(a)
    }
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub code: u16,
    pub headers: Vec<(Known, String)>,
    /// Logged, and sent as a Warning for 4xx/5xx.
    pub why: String,
}

impl Answer {
    pub(crate) fn new(code: u16, why: impl Into<String>) -> Self {
        Answer {
            code,
            headers: Vec::new(),
            why: why.into(),
        }
    }
}

/// Decides what to do with a new (non-ACK, non-CANCEL) request outside any dialog.
/// `health` tells which trunk peers are Down.
pub fn decide(
    config: &Config,
    caps: &Capabilities,
    req: &Message,
    peer: &Peer,
    health: &Health,
    phones: &RegistrarRelay,
) -> Decision {
    let local = TransportAddr {
        transport: peer.transport,
        addr: peer.local,
    };
    let Some(realm) = config.realm_for_listener(&local) else {
        return Answer::new(403, "listener not in any realm").into();
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
        )
        .into();
    }
    if let Err(answer) = screening(req, caps) {
        return answer.into();
    }
    let uri = req.request_uri_parsed().and_then(Result::ok);
    if req.method() == Some(&Method::Options)
        && uri.as_ref().is_some_and(|u| addressed_to_us(u, realm))
    {
        return crate::own_options::answer(caps, realm, trunk, peer).into();
    }
    if req.max_forwards() == Some(0) {
        return Answer::new(483, "Max-Forwards exhausted").into();
    }
    if req.method() == Some(&Method::Register) {
        return register(config, realm, peer);
    }
    let from = trunk.map_or(realm.name.as_str(), |t| t.name.as_str());
    let user = match &uri {
        Some(Uri::Sip(u)) => u.user.unwrap_or_default(),
        Some(Uri::Other { rest, .. }) => rest,
        None => "",
    };
    if let Some(binding) = phones
        .by_token(user)
        .filter(|b| trunk.is_some_and(|t| t.name == b.trunk))
    {
        return to_phone(config, realm, peer, req, binding, from);
    }
    let Some((route, new_user)) = config.route_for(from, user) else {
        return Answer::new(404, format!("no route from {from} for \"{user}\"")).into();
    };
    if req.method() != Some(&Method::Invite) {
        return Answer::new(501, "only calls (INVITE) are relayed").into();
    }
    let Some(dest) = config.trunk(&route.to) else {
        return Answer::new(500, format!("route names unknown trunk {}", route.to)).into();
    };
    let dest_realm = config.realm_of(dest);
    let targets = targets(dest, dest_realm);
    if targets.is_empty() {
        return Answer::new(
            503,
            format!(
                "trunk {} has no peer reachable from realm {}",
                dest.name, dest_realm.name
            ),
        )
        .into();
    }
    let targets: Vec<Target> = targets
        .into_iter()
        .filter(|t| {
            !health.is_down(
                &dest.name,
                &TransportAddr {
                    transport: t.peer.transport,
                    addr: t.peer.remote,
                },
            )
        })
        .collect();
    if targets.is_empty() {
        return Answer {
            code: 503,
            headers: vec![(
                Known::RetryAfter,
                health.retry_after(&dest.name).to_string(),
            )],
            why: format!(
                "every peer of trunk {} is down (OPTIONS health checks)",
                dest.name
            ),
        }
        .into();
    }
    let targets = with_uri_scheme(dest, targets, &new_user);
    Decision::Relay(Box::new(RelayPlan {
        inbound: LegIdentity {
            advertised: advertised(realm, peer.local),
        },
        inbound_transport: peer.transport,
        outbound: LegIdentity {
            advertised: advertised(dest_realm, targets[0].peer.local),
        },
        targets,
        user: new_user,
        trust_identity: false,
        from_name: from.to_owned(),
        to_name: dest.name.clone(),
        invite_timeout: Some(dest.invite_timeout),
        no_target_code: Some(dest.no_target_code),
        inbound_refer: trunk.map_or(ReferMode::Reject, |t| refer_mode(t.refer)),
        outbound_refer: refer_mode(dest.refer),
    }))
}

/// RFC 3261 §8.2 screening of a new request ([`screen`]: 416, 420, 415, 406), as the
/// answer that refuses it. Every new request goes through it, also an INVITE to a relayed
/// REFER's token ([`relayed_refer_call`](crate::transfer::relayed_refer_call)).
pub(crate) fn screening(req: &Message, caps: &Capabilities) -> Result<(), Answer> {
    screen(req, caps).map_err(|r| Answer {
        code: r.code,
        headers: r.headers,
        why: r.reason,
    })
}

/// A REGISTER on a realm with a `registrar`: relayed to that trunk's first live peer.
fn register(config: &Config, realm: &Realm, peer: &Peer) -> Decision {
    let Some(name) = &realm.registrar else {
        return Answer::new(403, format!("realm {} relays no registrations", realm.name)).into();
    };
    let Some(trunk) = config.trunk(name) else {
        return Answer::new(500, format!("registrar trunk {name} is not configured")).into();
    };
    let trunk_realm = config.realm_of(trunk);
    let Some(target) = targets(trunk, trunk_realm).into_iter().next() else {
        return Answer::new(503, format!("registrar trunk {name} has no reachable peer")).into();
    };
    Decision::Register(Box::new(RegisterPlan {
        inbound: LegIdentity {
            advertised: advertised(realm, peer.local),
        },
        outbound: LegIdentity {
            advertised: advertised(trunk_realm, target.peer.local),
        },
        target,
        nat_expires: u32::try_from(realm.nat_keepalive.as_secs()).unwrap_or(u32::MAX),
        realm: realm.name.clone(),
        trunk: trunk.name.clone(),
    }))
}

/// A call from the registrar trunk to a phone registered through the SBC: to the phone's
/// observed address, with its registered Contact as the Request-URI.
fn to_phone(
    config: &Config,
    realm: &Realm,
    peer: &Peer,
    req: &Message,
    binding: &Binding,
    from: &str,
) -> Decision {
    if req.method() != Some(&Method::Invite) {
        return Answer::new(501, "only calls (INVITE) are relayed").into();
    }
    let Some(phone_realm) = config.realm(&binding.realm) else {
        return Answer::new(480, format!("realm {} of the phone is gone", binding.realm)).into();
    };
    let user = binding.aor.split('@').next().unwrap_or_default().to_owned();
    Decision::Relay(Box::new(RelayPlan {
        inbound: LegIdentity {
            advertised: advertised(realm, peer.local),
        },
        inbound_transport: peer.transport,
        outbound: LegIdentity {
            advertised: advertised(phone_realm, binding.phone.local),
        },
        targets: vec![Target {
            peer: binding.phone,
            host: host_port(binding.phone.remote),
            request_uri: Some(binding.phone_contact.clone()),
        }],
        user,
        trust_identity: false,
        from_name: from.to_owned(),
        to_name: binding.realm.clone(),
        invite_timeout: None,
        no_target_code: None,
        inbound_refer: ReferMode::Reject,
        outbound_refer: ReferMode::Reject,
    }))
}

/// The trunk's peers as targets: each through the realm's listener of the same transport
/// and address family.
pub(crate) fn targets(trunk: &Trunk, realm: &Realm) -> Vec<Target> {
    trunk
        .peers
        .iter()
        .filter_map(|p| {
            let listener = realm
                .listen
                .iter()
                .find(|l| l.transport == p.transport && l.addr.is_ipv4() == p.addr.is_ipv4())
                // A TLS peer needs a TLS listener; UDP/TCP peers may use either plain one.
                .or_else(|| {
                    (p.transport != Transport::Tls).then(|| {
                        realm.listen.iter().find(|l| {
                            l.transport != Transport::Tls && l.addr.is_ipv4() == p.addr.is_ipv4()
                        })
                    })?
                })?;
            Some(Target {
                peer: Peer {
                    transport: p.transport,
                    local: listener.addr,
                    remote: p.addr,
                },
                host: peer_name(trunk, p).unwrap_or_else(|| host_port(p.addr)),
                request_uri: None,
            })
        })
        .collect()
}

/// For an address a peer name resolved to, that name as written (`host[:port]`): the
/// host of the Request-URI and To towards it. RFC 3263 resolves the next hop; the URI
/// keeps naming the domain the operator configured (`sip:+4930123@sip.carrier.example`),
/// which is what a carrier or cloud PBX reached by name expects.
fn peer_name(trunk: &Trunk, addr: &sbc_core::TransportAddr) -> Option<String> {
    trunk
        .resolution
        .iter()
        .filter(|r| !r.source_only)
        .find(|r| r.state.targets().iter().any(|t| t.addr == *addr))
        .and_then(|r| r.spec.parse::<sbc_config::PeerSpec>().ok())
        .filter(|spec| spec.name().is_some())
        .map(|spec| spec.host_port())
}

/// `uri_scheme = "sips"`: the Request-URI of each `tls:` target is `sips:<user>@<host>`
/// (the B2BUA then writes `sips:` in To and Contact too, RFC 3261 §8.1.1.8); otherwise
/// targets keep the default `sip:` URI with `;transport=tls`.
fn with_uri_scheme(trunk: &Trunk, mut targets: Vec<Target>, user: &str) -> Vec<Target> {
    if trunk.tls.sips {
        for t in targets
            .iter_mut()
            .filter(|t| t.peer.transport == Transport::Tls && t.request_uri.is_none())
        {
            t.request_uri = Some(format!("sips:{user}@{}", t.host));
        }
    }
    targets
}

/// `host:port` the SBC writes in Via and Contact on a realm: the public address when
/// the realm is behind 1:1 NAT, else the listener's.
pub(crate) fn advertised(realm: &Realm, local: std::net::SocketAddr) -> String {
    // The realm's FQDN (`domain`) when it has one: Via sent-by, Contact, Record-Route.
    if let Some(domain) = &realm.domain {
        return format!("{domain}:{}", local.port());
    }
    let ip = realm.public_ip.unwrap_or(local.ip());
    host_port(std::net::SocketAddr::new(ip, local.port()))
}

/// A trunk's `refer` as the B2BUA's policy.
pub(crate) fn refer_mode(mode: sbc_config::ReferMode) -> ReferMode {
    match mode {
        sbc_config::ReferMode::Handle => ReferMode::Handle,
        sbc_config::ReferMode::Relay => ReferMode::Relay,
        sbc_config::ReferMode::Reject => ReferMode::Reject,
    }
}

pub(crate) fn host_port(a: std::net::SocketAddr) -> String {
    match a {
        std::net::SocketAddr::V4(v4) => v4.to_string(),
        std::net::SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

/// Whether a Request-URI names the SBC itself: its host is one of the realm's listening
/// or advertised addresses, or the realm's `domain`.
fn addressed_to_us(uri: &Uri<'_>, realm: &Realm) -> bool {
    let Some(sip) = uri.as_sip() else {
        return false;
    };
    if let (sbc_sip::grammar::Host::Name(name), Some(domain)) = (&sip.host, &realm.domain) {
        let name = name.strip_suffix('.').unwrap_or(name);
        return name.eq_ignore_ascii_case(domain);
    }
    let Some(ip) = sip.host.ip() else {
        return false;
    };
    let ip: IpAddr = ip.to_canonical();
    realm
        .listen
        .iter()
        .any(|l| l.addr.ip().to_canonical() == ip)
        || realm.public_ip == Some(ip)
}
