//! Offer/answer of the Edge SBC, sans-IO: the [`SessionHook`] the B2BUA hands every offer
//! and answer to. It anchors each stream on the SBC's own ports, rewrites the description
//! for the other side, and tells the media engine what to relay with [`MediaOp`]s. Every
//! per-leg decision about a session — addresses and ports, codecs, what of the writer is
//! hidden, and (with their issues) SDES keys and DTMF modes — is taken here, in one tested
//! place; the crate owns no socket and reads no clock (`daemon -> session -> {sip, sdp,
//! config, core}`).
//!
//! # Run loop
//!
//! The daemon's core task owns one [`MediaHook`] (inside its `ReleaseHook`). The engine calls it
//! while handling SIP; the hook only records what the media plane must do, and the core
//! drains it ([`MediaHook::drain_ops`]) after every engine call and before the rewritten
//! SIP goes out, so the SBC's sockets are opened before a peer learns about them. The
//! media engine's [`MediaEvent::Inactive`](sbc_core::MediaEvent) comes back as
//! [`MediaHook::call_of`] + `Engine::hang_up(.., EndReason::MediaTimeout, ..)`.
//!
//! # Per call
//!
//! * `call_started`: both sides resolved once (`legs.rs`): realm (media address, port
//!   pool), latch mode, the trunk's codec policy, a per-leg origin.
//! * `relay_body`: only `application/sdp` (a body without Content-Type that starts with
//!   `v=` counts); other types cross unchanged, SDP inside `multipart/*` is refused.
//!   Offers (`offer.rs`) take ports on the first offer naming a section — one pair on each
//!   side's realm — and answers (`answer.rs`) are matched against the last offer. What
//!   the peer wrote is checked (`check.rs`); anything refused is a [`MediaError`], the
//!   request gets 488 with its text in a Warning, and one line is logged.
//! * What the other side receives (`rewrite.rs`): the SBC's `o=` for that leg (version +1
//!   whenever what it sees changes, RFC 3264 §8), `c=` and ports of the SBC on that side's
//!   realm (`public_ip` when set, IPv4 or IPv6 as that realm is), `a=rtcp` pointing at the
//!   SBC (removed with rtcp-mux), no ICE and no BUNDLE group, none of the peer's SDES
//!   keys (`sdes.rs`: each leg gets the SBC's own, as its `srtp` policy says; DTLS-SRTP
//!   sections are rejected), the codecs both trunks allow — or, when they share none
//!   and both allow it, the codecs the SBC transcodes to (`transcode.rs`, with RFC 3389
//!   CN at each of their clocks, `comfort_noise.rs`; the engine
//!   is told [`MediaOp::Transcode`] for each direction once
//!   the answer picks one, and the call holds one of `media.max_transcoded` slots from
//!   that offer until an answer relays it or the call ends; [`MediaHook::with_transcoding`]
//!   says whether the engine has codecs at all), the trunk's `ptime` as `a=ptime` towards
//!   it, with relayed G.711 re-cut where that or an `a=maxptime` needs it (`ptime.rs`),
//!   direction attributes as written (`c=0.0.0.0` hold turned into `sendonly`/`inactive`),
//!   port 0 kept, the number of sections never changed; what names the writer (`hiding.rs`:
//!   `s=-`, no `u= e= p= k=`/`a=tool`, `a=ssrc` cnames as pseudonyms — the same ones the
//!   media engine writes into relayed RTCP —, WebRTC stream ids dropped, and any attribute
//!   the SBC does not know dropped when it names an address, a URI or a domain).
//! * The engine hears per stream: `Open` (both local addresses, each side's latch mode),
//!   `Udptl` for T.38, `Remote`/`Sending` for each side's SDP (changes only), `ClockRate`
//!   of the answered codec, `Srtp` for each leg's keys once its answer settles them
//!   (per fork on B before the answer), `Answered`, `Close`.
//! * `answered`: [`MediaOp::Answered`] for every stream (the winning fork); streams that
//!   appear later (late offer, re-offer) are answered as they open.
//! * `call_ended`: [`MediaOp::Close`] for every stream, ports back to their pools.
//!
//! Invariant: every port taken from a pool is given back exactly once — when its stream
//! is rejected by a final answer, or when the call ends ([`MediaHook::free_ports`]).

