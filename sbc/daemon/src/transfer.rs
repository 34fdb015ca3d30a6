//! Where a transfer goes: the engine reports a Refer-To target — of a blind transfer it
//! completes itself (`refer = "handle"`,
//! [`EngineEvent::Transfer`](sbc_sip::b2bua::EngineEvent::Transfer)), or of a REFER it
//! relayed whose token the far side now calls (`refer = "relay"`,
//! [`Engine::take_relayed_refer`](sbc_sip::b2bua::Engine::take_relayed_refer)) — and this
//! decides.
//!
//! * A target whose host is a peer of the referrer's own trunk (by address, and port when
//!   the URI names one) is called there: Teams' `sip:+49...@sip.pstnhub.microsoft.com;x-m=..`
//!   goes back to Microsoft on the Teams trunk.
//! * Anything else goes through the `[[route]]`s from the referrer's trunk, by the
//!   target's user, to the first peer of the route's trunk that health checks do not
//!   call down. A handled transfer stays on the referrer's realm: the new leg takes the
//!   referrer's place on the SBC's media ports of that realm. A relayed one is a new call
//!   and may go to any realm.
//! * A target no route allows (or on another realm, or from a leg that is no trunk's) is
//!   refused 403, and the call goes on.

use sbc_config::{Config, Host, PeerSpec, Trunk};
use sbc_core::TransportAddr;
use std::time::Instant;

use sbc_sip::b2bua::{
    Engine, LegIdentity, RelayPlan, RelayedRefer, Side, TOKEN_PREFIX, Target, TransferRequest,
};
use sbc_sip::grammar::Uri;
use sbc_sip::grammar::host::parse_hostport;
use sbc_sip::transaction::Peer;
use sbc_sip::uas::Capabilities;
use sbc_sip::{Message, Method};
use tracing::info;

use crate::policy::{Answer, Decision, advertised, refer_mode, screening, targets};
use crate::trunks::Health;

/// Where the new leg of a transfer goes, and as whom the SBC presents itself there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub target: Target,
    pub identity: LegIdentity,
    /// The trunk the new leg belongs to (for logs).
    pub trunk: String,
}

/// Why a transfer is refused (the REFER, or the relayed REFER's INVITE, gets 403 with
/// this in a Warning).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the referrer's leg ({name}) is no trunk")]
    NotATrunk { name: String },
    #[error("no route from {trunk} allows the transfer target {target}")]
    NoRoute { trunk: String, target: String },
    #[error("transfer target trunk {to} is on realm {realm}, not the referrer's")]
    OtherRealm { to: String, realm: String },
    #[error("trunk {trunk} has no peer up for the transfer")]
    NoPeer { trunk: String },
    #[error("the transfer's INVITE arrived on no realm of the SBC")]
    NoRealm,
}

/// Decides where the transfer asked by leg `from` of a call set up by `plan` goes.
pub fn place(
    config: &Config,
    plan: &RelayPlan,
    from: Side,
    request: &TransferRequest,
    health: &Health,
) -> Result<Placement, Refusal> {
    let name = match from {
        Side::A => &plan.from_name,
        Side::B => &plan.to_name,
    };
    place_from(config, name, request, health, true)
}

/// Where a transfer asked by the leg named `referrer` goes; `same_realm`: only to a trunk
/// on the referrer's realm.
fn place_from(
    config: &Config,
    referrer: &str,
    request: &TransferRequest,
    health: &Health,
    same_realm: bool,
) -> Result<Placement, Refusal> {
    let trunk = config.trunk(referrer).ok_or_else(|| Refusal::NotATrunk {
        name: referrer.to_owned(),
    })?;
    let realm = config.realm_of(trunk);
    if let Some(target) = own_peer(trunk, config, request) {
        return Ok(Placement {
            identity: LegIdentity {
                advertised: advertised(realm, target.peer.local),
            },
            target,
            trunk: trunk.name.clone(),
        });
    }
    let user = request.user.as_deref().unwrap_or_default();
    let no_route = || Refusal::NoRoute {
        trunk: trunk.name.clone(),
        target: request.target.clone(),
    };
    let (route, _) = config.route_for(&trunk.name, user).ok_or_else(no_route)?;
    let dest = config.trunk(&route.to).ok_or_else(no_route)?;
    if same_realm && dest.realm != trunk.realm {
        return Err(Refusal::OtherRealm {
            to: dest.name.clone(),
            realm: dest.realm.clone(),
        });
    }
    let dest_realm = config.realm_of(dest);
    let target = targets(dest, dest_realm)
        .into_iter()
        .find(|t| {
            !health.is_down(
                &dest.name,
                &TransportAddr {
                    transport: t.peer.transport,
                    addr: t.peer.remote,
                },
            )
        })
        .ok_or_else(|| Refusal::NoPeer {
            trunk: dest.name.clone(),
        })?;
    Ok(Placement {
        identity: LegIdentity {
            advertised: advertised(dest_realm, target.peer.local),
        },
        target,
        trunk: dest.name.clone(),
    })
}

