//! The calls and streams the web UI lists (the Dashboard's active calls, `/api/calls`),
//! kept by the [`Observer`](super::observer::Observer) from what passes through the core
//! task: relay decisions and call events from the engine, the media ops it sends and the
//! media events it receives (including the per-stream counters answering
//! `MediaOp::QueryStats`), DTMF digits. Sans-IO: time is an argument. The observer asks
//! for [`Views::stats_queries`] and publishes [`Views::snapshot`] once a second, made from
//! the same state reading ([`Gauges`]) as the metrics report.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::gauges::Gauges;
use crate::mgmt::hook::LegMedia;
use sbc_config::Config;
use sbc_core::{MediaEvent, MediaOp, Side, StreamKey, StreamStats};
use sbc_mgmt::live::{
    CallView, DigitView, LegView, PeerView, ProfileValueView, Snapshot, StreamSideView, StreamView,
    TrunkView,
};

/// Window calls per second are averaged over.
const CPS_WINDOW: Duration = Duration::from_secs(10);
/// Calls shown at most (the snapshot is copied once a second).
const MAX_CALLS_SHOWN: usize = 1000;

#[derive(Debug, Clone)]
struct CallRecord {
    started: Instant,
    started_unix: i64,
    answered: bool,
    user: String,
    from: String,
    a: LegView,
    b: LegView,
    digits: VecDeque<DigitView>,
}

/// Digits kept per call for the views.
const MAX_DIGITS: usize = 32;

#[derive(Debug, Clone, Default)]
struct StreamRecord {
    local: [Option<SocketAddr>; 2],
    latched: [Option<SocketAddr>; 2],
    stats: [StreamStats; 2],
    clock_rate: u32,
    /// ICE-lite per side (`None`: no ICE there).
    ice: [Option<super::ice_view::IceRecord>; 2],
}

/// Calls and streams as the UI shows them.
#[derive(Debug, Default)]
pub struct Views {
    calls: BTreeMap<u64, CallRecord>,
    streams: BTreeMap<StreamKey, StreamRecord>,
    starts: VecDeque<Instant>,
    cert_checks: crate::mgmt::trunk_checks::CertChecks,
}

/// One relayed call, as the core knows it when the engine accepts it.
#[derive(Debug)]
pub struct Relayed<'a> {
    pub call: u64,
    pub from_name: &'a str,
    pub to_name: &'a str,
    pub user: &'a str,
    pub caller: SocketAddr,
    pub callee: Option<SocketAddr>,
}

fn side_index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

fn leg(config: &Config, name: &str, remote: Option<SocketAddr>) -> LegView {
    let (trunk, realm) = match config.trunk(name) {
        Some(t) => (t.name.clone(), t.realm.clone()),
        None => (String::new(), name.to_owned()),
    };
    LegView {
        trunk,
        realm,
        remote: remote.map(|r| r.to_string()).unwrap_or_default(),
        // Filled in from the answer (`set_media`).
        codec: String::new(),
        srtp: false,
        srtp_suite: None,
        transcoded: false,
    }
}

impl Views {
    /// The engine accepted a call for relaying.
    pub fn relayed(&mut self, now: Instant, unix: i64, config: &Config, r: Relayed<'_>) {
        self.starts.push_back(now);
        self.calls.insert(
            r.call,
            CallRecord {
                started: now,
                started_unix: unix,
                answered: false,
                user: r.user.to_owned(),
                from: r.from_name.to_owned(),
                a: leg(config, r.from_name, Some(r.caller)),
                b: leg(config, r.to_name, r.callee),
                digits: VecDeque::new(),
            },
        );
    }

