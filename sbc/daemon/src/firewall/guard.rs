//! [`Guard`]: the core task's handle on the firewall. It feeds [`Pinholes`] and
//! [`BanPolicy`] and writes what they decide through the crate's netlink [`Elements`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use sbc_config::Config;
use sbc_core::{MediaEvent, MediaOp, StreamKey};
use sbc_firewall::{ElementOp, Elements};
use sbc_sip::Message;
use sbc_sip::transaction::{Peer, ServerTxId};
use tracing::{error, info, warn};

use super::{BanPolicy, Pinholes};

/// The core task's handle on the firewall: decides and writes pinholes and bans.
#[derive(Debug)]
pub struct Guard {
    /// `None` when the firewall is disabled: every method is then a no-op.
    elements: Option<Elements>,
    pinholes: Pinholes,
    bans: BanPolicy,
    /// Queued operations, each with the stream it is for (bans: none).
    queued: Vec<(Option<StreamKey>, ElementOp)>,
    /// Phones' REGISTERs waiting for their answer: source and whether it had credentials.
    registers: HashMap<ServerTxId, (IpAddr, bool)>,
    ban_ttl: Duration,
}

/// REGISTER transactions remembered at most (answers come within Timer F anyway).
const MAX_REGISTERS: usize = 65_536;

impl Guard {
    /// `elements`: the writer of an installed table, or `None` (disabled).
    pub fn new(elements: Option<Elements>, config: &Config) -> Self {
        let fw = config.firewall();
        let mut g = Guard {
            elements,
            pinholes: Pinholes::new(Duration::from_secs(u64::from(fw.pinhole_seconds))),
            bans: BanPolicy::default(),
            queued: Vec::new(),
            registers: HashMap::new(),
            ban_ttl: Duration::from_secs(u64::from(fw.ban_seconds)),
        };
        g.reload(config);
        g
    }

    pub fn enabled(&self) -> bool {
        self.elements.is_some()
    }

    /// A new configuration: pinhole and ban lifetimes, and `firewall.unban` applied.
    pub fn reload(&mut self, config: &Config) {
        let fw = config.firewall();
        self.pinholes
            .set_ttl(Duration::from_secs(u64::from(fw.pinhole_seconds)));
        self.ban_ttl = Duration::from_secs(u64::from(fw.ban_seconds));
        if !self.enabled() {
            return;
        }
        // Written by the core's next flush (right after a reload, or at start).
        for ip in &fw.unban {
            info!(%ip, "firewall: unbanned by configuration (firewall.unban)");
            self.bans.forget(*ip);
            self.queued.push((None, ElementOp::Unban { ip: *ip }));
        }
    }

    /// A command on its way to the media workers.
    pub fn on_media_op(&mut self, op: &MediaOp) {
        if self.enabled() {
            self.pinholes.on_op(op);
            self.take_pinhole_ops();
        }
    }

    /// An event from the media workers.
    pub fn on_media_event(&mut self, ev: &MediaEvent) {
        if self.enabled() {
            self.pinholes.on_event(ev);
            self.take_pinhole_ops();
        }
    }

    /// `QueryStats` for every stream whose holes are due for a refresh (their answers,
    /// through [`Guard::on_media_event`], refresh the active ones).
    pub fn refresh(&mut self, now: Instant) -> Vec<MediaOp> {
        if !self.enabled() {
            return Vec::new();
        }
        self.pinholes
            .refresh_due(now)
            .unwrap_or_default()
            .into_iter()
            .map(|stream| MediaOp::QueryStats { stream })
            .collect()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.enabled()
            .then(|| self.pinholes.poll_timeout())
            .flatten()
    }

    /// A request from `peer` before anything else looks at it: `true` when its source
    /// has just been banned (drop the request, say nothing).
    pub fn screen(&mut self, now: Instant, config: &Config, msg: &Message, peer: &Peer) -> bool {
        if !self.enabled() || msg.method().is_none() {
            return false;
        }
        let ip = peer.remote.ip().to_canonical();
        if exempt(config, ip) {
            return false;
        }
        let ua = msg.header(sbc_sip::Known::UserAgent);
        match self.bans.request(now, config.firewall(), ip, ua) {
            Some(why) => {
                self.ban(ip, &why);
                true
            }
            None => false,
        }
    }

    /// A phone's REGISTER is being relayed as server transaction `tx`.
    pub fn register_relayed(&mut self, tx: ServerTxId, request: &Message, peer: &Peer) {
        if !self.enabled() {
            return;
        }
        if self.registers.len() >= MAX_REGISTERS {
            self.registers.clear();
        }
        let credentials = request.header(sbc_sip::Known::Authorization).is_some()
            || request.header(sbc_sip::Known::ProxyAuthorization).is_some();
        self.registers
            .insert(tx, (peer.remote.ip().to_canonical(), credentials));
    }

    /// The relay answered a phone's REGISTER (`tx`) with `status`.
    pub fn register_answered(&mut self, config: &Config, tx: ServerTxId, status: u16) {
        let Some((ip, credentials)) = self.registers.remove(&tx) else {
            return;
        };
        if exempt(config, ip) {
            return;
        }
        if let Some(why) = self
            .bans
            .register_answered(config.firewall(), ip, status, credentials)
        {
            self.ban(ip, &why);
        }
    }

