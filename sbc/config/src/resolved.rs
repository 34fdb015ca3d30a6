//! Trunk peers and sources given by name, as the daemon's resolver last found them.
//!
//! A validated [`Config`] holds what the file says: a trunk's `peers` there are only its IP
//! literals. The daemon resolves the names in the background (RFC 3263) and applies
//! [`Config::with_resolved`], which gives the *effective* configuration: each name replaced,
//! in place, by the targets it resolved to (SRV order), retired addresses that calls still
//! use and resolved `sources` added to the trunk's identification, and the per-name state
//! kept for the API and UI ([`Trunk::resolution`]). Everything downstream (targets of a
//! call, "requests from these IPs are this trunk's", the firewall's allow lists, TLS
//! clients, health checks) reads that effective configuration, so nothing on the call
//! path waits for DNS.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Instant, SystemTime};

use sbc_core::TransportAddr;

use crate::model::{Config, Trunk};
use crate::peer::PeerSpec;

/// One address a name resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    pub addr: TransportAddr,
    /// SRV priority and weight; 0 when the address came without SRV.
    pub priority: u16,
    pub weight: u16,
    /// When the shortest TTL on the way to this address runs out.
    pub expires: Instant,
    /// The record that gave it (`_sip._udp.example.com SRV`, `pbx.example.com A`).
    pub source: String,
}

/// What the resolver knows of one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameState {
    /// Not resolved yet (just configured).
    Pending,
    /// Resolved to these targets, in the order they are tried.
    Resolved { targets: Vec<ResolvedTarget> },
    /// The last attempt failed; `targets` are the last good ones still used (a server
    /// that did not answer), empty when the name does not exist (the trunk is down).
    Failed {
        reason: String,
        targets: Vec<ResolvedTarget>,
        retry_at: Instant,
    },
}

impl NameState {
    /// The targets in use.
    pub fn targets(&self) -> &[ResolvedTarget] {
        match self {
            NameState::Pending => &[],
            NameState::Resolved { targets } | NameState::Failed { targets, .. } => targets,
        }
    }

    /// Why the name gives no target, if it gives none.
    pub fn down_reason(&self) -> Option<String> {
        match self {
            NameState::Pending => Some("not resolved yet".to_owned()),
            NameState::Resolved { targets } if targets.is_empty() => {
                Some("resolved to no usable address".to_owned())
            }
            NameState::Failed {
                reason, targets, ..
            } if targets.is_empty() => Some(reason.clone()),
            _ => None,
        }
    }
}

/// One name of a trunk (a peer or a source), its state and when that last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerResolution {
    /// The peer as written (`sip.carrier.example`, `tls:sbc.pbx.example:5061`), or the
    /// source name.
    pub spec: String,
    /// `true` for a `sources` name (identifies requests, never a target).
    pub source_only: bool,
    pub state: NameState,
    pub changed: SystemTime,
}

/// Everything the resolver found, keyed as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Peer names by spec (transport and port as written).
    pub peers: HashMap<PeerSpec, (NameState, SystemTime)>,
    /// `sources` names.
    pub sources: HashMap<String, (NameState, SystemTime)>,
    /// Per trunk: addresses no name resolves to any more that calls in progress still
    /// use; they keep identifying the trunk (and passing its firewall rule) until those
    /// calls end.
    pub retired: HashMap<String, Vec<IpAddr>>,
}

