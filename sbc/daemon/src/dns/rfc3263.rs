//! RFC 3263 §4: from a peer as written (`[transport:]name[:port]`) to the ordered list of
//! addresses to try.
//!
//! - A port is given: A/AAAA of the name only (§4.2), UDP unless a transport is written.
//! - A transport without a port: its SRV (`_sip._udp`, `_sip._tcp`, `_sips._tcp`), else
//!   A/AAAA with the transport's default port.
//! - Neither: NAPTR picks the transport (§4.1: services `SIP+D2U`, `SIP+D2T`, `SIPS+D2T`,
//!   flag `s`, lowest order then preference, the first whose SRV gives targets); without
//!   NAPTR, the SRV names of UDP, TCP and TLS in that order; without SRV, A/AAAA and UDP
//!   on 5060.
//!
//! SRV targets are ordered by priority, and within one priority by RFC 2782's weighted
//! random draw; every address of every target is returned, so failover walks all of them.
//! Answers are bounded ([`MAX_TARGETS`], [`MAX_ADDRESSES`]): what is beyond is dropped
//! and said in the log. Each target expires with the shortest TTL on its way.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use sbc_config::PeerSpec;
use sbc_config::resolved::ResolvedTarget;
use sbc_core::{Transport, TransportAddr};
use tracing::warn;

use super::lookup::{Dns, LookupError, Srv};

/// SRV records used per name at most (more are dropped, lowest priority first).
pub const MAX_TARGETS: usize = 16;
/// Addresses per resolved peer at most.
pub const MAX_ADDRESSES: usize = 32;

/// Why a name gave no address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The DNS says there is nothing (NXDOMAIN, no records): the trunk is down.
    #[error("{0}")]
    NotFound(String),
    /// No usable answer now: retried, the last good targets stay in use.
    #[error("{0}")]
    Failed(String),
}

impl From<LookupError> for ResolveError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::NotFound { .. } => ResolveError::NotFound(e.to_string()),
            LookupError::Failed { .. } => ResolveError::Failed(e.to_string()),
        }
    }
}

/// The SRV name of a transport (RFC 3263 §4.1).
pub fn srv_name(transport: Transport, name: &str) -> String {
    match transport {
        Transport::Udp => format!("_sip._udp.{name}"),
        Transport::Tcp => format!("_sip._tcp.{name}"),
        Transport::Tls => format!("_sips._tcp.{name}"),
    }
}

fn naptr_transport(services: &str) -> Option<Transport> {
    match services {
        "SIP+D2U" => Some(Transport::Udp),
        "SIP+D2T" => Some(Transport::Tcp),
        "SIPS+D2T" => Some(Transport::Tls),
        _ => None,
    }
}