    pub fn answered(&mut self, call: u64) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.answered = true;
        }
    }

    /// A DTMF digit crossed `call` (`shown`: the digit itself or `x`).
    pub fn digit(&mut self, call: u64, unix: i64, note: &sbc_session::DigitNote) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        if c.digits.len() == MAX_DIGITS {
            c.digits.pop_front();
        }
        c.digits.push_back(DigitView {
            digit: note.digit.shown(note.shown).to_string(),
            direction: match note.from {
                Side::A => "a-to-b",
                Side::B => "b-to-a",
            }
            .to_owned(),
            from_mode: note.came.to_owned(),
            to_mode: note.went.to_owned(),
            time: sbc_mgmt::clock::rfc3339(unix),
            duration_ms: note.duration_ms,
        });
    }

    pub fn ended(&mut self, call: u64) {
        self.calls.remove(&call);
        // The call's streams only (keys sort by call first), not a walk over every call's.
        let first = StreamKey { call, index: 0 };
        let last = StreamKey {
            call,
            index: u16::MAX,
        };
        let keys: Vec<StreamKey> = self.streams.range(first..=last).map(|(k, _)| *k).collect();
        for key in keys {
            self.streams.remove(&key);
        }
    }

    pub fn on_media_op(&mut self, op: &MediaOp) {
        match op {
            MediaOp::Open {
                stream,
                a_local,
                b_local,
                ..
            } => {
                let s = self.streams.entry(*stream).or_default();
                s.local = [Some(*a_local), Some(*b_local)];
            }
            MediaOp::ClockRate { stream, rate } => {
                if let Some(s) = self.streams.get_mut(stream) {
                    s.clock_rate = *rate;
                }
            }
            MediaOp::Ice {
                stream,
                side,
                local,
                remote_ufrag,
                ..
            } => {
                if let Some(s) = self.streams.get_mut(stream) {
                    super::ice_view::on_op(
                        &mut s.ice[side_index(*side)],
                        local.as_ref(),
                        remote_ufrag.as_deref(),
                    );
                }
            }
            MediaOp::Close { stream } => {
                self.streams.remove(stream);
            }
            _ => {}
        }
    }

    pub fn on_media_event(&mut self, ev: &MediaEvent) {
        match ev {
            MediaEvent::Latched {
                stream,
                side,
                addr,
                reason,
            } => {
                if let Some(s) = self.streams.get_mut(stream) {
                    s.latched[side_index(*side)] = Some(*addr);
                    super::ice_view::on_latched(&mut s.ice[side_index(*side)], *addr, *reason);
                }
            }
            MediaEvent::Stats { stream, a, b } => {
                if let Some(s) = self.streams.get_mut(stream) {
                    s.stats = [*a, *b];
                }
            }
            MediaEvent::Closed { stream, .. } => {
                self.streams.remove(stream);
            }
            _ => {}
        }
    }

    /// Sets what the legs of `call` negotiated (codec, SRTP, whether the SBC transcodes
    /// between them), as the session hook knows it.
    pub fn set_media(&mut self, call: u64, legs: &[LegMedia; 2]) {
        if let Some(c) = self.calls.get_mut(&call) {
            legs[0].fill(&mut c.a);
            legs[1].fill(&mut c.b);
        }
    }

    /// Calls being shown (the first [`MAX_CALLS_SHOWN`]), by number.
    pub fn call_numbers(&self) -> Vec<u64> {
        self.calls.keys().take(MAX_CALLS_SHOWN).copied().collect()
    }

    /// A counters query for every anchored stream of the calls shown.
    pub fn stats_queries(&self) -> Vec<MediaOp> {
        self.calls
            .keys()
            .take(MAX_CALLS_SHOWN)
            .flat_map(|&call| {
                self.streams
                    .range(Self::streams_of(call))
                    .map(|(&stream, _)| MediaOp::QueryStats { stream })
            })
            .collect()
    }

    /// The stream keys of call `call`.
    fn streams_of(call: u64) -> std::ops::RangeInclusive<StreamKey> {
        StreamKey { call, index: 0 }..=StreamKey {
            call,
            index: u16::MAX,
        }
    }

    /// Totals, trunks and (when `list_calls`) the calls. The state numbers (calls in
    /// progress, peers up, calls per trunk, registrations, bans, drain) are `gauges`, the
    /// reading the metrics report of the same second is made from.
    pub fn snapshot(
        &mut self,
        now: Instant,
        config: &Config,
        gauges: &Gauges,
        list_calls: bool,
    ) -> Snapshot {
        while self
            .starts
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > CPS_WINDOW)
        {
            self.starts.pop_front();
        }
        let calls = if list_calls {
            self.calls
                .iter()
                .take(MAX_CALLS_SHOWN)
                .map(|(id, c)| self.call_view(now, *id, c))
                .collect()
        } else {
            Vec::new()
        };
        let cert_checks = &mut self.cert_checks;
        let profile_values = sbc_config::profile::values(config.file());
        let trunks = config
            .trunks()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let up = |p: &sbc_core::TransportAddr| gauges.peer_up(&t.name, &p.to_string());
                TrunkView {
                    name: t.name.clone(),
                    realm: t.realm.clone(),
                    peers: t
                        .peers
                        .iter()
                        .map(|p| PeerView {
                            address: p.to_string(),
                            up: up(p),
                        })
                        .collect(),
                    active_calls: gauges.trunk_calls(&t.name),
                    down: t.down_reason(),
                    names: crate::mgmt::names::views(t, now, &up),
                    profile: t.profile.map(|p| p.as_str().to_owned()),
                    from_profile: profile_view(&profile_values, i),
                    options: gauges.trunk_options(&t.name),
                    certificate: cert_checks.check(config.realm_of(t)),
                }
            })
            .collect();
        Snapshot {
            active_calls: gauges.calls_active,
            calls,
            calls_listed: list_calls,
            cps: self.starts.len() as f64 / CPS_WINDOW.as_secs_f64(),
            trunks,
            registrations: gauges.registrations.clone(),
            trunk_registrations: gauges.trunk_registrations.clone(),
            bans: gauges.bans.clone(),
            draining: gauges.draining,
        }
    }

    fn call_view(&self, now: Instant, id: u64, c: &CallRecord) -> CallView {
        let elapsed = now.saturating_duration_since(c.started).as_secs();
        let streams = self
            .streams
            .range(Self::streams_of(id))
            .map(|(k, s)| StreamView {
                media: format!("m{}", k.index),
                a: side_view(s, 0),
                b: side_view(s, 1),
            })
            .collect();
        CallView {
            id: format!("call#{id}"),
            started: sbc_mgmt::clock::rfc3339(c.started_unix),
            duration_seconds: elapsed,
            state: if c.answered { "answered" } else { "early" }.to_owned(),
            from: c.from.clone(),
            to: c.user.clone(),
            a: c.a.clone(),
            b: c.b.clone(),
            streams,
            digits: c.digits.iter().cloned().collect(),
        }
    }
}

