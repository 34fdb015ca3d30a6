//! The core task: owner of all SIP state.
//!
//! It feeds what the listeners parsed into the sans-IO [`Engine`] (transactions and the
//! B2BUA), decides each new request with the [`policy`], and writes every
//! transmit the engine produces to its socket. Time reaches the engine only as
//! arguments: the loop sleeps until [`Engine::poll_timeout`] and then calls
//! `handle_timeout(now)`.
//!
//! Media: the engine hands every session description to the [`MediaHook`], which anchors
//! the streams and rewrites the SDP; the [`MediaOp`]s it records are sent to the media
//! workers ([`MediaHandle`]) before the SIP that carries the rewritten SDP goes out, and
//! the workers' [`MediaEvent`]s come back into this loop (inactivity ends a call).
//!
//! Firewall: the [`Guard`] sees each of those ops and events (media pinholes) and each
//! request before the gate (bans); what it decided is written to the kernel in `drain`,
//! right after the ops went to the workers and before any SIP goes out. A call whose
//! pinhole the kernel refused is ended there.

use std::sync::Arc;
use std::time::Instant;

use sbc_config::Config;
use sbc_core::{MediaEvent, MediaOp};
use sbc_mgmt::live::{Demand, Snapshot};
use sbc_sip::b2bua::{CallId, EndReason, Engine, EngineConfig, EngineEvent, Side, TransferRequest};
use sbc_sip::transaction::{Peer, ServerTxId, TimerConfig};
use sbc_sip::uas::Capabilities;
use sbc_sip::{Known, Message};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, info_span, warn};

mod digits;
mod observation;

use crate::drain::Drain;
use crate::dtmf::InfoSender;
use crate::firewall::Guard;
use crate::gate::{Gate, Verdict};
use crate::mgmt::hook::ViewHook;
use crate::observe::ReportSender;
use crate::observe::cdr_file::CdrSink;
use crate::observe::observer::{Observer, RelayedCall};
use crate::policy::{self, Decision};
use crate::registrations::Registrations;
use crate::relay::{MediaEvents, MediaHandle};
use crate::rewrite::Rewriter;
use crate::transfer;
use crate::transport::{Inbound, Outbound};
use crate::trunks::{ReleaseHook, Trunks};
use sbc_session::MediaHook;

/// Commands from the signal handler.
#[derive(Debug)]
pub enum Control {
    Reload(Arc<Config>),
    /// The same configuration with trunk names resolved anew ([`crate::dns`]).
    Resolved(Arc<Config>),
    /// Lift a ban (management API); the reply says whether the address was banned.
    Unban {
        address: std::net::IpAddr,
        reply: tokio::sync::oneshot::Sender<Result<bool, String>>,
    },
    /// Start or end draining (management API); replied to once taken.
    Drain {
        drain: bool,
        reply: tokio::sync::oneshot::Sender<()>,
    },
    /// The SIP messages kept of a call (management's ladder and pcap); with `media` its
    /// captured RTP too.
    Ladder {
        call: u64,
        media: bool,
        reply: tokio::sync::oneshot::Sender<Option<sbc_mgmt::ladder::LadderView>>,
    },
    /// Start or stop capturing a live call's RTP (management).
    Capture {
        call: u64,
        on: bool,
        reply: tokio::sync::oneshot::Sender<
            Result<sbc_mgmt::ladder::RtpCapture, sbc_mgmt::live::CaptureRefused>,
        >,
    },
    Shutdown,
}

/// How often the management views are refreshed (and stream counters queried).
const LIVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Most inbound events handled before the loop services timers and transmits again.
const BATCH: usize = 64;

