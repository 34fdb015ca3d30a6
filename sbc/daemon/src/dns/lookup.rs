//! The three DNS questions RFC 3263 asks (NAPTR, SRV, A/AAAA), as a trait with plain
//! answers, and its implementation over hickory-resolver reading the system's
//! `/etc/resolv.conf`. The RFC 3263 logic ([`super::rfc3263`]) only sees the trait, so it is
//! tested against a table of records without any network.

use std::future::Future;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::{RData, RecordType};

/// A NAPTR record (RFC 3403) as RFC 3263 reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naptr {
    pub order: u16,
    pub preference: u16,
    /// Lowercase (`s`).
    pub flags: String,
    /// Uppercase (`SIP+D2U`, `SIPS+D2T`).
    pub services: String,
    /// The SRV name to ask next, without the trailing dot.
    pub replacement: String,
}

/// An SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    /// Without the trailing dot; `""` for "." (no service).
    pub target: String,
}

/// Records of one question and when the shortest TTL among them runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<T> {
    pub records: Vec<T>,
    pub valid_until: Instant,
}

/// Why a question got no records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The name does not exist, or has no record of the type asked (an answer, not a
    /// failure: RFC 3263 moves on to the next step).
    #[error("no {rtype} record for {name}")]
    NotFound { name: String, rtype: &'static str },
    /// No answer (timeout, SERVFAIL, no server reachable, a malformed answer).
    #[error("{rtype} lookup of {name} failed: {reason}")]
    Failed {
        name: String,
        rtype: &'static str,
        reason: String,
    },
}

/// The questions. `Send` futures: the resolver runs in its own tokio task.
pub trait Dns: Send + Sync {
    fn naptr(&self, name: &str) -> impl Future<Output = Result<Answer<Naptr>, LookupError>> + Send;
    fn srv(&self, name: &str) -> impl Future<Output = Result<Answer<Srv>, LookupError>> + Send;
    /// A and AAAA together.
    fn ip(&self, name: &str) -> impl Future<Output = Result<Answer<IpAddr>, LookupError>> + Send;
}

/// How long one question may take (with its retries) before it counts as failed.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPTS: usize = 2;

/// [`Dns`] over hickory-resolver with the system configuration.
#[derive(Clone)]
pub struct Hickory {
    resolver: TokioResolver,
}

impl std::fmt::Debug for Hickory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hickory")
    }
}

impl Hickory {
    /// Reads `/etc/resolv.conf` (inside a network namespace: `/etc/netns/<ns>/resolv.conf`,
    /// which `ip netns exec` mounts there).
    pub fn from_system() -> Result<Self, LookupError> {
        let mut builder = TokioResolver::builder_tokio().map_err(|e| LookupError::Failed {
            name: "/etc/resolv.conf".to_owned(),
            rtype: "configuration",
            reason: e.to_string(),
        })?;
        let opts = builder.options_mut();
        opts.timeout = QUERY_TIMEOUT;
        opts.attempts = ATTEMPTS;
        // The refresher keeps its own schedule by TTL; hickory's cache would only hide
        // a changed record for up to its TTL again.
        opts.cache_size = 0;
        Ok(Hickory {
            resolver: builder.build(),
        })
    }

    async fn ask(
        &self,
        name: &str,
        rtype: RecordType,
        label: &'static str,
    ) -> Result<(Vec<RData>, Instant), LookupError> {
        let fqdn = format!("{name}.");
        match self.resolver.lookup(fqdn.as_str(), rtype).await {
            Ok(l) => Ok((l.iter().cloned().collect(), l.valid_until())),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Err(LookupError::NotFound {
                name: name.to_owned(),
                rtype: label,
            }),
            Err(e) => Err(LookupError::Failed {
                name: name.to_owned(),
                rtype: label,
                reason: e.to_string(),
            }),
        }
    }
}

fn unrooted(n: &hickory_resolver::proto::rr::Name) -> String {
    let s = n.to_ascii().to_ascii_lowercase();
    s.strip_suffix('.').unwrap_or(&s).to_owned()
}

impl Dns for Hickory {
    async fn naptr(&self, name: &str) -> Result<Answer<Naptr>, LookupError> {
        let (data, valid_until) = self.ask(name, RecordType::NAPTR, "NAPTR").await?;
        let records = data
            .iter()
            .filter_map(|d| match d {
                RData::NAPTR(n) => Some(Naptr {
                    order: n.order(),
                    preference: n.preference(),
                    flags: String::from_utf8_lossy(n.flags()).to_ascii_lowercase(),
                    services: String::from_utf8_lossy(n.services()).to_ascii_uppercase(),
                    replacement: unrooted(n.replacement()),
                }),
                _ => None,
            })
            .collect();
        Ok(Answer {
            records,
            valid_until,
        })
    }

    async fn srv(&self, name: &str) -> Result<Answer<Srv>, LookupError> {
        let (data, valid_until) = self.ask(name, RecordType::SRV, "SRV").await?;
        let records = data
            .iter()
            .filter_map(|d| match d {
                RData::SRV(s) => Some(Srv {
                    priority: s.priority(),
                    weight: s.weight(),
                    port: s.port(),
                    target: unrooted(s.target()),
                }),
                _ => None,
            })
            .collect();
        Ok(Answer {
            records,
            valid_until,
        })
    }

    async fn ip(&self, name: &str) -> Result<Answer<IpAddr>, LookupError> {
        let fqdn = format!("{name}.");
        match self.resolver.lookup_ip(fqdn.as_str()).await {
            Ok(l) => Ok(Answer {
                records: l.iter().collect(),
                valid_until: l.valid_until(),
            }),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Err(LookupError::NotFound {
                name: name.to_owned(),
                rtype: "A/AAAA",
            }),
            Err(e) => Err(LookupError::Failed {
                name: name.to_owned(),
                rtype: "A/AAAA",
                reason: e.to_string(),
            }),
        }
    }
}