mod answer;
mod check;
mod comfort_noise;
mod dtmf;
mod dtmf_info;
mod error;
mod hiding;
mod ice;
mod info;
mod info_limit;
mod legs;
mod offer;
mod pool;
mod ports;
mod ptime;
mod resume;
mod rewrite;
pub mod sdes;
mod state;
mod transcode;
mod transfer;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dtmf;
#[cfg(test)]
mod tests_ice;
#[cfg(test)]
mod tests_resume;
#[cfg(test)]
mod tests_rtcp_mux;
#[cfg(test)]
mod tests_transcode;
#[cfg(test)]
mod tests_transfer;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sbc_config::Config;
use sbc_core::{MediaOp, Pseudonyms, Side, StreamKey};
use sbc_sdp::SessionDescription;
use sbc_sip::b2bua::{
    Body, BodyRole, CallId, InDialog, InDialogAction, NotAcceptable, RelayPlan, SessionHook,
};
use tracing::{info, warn};

pub use dtmf_info::DigitNote;
pub use error::MediaError;
pub use info::body as info_body;
pub use ports::PortUsage;
pub use sdes::KeySource;

use ports::Pools;
pub use state::CallCodecs;
use state::CallMedia;
use transcode::{Room, SectionCodecs, Targets};

/// The session hook of the core: anchors media and rewrites SDP.
#[derive(Debug)]
pub struct MediaHook {
    config: Arc<Config>,
    pools: Pools,
    calls: HashMap<CallId, CallMedia>,
    /// Calls whose sides could not be resolved: their bodies are refused with this.
    unresolved: HashMap<CallId, MediaError>,
    /// [`CallId::get`] -> call, for events of the media engine.
    by_number: HashMap<u64, CallId>,
    ops: Vec<MediaOp>,
    /// Keys the per-leg origin session ids.
    seed: u64,
    /// Pseudonyms for RTCP CNAMEs in SDP (the media engine uses the same for RTCP).
    names: Pseudonyms,
    /// Digits that crossed calls as SIP INFO since the last [`MediaHook::drain_digits`].
    digits: Vec<DigitNote>,
    /// Where the SBC's SRTP keys come from: the OS random source.
    keys: KeySource,
    /// Whether the media engine was built with codecs (the daemon says so).
    transcoding: bool,
    /// Calls holding one of `media.max_transcoded` slots: an offer of theirs offered
    /// transcoding and no answer has settled on relaying, or a section is transcoded.
    transcoded: HashSet<CallId>,
}

impl MediaHook {
    pub fn new(config: Arc<Config>, seed: u64, names: Pseudonyms) -> Self {
        MediaHook {
            pools: Pools::new(&config),
            config,
            calls: HashMap::new(),
            unresolved: HashMap::new(),
            by_number: HashMap::new(),
            ops: Vec::new(),
            seed,
            names,
            digits: Vec::new(),
            keys: KeySource::Os,
            transcoding: false,
            transcoded: HashSet::new(),
        }
    }

    /// The same hook offering transcoding where two legs share no codec: only for a
    /// media engine built with codecs (`sbc-media`'s feature `transcoding`).
    pub fn with_transcoding(mut self, available: bool) -> Self {
        self.transcoding = available;
        self
    }

    /// Calls transcoded, or offered transcoding and waiting for the answer.
    pub fn transcoded_calls(&self) -> usize {
        self.transcoded.len()
    }

    /// Each leg's codec of `call`'s first audio section (A, B, as `PCMA/8000`) and
    /// whether it is transcoded, once an answer settled it; for the live calls view.
    pub fn codecs(&self, call: CallId) -> Option<CallCodecs> {
        self.calls.get(&call)?.codecs()
    }

    /// The SRTP suite each leg of `call` uses (A, B; `None`: plain RTP), as the media
    /// engine was last told; for the live calls view and the CDR.
    pub fn srtp_suites(&self, call: CallId) -> [Option<&'static str>; 2] {
        self.calls.get(&call).map_or([None, None], |c| {
            [
                c.keying.suite_in_use(Side::A),
                c.keying.suite_in_use(Side::B),
            ]
        })
    }

    fn room(&self, call: CallId) -> Room {
        if !self.transcoding {
            return Room::Unavailable;
        }
        let limit = self.config.media().max_transcoded;
        if self.transcoded.contains(&call) || self.transcoded.len() < limit {
            Room::Yes
        } else {
            Room::Full { limit }
        }
    }

