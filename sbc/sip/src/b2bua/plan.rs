//! What the daemon's policy decides for a request it lets through: where it goes and as
//! whom the SBC presents itself on each side.

use crate::transaction::Peer;

/// The SBC's identity on one side of a call (one realm): what it writes in Via and
/// Contact there. Nothing of one side's identity is ever written on the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegIdentity {
    /// `host[:port]` written in Via and Contact: the realm's `public_ip` when set, else
    /// the listener address.
    pub advertised: String,
}

/// What the B2BUA does with an in-dialog REFER (RFC 3515) arriving on a leg: the policy
/// of that leg's trunk (`refer`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferMode {
    /// Answered 403 with a Warning on its own leg; nothing crosses and the call goes on.
    /// Before `refer` existed a REFER crossed like INFO with its Refer-To left behind by
    /// the header policy, so the far end refused it: the outcome is the same, the far
    /// end is no longer bothered.
    #[default]
    Reject,
    /// Blind transfer completed by the SBC (`transfer_call.rs`): 202, a new INVITE to the
    /// Refer-To target, sipfrag NOTIFYs of its progress, and on success the new leg takes
    /// the referrer's place in the call.
    Handle,
    /// Passed to the other leg with Refer-To and Referred-By rewritten to SBC URIs that
    /// map back (`refer_relay.rs`): the far side places the new call itself.
    Relay,
}

/// One place a request may go, tried in order (failover).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Transport, the SBC's listener on that side, and the peer's address.
    pub peer: Peer,
    /// `host[:port]` for the Request-URI and To (the peer's configured address).
    pub host: String,
    /// The whole Request-URI, when it is not `sip:<user>@<host>` (a registered phone's
    /// Contact).
    pub request_uri: Option<String>,
}

/// How to relay a request: the outcome of routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayPlan {
    /// The SBC on the side the request came from.
    pub inbound: LegIdentity,
    /// The transport the request came over (whether keys in SDP may cross that leg: SDES
    /// only over TLS, by default). The other leg's is its targets'.
    pub inbound_transport: sbc_core::Transport,
    /// The SBC on the side it goes to.
    pub outbound: LegIdentity,
    /// Peers of the destination trunk, in order; later ones are tried when earlier ones
    /// time out or answer 408/503 before any provisional response.
    pub targets: Vec<Target>,
    /// The Request-URI user on the outbound side (after `rewrite_user`).
    pub user: String,
    /// Whether P-Asserted-Identity from the source may cross (a trusted trunk).
    pub trust_identity: bool,
    /// Names for logs: source (trunk or realm) and destination trunk.
    pub from_name: String,
    pub to_name: String,
    /// How long a target has to answer the INVITE at all (a provisional or final
    /// response) before it is abandoned for the next one (`invite_timeout_ms`); `None`:
    /// until Timer B (RFC 3261 §17.1.1.2).
    pub invite_timeout: Option<std::time::Duration>,
    /// The status A gets when no target is left after timeouts, 408s and 503s
    /// (`no_target_code`; sent without Retry-After, so A does not shun the SBC). `None`:
    /// the last target's failure, as it came.
    pub no_target_code: Option<u16>,
    /// What becomes of a REFER from the side the request came from (its trunk's `refer`).
    pub inbound_refer: ReferMode,
    /// What becomes of a REFER from the side it goes to.
    pub outbound_refer: ReferMode,
}

impl RelayPlan {
    /// The REFER policy of `side`'s leg (A: inbound, B: outbound).
    pub fn refer(&self, side: super::Side) -> ReferMode {
        match side {
            super::Side::A => self.inbound_refer,
            super::Side::B => self.outbound_refer,
        }
    }
}
