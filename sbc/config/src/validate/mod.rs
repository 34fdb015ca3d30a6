//! Validation: [`ConfigFile`] (strings, as written) to [`Config`] (typed, defaults
//! applied, paths resolved, references checked).
//!
//! Every check runs even after an earlier one failed, so one pass reports every error.
//! Each value parser goes through [`Validator::check`], which records the error and
//! yields `None`; a section is built only from values that all parsed, and the
//! [`Config`] only when no error was recorded.

mod dtmf;
mod firewall;
mod health;
mod hep;
mod log;
mod media;
mod metrics;
mod realms;
mod registration;
mod routes;
mod rules;

pub use rules::check_rules;
mod srtp;
mod trunks;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::cidr::Cidr;
use crate::error::{ConfigError, ConfigErrorKind as K, ConfigErrors};
use crate::interfaces::{Interfaces, is_interface_name};
use crate::model::{Config, Management, SipLimits, System, TlsFiles};
use crate::schema::{self, ConfigFile};

/// Collects errors; also the registry of names, which realms and trunks share (a
/// route's `from` may name either, so one name must mean one thing).
struct Validator<'a> {
    base_dir: &'a Path,
    /// Where interface names in place of addresses are looked up.
    interfaces: &'a Interfaces,
    errors: Vec<ConfigError>,
    /// Name -> where it was first defined (`realm[0]`).
    names: HashMap<String, String>,
}

impl Validator<'_> {
    fn err(&mut self, path: impl Into<String>, kind: K) {
        self.errors.push(ConfigError::new(path, kind));
    }

    /// Record `result`'s error under `path`; the value if there was none.
    fn check<T>(&mut self, path: impl Into<String>, result: Result<T, K>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(kind) => {
                self.err(path, kind);
                None
            }
        }
    }

    /// A realm or trunk name: non-empty, `[A-Za-z0-9_.-]+`, not yet used by `owner`'s
    /// section or the other one.
    fn name(&mut self, path: &str, owner: String, value: &str) -> Option<String> {
        let value = self.check(path, valid_name(value))?;
        if let Some(first) = self.names.get(&value) {
            let first = first.clone();
            self.err(
                path,
                K::DuplicateName {
                    name: value.clone(),
                    first,
                },
            );
            return None;
        }
        self.names.insert(value.clone(), owner);
        Some(value)
    }

    /// A file path: non-empty, resolved against the config file's directory.
    fn path(&mut self, path: &str, value: &str) -> Option<PathBuf> {
        if value.is_empty() {
            self.err(path, K::Empty);
            return None;
        }
        Some(self.base_dir.join(value))
    }

    fn ip(&mut self, path: &str, value: &str) -> Option<IpAddr> {
        let ip = self.check(path, parse_ip(value))?;
        if ip.is_unspecified() {
            self.err(path, unspecified(value));
            return None;
        }
        Some(ip)
    }

    /// An address, or the name of an interface whose address is taken
    /// ([`crate::Interfaces`]).
    fn ip_or_interface(&mut self, path: &str, value: &str) -> Option<IpAddr> {
        if is_interface_name(value) {
            return self.interface(path, value);
        }
        self.ip(path, value)
    }

    /// The address of interface `name`, or an error naming what is known.
    fn interface(&mut self, path: &str, name: &str) -> Option<IpAddr> {
        if let Some(ip) = self.interfaces.address(name) {
            return Some(ip);
        }
        let kind = if self.interfaces.knows(name) {
            K::InterfaceWithoutAddress {
                name: name.to_owned(),
            }
        } else {
            K::UnknownInterface {
                name: name.to_owned(),
                known: match self.interfaces.names() {
                    n if n.is_empty() => "none known".to_owned(),
                    n => n.join(", "),
                },
            }
        };
        self.err(path, kind);
        None
    }

    /// An integer key in `range`, or `default` when absent.
    fn int(
        &mut self,
        path: &str,
        value: Option<i64>,
        range: std::ops::RangeInclusive<i64>,
        default: usize,
    ) -> Option<usize> {
        let Some(v) = value else {
            return Some(default);
        };
        if !range.contains(&v) {
            let (min, max) = range.into_inner();
            self.err(path, K::OutOfRange { value: v, min, max });
            return None;
        }
        // The ranges callers pass are positive, so this conversion succeeds.
        usize::try_from(v).ok()
    }
}

