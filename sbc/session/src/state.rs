//! What the media plane remembers of a call: its two legs, the SBC's ports of each
//! stream, the offer waiting for its answer, and what the media engine was last told.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use sbc_core::{DtmfLeg, MediaOp, Pseudonyms, RemoteSpec, Side, StreamKey, Transcoding};
use sbc_sip::b2bua::CallId;

use super::check::PeerStream;
use super::dtmf::SectionDtmf;
use super::info_limit::InfoBudget;
use super::legs::Leg;
use super::ports::Pools;
use super::sdes::{Keying, Line};
use super::transcode::SectionCodecs;

/// The SBC's RTP ports of one stream, one on each side's realm (RTCP on the next port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub a: u16,
    pub b: u16,
}

impl Ports {
    pub fn on(self, side: Side) -> u16 {
        match side {
            Side::A => self.a,
            Side::B => self.b,
        }
    }
}

/// The last offer of a call, kept until the next one: answers are checked against it.
#[derive(Debug, Clone)]
pub struct Offer {
    pub from: Side,
    /// Per media section: whether the SBC anchored it (it has ports in the forwarded
    /// offer); the others were sent with port 0.
    pub anchored: Vec<bool>,
    /// The transport of each section as forwarded (an answer must use the same).
    pub protos: Vec<String>,
    /// The offerer's streams as it described them.
    pub peer: Vec<PeerStream>,
    /// Answers from early dialogs (forks of B): which sections each accepted. The one
    /// whose fork answers the call settles the streams when its 2xx has no SDP.
    pub early: Vec<(String, Vec<bool>)>,
    /// Per media section: the offerer's telephone-events and those sent on.
    pub dtmf: Vec<SectionDtmf>,
    /// The transport of each section as the offerer wrote it (its answer uses the same).
    pub peer_protos: Vec<String>,
    /// The offerer's `a=crypto` line chosen per section (`None`: plain RTP).
    pub peer_lines: Vec<Option<Line>>,
    /// The SBC's lines offered to the answerer per section (empty: plain RTP offered).
    pub our_offered: Vec<Vec<Line>>,
    /// Per media section: the offerer's codecs the SBC can transcode, and the payload
    /// types it added to transcode to.
    pub codecs: Vec<SectionCodecs>,
}

/// The codecs of a call's first audio section, for the views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCodecs {
    /// Leg A's codec (`PCMA/8000`).
    pub a: String,
    /// Leg B's codec.
    pub b: String,
    pub transcoded: bool,
}

/// One call.
#[derive(Debug)]
pub struct CallMedia {
    pub id: CallId,
    /// Side A, then side B.
    pub legs: [Leg; 2],
    /// By media section index: the SBC's ports while the stream is anchored.
    pub streams: Vec<Option<Ports>>,
    pub offer: Option<Offer>,
    /// B answered ([`SessionHook::answered`](sbc_sip::b2bua::SessionHook::answered)):
    /// answers from B are final from now on.
    pub answered: bool,
    /// The early dialog (To tag) of B that answered: in-dialog SDP of B is from it.
    pub answered_fork: Option<String>,
    /// What the engine was last told, to send changes only: remote per (section, side,
    /// fork), sending per (section, side).
    remotes: HashMap<(usize, Side, Option<String>), RemoteSpec>,
    sending: HashMap<(usize, Side), bool>,
    /// Sections the engine relays as T.38 over UDPTL.
    udptl: HashSet<usize>,
    /// The RTP clock rate the engine was told per section.
    clock_rates: HashMap<usize, u32>,
    /// SRTP keys per section and side ([`Keying`]).
    pub keying: Keying,
    /// Pseudonyms for the CNAMEs of `a=ssrc` ([`hiding`](super::hiding)).
    pub names: Pseudonyms,
    /// How each leg of each section carries DTMF, as the engine was last told.
    dtmf: HashMap<(usize, Side), DtmfLeg>,
    /// DTMF INFOs each leg may still send (a flood is answered 503), A then B.
    pub info_budget: [InfoBudget; 2],
    /// Sections the engine transcodes: what it was told towards (A, B).
    transcoded: HashMap<usize, [Transcoding; 2]>,
    /// Relayed sections the engine re-cuts (trunk `ptime`, `a=maxptime`): towards (A, B).
    recut: HashMap<(usize, Side), Transcoding>,
    /// The codec the last answer chose for a relayed audio section (`PCMA/8000`).
    pub relayed_codec: Option<String>,
    /// ICE-lite per side (A, B), on legs with `ice = "lite"` ([`ice`](super::ice)).
    pub ice: [Option<super::ice::IceLeg>; 2],
    /// The last session description each side (A, B) wrote that the hook accepted: a
    /// transfer re-offers the kept side's to the new leg ([`transfer`](super::transfer)).
    pub received: [Option<Vec<u8>>; 2],
    /// The codec each side of each audio section sends and receives since the last
    /// answer (`PCMA`, 8000), per (section, side): a transfer offers the new leg the
    /// kept side's.
    in_use: HashMap<(usize, Side), (String, u32)>,
}