    /// After an offer or answer of `call`: whether it holds a transcoding slot now.
    fn account(&mut self, call: CallId, role: BodyRole, early: bool) {
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        let offered = c
            .offer
            .as_ref()
            .is_some_and(|o| o.codecs.iter().any(SectionCodecs::offers_transcoding));
        let holds = match role {
            BodyRole::Offer => offered || c.is_transcoded(),
            // An early answer leaves the offer open for the final one.
            BodyRole::Answer if early => offered || c.is_transcoded(),
            BodyRole::Answer => c.is_transcoded(),
        };
        if holds {
            self.transcoded.insert(call);
        } else {
            self.transcoded.remove(&call);
        }
    }

    /// Digits that crossed calls as SIP INFO since the last drain (for the views).
    pub fn drain_digits(&mut self) -> Vec<DigitNote> {
        std::mem::take(&mut self.digits)
    }

    /// Whether `call`'s digits may be shown (both legs' `show_digits`).
    pub fn shows_digits(&self, call: CallId) -> bool {
        self.calls.get(&call).is_some_and(dtmf_info::shown)
    }

    /// The DTMF settings of leg `side` of `call` (for the INFOs the core sends on it).
    pub fn dtmf_policy(&self, call: CallId, side: Side) -> Option<sbc_config::DtmfPolicy> {
        Some(self.calls.get(&call)?.leg(side).dtmf)
    }

    /// How each leg of `call` carries DTMF (A, B), once an answer settled it.
    pub fn dtmf_ways(&self, call: CallId) -> Option<(sbc_core::DtmfWay, sbc_core::DtmfWay)> {
        let (_, a, b) = self.calls.get(&call)?.dtmf_stream()?;
        Some((a.way, b.way))
    }

    /// The same hook making its SRTP keys from `keys` (tests: a seeded source, so golden
    /// files are stable).
    pub fn with_key_source(mut self, keys: KeySource) -> Self {
        self.keys = keys;
        self
    }

    /// New calls use `config`; running calls keep their realms and ports.
    pub fn reload(&mut self, config: Arc<Config>) {
        self.pools.reload(&config);
        self.config = config;
    }

    /// What the media engine must do, in order, since the last drain.
    pub fn drain_ops(&mut self) -> Vec<MediaOp> {
        std::mem::take(&mut self.ops)
    }

    /// The call a media engine event names (`StreamKey::call`, `MediaEvent::Inactive`).
    pub fn call_of(&self, number: u64) -> Option<CallId> {
        self.by_number.get(&number).copied()
    }

    /// The engine closed `stream` itself (its ports could not be bound): its ports go
    /// back to the pools and no `Close` will be sent for it.
    pub fn stream_failed(&mut self, stream: StreamKey) {
        let Some(id) = self.call_of(stream.call) else {
            return;
        };
        if let Some(call) = self.calls.get_mut(&id) {
            call.forget(usize::from(stream.index), &mut self.pools);
        }
    }

    /// Free and total port pairs of a realm's pool (for the UI, logs and tests).
    pub fn free_ports(&self, realm: &str) -> Option<PortUsage> {
        self.pools.usage(realm)
    }

