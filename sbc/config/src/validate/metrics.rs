//! `[metrics]`: the Prometheus endpoint. `listen` is an `IP:PORT` other than the
//! management listener's; `allow` lists the scrapers' CIDRs (default loopback only), each
//! checked on its own so that an error names its index (`metrics.allow[1]`).

use std::net::SocketAddr;

use super::Validator;
use crate::cidr::Cidr;
use crate::error::ConfigErrorKind as K;
use crate::model::Metrics;
use crate::schema::{self, ManagementSection, MetricsSection};

/// `Some(None)`: no `[metrics]` section; `None`: an error was recorded.
pub(super) fn metrics(
    v: &mut Validator<'_>,
    m: Option<&MetricsSection>,
    management: &ManagementSection,
) -> Option<Option<Metrics>> {
    let Some(m) = m else {
        return Some(None);
    };
    let listen = match m.listen.parse::<SocketAddr>() {
        Err(_) => {
            v.err(
                "metrics.listen",
                K::InvalidSocketAddr {
                    value: m.listen.clone(),
                },
            );
            None
        }
        Ok(a) if a.port() == 0 => {
            v.err(
                "metrics.listen",
                K::ZeroPort {
                    value: m.listen.clone(),
                },
            );
            None
        }
        Ok(a) if clashes(a, management) => {
            v.err(
                "metrics.listen",
                K::DuplicateListener {
                    value: m.listen.clone(),
                    first: "management.listen".to_owned(),
                },
            );
            None
        }
        Ok(a) => Some(a),
    };
    let sources: Vec<String> = match &m.allow {
        Some(a) => a.clone(),
        None => schema::DEFAULT_METRICS_ALLOW
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    if sources.is_empty() {
        v.err("metrics.allow", K::Empty);
    }
    let allow: Vec<Option<Cidr>> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let parsed = s.parse::<Cidr>().map_err(|reason| K::InvalidCidr {
                value: s.clone(),
                reason,
            });
            v.check(format!("metrics.allow[{i}]"), parsed)
        })
        .collect();
    let allow: Vec<Cidr> = allow.into_iter().collect::<Option<_>>()?;
    if sources.is_empty() {
        return None;
    }
    Some(Some(Metrics {
        listen: listen?,
        allow,
    }))
}

/// Whether `listen` would take the management listener's TCP port on the same address
/// (or on every address, when either is a wildcard).
fn clashes(listen: SocketAddr, management: &ManagementSection) -> bool {
    let Ok(mgmt) = management.listen.parse::<SocketAddr>() else {
        return false;
    };
    listen.port() == mgmt.port()
        && (listen.ip() == mgmt.ip() || listen.ip().is_unspecified() || mgmt.ip().is_unspecified())
}

#[cfg(test)]
mod tests {
    use crate::Config;

    const BASE: &str = r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "outside"
listen = ["udp:127.0.0.1:5060"]
media_ip = "127.0.0.1"
media_ports = "20000-20099"
"#;

    fn errors(extra: &str) -> Vec<String> {
        match Config::from_toml_str(&format!("{BASE}{extra}"), "/") {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn absent_section_serves_nothing() {
        let config = Config::from_toml_str(BASE, "/").expect("valid");
        assert!(config.metrics().is_none());
    }

    #[test]
    fn listen_and_allow_are_read_with_a_loopback_default() {
        let config = Config::from_toml_str(
            &format!("{BASE}[metrics]\nlisten = \"127.0.0.1:9090\"\n"),
            "/",
        )
        .expect("valid");
        let m = config.metrics().expect("metrics");
        assert_eq!(m.listen, "127.0.0.1:9090".parse().expect("addr"));
        assert!(m.allows("127.0.0.1".parse().expect("ip")));
        assert!(!m.allows("10.0.0.1".parse().expect("ip")));
        let config = Config::from_toml_str(
            &format!("{BASE}[metrics]\nlisten = \"0.0.0.0:9090\"\nallow = [\"10.0.0.0/24\"]\n"),
            "/",
        )
        .expect("valid");
        let m = config.metrics().expect("metrics");
        assert!(m.allows("10.0.0.7".parse().expect("ip")));
        assert!(!m.allows("127.0.0.1".parse().expect("ip")));
    }

    #[test]
    fn every_bad_value_is_named_by_its_key_path() {
        let e = errors(
            "[metrics]\nlisten = \"10.0.0.300:9090\"\nallow = [\"10.0.0.0/24\", \"nope\"]\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("metrics.listen: "), "{e:?}");
        assert!(e[1].starts_with("metrics.allow[1]: "), "{e:?}");
        let e = errors("[metrics]\nlisten = \"127.0.0.1:9090\"\nallow = []\n");
        assert!(e.len() == 1 && e[0].starts_with("metrics.allow: "), "{e:?}");
        let e = errors("[metrics]\nlisten = \"127.0.0.1:0\"\n");
        assert!(
            e.len() == 1 && e[0].starts_with("metrics.listen: "),
            "{e:?}"
        );
        let e = errors("[metrics]\nlisten = \"0.0.0.0:8443\"\n");
        assert!(e.len() == 1 && e[0].contains("management.listen"), "{e:?}");
        let e = errors("[metrics]\nlisten = \"127.0.0.1:9090\"\nport = 1\n");
        assert!(!e.is_empty(), "unknown keys are refused");
    }
}
