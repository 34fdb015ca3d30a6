//! Where a blind transfer goes (`refer = "handle"`): the engine reports the Refer-To target
//! ([`EngineEvent::Transfer`](sbc_sip::b2bua::EngineEvent::Transfer)), this decides.
//!
//! * A target whose host is a peer of the referrer's own trunk (by address, and port when
//!   the URI names one) is called there: Teams' `sip:+49...@sip.pstnhub.microsoft.com;x-m=..`
//!   goes back to Microsoft on the Teams trunk.
//! * Anything else goes through the `[[route]]`s from the referrer's trunk, by the
//!   target's user, to the first peer of the route's trunk that health checks do not
//!   call down — on the referrer's realm only: the new leg takes the referrer's place on
//!   the SBC's media ports of that realm.
//! * A target no route allows (or on another realm, or from a leg that is no trunk's) is
//!   refused 403, and the call goes on.

use sbc_config::{Config, Trunk};
use sbc_core::TransportAddr;
use sbc_sip::b2bua::{LegIdentity, RelayPlan, Side, Target, TransferRequest};
use sbc_sip::grammar::host::parse_hostport;

use crate::policy::{advertised, targets};
use crate::trunks::Health;

/// Where the new leg of a transfer goes, and as whom the SBC presents itself there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub target: Target,
    pub identity: LegIdentity,
    /// The trunk the new leg belongs to (for logs).
    pub trunk: String,
}

/// Why a transfer is refused (the REFER gets 403 with this in a Warning).
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
    let trunk = config
        .trunk(name)
        .ok_or_else(|| Refusal::NotATrunk { name: name.clone() })?;
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
    if dest.realm != trunk.realm {
        return Err(Refusal::OtherRealm {
            to: dest.name.clone(),
            realm: dest.realm.clone(),
        });
    }
    let target = targets(dest, realm)
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
            advertised: advertised(realm, target.peer.local),
        },
        target,
        trunk: dest.name.clone(),
    })
}

/// The peer of `trunk` the target's host names, if any.
fn own_peer(trunk: &Trunk, config: &Config, request: &TransferRequest) -> Option<Target> {
    let (host, port) = parse_hostport(&request.host).ok()?;
    let ip = host.ip()?.to_canonical();
    targets(trunk, config.realm_of(trunk))
        .into_iter()
        .find(|t| {
            t.peer.remote.ip().to_canonical() == ip
                && port.is_none_or(|p| p == t.peer.remote.port())
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
}
