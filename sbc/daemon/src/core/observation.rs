//! The core's side of observation: every transmit counted on its way to the socket, CDRs
//! handed to their writer, and the once-a-second publications (the metrics report and the
//! management snapshot).

use super::*;

impl Core {
    /// Writes a message to its socket, counted; an 18x or final response to an INVITE
    /// ends the setup time of the call whose A leg it goes to.
    pub(super) fn send(&mut self, t: sbc_core::Transmit) {
        self.sip_counts.sent(t.local, &t.payload);
        if let Some(hep) = &mut self.hep {
            hep.sent(&t);
        }
        self.ladder_sent(&t);
        if self.call_counts.setup_running() {
            if let Some((call_id, status)) = crate::observe::sip::invite_response(&t.payload) {
                if CallCounters::ends_setup(status) {
                    self.call_counts.responded(call_id, Instant::now());
                }
            }
        }
        self.outbound.send(t);
    }

    /// Hands finished CDRs to the writer; warns (once a minute at most) when lines were lost.
    pub(super) fn flush_cdrs(&mut self) {
        let Some(sink) = &mut self.cdr_sink else {
            return;
        };
        if !self.cdr.waiting() {
            return;
        }
        let now = Instant::now();
        for line in self.cdr.take_complete(now) {
            sink.push(line);
        }
        let losses = &sink.losses;
        let lost = losses.queue_full.load(std::sync::atomic::Ordering::Relaxed)
            + losses
                .write_failed
                .load(std::sync::atomic::Ordering::Relaxed);
        let (warned, at) = self.cdr_lost_warned;
        if lost > warned
            && at.is_none_or(|t| now.duration_since(t) >= std::time::Duration::from_secs(60))
        {
            warn!(
                lost = lost - warned,
                "CDRs lost (writer behind or {} not writable)",
                crate::observe::cdr_file::FILE_NAME
            );
            self.cdr_lost_warned = (lost, Some(now));
        }
    }

    /// Publishes a copy of the counters and gauges for the metrics endpoint.
    pub(super) fn publish_report(&mut self) {
        let Some(report) = &self.report else {
            return;
        };
        let now = Instant::now();
        let health = &self.trunks.health;
        let trunk_peers = self
            .config
            .trunks()
            .iter()
            .flat_map(|t| {
                t.peers
                    .iter()
                    .map(move |p| (t.name.clone(), p.to_string(), !health.is_down(&t.name, p)))
            })
            .collect();
        let trunk_registrations = self
            .registrations
            .views(now)
            .into_iter()
            .map(|r| (r.trunk, r.state == "registered"))
            .collect();
        let snapshot = CoreReport {
            config: self.config.clone(),
            sip: self.sip_counts.clone(),
            calls_ended: self
                .call_counts
                .ended_counts()
                .map(|(f, t, r, n)| (f.to_owned(), t.to_owned(), r, n))
                .collect(),
            calls_active: self.call_counts.active() as u64,
            setup: self.call_counts.setup.clone(),
            latches: self.latches.clone(),
            trunk_peers,
            registrations: self.registrations.relay().bindings().count() as u64,
            trunk_registrations,
            bans: self.firewall.bans().len() as u64,
            cdr_written: 0,
            cdr_lost_queue: 0,
            cdr_lost_write: 0,
            quality: self.quality_counts.clone(),
            hep: self.hep.as_ref().map(|h| {
                let c = h.counts();
                let read =
                    |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
                [read(&c.sent), read(&c.dropped_queue), read(&c.dropped_send)]
            }),
        };
        let mut snapshot = snapshot;
        if let Some(sink) = &self.cdr_sink {
            let read =
                |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
            snapshot.cdr_written = read(&sink.losses.written);
            snapshot.cdr_lost_queue = read(&sink.losses.queue_full);
            snapshot.cdr_lost_write = read(&sink.losses.write_failed);
        }
        report.send_replace(Some(Arc::new(snapshot)));
    }

    /// Publishes the management snapshot. While somebody looks at the calls, they are
    /// listed (at most a thousand) and their streams' counters queried (answered by the
    /// next ticks' `Stats` events); otherwise only totals are, and a second of the core
    /// costs the same with ten calls up or twenty thousand.
    pub(super) fn publish(&mut self) {
        let now = Instant::now();
        let listed = self
            .live
            .as_ref()
            .is_some_and(|(_, demand)| demand.wanted(now));
        if listed {
            for op in self.views.stats_queries() {
                self.media.send(op);
            }
            for call in self.views.call_numbers() {
                if let Some(legs) = self.hook.media(call) {
                    let hook = self.hook.inner();
                    let transcoded = hook
                        .call_of(call)
                        .and_then(|id| hook.codecs(id))
                        .is_some_and(|c| c.transcoded);
                    self.views.set_media(call, legs, transcoded);
                }
            }
        }
        let registrations = self
            .registrations
            .relay()
            .bindings()
            .map(|b| RegistrationView {
                aor: b.aor.clone(),
                contact: b.phone_contact.clone(),
                expires_in: b.phone_until.saturating_duration_since(now).as_secs(),
            })
            .collect();
        let (health, limits) = (&self.trunks.health, &self.trunks.limits);
        let mut snapshot = self.views.snapshot(
            now,
            &self.config,
            |trunk, peer| !health.is_down(trunk, peer),
            |trunk| u64::from(limits.calls(trunk)),
            registrations,
            listed,
        );
        for view in &mut snapshot.trunks {
            if let Some(t) = self.config.trunk(&view.name) {
                view.options = crate::mgmt::trunk_checks::options_views(health, t, now);
            }
        }
        snapshot.trunk_registrations = self.registrations.views(now);
        snapshot.draining = self.drain.is_on();
        snapshot.bans = self
            .firewall
            .bans()
            .into_iter()
            .map(|(ip, left)| BanView {
                address: ip.to_string(),
                expires_in: left.as_secs(),
            })
            .collect();
        if let Some((live, _)) = &self.live {
            live.send_replace(snapshot);
        }
    }
}
