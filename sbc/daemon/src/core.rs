//! The core task: owner of all SIP state.
//!
//! It feeds what the listeners parsed into the sans-IO [`TransactionLayer`], answers new
//! requests with the [`policy`](crate::policy), and writes every transmit the layer
//! produces to its socket. Time reaches the layer only as arguments: the loop sleeps
//! until [`TransactionLayer::poll_timeout`] and then calls `handle_timeout(now)`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use sbc_config::Config;
use sbc_sip::transaction::{
    Peer, ServerTxId, TimerConfig, TransactionEvent, TransactionLayer, response_for,
};
use sbc_sip::uas::Capabilities;
use sbc_sip::{Known, Message, wire};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, info, info_span, warn};

use crate::transport::{Inbound, Outbound};
use crate::{ids, policy};

/// Commands from the signal handler.
#[derive(Debug)]
pub enum Control {
    Reload(Arc<Config>),
    Shutdown,
}

/// Most inbound events handled before the loop services timers and transmits again.
const BATCH: usize = 64;

pub struct Core {
    config: Arc<Config>,
    caps: Capabilities,
    layer: TransactionLayer,
    outbound: Outbound,
}

impl Core {
    pub fn new(config: Arc<Config>, udp: HashMap<SocketAddr, Arc<UdpSocket>>) -> Self {
        let caps = Capabilities::sbc(format!("sbc/{}", env!("CARGO_PKG_VERSION")));
        Core {
            config,
            caps,
            layer: TransactionLayer::new(TimerConfig::default()),
            outbound: Outbound::new(udp),
        }
    }

    pub async fn run(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut control: mpsc::Receiver<Control>,
    ) {
        loop {
            let deadline = self.layer.poll_timeout();
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
                c = control.recv() => match c {
                    Some(Control::Reload(config)) => self.reload(config),
                    Some(Control::Shutdown) | None => return,
                },
                () = sleep => self.layer.handle_timeout(Instant::now()),
            }
            self.drain();
        }
    }

    fn reload(&mut self, config: Arc<Config>) {
        if crate::run::listeners(&config) != crate::run::listeners(&self.config) {
            warn!("reload: listener changes take effect after a restart; other changes apply now");
        }
        self.config = config;
        info!("configuration reloaded; new requests use it");
    }

    fn on_inbound(&mut self, ev: Inbound) {
        match ev {
            Inbound::Message { msg, peer } => self.layer.handle_message(Instant::now(), msg, peer),
            Inbound::Connected {
                local,
                remote,
                writer,
            } => self.outbound.connected(local, remote, writer),
            Inbound::Disconnected { local, remote } => self.outbound.disconnected(local, remote),
        }
    }

    /// Handles every event and sends every transmit the layer has queued.
    fn drain(&mut self) {
        while let Some(ev) = self.layer.poll_event() {
            self.on_event(ev);
        }
        while let Some(t) = self.layer.poll_transmit() {
            self.outbound.send(t);
        }
    }

    fn on_event(&mut self, ev: TransactionEvent) {
        match ev {
            TransactionEvent::Request { tx, request, peer } => self.on_request(tx, &request, &peer),
            TransactionEvent::Cancel {
                invite: Some(invite),
                ..
            } => {
                // Nothing is relayed yet, so a pending INVITE can only be one the policy
                // has not answered; end it with 487 as §9.2 requires.
                let tag = ids::tag();
                match self
                    .layer
                    .response_to(invite, 487, wire::reason_phrase(487), Some(&tag))
                {
                    Ok(response) => {
                        if let Err(e) = self.layer.respond(Instant::now(), invite, response) {
                            warn!(%invite, "487 not sent: {e}");
                        }
                    }
                    Err(e) => warn!(%invite, "487 not built: {e}"),
                }
            }
            TransactionEvent::Ack { peer, .. } => {
                debug!(%peer.remote, "ACK outside any dialog ignored")
            }
            TransactionEvent::StrayResponse { response, peer } => {
                debug!(%peer.remote, status = response.status(), "stray response dropped");
            }
            other => debug!(?other, "transaction event"),
        }
    }

    fn on_request(&mut self, tx: ServerTxId, request: &Message, peer: &Peer) {
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
        let answer = policy::decide(&self.config, &self.caps, request, peer);
        if answer.code >= 300 {
            info!(code = answer.code, "refused: {}", answer.why);
        } else {
            debug!(code = answer.code, "{}", answer.why);
        }
        let warning = (answer.code >= 400).then_some(answer.why);
        self.answer(tx, request, answer.code, answer.headers, warning);
    }

    fn answer(
        &mut self,
        tx: ServerTxId,
        request: &Message,
        code: u16,
        headers: Vec<(Known, String)>,
        warning: Option<String>,
    ) {
        let mut response =
            response_for(request, code, wire::reason_phrase(code), Some(&ids::tag()));
        for (name, value) in headers {
            response.push_header(name, value);
        }
        response.push_header(Known::Server, self.caps.agent.as_str());
        if let Some(w) = warning {
            let text = w.replace(['"', '\\'], "'");
            response.push_header(
                Known::Warning,
                format!("399 {} \"{text}\"", self.config.system().name),
            );
        }
        if let Err(e) = self.layer.respond(Instant::now(), tx, response) {
            warn!(%tx, "response not sent: {e}");
        }
    }
}
