//! The last step before a message reaches a socket: what the engine built, adjusted for
//! the side it goes to.
//!
//! * towards a realm whose `server_header` is not the engine's own name, the SBC's
//!   Server and User-Agent lines say that instead (or are left out), see [`agent`].
//!
//! The realm of a transmit is the realm of the listener it leaves from
//! ([`Transmit::local`]). [`Egress`] is rebuilt from the configuration at start and at
//! every reload; it owns no state of its own.

mod agent;

use std::collections::HashMap;
use std::net::SocketAddr;

use sbc_config::{Config, DEFAULT_SERVER_HEADER};
use sbc_core::Transmit;

/// Per-destination adjustments, read from the configuration.
#[derive(Debug, Default)]
pub struct Egress {
    /// Listener address → the name the SBC gives itself there, for realms whose
    /// `server_header` differs from the engine's.
    agent_by_listener: HashMap<SocketAddr, String>,
}

impl Egress {
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
        Egress { agent_by_listener }
    }

    /// Adjusts `t` in place for where it goes.
    pub fn apply(&self, t: &mut Transmit) {
        if let Some(name) = self.agent_by_listener.get(&t.local) {
            if let Some(payload) = agent::rewrite(&t.payload, name) {
                t.payload = payload;
            }
        }
    }
}
