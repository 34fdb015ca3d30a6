//! Registrations: the SBC's own at carrier trunks (`[trunk.register]`), and the relay of
//! phones' registrations from an open realm to its `registrar` trunk.
//!
//! Both are sans-IO in `sbc-sip` ([`RegistrationClient`], [`RegistrarRelay`]); this is
//! their wiring. The core calls:
//! * [`Registrations::send`] after every turn: due REGISTERs go to the engine
//!   (`send_request`), and each client remembers its transaction;
//! * [`Registrations::handle_response`] / [`Registrations::handle_timeout_of`] with the
//!   engine's `Response`/`Timeout` of own requests (they return whether it was theirs);
//! * [`Registrations::register`] for a REGISTER the policy sent to the relay;
//! * [`Registrations::handle_timeout`] at [`Registrations::poll_timeout`];
//! * [`Registrations::views`] for the management snapshot (the SBC's own registrations;
//!   the phones' come from [`Registrations::relay`]).

use std::time::Instant;

use sbc_config::Config;
use sbc_mgmt::live::TrunkRegistrationView;
use sbc_sip::Message;
use sbc_sip::b2bua::Engine;
use sbc_sip::registrar::{RegisterAction, RegisterPlan, RegistrarRelay};
use sbc_sip::registration::{
    FailureReason, RegistrationClient, RegistrationConfig, RegistrationState,
};
use sbc_sip::transaction::{ClientTxId, Peer, ServerTxId};
use tracing::{info, warn};

use crate::ids::random_u64;
use crate::policy;

/// One `[trunk.register]`.
struct Client {
    trunk: String,
    /// The settings it was built from (a reload rebuilds it only when they change).
    settings: RegistrationConfig,
    client: RegistrationClient,
    tx: Option<ClientTxId>,
    logged: String,
}

pub struct Registrations {
    clients: Vec<Client>,
    relay: RegistrarRelay,
    /// Final answers sent to phones' relayed REGISTERs, for the firewall's ban policy
    /// (failed authentications); taken by [`Registrations::take_answered`].
    answered: Vec<(ServerTxId, u16)>,
}

impl std::fmt::Debug for Registrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrations")
            .field("clients", &self.clients.len())
            .field("bindings", &self.relay.bindings().count())
            .finish()
    }
}

impl Registrations {
    pub fn new(config: &Config, agent: &str) -> Self {
        let mut r = Registrations {
            clients: Vec::new(),
            relay: RegistrarRelay::new(agent),
            answered: Vec::new(),
        };
        r.reload(config, agent);
        r
    }

    /// Takes the `[trunk.register]` sections of `config`: new ones start registering,
    /// removed or changed ones unregister (a changed one then starts afresh).
    pub fn reload(&mut self, config: &Config, agent: &str) {
        let wanted: Vec<(String, RegistrationConfig)> = config
            .trunks()
            .iter()
            .filter_map(|t| Some((t.name.clone(), settings(config, t, agent)?)))
            .collect();
        for c in &mut self.clients {
            if !wanted
                .iter()
                .any(|(n, s)| *n == c.trunk && *s == c.settings)
            {
                info!(trunk = %c.trunk, "unregistering (removed or changed in the configuration)");
                c.client.unregister();
            }
        }
        for (trunk, s) in wanted {
            if self
                .clients
                .iter()
                .any(|c| c.trunk == trunk && c.settings == s && !c.leaving())
            {
                continue;
            }
            match RegistrationClient::new(s.clone(), random_u64()) {
                Ok(client) => {
                    info!(%trunk, aor = %s.aor, "registering");
                    self.clients.push(Client {
                        trunk,
                        settings: s,
                        client,
                        tx: None,
                        logged: String::new(),
                    });
                }
                Err(e) => warn!(%trunk, "registration not started: {e}"),
            }
        }
    }