/// The plan of the far side's INVITE to a relayed REFER's token (`refer = "relay"`),
/// arrived from `peer`: a new call from the leg the REFER was relayed to, towards the
/// original Refer-To target as received (its URI the new call's Request-URI).
pub fn relay_back(
    config: &Config,
    relayed: &RelayedRefer,
    peer: &Peer,
    health: &Health,
) -> Result<RelayPlan, Refusal> {
    let local = TransportAddr {
        transport: peer.transport,
        addr: peer.local,
    };
    let realm = config.realm_for_listener(&local).ok_or(Refusal::NoRealm)?;
    let mut placed = place_from(config, &relayed.referrer, &relayed.request, health, false)?;
    placed.target.request_uri = Some(relayed.request.target.clone());
    let dest = config.trunk(&placed.trunk).ok_or_else(|| Refusal::NoPeer {
        trunk: placed.trunk.clone(),
    })?;
    let source = config.trunk(&relayed.relayed_to);
    Ok(RelayPlan {
        inbound: LegIdentity {
            advertised: advertised(realm, peer.local),
        },
        inbound_transport: peer.transport,
        outbound: placed.identity,
        targets: vec![placed.target],
        user: relayed.request.user.clone().unwrap_or_default(),
        trust_identity: false,
        from_name: relayed.relayed_to.clone(),
        to_name: dest.name.clone(),
        invite_timeout: Some(dest.invite_timeout),
        no_target_code: Some(dest.no_target_code),
        inbound_refer: source.map_or(sbc_sip::b2bua::ReferMode::Reject, |t| refer_mode(t.refer)),
        outbound_refer: refer_mode(dest.refer),
    })
}

/// An INVITE outside any dialog to a relayed REFER's token (`refer = "relay"`): the plan
/// of the call it maps back to, or a 403 when that target has no route; `None` when the
/// request is no such INVITE (or its token is unknown, spent, expired, or not the
/// source's), and routing decides as for any other.
///
/// Such an INVITE is screened first like every new request (RFC 3261 §8.2: an unknown
/// Require gets 420, and so on; Max-Forwards 0 gets 483), before its token is looked at:
/// a refused INVITE leaves the token live (a UAC retries a 420 without the extension) and
/// tells nothing of whether the token exists.
pub fn relayed_refer_call(
    config: &Config,
    caps: &Capabilities,
    engine: &mut Engine,
    now: Instant,
    request: &Message,
    peer: &Peer,
    health: &Health,
) -> Option<Decision> {
    if request.method() != Some(&Method::Invite) {
        return None;
    }
    let Ok(Uri::Sip(uri)) = request.request_uri_parsed()? else {
        return None;
    };
    let user = uri.user.filter(|u| u.starts_with(TOKEN_PREFIX))?;
    if let Err(refused) = screening(request, caps) {
        return Some(refused.into());
    }
    if request.max_forwards() == Some(0) {
        return Some(Answer::new(483, "Max-Forwards exhausted").into());
    }
    let local = TransportAddr {
        transport: peer.transport,
        addr: peer.local,
    };
    let realm = config.realm_for_listener(&local)?;
    let from = config
        .trunk_for_source_in(&realm.name, peer.remote.ip())
        .map_or(realm.name.as_str(), |t| t.name.as_str());
    let relayed = engine.take_relayed_refer(now, user, from)?;
    Some(match relay_back(config, &relayed, peer, health) {
        Ok(plan) => {
            info!(target = %relayed.request.target, to = %plan.to_name, "relayed transfer mapped back");
            Decision::Relay(Box::new(plan))
        }
        Err(why) => {
            info!(target = %relayed.request.target, "relayed transfer refused: {why}");
            Answer::new(403, why.to_string()).into()
        }
    })
}