    /// `realm free/total` for every realm, for a log line.
    pub fn port_summary(&self) -> String {
        self.pools
            .realms()
            .into_iter()
            .filter_map(|r| {
                self.free_ports(r)
                    .map(|u| format!("{r} {}/{}", u.free, u.total))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Calls with media state.
    #[cfg(test)]
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// The SBC's RTP port pair (side A, side B) of each section of a call.
    #[cfg(test)]
    pub fn stream_ports(&self, call: CallId) -> Vec<Option<(u16, u16)>> {
        self.calls.get(&call).map_or_else(Vec::new, |c| {
            c.streams.iter().map(|p| p.map(|p| (p.a, p.b))).collect()
        })
    }

    /// Runs `body` through the offer or answer path; `targets` says when an offer lists
    /// the codecs the SBC transcodes to.
    fn sdp(&mut self, body: &Body<'_>, targets: Targets) -> Result<Vec<u8>, MediaError> {
        if let Some(e) = self.unresolved.get(&body.call) {
            return Err(e.clone());
        }
        let unknown = || MediaError::NoRealm {
            why: "the call is not known to the media plane".into(),
        };
        let call = self.calls.get(&body.call).ok_or_else(unknown)?;
        let sdp = SessionDescription::parse(body.bytes)?;
        // Forks are early dialogs of B; its in-dialog bodies are from the answering one.
        let fork = match body.from {
            Side::A => None,
            Side::B => body.fork.map(str::to_owned).or(call.answered_fork.clone()),
        };
        let fork = fork.as_deref();
        let early = body.from == Side::B && !call.answered && fork.is_some();
        let room = self.room(body.call);
        let call = self.calls.get_mut(&body.call).ok_or_else(unknown)?;
        let out = match body.role {
            BodyRole::Offer => offer::offer(
                call,
                &mut self.pools,
                &mut self.ops,
                &mut self.keys,
                body.from,
                sdp,
                fork,
                room,
                targets,
            ),
            BodyRole::Answer => answer::answer(
                call,
                &mut self.pools,
                &mut self.ops,
                &mut self.keys,
                body.from,
                sdp,
                fork,
            ),
        };
        if out.is_ok() {
            self.account(body.call, body.role, early);
            if let Some(call) = self.calls.get_mut(&body.call) {
                call.received[transfer::index(body.from)] = Some(body.bytes.to_vec());
            }
        }
        out
    }
}

/// What a body is, by its Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sdp,
    /// `multipart/*` with an SDP part.
    MultipartSdp,
    Other,
}

fn kind(content_type: Option<&str>, bytes: &[u8]) -> Kind {
    let Some(ct) = content_type else {
        return if bytes.starts_with(b"v=") {
            Kind::Sdp
        } else {
            Kind::Other
        };
    };
    let media_type = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media_type == "application/sdp" {
        Kind::Sdp
    } else if media_type.starts_with("multipart/")
        && bytes
            .windows(15)
            .any(|w| w.eq_ignore_ascii_case(b"application/sdp"))
    {
        Kind::MultipartSdp
    } else {
        Kind::Other
    }
}

impl SessionHook for MediaHook {
    fn call_started(&mut self, call: CallId, plan: &RelayPlan) {
        self.by_number.insert(call.get(), call);
        match legs::resolve(&self.config, call, plan, self.seed) {
            Ok(legs) => {
                self.calls
                    .insert(call, CallMedia::new(call, legs, self.names));
            }
            Err(e) => {
                warn!(%call, "media: {e}");
                self.unresolved.insert(call, e);
            }
        }
    }

    fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable> {
        let result = match kind(body.content_type, body.bytes) {
            Kind::Other => return Ok(body.bytes.to_vec()),
            Kind::MultipartSdp => Err(MediaError::Multipart),
            Kind::Sdp => self.sdp(&body, Targets::WhenNothingShared),
        };
        result.map_err(|e| {
            let role = match body.role {
                BodyRole::Offer => "offer",
                BodyRole::Answer => "answer",
            };
            info!(call = %body.call, side = %body.from, "SDP {role} refused: {e}");
            // A refused 18x/2xx of B fails A's INVITE: A learns nothing of B's SDP.
            if body.from == Side::B && body.fork.is_some() {
                NotAcceptable(format!("the called side's SDP: {}", e.summary()))
            } else {
                NotAcceptable(e.to_string())
            }
        })
    }

    fn answered(&mut self, call: CallId, fork: Option<&str>) {
        if let Some(c) = self.calls.get_mut(&call) {
            answer::answered(c, &mut self.pools, &mut self.ops, fork);
        }
    }

    fn in_dialog(&mut self, request: InDialog<'_>) -> InDialogAction {
        match self.calls.get_mut(&request.call) {
            Some(call) => dtmf_info::in_dialog(call, &mut self.ops, &mut self.digits, &request),
            None => InDialogAction::Relay,
        }
    }

    fn transfer_offer(
        &mut self,
        call: CallId,
        referrer: Side,
        _sent_to_referrer: &[u8],
    ) -> Result<Vec<u8>, NotAcceptable> {
        self.transfer_offer_for(call, referrer)
    }

    fn transfer_answered(
        &mut self,
        call: CallId,
        referrer: Side,
        answer: &[u8],
    ) -> Result<(), NotAcceptable> {
        self.transfer_answer_from(call, referrer, answer)
    }

    fn transfer_failed(&mut self, call: CallId, referrer: Side) {
        self.transfer_failed_for(call, referrer);
    }

    fn resume_offer(
        &mut self,
        call: CallId,
        kept: Side,
        sent_to_kept: &[u8],
        new_answer: &[u8],
    ) -> Option<Vec<u8>> {
        let mut offer = resume::resume_offer(sent_to_kept, new_answer)?;
        let c = self.calls.get_mut(&call)?;
        Some(c.leg_mut(kept).origin.stamp(&mut offer))
    }

    fn call_ended(&mut self, call: CallId) {
        self.by_number.remove(&call.get());
        self.unresolved.remove(&call);
        self.transcoded.remove(&call);
        if let Some(mut c) = self.calls.remove(&call) {
            c.close_all(&mut self.pools, &mut self.ops);
        }
    }
}