    /// Unregisters everything (shutdown).
    pub fn unregister_all(&mut self) {
        for c in &mut self.clients {
            c.client.unregister();
        }
    }

    /// Whether no registration of the SBC's own is left (all undone, or none configured).
    pub fn is_idle(&self) -> bool {
        self.clients.is_empty()
    }

    /// Hands due REGISTERs to the engine. Returns whether anything was sent.
    pub fn send(&mut self, now: Instant, engine: &mut Engine) -> bool {
        let mut sent = false;
        for c in &mut self.clients {
            while let Some(request) = c.client.poll_request(now, random_u64()) {
                let peer = c.client.config().peer;
                match engine.send_request(now, request, peer) {
                    Ok(tx) => {
                        c.tx = Some(tx);
                        sent = true;
                    }
                    Err(e) => {
                        warn!(trunk = %c.trunk, "REGISTER not sent: {e}");
                        c.client.handle_transaction_timeout(now);
                    }
                }
            }
            c.log_state();
        }
        self.clients
            .retain(|c| !matches!(c.client.state(), RegistrationState::Unregistered));
        sent
    }

    /// A response to an own request: `true` when it was a REGISTER of ours.
    pub fn handle_response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        response: &Message,
        engine: &mut Engine,
    ) -> bool {
        if let Some(c) = self.clients.iter_mut().find(|c| c.tx == Some(tx)) {
            if response.status().is_some_and(|s| s >= 200) {
                c.tx = None;
            }
            c.client.handle_response(now, response);
            c.log_state();
            return true;
        }
        if self.relay.owns(tx) {
            if let Some((down, r)) = self
                .relay
                .handle_response(now, tx, response, engine.tokens())
            {
                self.answered.push((down, r.status().unwrap_or(0)));
                respond(engine, now, down, r);
            }
            return true;
        }
        false
    }

    /// An own request timed out: `true` when it was a REGISTER of ours.
    pub fn handle_timeout_of(&mut self, now: Instant, tx: ClientTxId, engine: &mut Engine) -> bool {
        if let Some(c) = self.clients.iter_mut().find(|c| c.tx == Some(tx)) {
            c.tx = None;
            c.client.handle_transaction_timeout(now);
            c.log_state();
            return true;
        }
        if self.relay.owns(tx) {
            if let Some((down, r)) = self.relay.handle_timeout(tx, engine.tokens()) {
                self.answered.push((down, r.status().unwrap_or(0)));
                respond(engine, now, down, r);
            }
            return true;
        }
        false
    }

    /// A phone's REGISTER, relayed per `plan`.
    pub fn register(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: &Message,
        phone: Peer,
        plan: &RegisterPlan,
        engine: &mut Engine,
    ) {
        match self
            .relay
            .handle_register(now, tx, request, phone, plan, engine.tokens())
        {
            RegisterAction::Respond(r) => {
                self.answered.push((tx, r.status().unwrap_or(0)));
                respond(engine, now, tx, r)
            }
            RegisterAction::Forward { request, peer } => {
                match engine.send_request(now, request, peer) {
                    Ok(up) => self.relay.forwarded(up),
                    Err(e) => {
                        warn!("REGISTER not relayed: {e}");
                        if let Some((down, r)) = self.relay.forward_failed(engine.tokens()) {
                            self.answered.push((down, r.status().unwrap_or(0)));
                            respond(engine, now, down, r);
                        }
                    }
                }
            }
        }
    }

    /// The final answers given to phones' REGISTERs since the last call.
    pub fn take_answered(&mut self) -> Vec<(ServerTxId, u16)> {
        std::mem::take(&mut self.answered)
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.clients
            .iter()
            .filter_map(|c| c.client.poll_timeout())
            .chain(self.relay.poll_timeout())
            .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        for c in &mut self.clients {
            c.client.handle_timeout(now);
        }
        let gone = self.relay.expire(now);
        if gone > 0 {
            info!(bindings = gone, "phone registrations expired");
        }
    }

    /// The relay's bindings (routing calls to phones; the UI).
    pub fn relay(&self) -> &RegistrarRelay {
        &self.relay
    }

    /// The SBC's own registrations at trunks, for the management UI.
    pub fn views(&self, now: Instant) -> Vec<TrunkRegistrationView> {
        self.clients.iter().map(|c| c.view(now)).collect()
    }
}

