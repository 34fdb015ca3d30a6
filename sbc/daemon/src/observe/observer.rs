//! The [`Observer`]: everything the core task counts and keeps about calls, in one value
//! that the core feeds at its few touch points and that makes every export.
//!
//! Fed by the core task (it owns the observer; no locks):
//!
//! * every SIP message read ([`Observer::received`]) and written ([`Observer::sent`]):
//!   SIP counters, HEP captures, the call's ladder, Q.850 causes for the CDR, setup time;
//! * the B2BUA's call events ([`Observer::relayed`], [`Observer::call_started`],
//!   [`Observer::call_answered`], [`Observer::call_ended`]): call counters, the live
//!   views' call list, the CDR, the HEP leg correlation, the ladder;
//! * what the media plane is told and says ([`Observer::media_op`],
//!   [`Observer::media_event`]): streams for the views and CDRs, latches, per-stream
//!   counters, quality histograms. The media workers' packet totals reach `/metrics`
//!   through their own board ([`super::media::MediaBoard`]), counted in the workers;
//!
//! Exported from here only: once a second [`Observer::publish`] reads the state numbers
//! once ([`Gauges`]) and makes from that one reading both the web UI's snapshot and the
//! metrics report; finished CDRs go to their writer thread; ladders are answered to
//! management. A number the UI shows and the same number in `/metrics` are therefore one
//! reading, and the CDR's per-stream counters are the media plane's final `Closed` counts,
//! the same the quality histograms are made of.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sbc_config::Config;
use sbc_core::{MediaEvent, MediaOp, Transmit};
use sbc_mgmt::ladder::LadderView;
use sbc_mgmt::live::{Demand, Snapshot};
use sbc_sip::b2bua::{EndReason, LegInfo};
use sbc_sip::transaction::Peer;
use sbc_sip::{Message, Method};
use tokio::sync::watch;
use tracing::warn;

use super::ReportSender;
use super::calls::CallCounters;
use super::cdr::{CdrBook, Parties};
use super::cdr_file::CdrSink;
use super::gauges::Gauges;
use super::ladder::{Ending, Ladders, Way, Wire};
use super::quality::QualityCounters;
use super::report::{CoreReport, latch_label};
use super::sip::SipCounters;
use super::views::{Relayed, Views};
use crate::hep::HepTap;
use crate::mgmt::hook::LegMedia;

/// How often lost CDR lines are warned about, at most.
const LOSS_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// What the core task counts and keeps about calls, and the ends it exports them through.
#[derive(Debug)]
pub struct Observer {
    sip: SipCounters,
    calls: CallCounters,
    latches: BTreeMap<&'static str, u64>,
    quality: QualityCounters,
    /// The calls and streams the UI lists.
    views: Views,
    /// Call detail records being gathered, and the writer of finished ones.
    cdr: CdrBook,
    cdr_sink: Option<CdrSink>,
    /// CDR lines lost as of the last warning, and when it was.
    cdr_lost_warned: (u64, Option<Instant>),
    hep: Option<HepTap>,
    /// What a tap stopped by a reload left for a later one.
    hep_parked: Option<crate::hep::reload::Parked>,
    ladders: Ladders,
    live: Option<(watch::Sender<Snapshot>, Arc<Demand>)>,
    report: Option<ReportSender>,
}

/// One relayed call as the core knows it when the engine accepted it.
#[derive(Debug)]
pub struct RelayedCall<'a> {
    pub call: u64,
    pub now: Instant,
    pub unix: i64,
    /// The route's ends (trunk names, or a realm's for a phone of an open realm).
    pub from: &'a str,
    pub to: &'a str,
    pub user: &'a str,
    pub caller: std::net::SocketAddr,
    pub callee: Option<std::net::SocketAddr>,
    pub a_call_id: &'a str,
    pub legs: Option<[LegInfo; 2]>,
    /// Both ends allow digits in the ladder and HEP copies (`show_digits`).
    pub show_digits: bool,
}

