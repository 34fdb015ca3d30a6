//! Shared by the `health_*` tests: a [`HealthMonitor`] whose probes run in real client
//! transactions of a [`TransactionLayer`] on a virtual clock, answered (or not) by a
//! scripted peer.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use sbc_core::Transport;
use sbc_sip::health::{Health, HealthConfig, HealthMonitor, PeerId, ProbeTarget};
use sbc_sip::transaction::response_for;
use sbc_sip::{
    ClientTxId, Framing, Limits, Message, Peer, TimerConfig, TransactionEvent, TransactionLayer,
};

pub fn peer(transport: Transport, port: u16) -> Peer {
    Peer {
        transport,
        local: "10.91.2.1:5060".parse().expect("addr"),
        remote: format!("10.91.2.2:{port}").parse().expect("addr"),
    }
}

pub fn target(transport: Transport, port: u16) -> ProbeTarget {
    ProbeTarget {
        name: "pbx".into(),
        peer: peer(transport, port),
        host: format!("10.91.2.2:{port}"),
        advertised: "10.91.2.1:5060".into(),
        sips: false,
    }
}

/// The monitor, a transaction layer and a clock; records every probe sent.
pub struct Rig {
    pub layer: TransactionLayer,
    pub monitor: HealthMonitor,
    pub now: Instant,
    pub random: u64,
    /// Every probe handed out: (peer, transaction, request).
    pub sent: Vec<(PeerId, ClientTxId, Message)>,
    /// Transactions whose end the monitor did not recognise as its own.
    pub foreign: Vec<ClientTxId>,
}

impl Rig {
    pub fn new() -> Self {
        Rig {
            layer: TransactionLayer::new(TimerConfig::default()),
            monitor: HealthMonitor::new(Some("sbc/test".into())),
            now: Instant::now(),
            random: 7,
            sent: Vec::new(),
            foreign: Vec::new(),
        }
    }

    pub fn add(&mut self, t: ProbeTarget, config: HealthConfig) -> PeerId {
        let id = self.monitor.add(self.now, t, config, 42).expect("valid");
        self.pump();
        id
    }

    /// Sends what is due and feeds transaction events back, until quiet.
    pub fn pump(&mut self) {
        loop {
            let mut busy = false;
            self.random += 1;
            while let Some((id, request, peer)) = self.monitor.poll_request(self.now, self.random) {
                busy = true;
                self.random += 1;
                let tx = self
                    .layer
                    .start_client(self.now, request.clone(), peer)
                    .expect("the layer accepts the OPTIONS");
                self.monitor.sent(id, tx);
                self.sent.push((id, tx, request));
            }
            while let Some(ev) = self.layer.poll_event() {
                busy = true;
                let (mine, tx) = match ev {
                    TransactionEvent::Response { tx, response } => {
                        (self.monitor.handle_response(self.now, tx, &response), tx)
                    }
                    TransactionEvent::Timeout { tx, .. } => {
                        (self.monitor.handle_timeout_of(self.now, tx), tx)
                    }
                    _ => continue,
                };
                if !mine {
                    self.foreign.push(tx);
                }
            }
            while self.layer.poll_transmit().is_some() {}
            if !busy {
                return;
            }
        }
    }

    /// Runs every timer up to `until` in order, then sets the clock there.
    pub fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        loop {
            let next = [self.layer.poll_timeout(), self.monitor.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(at) if at <= until => {
                    self.now = self.now.max(at);
                    self.layer.handle_timeout(self.now);
                    self.monitor.handle_timeout(self.now);
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = until;
        self.pump();
    }

    /// The peer answers the latest probe with `code`, through the transaction layer.
    pub fn answer(&mut self, code: u16) {
        let (id, _, request) = self.sent.last().expect("a probe was sent");
        let peer = self.monitor.target(*id).expect("watched").peer;
        let response = response_for(request, code, "Whatever", Some("peer-tag"));
        let response = Message::parse(response.to_bytes(), Framing::Datagram, &Limits::default())
            .expect("parses");
        self.layer.handle_message(self.now, response, peer);
        self.pump();
    }

    pub fn changes(&mut self) -> Vec<(PeerId, Health)> {
        std::iter::from_fn(|| self.monitor.poll_change()).collect()
    }
}