impl Client {
    /// Where this registration stands: `registered` with the binding's time left,
    /// `failed` (refused: needs the operator) or `backoff` (no answer, 5xx) with the
    /// time to the next attempt and why, `registering`, `unregistering`.
    fn view(&self, now: Instant) -> TrunkRegistrationView {
        let config = self.client.config();
        let secs = |at: Instant| Some(at.saturating_duration_since(now).as_secs());
        let mut v = TrunkRegistrationView {
            trunk: self.trunk.clone(),
            registrar: config.registrar.clone(),
            peer: format!("{}:{}", config.peer.transport, config.peer.remote),
            aor: config.aor.clone(),
            ..TrunkRegistrationView::default()
        };
        v.state = match self.client.state() {
            RegistrationState::Registered { until } => {
                v.expires_in = secs(until);
                "registered"
            }
            RegistrationState::Registering => "registering",
            RegistrationState::Failed { retry_at, reason } => {
                v.retry_in = secs(retry_at);
                v.reason = Some(reason.to_string());
                match reason {
                    FailureReason::Timeout => "backoff",
                    FailureReason::Rejected { status, .. } if status >= 500 => "backoff",
                    _ => "failed",
                }
            }
            RegistrationState::Unregistering | RegistrationState::Unregistered => "unregistering",
        }
        .to_owned();
        v
    }

    fn leaving(&self) -> bool {
        matches!(
            self.client.state(),
            RegistrationState::Unregistering | RegistrationState::Unregistered
        )
    }

    /// Logs each change of state once.
    fn log_state(&mut self) {
        let now = match self.client.state() {
            RegistrationState::Registered { .. } => "registered".to_owned(),
            RegistrationState::Registering => "registering".to_owned(),
            RegistrationState::Failed { reason, .. } => format!("failed: {reason:?}"),
            RegistrationState::Unregistering => "unregistering".to_owned(),
            RegistrationState::Unregistered => "unregistered".to_owned(),
        };
        if now != self.logged {
            if now.starts_with("failed") {
                warn!(trunk = %self.trunk, "registration {now}");
            } else {
                info!(trunk = %self.trunk, "registration {now}");
            }
            self.logged = now;
        }
    }
}

/// The client settings of a trunk's `[trunk.register]`, or `None` without one (or
/// without a reachable peer).
fn settings(config: &Config, trunk: &sbc_config::Trunk, agent: &str) -> Option<RegistrationConfig> {
    let r = trunk.register.as_ref()?;
    let realm = config.realm_of(trunk);
    let target = policy::targets(trunk, realm).into_iter().next()?;
    let advertised = policy::advertised(realm, target.peer.local);
    let transport = match target.peer.transport {
        sbc_core::Transport::Udp => "",
        sbc_core::Transport::Tcp => ";transport=tcp",
        sbc_core::Transport::Tls => ";transport=tls",
    };
    let mut s = RegistrationConfig::new(
        format!("sip:{}", r.domain),
        format!("sip:{}@{}", r.user, r.domain),
        r.auth_user.clone(),
        r.password.clone(),
        format!("sip:{}@{advertised}{transport}", r.user),
        target.peer,
    );
    s.expires = r.expires;
    s.via_sent_by = Some(advertised);
    s.user_agent = Some(agent.to_owned());
    Some(s)
}

fn respond(engine: &mut Engine, now: Instant, tx: ServerTxId, response: Message) {
    if let Err(e) = engine.respond(now, tx, response) {
        warn!(%tx, "REGISTER response not sent: {e}");
    }
}