pub struct Core {
    config: Arc<Config>,
    caps: Capabilities,
    engine: Engine,
    /// Anchors media and rewrites SDP. Wrapped to learn when calls are released (call
    /// limits) and what each leg negotiated (management views).
    hook: ViewHook<ReleaseHook<MediaHook>>,
    /// The media workers.
    media: MediaHandle,
    outbound: Outbound,
    /// What is sent and received, adjusted per realm (`server_header`) and trunk
    /// (header manipulation rules).
    rewriter: Rewriter,
    /// Health of trunk peers (OPTIONS) and per-trunk call limits.
    trunks: Trunks,
    /// The SBC's own registrations and the phones' relayed ones.
    registrations: Registrations,
    agent: String,
    /// Set by a shutdown: the loop ends then, or as soon as every registration is undone.
    stop_at: Option<Instant>,
    /// Stateless refusal of sources that are no trunk's peers.
    gate: Gate,
    /// New calls and OPTIONS refused (management's drain).
    drain: Drain,
    /// Media pinholes and bans in the kernel (a no-op with the firewall disabled).
    firewall: Guard,
    /// Ticked every time round the loop (which wakes at least once a second): the
    /// systemd watchdog is petted only while it is fresh ([`crate::liveness`]).
    beat: Option<crate::liveness::Beat>,
    /// The INFOs of the SBC's own carrying digits the media plane heard.
    dtmf: InfoSender,
    /// What the SBC counts and keeps about calls, and every export of it: the UI's
    /// snapshot, the metrics report, CDRs, HEP, ladders ([`crate::observe::observer`]).
    obs: Observer,
}

/// How long a shutdown waits for REGISTERs with expires=0 to be answered.
const UNREGISTER_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

impl Core {
    pub fn new(
        config: Arc<Config>,
        outbound: Outbound,
        media: MediaHandle,
        firewall: Guard,
    ) -> Self {
        let agent = sbc_config::DEFAULT_SERVER_HEADER.to_owned();
        let caps = Capabilities::sbc(agent.clone());
        let trunks = Trunks::new(Instant::now(), &config, agent.clone());
        let registrations = Registrations::new(&config, &agent);
        // Transcoding is offered only when the media workers have codecs.
        let hook = MediaHook::new(config.clone(), crate::ids::random_u64(), media.pseudonyms())
            .with_transcoding(cfg!(feature = "transcoding"));
        let obs = Observer::new(&config);
        let engine = Engine::new(EngineConfig {
            timers: TimerConfig::default(),
            agent: agent.clone(),
            seed: crate::ids::random_u64(),
        });
        Core {
            rewriter: Rewriter::new(&config),
            config,
            caps,
            engine,
            hook: ViewHook::new(ReleaseHook::new(hook)),
            media,
            outbound,
            trunks,
            registrations,
            agent,
            stop_at: None,
            gate: Gate::default(),
            drain: Drain::default(),
            firewall,
            beat: None,
            dtmf: InfoSender::default(),
            obs,
        }
    }

    /// Copies every SIP message to the HEP collector through `tap`.
    pub fn with_hep(mut self, tap: crate::hep::HepTap) -> Self {
        self.obs.set_hep(tap);
        self
    }

    /// Writes a CDR per call through `sink`.
    pub fn with_cdrs(mut self, sink: CdrSink) -> Self {
        self.obs.set_cdrs(sink);
        self
    }

    /// Publishes the counters for the metrics endpoint on `report` once a second.
    pub fn with_report(mut self, report: ReportSender) -> Self {
        self.obs.set_report(report);
        self.publish();
        self
    }

    /// Publishes the management views on `live` once a second.
    /// and lists the calls in them while `demand` says somebody looks.
    pub fn with_live(mut self, live: watch::Sender<Snapshot>, demand: Arc<Demand>) -> Self {
        self.obs.set_live(live, demand);
        self
    }

    /// Ticks `beat` every time round the loop.
    pub fn with_beat(mut self, beat: crate::liveness::Beat) -> Self {
        self.beat = Some(beat);
        self
    }