pub(crate) fn valid_name(value: &str) -> Result<String, K> {
    if value.is_empty() {
        return Err(K::Empty);
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if value.chars().all(ok) {
        Ok(value.to_owned())
    } else {
        Err(K::InvalidName {
            value: value.to_owned(),
        })
    }
}

fn parse_ip(value: &str) -> Result<IpAddr, K> {
    value.parse().map_err(|_| K::InvalidIp {
        value: value.to_owned(),
    })
}

fn unspecified(value: &str) -> K {
    K::UnspecifiedAddress {
        value: value.to_owned(),
    }
}

/// Validate `file`, resolving relative paths against `base_dir` (absolute).
pub(crate) fn validate(
    file: ConfigFile,
    base_dir: &Path,
    interfaces: &Interfaces,
) -> Result<Config, ConfigErrors> {
    let mut v = Validator {
        base_dir,
        interfaces,
        errors: Vec::new(),
        names: HashMap::new(),
    };
    let system = system(&mut v, &file.system);
    let management = management(&mut v, &file.management);
    let firewall = firewall::firewall(&mut v, file.firewall.as_ref());
    let metrics = metrics::metrics(&mut v, file.metrics.as_ref(), &file.management);
    let hep = hep::hep(&mut v, file.hep.as_ref());
    let log = log::log(&mut v, file.log.as_ref());
    let sip = sip(&mut v, file.sip.as_ref());
    let firewall_on = firewall.as_ref().is_none_or(|f| f.enabled);
    let media = media::media(&mut v, file.media.as_ref(), firewall_on);
    let realms = realms::realms(&mut v, &file.realms);
    let (trunks, peer_index) = trunks::trunks(&mut v, &file.trunks, &realms);
    let routes = routes::routes(&mut v, &file.routes, &file.realms, &file.trunks);
    registration::registrars(&mut v, &file.realms, &file.trunks);

    let config = (|| {
        Some(Config {
            system: system?,
            management: management?,
            firewall: firewall?,
            metrics: metrics?,
            hep: hep?,
            log: log?,
            ladder: file.log.as_ref().and_then(|l| l.ladder).unwrap_or(true),
            sip: sip?,
            media: media?,
            realms: realms.into_iter().map(|r| r.realm).collect::<Option<_>>()?,
            trunks: trunks.into_iter().collect::<Option<_>>()?,
            routes: routes.into_iter().collect::<Option<_>>()?,
            peer_index,
            base_dir: base_dir.to_owned(),
            interfaces: interfaces.clone(),
            file,
        })
    })();
    match config {
        Some(c) if v.errors.is_empty() => Ok(c),
        _ => {
            debug_assert!(!v.errors.is_empty(), "a part failed without an error");
            Err(ConfigErrors(v.errors))
        }
    }
}

fn system(v: &mut Validator<'_>, s: &schema::SystemSection) -> Option<System> {
    let name = v.check("system.name", valid_name(&s.name));
    let dir = s.state_dir.as_deref().unwrap_or(schema::DEFAULT_STATE_DIR);
    let state_dir = v.path("system.state_dir", dir);
    Some(System {
        name: name?,
        state_dir: state_dir?,
    })
}

fn management(v: &mut Validator<'_>, m: &schema::ManagementSection) -> Option<Management> {
    let listen = v.check(
        "management.listen",
        m.listen
            .parse::<SocketAddr>()
            .map_err(|_| K::InvalidSocketAddr {
                value: m.listen.clone(),
            }),
    );
    let default_allow = || {
        schema::DEFAULT_MANAGEMENT_ALLOW
            .iter()
            .map(|s| s.to_string())
    };
    let allow_src: Vec<String> = match &m.allow {
        Some(a) => a.clone(),
        None => default_allow().collect(),
    };
    if allow_src.is_empty() {
        // Nobody could reach the management interface, not even to undo this.
        v.err("management.allow", K::Empty);
    }
    let allow: Vec<Option<Cidr>> = allow_src
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let parsed = s.parse::<Cidr>().map_err(|reason| K::InvalidCidr {
                value: s.clone(),
                reason,
            });
            v.check(format!("management.allow[{i}]"), parsed)
        })
        .collect();
    let tls = match (&m.tls_cert, &m.tls_key) {
        (Some(cert), Some(key)) => {
            let cert = v.path("management.tls_cert", cert);
            let key = v.path("management.tls_key", key);
            // `None` (an error was recorded) unless both paths are good.
            cert.zip(key)
                .map(|(cert, key)| Some(TlsFiles { cert, key }))
        }
        (Some(_), None) => {
            v.err("management.tls_key", K::TlsFilesNotPaired);
            None
        }
        (None, Some(_)) => {
            v.err("management.tls_cert", K::TlsFilesNotPaired);
            None
        }
        (None, None) => Some(None),
    };
    Some(Management {
        listen: listen.filter(|_| !allow_src.is_empty())?,
        allow: allow.into_iter().collect::<Option<_>>()?,
        tls: tls?,
    })
}

fn sip(v: &mut Validator<'_>, s: Option<&schema::SipSection>) -> Option<SipLimits> {
    let s = s.cloned().unwrap_or_default();
    let max_message_size = v.int(
        "sip.max_message_size",
        s.max_message_size,
        schema::MAX_MESSAGE_SIZE_RANGE,
        schema::DEFAULT_MAX_MESSAGE_SIZE,
    );
    let max_headers = v.int(
        "sip.max_headers",
        s.max_headers,
        schema::MAX_HEADERS_RANGE,
        schema::DEFAULT_MAX_HEADERS,
    );
    let max_connections = v.int(
        "sip.max_connections",
        s.max_connections,
        schema::MAX_CONNECTIONS_RANGE,
        schema::DEFAULT_MAX_CONNECTIONS,
    );
    Some(SipLimits {
        max_message_size: max_message_size?,
        max_headers: max_headers?,
        max_connections: max_connections?,
    })
}