/// The values trunk `i`'s profile gave, keyed without the `trunk[i].` prefix.
fn profile_view(values: &[sbc_config::profile::ProfileValue], i: usize) -> Vec<ProfileValueView> {
    let prefix = format!("trunk[{i}].");
    values
        .iter()
        .filter_map(|v| {
            Some(ProfileValueView {
                key: v.path.strip_prefix(&prefix)?.to_owned(),
                value: v.value.clone(),
            })
        })
        .collect()
}

fn side_view(s: &StreamRecord, i: usize) -> StreamSideView {
    let st = s.stats[i];
    let rate = if s.clock_rate == 0 {
        8000
    } else {
        s.clock_rate
    };
    StreamSideView {
        local: s.local[i].map(|a| a.to_string()).unwrap_or_default(),
        latched: s.latched[i].map(|a| a.to_string()),
        packets: st.packets,
        bytes: st.bytes,
        lost: i64::try_from(st.lost).unwrap_or(i64::MAX),
        jitter: f64::from(st.jitter) * 1000.0 / f64::from(rate),
        dropped: st
            .drops
            .iter()
            .filter(|(k, _)| k.is_loss())
            .map(|(k, n)| (k.name().to_owned(), n))
            .collect(),
        quality: super::quality::view(&st, rate),
        ice: super::ice_view::view(s.ice[i].as_ref(), &st),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_toml_str(
            r#"
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
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:127.0.0.1:5070"]
"#,
            "/tmp",
        )
        .expect("valid")
    }

    #[test]
    fn a_call_with_a_stream_and_its_counters() {
        let cfg = config();
        let t0 = Instant::now();
        let mut v = Views::default();
        let caller: SocketAddr = "127.0.0.1:5070".parse().expect("addr");
        v.relayed(
            t0,
            1_000,
            &cfg,
            Relayed {
                call: 7,
                from_name: "carrier",
                to_name: "carrier",
                user: "100",
                caller,
                callee: None,
            },
        );
        let stream = StreamKey { call: 7, index: 0 };
        v.on_media_op(&MediaOp::Open {
            stream,
            a_local: "127.0.0.1:20000".parse().expect("addr"),
            b_local: "127.0.0.1:20002".parse().expect("addr"),
            latch_a: sbc_core::LatchMode::Always,
            latch_b: sbc_core::LatchMode::Always,
        });
        assert_eq!(v.stats_queries(), vec![MediaOp::QueryStats { stream }]);
        let a = StreamStats {
            packets: 50,
            bytes: 8600,
            lost: 2,
            jitter: 80,
            ..StreamStats::default()
        };
        v.on_media_event(&MediaEvent::Stats {
            stream,
            a,
            b: StreamStats::default(),
        });
        v.answered(7);
        let gauges = Gauges {
            calls_active: 1,
            trunk_calls: std::collections::HashMap::from([("carrier".to_owned(), 1)]),
            ..Gauges::default()
        };
        let snap = v.snapshot(t0 + Duration::from_secs(3), &cfg, &gauges, true);
        assert_eq!(snap.calls.len(), 1);
        assert!(snap.calls_listed);
        assert_eq!(snap.active_calls, 1);
        let call = &snap.calls[0];
        assert_eq!(call.state, "answered");
        assert_eq!(call.duration_seconds, 3);
        assert_eq!(call.a.trunk, "carrier");
        assert_eq!(call.a.remote, "127.0.0.1:5070");
        assert_eq!(call.streams[0].a.packets, 50);
        assert_eq!(call.streams[0].a.jitter, 10.0);
        assert_eq!(snap.trunks[0].active_calls, 1);
        assert!((snap.cps - 0.1).abs() < 1e-9);
        // Nobody looking: totals only.
        let quiet = v.snapshot(t0, &cfg, &gauges, false);
        assert!(quiet.calls.is_empty() && !quiet.calls_listed);
        assert_eq!(quiet.active_calls, 1);
        v.ended(7);
        let snap = v.snapshot(t0, &cfg, &Gauges::default(), true);
        assert!(snap.calls.is_empty());
        assert!(v.stats_queries().is_empty());
    }
}
