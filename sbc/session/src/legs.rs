//! The two sides of a call as the media plane sees them: which realm each leg's media is
//! anchored in, how its peer is latched, which codecs may cross there, and the origin
//! (`o=`) the SBC presents on it.
//!
//! Both are resolved once, when the call starts, from the [`RelayPlan`] and the
//! configuration of that moment: a reload changes the next call, never a running one.
//!
//! * Side A is the plan's source, `from_name`: a trunk (its realm) or a realm (a phone
//!   in an open realm).
//! * Side B is the destination, `to_name`: a trunk (its realm) or the realm of a
//!   registered phone.
//!
//! Latching (no configuration key yet): trunks are [`LatchMode::PrivateOnly`] — a carrier
//! or PBX writes its real address into SDP, so a public one is trusted as written and
//! packets from elsewhere are not relayed (RTP injection) — while phones and open realms
//! are [`LatchMode::Always`]: they sit behind NATs that rewrite their source.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::IpAddr;

use sbc_config::{Config, DtmfPolicy, Realm, TranscodeMode};
use sbc_core::{LatchMode, Side, Transport};
use sbc_sdp::{LegOrigin, Origin};
use sbc_sip::b2bua::{CallId, RelayPlan};

use super::error::MediaError;
use super::sdes::LegSrtp;

/// One side of a call.
#[derive(Debug, Clone)]
pub struct Leg {
    /// The realm whose media address and ports this side uses.
    pub realm: String,
    /// The trunk or realm name, for messages (codec policy refusals).
    pub name: String,
    /// The address the SBC's media sockets bind on this side.
    pub bind_ip: IpAddr,
    /// The address written into SDP on this side (`public_ip` when set).
    pub sdp_ip: IpAddr,
    pub latch: LatchMode,
    /// The trunk's codec policy (`codecs`), in order of preference; `None`: all.
    pub codecs: Option<Vec<String>>,
    /// The trunk says `transcode = "never"` (a realm's phones may be transcoded).
    pub transcode_never: bool,
    /// The trunk allows G.729 Annex B (`g729_annexb`); `false` for a realm's phones.
    pub g729_annexb: bool,
    /// The trunk's `ptime` (ms); `None` for a realm's phones.
    pub ptime: Option<u32>,
    /// The SBC's `o=` on this leg.
    pub origin: LegOrigin,
    /// How the leg carries DTMF (`dtmf`, `dtmf_info_type`, `show_digits`).
    pub dtmf: DtmfPolicy,
    /// SRTP on this leg: the trunk's policy (a phone's: its realm's), and whether SDES
    /// keys may travel in this leg's signalling.
    pub srtp: LegSrtp,
    /// The SBC is an ICE-lite agent on this leg (the trunk's `ice = "lite"`).
    pub ice: bool,
    /// The SBC offers rtcp-mux on this leg and uses it with the leg's peer whatever the
    /// other leg does (the trunk's `rtcp_mux = "offer"`).
    pub rtcp_mux_offer: bool,
}

impl Leg {
    /// Resolves the trunk or realm `name`.
    fn resolve(
        config: &Config,
        name: &str,
        call: CallId,
        side: Side,
        seed: u64,
        tls: bool,
    ) -> Result<Leg, MediaError> {
        let (realm, latch, codecs, policy, dtmf, transcode): (&Realm, _, _, _, _, _) =
            if let Some(trunk) = config.trunk(name) {
                let codecs = trunk
                    .codecs
                    .as_ref()
                    .map(|c| c.iter().map(|c| c.as_str().to_owned()).collect());
                let realm = config.realm_of(trunk);
                (
                    realm,
                    LatchMode::PrivateOnly,
                    codecs,
                    trunk.srtp.clone(),
                    trunk.dtmf_policy,
                    (
                        trunk.transcode == TranscodeMode::Never,
                        trunk.g729_annexb,
                        trunk.ptime,
                    ),
                )
            } else if let Some(realm) = config.realm(name) {
                (
                    realm,
                    LatchMode::Always,
                    None,
                    realm.srtp.clone(),
                    realm.dtmf,
                    (false, false, None),
                )
            } else {
                return Err(MediaError::NoRealm {
                    why: format!("{name} is no trunk or realm"),
                });
            };
        let ice = config
            .trunk(name)
            .is_some_and(|t| t.ice == sbc_config::IceMode::Lite);
        let rtcp_mux_offer = config
            .trunk(name)
            .is_some_and(|t| t.rtcp_mux == sbc_config::RtcpMuxMode::Offer);
        let sdp_ip = realm.advertised_media_ip();
        let origin = Origin::new("-", session_id(seed, call, side), 1, sdp_ip);
        Ok(Leg {
            realm: realm.name.clone(),
            name: name.to_owned(),
            bind_ip: realm.media_ip,
            sdp_ip,
            latch,
            codecs,
            transcode_never: transcode.0,
            g729_annexb: transcode.1,
            ptime: transcode.2,
            origin: LegOrigin::new(origin),
            dtmf,
            srtp: LegSrtp {
                keys_may_travel: tls || policy.sdes_without_tls,
                policy,
            },
            ice,
            rtcp_mux_offer,
        })
    }
}

impl Leg {
    /// Whether the leg's codec policy allows `encoding` (any clock rate).
    pub fn allows(&self, encoding: &str) -> bool {
        self.codecs.as_ref().is_none_or(|c| {
            c.iter().any(|a| {
                a.split('/')
                    .next()
                    .is_some_and(|n| n.eq_ignore_ascii_case(encoding))
            })
        })
    }
}

/// Both sides of a call, A then B.
pub fn resolve(
    config: &Config,
    call: CallId,
    plan: &RelayPlan,
    seed: u64,
) -> Result<[Leg; 2], MediaError> {
    let b_tls = !plan.targets.is_empty()
        && plan
            .targets
            .iter()
            .all(|t| t.peer.transport == Transport::Tls);
    Ok([
        Leg::resolve(
            config,
            &plan.from_name,
            call,
            Side::A,
            seed,
            plan.inbound_transport == Transport::Tls,
        )?,
        Leg::resolve(config, &plan.to_name, call, Side::B, seed, b_tls)?,
    ])
}

/// The `o=` session id of one leg: unpredictable without the seed (it says nothing about
/// the call count or the other leg), below 2^53 so that every SDP stack reads it.
fn session_id(seed: u64, call: CallId, side: Side) -> u64 {
    let mut h = DefaultHasher::new();
    (seed, call.get(), side).hash(&mut h);
    (h.finish() & ((1 << 53) - 1)).max(1)
}