impl CallMedia {
    pub fn new(id: CallId, legs: [Leg; 2], names: Pseudonyms) -> Self {
        CallMedia {
            id,
            legs,
            streams: Vec::new(),
            offer: None,
            answered: false,
            answered_fork: None,
            remotes: HashMap::new(),
            sending: HashMap::new(),
            udptl: HashSet::new(),
            clock_rates: HashMap::new(),
            keying: Keying::default(),
            names,
            dtmf: HashMap::new(),
            info_budget: [InfoBudget::default(), InfoBudget::default()],
            transcoded: HashMap::new(),
            recut: HashMap::new(),
            relayed_codec: None,
            ice: [None, None],
            received: [None, None],
            in_use: HashMap::new(),
        }
    }

    /// The codecs of the first transcoded section, else of the first section whose
    /// answer named a codec (the same on both legs: relayed).
    pub fn codecs(&self) -> Option<CallCodecs> {
        let name = |f: &sbc_core::PayloadFormat| format!("{}/{}", f.encoding, f.clock_rate);
        if let Some(t) = self.transcoded.values().next() {
            // Towards A goes A's codec (the output of that direction).
            return Some(CallCodecs {
                a: name(&t[0].output),
                b: name(&t[1].output),
                transcoded: true,
            });
        }
        let relayed = self.relayed_codec.as_ref()?;
        Some(CallCodecs {
            a: relayed.clone(),
            b: relayed.clone(),
            transcoded: false,
        })
    }

    /// Records the codec of section `index` after an answer that chose `answered` (the
    /// answerer's first codec as it wrote it): each side's is what the engine transcodes
    /// towards it, else `answered` on both (relayed).
    pub fn note_codecs(&mut self, index: usize, answered: Option<(String, u32)>) {
        let pair = match self.transcoded.get(&index) {
            Some([to_a, to_b]) => {
                let codec = |t: &Transcoding| (t.output.encoding.clone(), t.output.clock_rate);
                [Some(codec(to_a)), Some(codec(to_b))]
            }
            None => [answered.clone(), answered],
        };
        for (side, codec) in [Side::A, Side::B].into_iter().zip(pair) {
            match codec {
                Some(c) => self.in_use.insert((index, side), c),
                None => self.in_use.remove(&(index, side)),
            };
        }
    }

    /// The codec `side` of section `index` sends and receives ([`note_codecs`](Self::note_codecs)).
    pub fn codec_in_use(&self, index: usize, side: Side) -> Option<&(String, u32)> {
        self.in_use.get(&(index, side))
    }

    /// Whether a section of the call is transcoded.
    pub fn is_transcoded(&self) -> bool {
        !self.transcoded.is_empty()
    }

    /// Tells the engine to transcode section `index` (`to_a`, `to_b`: each direction) or
    /// to relay it again (`None`), unless it knows.
    pub fn transcode(
        &mut self,
        ops: &mut Vec<MediaOp>,
        index: usize,
        both: Option<[Transcoding; 2]>,
    ) {
        if self.transcoded.get(&index) == both.as_ref() {
            return;
        }
        let stream = self.key(index);
        for (i, toward) in [Side::A, Side::B].into_iter().enumerate() {
            let spec = both.as_ref().map(|b| b[i].clone());
            ops.push(MediaOp::Transcode {
                stream,
                toward,
                spec,
            });
        }
        match both {
            Some(b) => self.transcoded.insert(index, b),
            None => self.transcoded.remove(&index),
        };
    }

    /// Tells the engine to re-cut what goes towards `toward` on relayed section `index`
    /// (`None`: relay it as it comes), unless it knows. Comes after
    /// [`transcode`](Self::transcode) took a section back to relaying, and before it
    /// transcodes one again (with `None`), so that neither undoes the other's step.
    pub fn recut(
        &mut self,
        ops: &mut Vec<MediaOp>,
        index: usize,
        toward: Side,
        spec: Option<Transcoding>,
    ) {
        if self.recut.get(&(index, toward)) == spec.as_ref() {
            return;
        }
        match &spec {
            Some(s) => self.recut.insert((index, toward), s.clone()),
            None => self.recut.remove(&(index, toward)),
        };
        ops.push(MediaOp::Transcode {
            stream: self.key(index),
            toward,
            spec,
        });
    }

    /// Tells the engine how `side`'s leg of stream `index` carries DTMF, unless it knows.
    pub fn dtmf(&mut self, ops: &mut Vec<MediaOp>, index: usize, side: Side, leg: DtmfLeg) {
        if self.dtmf.get(&(index, side)) == Some(&leg) {
            return;
        }
        self.dtmf.insert((index, side), leg.clone());
        ops.push(MediaOp::Dtmf {
            stream: self.key(index),
            side,
            leg,
        });
    }

