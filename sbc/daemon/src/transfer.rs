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