/// The addresses `spec` (a name) resolves to, in the order to try them. `random` draws
/// the weighted order within an SRV priority.
pub async fn resolve<D: Dns>(
    dns: &D,
    spec: &PeerSpec,
    random: &mut (dyn FnMut() -> u64 + Send),
) -> Result<Vec<ResolvedTarget>, ResolveError> {
    let Some(name) = spec.name() else {
        return Ok(spec
            .literal()
            .map(|addr| ResolvedTarget {
                addr,
                priority: 0,
                weight: 0,
                expires: Instant::now() + std::time::Duration::from_secs(86_400),
                source: "literal".to_owned(),
            })
            .into_iter()
            .collect());
    };
    if let Some(port) = spec.port {
        let transport = spec.transport.unwrap_or(Transport::Udp);
        return by_address(dns, name, transport, port, 0, 0, None).await;
    }
    if let Some(transport) = spec.transport {
        let srv = srv_name(transport, name);
        return match by_srv(dns, &srv, transport, None, random).await {
            Err(ResolveError::NotFound(_)) => {
                by_address(dns, name, transport, transport.default_port(), 0, 0, None).await
            }
            other => other,
        };
    }
    // NAPTR first.
    match dns.naptr(name).await {
        Ok(answer) => {
            let mut records: Vec<_> = answer
                .records
                .iter()
                .filter(|n| n.flags == "s")
                .filter_map(|n| Some((naptr_transport(&n.services)?, n)))
                .collect();
            records.sort_by_key(|(_, n)| (n.order, n.preference));
            let mut last = None;
            for (transport, n) in records {
                match by_srv(
                    dns,
                    &n.replacement,
                    transport,
                    Some(answer.valid_until),
                    random,
                )
                .await
                {
                    Ok(t) if !t.is_empty() => return Ok(t),
                    Ok(_) => {}
                    Err(e) => last = Some(e),
                }
            }
            if let Some(ResolveError::Failed(e)) = last {
                return Err(ResolveError::Failed(e));
            }
        }
        Err(LookupError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    for transport in [Transport::Udp, Transport::Tcp, Transport::Tls] {
        match by_srv(dns, &srv_name(transport, name), transport, None, random).await {
            Ok(t) if !t.is_empty() => return Ok(t),
            Ok(_) | Err(ResolveError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    by_address(dns, name, Transport::Udp, 5060, 0, 0, None).await
}

/// SRV `srv`, its targets in RFC 2782 order, each target's addresses.
async fn by_srv<D: Dns>(
    dns: &D,
    srv: &str,
    transport: Transport,
    until: Option<Instant>,
    random: &mut (dyn FnMut() -> u64 + Send),
) -> Result<Vec<ResolvedTarget>, ResolveError> {
    let answer = dns.srv(srv).await?;
    let until = until.map_or(answer.valid_until, |u| u.min(answer.valid_until));
    let mut records: Vec<Srv> = answer
        .records
        .into_iter()
        .filter(|s| !s.target.is_empty() && s.port != 0)
        .collect();
    if records.len() > MAX_TARGETS {
        warn!(
            srv,
            records = records.len(),
            "DNS: more SRV records than {MAX_TARGETS}; the lowest priorities are dropped"
        );
        records.sort_by_key(|s| s.priority);
        records.truncate(MAX_TARGETS);
    }
    let mut out = Vec::new();
    let mut last_failure = None;
    for s in weighted_order(records, random) {
        let source = format!("{srv} SRV");
        match by_address(
            dns,
            &s.target,
            transport,
            s.port,
            s.priority,
            s.weight,
            Some((until, source)),
        )
        .await
        {
            Ok(t) => {
                for t in t {
                    if out.len() < MAX_ADDRESSES
                        && !out.iter().any(|o: &ResolvedTarget| o.addr == t.addr)
                    {
                        out.push(t);
                    }
                }
            }
            // One target without an address does not spoil the others.
            Err(e) => {
                warn!(srv, target = %s.target, "DNS: SRV target gives no address: {e}");
                last_failure = Some(e);
            }
        }
    }
    match (out.is_empty(), last_failure) {
        (true, Some(e)) => Err(e),
        _ => Ok(out),
    }
}

/// A/AAAA of `name` with `port`.
async fn by_address<D: Dns>(
    dns: &D,
    name: &str,
    transport: Transport,
    port: u16,
    priority: u16,
    weight: u16,
    via: Option<(Instant, String)>,
) -> Result<Vec<ResolvedTarget>, ResolveError> {
    let answer = dns.ip(name).await?;
    let (expires, source) = match via {
        Some((until, srv)) => (
            until.min(answer.valid_until),
            format!("{srv} → {name} A/AAAA"),
        ),
        None => (answer.valid_until, format!("{name} A/AAAA")),
    };
    let mut ips: Vec<IpAddr> = answer.records;
    ips.dedup();
    if ips.len() > MAX_ADDRESSES {
        warn!(
            name,
            addresses = ips.len(),
            "DNS: more addresses than {MAX_ADDRESSES}; the rest are dropped"
        );
        ips.truncate(MAX_ADDRESSES);
    }
    Ok(ips
        .into_iter()
        .map(|ip| ResolvedTarget {
            addr: TransportAddr {
                transport,
                addr: SocketAddr::new(ip.to_canonical(), port),
            },
            priority,
            weight,
            expires,
            source: source.clone(),
        })
        .collect())
}

/// RFC 2782: by priority, lowest first; within a priority, a weighted random draw
/// (records of weight 0 first in the list, so they are picked only rarely).
pub fn weighted_order(mut records: Vec<Srv>, random: &mut (dyn FnMut() -> u64 + Send)) -> Vec<Srv> {
    records.sort_by_key(|s| (s.priority, s.weight != 0));
    let mut out = Vec::with_capacity(records.len());
    while !records.is_empty() {
        let priority = records[0].priority;
        let end = records
            .iter()
            .position(|s| s.priority != priority)
            .unwrap_or(records.len());
        let mut group: Vec<Srv> = records.drain(..end).collect();
        while !group.is_empty() {
            let total: u64 = group.iter().map(|s| u64::from(s.weight)).sum();
            let pick = random() % (total + 1);
            let mut running = 0;
            let i = group
                .iter()
                .position(|s| {
                    running += u64::from(s.weight);
                    running >= pick
                })
                .unwrap_or(0);
            out.push(group.remove(i));
        }
    }
    out
}