/// Microseconds since the Unix epoch, now.
fn unix_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn read(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

impl Observer {
    pub fn new(config: &Config) -> Self {
        let mut ladders = Ladders::new(Default::default());
        ladders.set_recording(config.ladder());
        Observer {
            sip: SipCounters::new(config),
            calls: CallCounters::default(),
            latches: BTreeMap::new(),
            quality: QualityCounters::default(),
            views: Views::default(),
            cdr: CdrBook::default(),
            cdr_sink: None,
            cdr_lost_warned: (0, None),
            hep: None,
            hep_parked: None,
            ladders,
            live: None,
            report: None,
        }
    }

    /// Copies every SIP message (and the media plane's RTCP) to a HEP collector.
    pub fn set_hep(&mut self, tap: HepTap) {
        self.hep = Some(tap);
    }

    /// Writes a CDR per call through `sink`.
    pub fn set_cdrs(&mut self, sink: CdrSink) {
        self.cdr_sink = Some(sink);
    }

    /// Publishes the metrics report on `report` once a second.
    pub fn set_report(&mut self, report: ReportSender) {
        self.report = Some(report);
    }

    /// Publishes the management snapshot on `live` once a second, listing the calls while
    /// `demand` says somebody looks.
    pub fn set_live(&mut self, live: watch::Sender<Snapshot>, demand: Arc<Demand>) {
        self.live = Some((live, demand));
    }

    /// Whether anything needs the once-a-second tick.
    pub fn wants_tick(&self) -> bool {
        self.live.is_some() || self.report.is_some() || self.cdr_sink.is_some()
    }

    /// New realms for the SIP counters; `[log] ladder` for the calls that start now;
    /// `[hep]` changes.
    pub fn reload(&mut self, config: &Config) {
        self.sip.reload(config);
        crate::hep::reload::apply(&mut self.hep, &mut self.hep_parked, config.hep());
        self.ladders.set_recording(config.ladder());
    }

    /// Calls relayed and not ended.
    pub fn active_calls(&self) -> usize {
        self.calls.active()
    }

    /// A message read from `peer`, as it came (before header rules and the gate).
    pub fn received(&mut self, msg: &Message, peer: &Peer) {
        self.sip.received(peer.local, msg);
        if let Some(hep) = &mut self.hep {
            hep.received(peer.transport, peer.remote, peer.local, msg.to_bytes());
        }
        let call_id = msg.call_id().unwrap_or("");
        let invite = msg.method() == Some(&Method::Invite);
        if !invite && !self.ladders.wants(call_id) {
            return;
        }
        // Without ladders only a message that may end a leg is looked at (its Q.850
        // cause): the others are not copied at all.
        let may_end = matches!(msg.method(), Some(Method::Bye | Method::Cancel))
            || msg.status().is_some_and(|code| code >= 300);
        if !self.ladders.recording() && !may_end {
            return;
        }
        let wire = Wire {
            transport: peer.transport,
            local: peer.local,
            remote: peer.remote,
        };
        let ending = self.ladders.received(unix_us(), wire, msg.to_bytes());
        self.note_ending(ending);
    }

    /// A message on its way to the socket; an 18x or final response to an INVITE ends
    /// the setup time of the call whose A leg it goes to.
    pub fn sent(&mut self, t: &Transmit) {
        self.sip.sent(t.local, &t.payload);
        if let Some(hep) = &mut self.hep {
            hep.sent(t);
        }
        let wire = Wire {
            transport: t.transport,
            local: t.local,
            remote: t.remote,
        };
        let ending = self.ladders.sent(unix_us(), wire, &t.payload);
        self.note_ending(ending);
        if self.calls.setup_running() {
            if let Some((call_id, status)) = super::sip::invite_response(&t.payload) {
                if CallCounters::ends_setup(status) {
                    self.calls.responded(call_id, Instant::now());
                }
            }
        }
    }

    fn note_ending(&mut self, ending: Option<Ending>) {
        if let Some(e) = ending {
            let how = match e.way {
                Way::In => "received",
                Way::Out => "sent",
            };
            self.cdr.q850(e.call, e.side, e.cause, how);
        }
    }

    /// A trunk's limits refused a call (503, never relayed).
    pub fn refused(&mut self, from: &str, to: &str) {
        self.calls.refused(from, to);
    }

    /// The engine accepted a call for relaying.
    pub fn relayed(&mut self, config: &Config, r: RelayedCall<'_>) {
        let relayed = Relayed {
            call: r.call,
            from_name: r.from,
            to_name: r.to,
            user: r.user,
            caller: r.caller,
            callee: r.callee,
        };
        self.views.relayed(r.now, r.unix, config, relayed);
        self.calls.relayed(r.call, r.from, r.to, r.a_call_id, r.now);
        let (a_trunk, a_realm) = trunk_and_realm(config, r.from);
        let (b_trunk, b_realm) = trunk_and_realm(config, r.to);
        let parties = Parties {
            a_trunk,
            a_realm,
            b_trunk,
            b_realm,
        };
        self.cdr.relayed(r.call, r.now, r.unix, parties);
        if let Some([a, b]) = &r.legs {
            self.ladders
                .started(r.call, &a.call_id, &b.call_id, r.show_digits);
        }
        if let (Some(hep), true) = (&mut self.hep, r.show_digits) {
            hep.shows_digits(r.call);
        }
    }

    /// Both legs exist (the B leg's INVITE was sent).
    pub fn call_started(&mut self, call: u64, legs: Option<[LegInfo; 2]>) {
        if let Some(legs) = legs {
            if let Some(hep) = &mut self.hep {
                hep.legs(call, &legs[0].call_id, &legs[1].call_id);
            }
            self.cdr.legs(call, legs);
        }
    }

    /// B answered.
    pub fn call_answered(&mut self, call: u64, legs: Option<[LegInfo; 2]>) {
        if let (Some(hep), Some(legs)) = (&mut self.hep, &legs) {
            hep.legs(call, &legs[0].call_id, &legs[1].call_id);
        }
        self.views.answered(call);
        self.calls.answered(call);
        self.cdr
            .answered(call, Instant::now(), sbc_mgmt::clock::unix_now());
        if let Some(legs) = legs {
            self.cdr.legs(call, legs);
        }
    }

    /// The call ended; `media` is what its legs had negotiated. Returns whether its RTP
    /// was being captured (the media plane is to stop).
    pub fn call_ended(
        &mut self,
        call: u64,
        reason: &EndReason,
        media: Option<[LegMedia; 2]>,
    ) -> bool {
        let now = Instant::now();
        if let Some(hep) = &mut self.hep {
            hep.ended(now, call);
        }
        self.views.ended(call);
        self.calls.ended(call, reason);
        let capturing = self.ladders.ended(call);
        self.cdr
            .ended(call, now, sbc_mgmt::clock::unix_now(), reason, media);
        capturing
    }

    /// The call's media was released (also before the engine's end event).
    pub fn released(&mut self, call: u64) {
        self.views.ended(call);
    }

    /// A DTMF digit crossed a call.
    pub fn digit(&mut self, note: &sbc_session::DigitNote) {
        self.views
            .digit(note.call, sbc_mgmt::clock::unix_now(), note);
    }

    /// An op on its way to the media workers.
    pub fn media_op(&mut self, op: &MediaOp) {
        self.views.on_media_op(op);
        self.cdr.on_media_op(op);
    }

    /// An event of the media workers.
    pub fn media_event(&mut self, ev: &MediaEvent) {
        if let MediaEvent::Latched { reason, .. } = ev {
            *self.latches.entry(latch_label(*reason)).or_default() += 1;
        }
        self.views.on_media_event(ev);
        if let MediaEvent::Closed { a, b, .. } = ev {
            self.quality.closed([a, b]);
            self.cdr.on_media_event(ev);
            self.flush_cdrs();
        }
    }

    /// After a round of the core: setup times settled, finished CDRs handed on.
    pub fn settle(&mut self) {
        self.calls.settle();
        self.flush_cdrs();
    }

    /// End of the core's round: HEP captures encoded and queued.
    pub fn flush_hep(&mut self, now: Instant) {
        if let Some(hep) = &mut self.hep {
            hep.flush(now);
        } else if let Some(parked) = &mut self.hep_parked {
            parked.drain();
        }
    }

    /// The ladder of `call`, while it is kept.
    pub fn ladder(&self, call: u64, media: bool) -> Option<LadderView> {
        self.ladders.view(call, media)
    }

    /// Starts or stops capturing a live call's RTP (management); the `show_digits` for
    /// the media plane's op with the answer.
    pub fn capture(
        &mut self,
        call: u64,
        on: bool,
    ) -> Result<(sbc_mgmt::ladder::RtpCapture, bool), sbc_mgmt::live::CaptureRefused> {
        self.ladders.capture(call, on)
    }

    /// Packets the media workers captured.
    pub fn captured(&mut self, batch: &sbc_core::CaptureBatch) {
        self.ladders
            .captured(batch, Instant::now(), std::time::SystemTime::now());
    }

    /// Hands finished CDRs to the writer; warns (once a minute at most) when lines were
    /// lost, also when none is waiting (the writer counts its failures after the fact).
    fn flush_cdrs(&mut self) {
        let Some(sink) = &mut self.cdr_sink else {
            return;
        };
        let now = Instant::now();
        if self.cdr.waiting() {
            for line in self.cdr.take_complete(now) {
                sink.push(line);
            }
        }
        let lost = read(&sink.losses.queue_full) + read(&sink.losses.write_failed);
        let (warned, at) = self.cdr_lost_warned;
        if lost > warned && at.is_none_or(|t| now.duration_since(t) >= LOSS_WARNING_INTERVAL) {
            warn!(
                lost = lost - warned,
                "CDRs lost (writer behind or {} not writable)",
                super::cdr_file::FILE_NAME
            );
            self.cdr_lost_warned = (lost, Some(now));
        }
    }

    /// The once-a-second tick: CDRs flushed and written.
    pub fn tick(&mut self) {
        self.flush_cdrs();
        if let Some(sink) = &mut self.cdr_sink {
            sink.flush();
        }
    }

    /// Whether the calls are listed in this second's snapshot (somebody looks): the core
    /// then queries their streams' counters and tells [`Observer::set_media`] what each
    /// leg negotiated.
    pub fn listing(&self, now: Instant) -> bool {
        self.live
            .as_ref()
            .is_some_and(|(_, demand)| demand.wanted(now))
    }

    /// The counters queries of the listed calls' streams, and their call numbers.
    pub fn listed(&self) -> (Vec<MediaOp>, Vec<u64>) {
        (self.views.stats_queries(), self.views.call_numbers())
    }

    /// What the legs of listed call `call` negotiated.
    pub fn set_media(&mut self, call: u64, legs: &[LegMedia; 2]) {
        self.views.set_media(call, legs);
    }

    /// Publishes this second's snapshot and report, both from `gauges` (read by the core
    /// from the parts that own them; its `calls_active` is set here, from the call
    /// counters).
    pub fn publish(&mut self, now: Instant, config: &Arc<Config>, mut gauges: Gauges) {
        gauges.calls_active = self.calls.active() as u64;
        let gauges = Arc::new(gauges);
        if self.live.is_some() {
            let listed = self.listing(now);
            let snapshot = self.views.snapshot(now, config, &gauges, listed);
            if let Some((live, _)) = &self.live {
                live.send_replace(snapshot);
            }
        }
        if let Some(report) = &self.report {
            report.send_replace(Some(Arc::new(self.report(config, gauges))));
        }
    }

    fn report(&self, config: &Arc<Config>, gauges: Arc<Gauges>) -> CoreReport {
        let cdr = self.cdr_sink.as_ref().map_or([0; 3], |s| {
            [
                read(&s.losses.written),
                read(&s.losses.queue_full),
                read(&s.losses.write_failed),
            ]
        });
        CoreReport {
            config: config.clone(),
            sip: self.sip.clone(),
            calls_ended: self
                .calls
                .ended_counts()
                .map(|(f, t, r, n)| (f.to_owned(), t.to_owned(), r, n))
                .collect(),
            setup: self.calls.setup.clone(),
            latches: self.latches.clone(),
            gauges,
            cdr_written: cdr[0],
            cdr_lost_queue: cdr[1],
            cdr_lost_write: cdr[2],
            quality: self.quality.clone(),
            hep: self.hep.as_ref().map(|h| {
                let c = h.counts();
                [read(&c.sent), read(&c.dropped_queue), read(&c.dropped_send)]
            }),
        }
    }
}

/// A route end's trunk (empty when it is a realm: a phone of an open realm) and realm.
fn trunk_and_realm<'a>(config: &'a Config, name: &'a str) -> (&'a str, &'a str) {
    match config.trunk(name) {
        Some(t) => (t.name.as_str(), t.realm.as_str()),
        None => ("", name),
    }
}