    pub async fn run(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut control: mpsc::Receiver<Control>,
        mut media_events: MediaEvents,
    ) {
        // Start what needs no trigger: the first REGISTERs of the SBC's own registrations.
        self.drain();
        let mut tick = tokio::time::interval(LIVE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            if let Some(beat) = &self.beat {
                beat.tick();
            }
            let deadline = [
                self.engine.poll_timeout(),
                self.trunks.health.poll_timeout(),
                self.registrations.poll_timeout(),
                self.firewall.poll_timeout(),
                self.stop_at,
            ]
            .into_iter()
            .flatten()
            .min();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ev = inbound.recv() => {
                    let Some(ev) = ev else { return };
                    self.on_inbound(ev);
                    for _ in 1..BATCH {
                        match inbound.try_recv() {
                            Ok(ev) => self.on_inbound(ev),
                            Err(_) => break,
                        }
                    }
                }
                Some(ev) = media_events.recv() => {
                    self.on_media_event(ev);
                    while let Ok(ev) = media_events.try_recv() {
                        self.on_media_event(ev);
                    }
                }
                c = control.recv(), if self.stop_at.is_none() => match c {
                    Some(Control::Reload(config)) => self.reload(config),
                    Some(Control::Resolved(config)) => self.resolved(config),
                    Some(Control::Unban { address, reply }) => {
                        let _ = reply.send(self.firewall.unban(address));
                    }
                    Some(Control::Drain { drain, reply }) => {
                        if drain != self.drain.is_on() {
                            info!(active_calls = self.obs.active_calls(), "{}", if drain {
                                "draining: new calls and OPTIONS get 503, calls in progress go on"
                            } else {
                                "undrained: taking new calls"
                            });
                        }
                        self.drain.set(drain);
                        let _ = reply.send(());
                    }
                    Some(Control::Ladder { call, media, reply }) => {
                        let _ = reply.send(self.obs.ladder(call, media));
                    }
                    Some(Control::Capture { call, on, reply }) => {
                        let _ = reply.send(self.capture(call, on));
                    }
                    Some(Control::Shutdown) | None => {
                        if self.stop_at.is_none() {
                            self.registrations.unregister_all();
                            self.stop_at = Some(Instant::now() + UNREGISTER_GRACE);
                        }
                    }
                },
                _ = tick.tick(), if self.beat.is_some() || self.obs.wants_tick() => {
                    self.obs.tick();
                    self.publish();
                }
                () = sleep => {
                    let now = Instant::now();
                    self.engine.handle_timeout(now, &mut self.hook);
                    self.trunks.health.handle_timeout(now);
                    self.registrations.handle_timeout(now);
                    for op in self.firewall.refresh(now) {
                        self.media.send(op);
                    }
                }
            }
            self.drain();
            self.obs.flush_hep(Instant::now());
            if let Some(at) = self.stop_at {
                if Instant::now() >= at || self.registrations.is_idle() {
                    return;
                }
            }
        }
    }

    /// Names resolved anew: everything a reload touches that depends on trunk addresses.
    fn resolved(&mut self, config: Arc<Config>) {
        self.trunks.reload(Instant::now(), &config);
        match crate::transport::TlsClients::from_config(&config) {
            Ok(tls) => self.outbound.set_tls_clients(Arc::new(tls)),
            Err(e) => warn!("DNS: trunk TLS settings not rebuilt for the resolved peers: {e}"),
        }
        self.registrations.reload(&config, &self.agent);
        self.hook.inner_mut().reload(config.clone());
        self.firewall.reload(&config);
        self.rewriter.reload(&config);
        self.config = config;
    }

    fn reload(&mut self, config: Arc<Config>) {
        if crate::run::listeners(&config) != crate::run::listeners(&self.config) {
            warn!("reload: listener changes take effect after a restart; other changes apply now");
        }
        self.trunks.reload(Instant::now(), &config);
        match crate::transport::TlsClients::from_config(&config) {
            Ok(tls) => self.outbound.set_tls_clients(Arc::new(tls)),
            // Checked before the reload reached the core; a file rewritten since then.
            Err(e) => warn!("reload: trunk TLS settings not reloaded, the old ones stay: {e}"),
        }
        self.registrations.reload(&config, &self.agent);
        self.obs.reload(&config);
        self.hook.inner_mut().reload(config.clone());
        self.firewall.reload(&config);
        let (new, old) = (config.media(), self.config.media());
        if (new.workers, new.realtime_priority, new.kernel_forwarding)
            != (old.workers, old.realtime_priority, old.kernel_forwarding)
        {
            warn!(
                "reload: media.workers, media.realtime_priority and media.kernel_forwarding \
                 take effect after a restart"
            );
        }
        self.media.set_timers(config.media());
        self.rewriter.reload(&config);
        self.config = config;
        info!("configuration reloaded; new calls use it, calls in progress keep theirs");
        self.trunks.log_summary(&self.config);
    }

    fn on_inbound(&mut self, ev: Inbound) {
        match ev {
            Inbound::Message { msg, peer } => {
                let now = Instant::now();
                self.obs.received(&msg, &peer);
                if self.firewall.screen(now, &self.config, &msg, &peer) {
                    return;
                }
                match self.gate.check(now, &self.config, &msg, &peer, &self.agent) {
                    Verdict::Pass => {
                        let msg = self.rewriter.inbound(msg, &peer);
                        self.engine.handle_message(now, msg, peer, &mut self.hook);
                    }
                    Verdict::Refuse { response, why } => {
                        debug!("refused statelessly (403): {why}");
                        let mut t = sbc_core::Transmit {
                            transport: peer.transport,
                            local: peer.local,
                            remote: peer.remote,
                            payload: response.to_bytes(),
                        };
                        self.rewriter.outbound(&mut t);
                        self.send(t);
                    }
                    Verdict::Drop => {}
                }
            }
            Inbound::Connected {
                local,
                remote,
                writer,
            } => self.outbound.connected(local, remote, writer),
            Inbound::Disconnected {
                transport,
                local,
                remote,
            } => {
                if self.outbound.disconnected(local, remote) {
                    // RFC 3261 §17.1.4: requests sent on the lost connection get no answer
                    // on it; fail them now (failover, or an error to the caller).
                    let failed = self.engine.transport_error(
                        Instant::now(),
                        transport,
                        local,
                        remote,
                        &mut self.hook,
                    );
                    if failed > 0 {
                        info!(%remote, "{failed} transaction(s) failed: {transport} connection closed");
                    }
                }
            }
            Inbound::ConnectFailed {
                transport,
                local,
                remote,
                reason,
            } => {
                self.outbound
                    .connect_failed(transport, local, remote, &reason);
                // RFC 3261 §17.1.4: what waited on this connection fails now (failover,
                // an error to the caller) instead of after Timer B/F.
                let failed = self.engine.transport_error(
                    Instant::now(),
                    transport,
                    local,
                    remote,
                    &mut self.hook,
                );
                if failed > 0 {
                    info!(%remote, %reason, "{failed} transaction(s) failed: no {transport} connection");
                }
            }
        }
    }

    /// Handles every engine event and sends every transmit, until both are exhausted
    /// (deciding a request produces transmits and may produce events).
    fn drain(&mut self) {
        loop {
            let mut busy = false;
            while let Some(ev) = self.engine.poll_event() {
                busy = true;
                self.on_event(ev);
            }
            for note in self.hook.inner_mut().drain_digits() {
                self.digit_note(&note);
            }
            for call in self.hook.take_released() {
                self.trunks.limits.released(call);
                self.obs.released(call.get());
            }
            // Before the SIP carrying the rewritten SDP: sockets and pinholes first.
            busy |= self.forward_media_ops();
            busy |= self.flush_firewall();
            busy |= self
                .trunks
                .health
                .send_probes(Instant::now(), &mut self.engine);
            self.trunks.health.log_changes();
            busy |= self.registrations.send(Instant::now(), &mut self.engine);
            while let Some(mut t) = self.engine.poll_transmit() {
                busy = true;
                self.rewriter.outbound(&mut t);
                self.send(t);
            }
            self.obs.settle();
            if !busy {
                self.rewriter.settle();
                return;
            }
        }
    }

    fn on_event(&mut self, ev: EngineEvent) {
        match ev {
            EngineEvent::Request { tx, request, peer } => self.on_request(tx, &request, peer),
            EngineEvent::CallStarted { call } => {
                if let Some(legs) = self.engine.legs(call) {
                    self.rewriter
                        .call_started(call.get(), &legs[0].call_id, &legs[1].call_id);
                }
                self.obs.call_started(call.get(), self.engine.legs(call));
                debug!(%call, "call started")
            }
            EngineEvent::CallAnswered { call } => {
                self.obs.call_answered(call.get(), self.engine.legs(call));
                info!(%call, "call answered");
            }
            EngineEvent::CallEnded { call, reason } => {
                self.rewriter.call_ended(call.get());
                let media = self.hook.take_ended(call.get());
                if self.obs.call_ended(call.get(), &reason, media) {
                    self.media.send(MediaOp::Capture {
                        call: call.get(),
                        on: false,
                        show_digits: false,
                    });
                }
                self.dtmf.ended(call);
                self.trunks.limits.released(call);
                // The info line with the CDR's essentials comes with the record
                // (`observe::call_log`).
                debug!(%call, ?reason, "call over");
                debug!("media ports free: {}", self.hook.inner().port_summary());
            }
            EngineEvent::Transfer {
                call,
                from,
                request,
            } => self.on_transfer(call, from, &request),
            EngineEvent::TransferEnded { call, from, code } => {
                info!(%call, ?from, code, "transfer ended");
            }
            EngineEvent::Response { tx, response } => {
                let now = Instant::now();
                if !self
                    .dtmf
                    .answered(&mut self.engine, now, tx, response.status())
                    && !self.trunks.health.handle_response(now, tx, &response)
                    && !self
                        .registrations
                        .handle_response(now, tx, &response, &mut self.engine)
                {
                    debug!(%tx, status = response.status(), "response to an own request");
                }
            }
            EngineEvent::Timeout { tx } => {
                let now = Instant::now();
                if !self.dtmf.answered(&mut self.engine, now, tx, None)
                    && !self.trunks.health.handle_timeout_of(now, tx)
                    && !self
                        .registrations
                        .handle_timeout_of(now, tx, &mut self.engine)
                {
                    debug!(%tx, "own request timed out");
                }
            }
        }
    }

    /// A REFER on a `refer = "handle"` trunk asks for a blind transfer: placed where
    /// [`transfer::place`] says, or refused 403; either way the call goes on until the
    /// new leg answers.
    fn on_transfer(&mut self, call: CallId, from: Side, request: &TransferRequest) {
        let now = Instant::now();
        let placed = match self.engine.plan(call) {
            Some(plan) => transfer::place(&self.config, plan, from, request, &self.trunks.health),
            None => return,
        };
        match placed {
            Ok(p) => {
                info!(%call, ?from, target = %request.target, trunk = %p.trunk, "transfer");
                if let Err(e) =
                    self.engine
                        .transfer_to(now, call, p.target, &p.identity, &mut self.hook)
                {
                    info!(%call, "transfer failed: {e}");
                }
            }
            Err(why) => {
                info!(%call, ?from, target = %request.target, "transfer refused: {why}");
                let _ = self
                    .engine
                    .refuse_transfer(now, call, 403, &why.to_string());
            }
        }
    }

    fn on_request(&mut self, tx: ServerTxId, request: &Message, peer: Peer) {
        let method = request.method().map(|m| m.to_string()).unwrap_or_default();
        let span = info_span!(
            "tx",
            %tx,
            method = %method,
            call_id = request.call_id().unwrap_or(""),
            from = %peer.remote,
            transport = %peer.transport,
        );
        let _enter = span.enter();
        let now = Instant::now();
        if let Some(headers) = self.drain.refusal(request) {
            info!(code = 503, "refused: draining");
            self.engine
                .answer(now, tx, 503, headers, Some("draining: try another server"));
            return;
        }
        let relayed_refer = transfer::relayed_refer_call(
            &self.config,
            &self.caps,
            &mut self.engine,
            now,
            request,
            &peer,
            &self.trunks.health,
        );
        let decision = relayed_refer.unwrap_or_else(|| {
            policy::decide(
                &self.config,
                &self.caps,
                request,
                &peer,
                &self.trunks.health,
                self.registrations.relay(),
            )
        });
        match decision {
            Decision::Answer(answer) => {
                if answer.code >= 300 {
                    info!(code = answer.code, "refused: {}", answer.why);
                } else {
                    debug!(code = answer.code, "{}", answer.why);
                }
                self.engine
                    .answer(now, tx, answer.code, answer.headers, Some(&answer.why));
            }
            Decision::Register(plan) => {
                info!(realm = %plan.realm, registrar = %plan.trunk, "relaying REGISTER");
                self.firewall.register_relayed(tx, request, &peer);
                self.registrations
                    .register(now, tx, request, peer, &plan, &mut self.engine);
            }
            Decision::Relay(plan) => {
                if let Err(refusal) = self
                    .trunks
                    .limits
                    .admit(now, &plan.from_name, &plan.to_name)
                {
                    info!(code = 503, "refused: {refusal}");
                    self.obs.refused(&plan.from_name, &plan.to_name);
                    let retry = vec![(Known::RetryAfter, refusal.retry_after.to_string())];
                    let why = refusal.to_string();
                    self.engine.answer(now, tx, 503, retry, Some(&why));
                    return;
                }
                info!(from = %plan.from_name, to = %plan.to_name, user = %plan.user, "relaying");
                let (from, to) = (plan.from_name.clone(), plan.to_name.clone());
                let (user, callee) = (
                    plan.user.clone(),
                    plan.targets.first().map(|t| t.peer.remote),
                );
                let caller = peer.remote;
                let a_call_id = request.call_id().unwrap_or_default().to_owned();
                match self
                    .engine
                    .relay(now, tx, request, peer, *plan, &mut self.hook)
                {
                    Ok(call) => {
                        // Digits show in the ladder only when both ends allow it.
                        let shows = |name: &str| {
                            self.config
                                .trunk(name)
                                .is_some_and(|t| t.dtmf_policy.show_digits)
                        };
                        let relayed = RelayedCall {
                            call: call.get(),
                            now,
                            unix: sbc_mgmt::clock::unix_now(),
                            from: &from,
                            to: &to,
                            user: &user,
                            caller,
                            callee,
                            a_call_id: &a_call_id,
                            legs: self.engine.legs(call),
                            show_digits: shows(&from) && shows(&to),
                        };
                        self.obs.relayed(&self.config, relayed);
                        self.trunks.limits.relayed(call, &from, &to)
                    }
                    Err(e) => warn!("not relayed: {e}"),
                }
            }
        }
    }

    /// Sends what the media hook recorded to the media workers; whether there was any.
    fn forward_media_ops(&mut self) -> bool {
        let ops = self.hook.inner_mut().drain_ops();
        let any = !ops.is_empty();
        for op in ops {
            if let MediaOp::Open {
                stream,
                a_local,
                b_local,
                ..
            } = &op
            {
                debug!(%stream, %a_local, %b_local, "media stream anchored");
            }
            self.firewall.on_media_op(&op);
            self.obs.media_op(&op);
            self.media.send(op);
        }
        any
    }

    /// Writes the pinholes and bans decided since the last call; a call whose pinhole
    /// could not be opened ends now (its audio would be dropped in the kernel), with the
    /// stream and the kernel's error in the log. Whether any call was ended.
    fn flush_firewall(&mut self) -> bool {
        for (tx, status) in self.registrations.take_answered() {
            self.firewall.register_answered(&self.config, tx, status);
        }
        let failed = self.firewall.flush();
        let now = Instant::now();
        let mut any = false;
        for (stream, why) in failed {
            if let Some(id) = self.hook.inner().call_of(stream.call) {
                warn!(call = %id, %stream, "firewall: ending the call: {why}");
                self.engine
                    .hang_up(now, id, EndReason::Failed(why), &mut self.hook);
                any = true;
            }
        }
        any
    }

    /// What the media workers report. They log every event themselves; the core acts on
    /// those that end a call.
    /// Starts or stops capturing a live call's RTP (management's `/capture`).
    fn capture(
        &mut self,
        call: u64,
        on: bool,
    ) -> Result<sbc_mgmt::ladder::RtpCapture, sbc_mgmt::live::CaptureRefused> {
        let (state, show_digits) = self.obs.capture(call, on)?;
        info!(call, on, "media: RTP capture");
        self.media.send(MediaOp::Capture {
            call,
            on,
            show_digits,
        });
        Ok(state)
    }

    fn on_media_event(&mut self, ev: MediaEvent) {
        if let MediaEvent::Captured(batch) = &ev {
            self.media.captured(batch);
            self.obs.captured(batch);
            return;
        }
        self.firewall.on_media_event(&ev);
        self.obs.media_event(&ev);
        let now = Instant::now();
        let (call, reason) = match ev {
            MediaEvent::Digit { stream, digit } => {
                self.media_digit(stream.call, digit);
                return;
            }
            MediaEvent::Inactive { call } => (call, EndReason::MediaTimeout),
            MediaEvent::BindFailed { stream, local, .. } => {
                self.hook.inner_mut().stream_failed(stream);
                (
                    stream.call,
                    EndReason::Failed(format!("media port {local} could not be bound")),
                )
            }
            _ => return,
        };
        if let Some(id) = self.hook.inner().call_of(call) {
            info!(call = %id, ?reason, "media: ending the call");
            self.engine.hang_up(now, id, reason, &mut self.hook);
        }
    }
}
