//! The first check on every request: is its source allowed on the realm it reached?
//!
//! A source that is no trunk peer of a closed realm gets 403 *statelessly* — no
//! transaction, no retransmission, nothing kept but a counter — so a scanner's flood
//! costs one lookup and one small datagram per request and cannot starve trunk traffic.
//! A source refused more than [`REFUSALS_PER_SECOND`] times in a second is not even
//! answered for the rest of that second (the firewall's ban set will take over).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use sbc_config::Config;
use sbc_core::TransportAddr;
use sbc_sip::transaction::{Peer, response_for};
use sbc_sip::{Known, Message, Method};

/// Refusals answered per source and second; beyond that, requests are dropped.
pub const REFUSALS_PER_SECOND: u32 = 20;
/// Sources tracked at most (a spoofed flood cannot grow the table without bound).
const MAX_SOURCES: usize = 65_536;

/// What to do with a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A legitimate source: on to the engine.
    Pass,
    /// Answer this (403) without a transaction; `why` is for the log.
    Refuse { response: Box<Message>, why: String },
    /// Say nothing (an ACK, or a source over its refusal budget).
    Drop,
}

#[derive(Debug, Default)]
pub struct Gate {
    window: HashMap<IpAddr, (Instant, u32)>,
    /// Requests refused or dropped since start (for the UI and logs).
    pub refused: u64,
    pub dropped: u64,
}

impl Gate {
    /// Checks a request from `peer`; responses always pass (they match transactions or
    /// are dropped as strays by the engine).
    pub fn check(
        &mut self,
        now: Instant,
        config: &Config,
        msg: &Message,
        peer: &Peer,
        agent: &str,
    ) -> Verdict {
        let Some(method) = msg.method() else {
            return Verdict::Pass;
        };
        let local = TransportAddr {
            transport: peer.transport,
            addr: peer.local,
        };
        let realm = config.realm_for_listener(&local);
        let allowed = realm.is_some_and(|realm| {
            realm.open
                || config
                    .trunk_for_source_in(&realm.name, peer.remote.ip())
                    .is_some()
        });
        if allowed {
            return Verdict::Pass;
        }
        let why = format!(
            "source {} is not a peer of realm {}",
            peer.remote.ip(),
            realm.map_or("?", |r| r.name.as_str())
        );
        if *method == Method::Ack || !self.within_budget(now, peer.remote.ip()) {
            self.dropped += 1;
            return Verdict::Drop;
        }
        self.refused += 1;
        let mut r = response_for(msg, 403, "Forbidden", Some("sbc"));
        r.push_header(Known::Server, agent);
        Verdict::Refuse {
            response: Box::new(r),
            why,
        }
    }

    fn within_budget(&mut self, now: Instant, ip: IpAddr) -> bool {
        if self.window.len() >= MAX_SOURCES && !self.window.contains_key(&ip) {
            self.window
                .retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(1));
            if self.window.len() >= MAX_SOURCES {
                return false;
            }
        }
        let entry = self.window.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(1) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= REFUSALS_PER_SECOND
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_sip::{Framing, Limits};

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
listen = ["udp:192.0.2.1:5060"]
media_ip = "192.0.2.1"
media_ports = "20000-20099"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060"]
"#,
            "/tmp",
        )
        .expect("valid config")
    }

    fn invite(from: &str) -> (Message, Peer) {
        let m = Message::parse(
            format!(
                "INVITE sip:1@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK1\r\nFrom: <sip:x@h>;tag=1\r\nTo: <sip:1@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n"
            )
            .into_bytes(),
            Framing::Datagram,
            &Limits::default(),
        )
        .expect("valid");
        let peer = Peer {
            transport: sbc_core::Transport::Udp,
            local: "192.0.2.1:5060".parse().expect("addr"),
            remote: from.parse().expect("addr"),
        };
        (m, peer)
    }

    #[test]
    fn trunk_peers_pass_strangers_get_403_then_silence() {
        let c = config();
        let mut g = Gate::default();
        let now = Instant::now();
        let (m, p) = invite("198.51.100.20:5060");
        assert_eq!(g.check(now, &c, &m, &p, "sbc"), Verdict::Pass);
        let (m, p) = invite("203.0.113.66:5060");
        let mut answered = 0;
        for _ in 0..100 {
            match g.check(now, &c, &m, &p, "sbc") {
                Verdict::Refuse { response, .. } => {
                    assert_eq!(response.status(), Some(403));
                    answered += 1;
                }
                Verdict::Drop => {}
                Verdict::Pass => panic!("a stranger passed"),
            }
        }
        assert_eq!(answered, REFUSALS_PER_SECOND);
        // The next second, the budget is back.
        assert!(matches!(
            g.check(now + Duration::from_secs(1), &c, &m, &p, "sbc"),
            Verdict::Refuse { .. }
        ));
        // Meanwhile the trunk is unaffected.
        let (m, p) = invite("198.51.100.20:5060");
        assert_eq!(g.check(now, &c, &m, &p, "sbc"), Verdict::Pass);
    }
}