    /// Writes everything decided since the last flush as one netlink batch. Returns the
    /// streams whose pinholes could not be opened, each with the reason (stream and the
    /// kernel's error): their calls must end. Other failures are logged.
    pub fn flush(&mut self) -> Vec<(StreamKey, String)> {
        let Some(elements) = self.elements.as_mut() else {
            return Vec::new();
        };
        if self.queued.is_empty() {
            return Vec::new();
        }
        let queued = std::mem::take(&mut self.queued);
        for (_, op) in &queued {
            match *op {
                ElementOp::Open { hole, ttl } => elements.open(hole, ttl),
                ElementOp::Close { hole } => elements.close(hole),
                ElementOp::Ban { ip, ttl } => elements.ban(ip, ttl),
                ElementOp::Unban { ip } => elements.unban(ip),
            }
        }
        let Err(errors) = elements.flush() else {
            return Vec::new();
        };
        let mut failed: Vec<(StreamKey, String)> = Vec::new();
        for e in errors.failed {
            let stream = queued
                .iter()
                .find(|(_, op)| *op == e.op)
                .and_then(|(s, _)| *s);
            match (stream, e.op) {
                (Some(stream), ElementOp::Open { hole, .. }) => {
                    // One line per stream: the first hole that failed and why.
                    if !failed.iter().any(|(s, _)| *s == stream) {
                        error!(%stream, ?hole, "firewall: media pinhole not opened: {}", e.source);
                        failed.push((
                            stream,
                            format!("media pinhole of {stream} not opened: {}", e.source),
                        ));
                    }
                }
                (stream, op) => {
                    warn!(
                        ?stream,
                        ?op,
                        "firewall: set element operation failed: {}",
                        e.source
                    )
                }
            }
        }
        for (stream, _) in &failed {
            self.pinholes.forget(*stream);
        }
        // The closes `forget` queued: best effort, the kernel timeouts are the safety net.
        self.take_pinhole_ops();
        if !self.queued.is_empty() {
            let again = std::mem::take(&mut self.queued);
            if let Some(elements) = self.elements.as_mut() {
                for (_, op) in again {
                    if let ElementOp::Close { hole } = op {
                        elements.close(hole);
                    }
                }
                if let Err(e) = elements.flush() {
                    warn!("firewall: closing the holes of failed streams: {e}");
                }
            }
        }
        failed
    }

    /// The current bans with their remaining time (for the management UI); empty when
    /// disabled or when the kernel cannot be asked (logged).
    pub fn bans(&mut self) -> Vec<(IpAddr, Duration)> {
        let Some(elements) = self.elements.as_mut() else {
            return Vec::new();
        };
        elements.bans().unwrap_or_else(|e| {
            warn!("firewall: listing bans: {e}");
            Vec::new()
        })
    }

    /// Lifts a ban now (management API): whether `ip` was banned.
    pub fn unban(&mut self, ip: IpAddr) -> Result<bool, String> {
        let Some(elements) = self.elements.as_mut() else {
            return Err("the firewall is disabled ([firewall] enabled = false)".to_owned());
        };
        let ip = ip.to_canonical();
        let was = elements
            .bans()
            .map_err(|e| e.to_string())?
            .iter()
            .any(|(b, _)| *b == ip);
        elements.unban(ip);
        elements.flush().map_err(|e| e.to_string())?;
        self.bans.forget(ip);
        info!(%ip, was_banned = was, "firewall: unbanned by management");
        Ok(was)
    }

    fn ban(&mut self, ip: IpAddr, why: &str) {
        warn!(%ip, seconds = self.ban_ttl.as_secs(), "firewall: banning {ip}: {why}");
        self.bans.forget(ip);
        self.queued.push((
            None,
            ElementOp::Ban {
                ip,
                ttl: self.ban_ttl,
            },
        ));
    }

    fn take_pinhole_ops(&mut self) {
        self.queued.extend(
            self.pinholes
                .take_ops()
                .into_iter()
                .map(|(s, op)| (Some(s), op)),
        );
    }
}

/// Trunk peers, the global allow list and the management allow list are never banned
/// automatically: the ban set is judged before the management port, so banning an
/// operator's address (a softphone on the admin's machine failing REGISTER auth) would
/// also lock them out of the UI. `firewall.deny` still applies to everyone.
fn exempt(config: &Config, ip: IpAddr) -> bool {
    config.firewall().allows(ip)
        || config.management().allows(ip)
        || config
            .trunks()
            .iter()
            .any(|t| t.peers.iter().any(|p| p.addr.ip().to_canonical() == ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_peers_and_allow_lists_are_never_banned() {
        let config = Config::from_toml_str(
            r#"
[system]
name = "t"
[management]
listen = "10.0.0.1:8443"
allow = ["10.9.0.0/16"]
[firewall]
allow = ["192.0.2.0/24"]
[[realm]]
name = "outside"
listen = ["udp:203.0.113.1:5060"]
media_ip = "203.0.113.1"
media_ports = "20000-20999"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060"]
[[route]]
from = "carrier"
to = "carrier"
"#,
            "/tmp",
        )
        .expect("valid config");
        let ip = |s: &str| s.parse::<IpAddr>().expect("address");
        assert!(exempt(&config, ip("198.51.100.20")), "trunk peer");
        assert!(exempt(&config, ip("192.0.2.77")), "firewall.allow");
        assert!(exempt(&config, ip("10.9.3.4")), "management.allow");
        assert!(!exempt(&config, ip("198.51.100.21")), "a stranger");
    }
}
