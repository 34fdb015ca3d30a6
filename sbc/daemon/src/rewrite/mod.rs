//! Messages adjusted for the side they travel on, at the edges of the core: what the
//! engine built just before it reaches a socket ([`Rewriter::outbound`]), what a trunk
//! sent just before the engine sees it ([`Rewriter::inbound`]).
//!
//! * towards a realm whose `server_header` is not the engine's own name, the SBC's
//!   Server and User-Agent lines say that instead (or are left out), see [`agent`];
//! * a trunk's header manipulation rules (`[[trunk.rule]]`) run on what the SBC sends
//!   to the trunk's peers (`direction = "outbound"`, after `server_header`) and on what
//!   they send it (`"inbound"`), see [`rules`]; an outbound rule may read the message
//!   the SBC last received on the call's other leg (`${other.<Header>}`), kept by
//!   [`other_leg`] while some rule does.
//!
//! The realm of a transmit is the realm of the listener it leaves from
//! ([`Transmit::local`]); its trunk the trunk of that realm whose peer has the remote
//! address's IP. [`Rewriter`] is built from the configuration at start and rebuilt at
//! every reload ([`Rewriter::reload`]); its only other state is the other legs' last
//! messages, which a reload keeps.

mod agent;
mod other_leg;
mod rules;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use sbc_config::{Config, DEFAULT_SERVER_HEADER};
use sbc_core::{Transmit, Transport};
use sbc_rules::{Direction, RuleSet};
use sbc_sip::transaction::Peer;
use sbc_sip::{Framing, Limits, Message};

/// A trunk's rules, with its name for the log.
#[derive(Debug)]
struct TrunkRules {
    trunk: String,
    rules: RuleSet,
}

/// Per-side adjustments, read from the configuration.
#[derive(Debug, Default)]
pub struct Rewriter {
    /// Listener address → the name the SBC gives itself there, for realms whose
    /// `server_header` differs from the engine's.
    agent_by_listener: HashMap<SocketAddr, String>,
    /// (listener address, peer IP) → that trunk's rules, for trunks that have some.
    rules: HashMap<(SocketAddr, IpAddr), Arc<TrunkRules>>,
    /// (listener address, `sources` network) → that trunk's rules, in file order: for
    /// peers that send from addresses other than their targets' (Microsoft Teams' SIP
    /// proxies answer and call from anywhere in its published ranges).
    source_rules: Vec<(SocketAddr, sbc_config::Cidr, Arc<TrunkRules>)>,
    limits: Limits,
    /// The last message received on each leg, while some rule reads the other leg.
    other_legs: other_leg::OtherLegs,
}

impl Rewriter {
    pub fn new(config: &Config) -> Self {
        let mut agent_by_listener = HashMap::new();
        for realm in config.realms() {
            if realm.server_header == DEFAULT_SERVER_HEADER {
                continue;
            }
            for l in &realm.listen {
                agent_by_listener.insert(l.addr, realm.server_header.clone());
            }
        }
        let mut rules = HashMap::new();
        let mut source_rules = Vec::new();
        for trunk in config.trunks().iter().filter(|t| !t.rules.is_empty()) {
            let entry = Arc::new(TrunkRules {
                trunk: trunk.name.clone(),
                rules: trunk.rules.clone(),
            });
            for l in &config.realm_of(trunk).listen {
                for peer in &trunk.peers {
                    rules.insert((l.addr, peer.addr.ip().to_canonical()), entry.clone());
                }
                for ip in &trunk.resolved_sources {
                    rules
                        .entry((l.addr, ip.to_canonical()))
                        .or_insert_with(|| entry.clone());
                }
                for net in &trunk.sources {
                    source_rules.push((l.addr, *net, entry.clone()));
                }
            }
        }
        let sip = config.sip();
        let mut other_legs = other_leg::OtherLegs::default();
        other_legs.set_enabled(config.trunks().iter().any(|t| t.rules.reads_other_leg()));
        Rewriter {
            agent_by_listener,
            rules,
            source_rules,
            limits: Limits {
                max_message_size: sip.max_message_size,
                max_headers: sip.max_headers,
            },
            other_legs,
        }
    }

    /// Rebuilt from `config`, keeping the other legs' messages (unless no rule reads them
    /// any more).
    pub fn reload(&mut self, config: &Config) {
        let mut fresh = Rewriter::new(config);
        let enabled = fresh.other_legs_enabled();
        fresh.other_legs = std::mem::take(&mut self.other_legs);
        fresh.other_legs.set_enabled(enabled);
        *self = fresh;
    }

    fn other_legs_enabled(&self) -> bool {
        self.rules.values().any(|r| r.rules.reads_other_leg())
    }

    /// The engine started call `call` with legs `a` and `b` (Call-IDs).
    pub fn call_started(&mut self, call: u64, a: &str, b: &str) {
        self.other_legs.call_started(call, a, b);
    }

    /// Call `call` ended.
    pub fn call_ended(&mut self, call: u64) {
        self.other_legs.call_ended(call);
    }

    /// Everything received so far has been acted on (the core's loop is idle).
    pub fn settle(&mut self) {
        self.other_legs.settle();
    }

    /// Adjusts `t` in place for where it goes.
    pub fn outbound(&self, t: &mut Transmit) {
        if let Some(name) = self.agent_by_listener.get(&t.local) {
            if let Some(payload) = agent::rewrite(&t.payload, name) {
                t.payload = payload;
            }
        }
        let Some(r) = self.trunk_rules(t.local, t.remote.ip()) else {
            return;
        };
        if r.rules.acts_on(Direction::Outbound) {
            if let Some(payload) = rules::apply(
                &r.rules,
                Direction::Outbound,
                &r.trunk,
                &t.payload,
                &self.limits,
                Some(&self.other_legs),
            ) {
                t.payload = payload;
            }
        }
    }

    /// The rules of the trunk `remote` belongs to on `local`'s realm: by peer address,
    /// then by `sources` network (as [`Config::trunk_for_source_in`] decides).
    fn trunk_rules(&self, local: SocketAddr, remote: IpAddr) -> Option<&Arc<TrunkRules>> {
        let ip = remote.to_canonical();
        self.rules.get(&(local, ip)).or_else(|| {
            self.source_rules
                .iter()
                .find(|(l, net, _)| *l == local && net.contains(ip))
                .map(|(_, _, r)| r)
        })
    }

    /// `msg` from `peer` after its trunk's inbound rules (itself when none apply),
    /// recorded as its leg's last message when some rule reads the other leg.
    pub fn inbound(&mut self, msg: Message, peer: &Peer) -> Message {
        let msg = self.inbound_rules(msg, peer);
        self.other_legs.received(&msg);
        msg
    }

    fn inbound_rules(&self, msg: Message, peer: &Peer) -> Message {
        let Some(r) = self.trunk_rules(peer.local, peer.remote.ip()) else {
            return msg;
        };
        if !r.rules.acts_on(Direction::Inbound) {
            return msg;
        }
        let Some(bytes) = rules::apply(
            &r.rules,
            Direction::Inbound,
            &r.trunk,
            &msg.to_bytes(),
            &self.limits,
            None,
        ) else {
            return msg;
        };
        let framing = match peer.transport {
            Transport::Udp => Framing::Datagram,
            Transport::Tcp | Transport::Tls => Framing::Stream,
        };
        // `rules::apply` parsed these bytes already; a failure here cannot happen, and
        // would keep the message as received.
        Message::parse(bytes, framing, &self.limits).unwrap_or(msg)
    }
}

#[cfg(test)]
mod tests;