impl Config {
    /// The effective configuration: names replaced by what `resolved` says (see the module
    /// docs). An address a name resolved to that another trunk of the same realm already
    /// owns is used as a target but does not identify this trunk; such conflicts are
    /// returned, one line each, for the log.
    pub fn with_resolved(&self, resolved: &Resolved) -> (Config, Vec<String>) {
        let mut out = self.clone();
        let mut conflicts = Vec::new();
        let empty = (NameState::Pending, SystemTime::UNIX_EPOCH);
        for (i, t) in out.trunks.iter_mut().enumerate() {
            let mut peers = Vec::new();
            let mut idents: Vec<IpAddr> = Vec::new();
            t.resolution.clear();
            for spec in &t.peer_specs {
                if let Some(a) = spec.literal() {
                    peers.push(a);
                    continue;
                }
                let (state, changed) = resolved.peers.get(spec).unwrap_or(&empty);
                for target in state.targets() {
                    if !peers.contains(&target.addr) {
                        peers.push(target.addr);
                    }
                    idents.push(target.addr.addr.ip().to_canonical());
                }
                t.resolution.push(PeerResolution {
                    spec: spec.to_string(),
                    source_only: false,
                    state: state.clone(),
                    changed: *changed,
                });
            }
            for name in &t.source_names {
                let (state, changed) = resolved.sources.get(name).unwrap_or(&empty);
                idents.extend(
                    state
                        .targets()
                        .iter()
                        .map(|x| x.addr.addr.ip().to_canonical()),
                );
                t.resolution.push(PeerResolution {
                    spec: name.clone(),
                    source_only: true,
                    state: state.clone(),
                    changed: *changed,
                });
            }
            idents.extend(resolved.retired.get(&t.name).into_iter().flatten().copied());
            t.peers = peers;
            t.resolved_sources.clear();
            for ip in idents {
                let ip = ip.to_canonical();
                if t.resolved_sources.contains(&ip) || t.has_literal_ip(ip) {
                    continue;
                }
                let owners = out.peer_index.entry(ip).or_default();
                if owners.contains(&i) {
                    continue;
                }
                t.resolved_sources.push(ip);
                owners.push(i);
            }
        }
        // Now that every trunk's addresses are in, drop identifications that collide
        // within a realm (the first trunk in file order keeps the address).
        let trunks = &mut out.trunks;
        for (ip, owners) in out.peer_index.iter_mut() {
            let mut kept: Vec<usize> = Vec::new();
            for &o in owners.iter() {
                let realm = &trunks[o].realm;
                if let Some(&first) = kept.iter().find(|&&k| &trunks[k].realm == realm) {
                    conflicts.push(format!(
                        "trunk {}: {ip} resolved for it already identifies trunk {} of realm \
                         {realm}; requests from it stay trunk {}'s",
                        trunks[o].name, trunks[first].name, trunks[first].name
                    ));
                    trunks[o].resolved_sources.retain(|x| x != ip);
                } else {
                    kept.push(o);
                }
            }
            *owners = kept;
        }
        (out, conflicts)
    }
}

impl Trunk {
    fn has_literal_ip(&self, ip: IpAddr) -> bool {
        self.peer_specs
            .iter()
            .filter_map(PeerSpec::literal)
            .any(|a| a.addr.ip().to_canonical() == ip)
    }

    /// Every address requests of this trunk may come from, besides `sources` networks:
    /// its peers (literal and resolved), resolved `sources` names, and retired addresses.
    pub fn identifying_ips(&self) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = self
            .peers
            .iter()
            .map(|p| p.addr.ip().to_canonical())
            .collect();
        for ip in &self.resolved_sources {
            if !v.contains(ip) {
                v.push(*ip);
            }
        }
        v
    }

    /// Why the trunk has no target at all (every peer a name that gives none), if so.
    pub fn down_reason(&self) -> Option<String> {
        if !self.peers.is_empty() {
            return None;
        }
        let why: Vec<String> = self
            .resolution
            .iter()
            .filter(|r| !r.source_only)
            .filter_map(|r| r.state.down_reason().map(|w| format!("{}: {w}", r.spec)))
            .collect();
        Some(if why.is_empty() {
            "no peer".to_owned()
        } else {
            why.join("; ")
        })
    }

    /// The names of this trunk to resolve: peers (with their spec) and sources.
    pub fn names(&self) -> impl Iterator<Item = &PeerSpec> {
        self.peer_specs.iter().filter(|s| s.literal().is_none())
    }
}