/// The peer of `trunk` the target's host names, if any: one of its peer addresses (and
/// port, when the URI names one), or one of its peer names as configured (`peers =
/// ["sip.pstnhub.microsoft.com"]`), as resolved now (the port, when both name one, must
/// be the same).
fn own_peer(trunk: &Trunk, config: &Config, request: &TransferRequest) -> Option<Target> {
    let (host, port) = parse_hostport(&request.host).ok()?;
    let candidates = targets(trunk, config.realm_of(trunk));
    if let Some(ip) = host.ip() {
        let ip = ip.to_canonical();
        return candidates.into_iter().find(|t| {
            t.peer.remote.ip().to_canonical() == ip
                && port.is_none_or(|p| p == t.peer.remote.port())
        });
    }
    let name = host.to_string();
    let resolved: Vec<TransportAddr> = trunk
        .resolution
        .iter()
        .filter(|r| !r.source_only)
        .filter(|r| {
            r.spec.parse::<PeerSpec>().is_ok_and(|spec| {
                matches!(&spec.host, Host::Name(n) if n.eq_ignore_ascii_case(&name))
                    && (port.is_none() || spec.port.is_none() || spec.port == port)
            })
        })
        .flat_map(|r| r.state.targets().iter().map(|t| t.addr))
        .collect();
    candidates.into_iter().find(|t| {
        resolved
            .iter()
            .any(|a| a.addr == t.peer.remote && a.transport == t.peer.transport)
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use sbc_sip::b2bua::{ReferMode, RelayPlan};

    use super::*;

    const CONFIG: &str = r#"
[system]
name = "t"

[management]
listen = "127.0.0.1:8443"

[firewall]
enabled = false

[[realm]]
name = "outside"
listen = ["udp:127.0.0.1:5060"]
media_ip = "127.0.0.1"
media_ports = "20000-20099"

[[realm]]
name = "inside"
listen = ["udp:127.0.0.1:5070"]
media_ip = "127.0.0.1"
media_ports = "21000-21099"

[[trunk]]
name = "teams"
realm = "outside"
peers = ["udp:127.0.0.2:5061", "udp:127.0.0.5:5061"]
refer = "handle"

[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:127.0.0.4:5060"]

[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:127.0.0.3:5060"]

[[route]]
from = "teams"
match_user = "^\\+1"
to = "carrier"

[[route]]
from = "teams"
match_user = "^9"
to = "pbx"
"#;

    fn config() -> Config {
        Config::from_toml_str(CONFIG, "/tmp").expect("valid config")
    }

    fn plan(from: &str, to: &str) -> RelayPlan {
        RelayPlan {
            inbound: LegIdentity {
                advertised: "127.0.0.1:5060".into(),
            },
            inbound_transport: sbc_core::Transport::Udp,
            outbound: LegIdentity {
                advertised: "127.0.0.1:5070".into(),
            },
            targets: Vec::new(),
            user: "1000".into(),
            trust_identity: false,
            from_name: from.into(),
            to_name: to.into(),
            invite_timeout: None,
            no_target_code: None,
            inbound_refer: ReferMode::Handle,
            outbound_refer: ReferMode::Reject,
        }
    }

    fn request(user: &str, host: &str) -> TransferRequest {
        TransferRequest {
            target: format!("sip:{user}@{host};x-t=1"),
            user: Some(user.into()),
            host: host.into(),
            referred_by: None,
        }
    }

    fn place_for(user: &str, host: &str) -> Result<Placement, Refusal> {
        let config = config();
        let health = Health::new(Instant::now(), &config, "sbc".into());
        place(
            &config,
            &plan("teams", "pbx"),
            Side::A,
            &request(user, host),
            &health,
        )
    }

    #[test]
    fn a_target_on_the_referrers_own_trunk_goes_back_there() {
        let p = place_for("+4930999", "127.0.0.5:5061").expect("placed");
        assert_eq!(p.trunk, "teams");
        assert_eq!(
            p.target.peer.remote,
            "127.0.0.5:5061".parse().expect("addr")
        );
        assert_eq!(p.identity.advertised, "127.0.0.1:5060");
        // Without a port, any port of that peer's address.
        let p = place_for("+4930999", "127.0.0.2").expect("placed");
        assert_eq!(
            p.target.peer.remote,
            "127.0.0.2:5061".parse().expect("addr")
        );
    }

    #[test]
    fn another_target_follows_the_routes_of_the_referrers_trunk() {
        let p = place_for("+15550100", "198.51.100.9").expect("routed");
        assert_eq!(p.trunk, "carrier");
        assert_eq!(
            p.target.peer.remote,
            "127.0.0.4:5060".parse().expect("addr")
        );
        // Another port on the trunk's peer address is not that peer: routed.
        assert!(matches!(
            place_for("+4930999", "127.0.0.2:5999"),
            Err(Refusal::NoRoute { .. })
        ));
    }

    #[test]
    fn no_route_another_realm_or_no_trunk_is_refused() {
        assert!(matches!(
            place_for("+4930999", "198.51.100.9"),
            Err(Refusal::NoRoute { .. })
        ));
        assert!(matches!(
            place_for("9000", "198.51.100.9"),
            Err(Refusal::OtherRealm { .. })
        ));
        let config = config();
        let health = Health::new(Instant::now(), &config, "sbc".into());
        let from_phone = place(
            &config,
            &plan("outside", "pbx"),
            Side::A,
            &request("+15550100", "198.51.100.9"),
            &health,
        );
        assert!(matches!(from_phone, Err(Refusal::NotATrunk { .. })));
    }

    /// The configuration with the Teams trunk's second peer given by name, resolved to
    /// 127.0.0.9:5061.
    fn named_config() -> Config {
        use sbc_config::resolved::{NameState, Resolved, ResolvedTarget};
        let text = CONFIG.replace(
            r#"peers = ["udp:127.0.0.2:5061", "udp:127.0.0.5:5061"]"#,
            r#"peers = ["udp:127.0.0.2:5061", "udp:sip2.teams.example"]"#,
        );
        let file = Config::from_toml_str(&text, "/tmp").expect("valid config");
        let mut r = Resolved::default();
        let spec: PeerSpec = "udp:sip2.teams.example".parse().expect("spec");
        let target = ResolvedTarget {
            addr: "udp:127.0.0.9:5061".parse().expect("addr"),
            priority: 10,
            weight: 0,
            expires: Instant::now(),
            source: "_sip._udp.sip2.teams.example SRV".to_owned(),
        };
        r.peers.insert(
            spec,
            (
                NameState::Resolved {
                    targets: vec![target],
                },
                std::time::SystemTime::now(),
            ),
        );
        let (effective, conflicts) = file.with_resolved(&r);
        assert!(conflicts.is_empty(), "{conflicts:?}");
        effective
    }

    #[test]
    fn a_target_naming_a_peer_of_the_referrers_trunk_goes_there_as_resolved() {
        let config = named_config();
        let health = Health::new(Instant::now(), &config, "sbc".into());
        let place_at = |host: &str| {
            place(
                &config,
                &plan("teams", "pbx"),
                Side::A,
                &request("+4930999", host),
                &health,
            )
        };
        for host in ["sip2.teams.example", "SIP2.Teams.Example:5061"] {
            let p = place_at(host).expect("placed");
            assert_eq!(p.trunk, "teams", "{host}");
            assert_eq!(
                p.target.peer.remote,
                "127.0.0.9:5061".parse().expect("addr"),
                "{host}"
            );
        }
        // Another name is no peer of the trunk: routing (none for this user).
        assert!(matches!(
            place_at("sip3.teams.example"),
            Err(Refusal::NoRoute { .. })
        ));
    }

    #[test]
    fn a_relayed_refers_invite_goes_to_the_original_target_on_any_realm() {
        let config = config();
        let health = Health::new(Instant::now(), &config, "sbc".into());
        let from_pbx = Peer {
            transport: sbc_core::Transport::Udp,
            local: "127.0.0.1:5070".parse().expect("addr"),
            remote: "127.0.0.3:5060".parse().expect("addr"),
        };
        // The Teams side referred the PBX to a number its routes send to the carrier.
        let relayed = RelayedRefer {
            request: request("+15550100", "198.51.100.9"),
            referrer: "teams".into(),
            relayed_to: "pbx".into(),
        };
        let plan = relay_back(&config, &relayed, &from_pbx, &health).expect("routed");
        assert_eq!(
            (plan.from_name.as_str(), plan.to_name.as_str()),
            ("pbx", "carrier")
        );
        assert_eq!(plan.inbound.advertised, "127.0.0.1:5070");
        assert_eq!(plan.outbound.advertised, "127.0.0.1:5060");
        let target = plan.targets.first().expect("a target");
        assert_eq!(
            target.request_uri.as_deref(),
            Some("sip:+15550100@198.51.100.9;x-t=1")
        );
        assert_eq!(target.peer.remote, "127.0.0.4:5060".parse().expect("addr"));
        // A target on the Teams trunk's own peer goes back there.
        let back = RelayedRefer {
            request: request("+4930999", "127.0.0.5:5061"),
            referrer: "teams".into(),
            relayed_to: "pbx".into(),
        };
        let plan = relay_back(&config, &back, &from_pbx, &health).expect("placed");
        assert_eq!(plan.to_name, "teams");
        // No route: refused.
        let nowhere = RelayedRefer {
            request: request("+4930999", "198.51.100.9"),
            referrer: "teams".into(),
            relayed_to: "pbx".into(),
        };
        assert!(matches!(
            relay_back(&config, &nowhere, &from_pbx, &health),
            Err(Refusal::NoRoute { .. })
        ));
    }
}