    /// The stream that carries the call's DTMF (the first anchored audio stream whose
    /// legs are both known), with each leg's DTMF.
    pub fn dtmf_stream(&self) -> Option<(usize, &DtmfLeg, &DtmfLeg)> {
        (0..self.streams.len())
            .filter(|&i| self.streams[i].is_some())
            .find_map(|i| {
                let a = self.dtmf.get(&(i, Side::A))?;
                let b = self.dtmf.get(&(i, Side::B))?;
                Some((i, a, b))
            })
    }

    pub fn leg(&self, side: Side) -> &Leg {
        &self.legs[side_index(side)]
    }

    pub fn leg_mut(&mut self, side: Side) -> &mut Leg {
        &mut self.legs[side_index(side)]
    }

    pub fn key(&self, index: usize) -> StreamKey {
        StreamKey {
            call: self.id.get(),
            // Invariant: a description has at most `SdpLimits::max_media` (64) sections.
            index: u16::try_from(index).unwrap_or(u16::MAX),
        }
    }

    /// The SBC's address of stream `index` on `side` (the bind address, not `public_ip`).
    pub fn local(&self, index: usize, side: Side) -> Option<SocketAddr> {
        let ports = self.streams.get(index).copied().flatten()?;
        Some(SocketAddr::new(self.leg(side).bind_ip, ports.on(side)))
    }

    /// The SBC's port on `side` for each section, `None` where `keep[i]` is false.
    pub fn ports_on(&self, side: Side, keep: &[bool]) -> Vec<Option<u16>> {
        keep.iter()
            .enumerate()
            .map(|(i, &k)| {
                k.then(|| self.streams.get(i).copied().flatten())
                    .flatten()
                    .map(|p| p.on(side))
            })
            .collect()
    }

    /// Tells the engine where `side`'s peer of stream `index` is, unless it knows.
    pub fn remote(&mut self, ops: &mut Vec<MediaOp>, index: usize, side: Side, spec: RemoteSpec) {
        let key = (index, side, spec.fork.clone());
        if self.remotes.get(&key) == Some(&spec) {
            return;
        }
        self.remotes.insert(key, spec.clone());
        ops.push(MediaOp::Remote {
            stream: self.key(index),
            side,
            remote: spec,
        });
    }

    /// Tells the engine whether `side`'s peer of stream `index` sends, unless it knows.
    pub fn sending(&mut self, ops: &mut Vec<MediaOp>, index: usize, side: Side, sends: bool) {
        if self.sending.insert((index, side), sends) == Some(sends) {
            return;
        }
        ops.push(MediaOp::Sending {
            stream: self.key(index),
            side,
            sends,
        });
    }

    /// Tells the engine that stream `index` carries UDPTL, once. (There is no way back
    /// to RTP: a fax call going back to voice keeps relaying datagrams as they are.)
    pub fn udptl(&mut self, ops: &mut Vec<MediaOp>, index: usize) {
        if self.udptl.insert(index) {
            ops.push(MediaOp::Udptl {
                stream: self.key(index),
            });
        }
    }

    /// Tells the engine the RTP clock rate of stream `index`, unless it knows.
    pub fn clock_rate(&mut self, ops: &mut Vec<MediaOp>, index: usize, rate: u32) {
        if rate == 0 || self.clock_rates.insert(index, rate) == Some(rate) {
            return;
        }
        ops.push(MediaOp::ClockRate {
            stream: self.key(index),
            rate,
        });
    }

    /// Stops stream `index` and gives its ports back, if it is anchored.
    pub fn close(&mut self, index: usize, pools: &mut Pools, ops: &mut Vec<MediaOp>) {
        if self.forget(index, pools) {
            ops.push(MediaOp::Close {
                stream: self.key(index),
            });
        }
    }

    /// Gives the ports of stream `index` back without telling the engine (which closed
    /// it itself); returns whether it was anchored.
    pub fn forget(&mut self, index: usize, pools: &mut Pools) -> bool {
        let Some(ports) = self.streams.get_mut(index).and_then(Option::take) else {
            return false;
        };
        pools.release(&self.legs[0].realm, ports.a);
        pools.release(&self.legs[1].realm, ports.b);
        self.remotes.retain(|(i, ..), _| *i != index);
        self.sending.retain(|(i, _), _| *i != index);
        self.udptl.remove(&index);
        self.clock_rates.remove(&index);
        self.dtmf.retain(|(i, _), _| *i != index);
        self.keying.forget(index);
        self.transcoded.remove(&index);
        self.in_use.retain(|(i, _), _| *i != index);
        true
    }

    /// Stops every stream.
    pub fn close_all(&mut self, pools: &mut Pools, ops: &mut Vec<MediaOp>) {
        for index in 0..self.streams.len() {
            self.close(index, pools, ops);
        }
    }

    /// Settles an offer/answer exchange: streams the answer did not accept are closed.
    pub fn settle(&mut self, accepted: &[bool], pools: &mut Pools, ops: &mut Vec<MediaOp>) {
        for index in 0..self.streams.len() {
            if !accepted.get(index).copied().unwrap_or(false) {
                self.close(index, pools, ops);
            }
        }
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}
