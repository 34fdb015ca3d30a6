//! `[hep]`: the HEP v3 capture collector (Homer). `collector` is `udp:IP:PORT` or
//! `tcp:IP:PORT` (not `tls:`, not port 0); `id` the capture agent id (`0..=4294967295`,
//! default 0); `password` optional and not empty.

use sbc_core::{Transport, TransportAddr};

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::model::Hep;
use crate::schema::HepSection;

/// Transports a collector may use.
const TRANSPORTS: &[&str] = &["udp", "tcp"];

/// `Some(None)`: no `[hep]` section; `None`: an error was recorded.
pub(super) fn hep(v: &mut Validator<'_>, h: Option<&HepSection>) -> Option<Option<Hep>> {
    let Some(h) = h else {
        return Some(None);
    };
    let collector = match h.collector.parse::<TransportAddr>() {
        Err(reason) => {
            v.err(
                "hep.collector",
                K::InvalidTransportAddr {
                    value: h.collector.clone(),
                    reason,
                },
            );
            None
        }
        Ok(a) if a.transport == Transport::Tls => {
            v.err(
                "hep.collector",
                K::InvalidChoice {
                    value: "tls".to_owned(),
                    expected: TRANSPORTS,
                },
            );
            None
        }
        Ok(a) if a.addr.port() == 0 || a.addr.ip().is_unspecified() => {
            v.err(
                "hep.collector",
                K::InvalidSocketAddr {
                    value: h.collector.clone(),
                },
            );
            None
        }
        Ok(a) => Some(a),
    };
    let id = match h.id.unwrap_or(0) {
        id @ 0..=0xffff_ffff => Some(id as u32),
        id => {
            v.err(
                "hep.id",
                K::OutOfRange {
                    value: id,
                    min: 0,
                    max: 0xffff_ffff,
                },
            );
            None
        }
    };
    let password = match &h.password {
        Some(p) if p.is_empty() => {
            v.err("hep.password", K::Empty);
            return None;
        }
        p => p.clone(),
    };
    Some(Some(Hep {
        collector: collector?,
        id: id?,
        password,
    }))
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

    fn errors(hep: &str) -> Vec<String> {
        match Config::from_toml_str(&format!("{BASE}\n[hep]\n{hep}"), "/") {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn valid_collectors() {
        let c = Config::from_toml_str(
            &format!(
                "{BASE}\n[hep]\ncollector = \"tcp:10.0.0.9:9060\"\nid = 7\npassword = \"s\"\n"
            ),
            "/",
        )
        .expect("valid");
        let h = c.hep().expect("[hep]");
        assert_eq!(h.collector.to_string(), "tcp:10.0.0.9:9060");
        assert_eq!((h.id, h.password.as_deref()), (7, Some("s")));
        let c = Config::from_toml_str(
            &format!("{BASE}\n[hep]\ncollector = \"udp:10.0.0.9:9060\"\n"),
            "/",
        )
        .expect("valid");
        assert_eq!(c.hep().map(|h| h.id), Some(0));
        assert!(
            Config::from_toml_str(BASE, "/")
                .expect("valid")
                .hep()
                .is_none()
        );
    }

    #[test]
    fn errors_name_their_keys() {
        let e = errors("collector = \"tls:10.0.0.9:9061\"");
        assert!(
            e[0].starts_with("hep.collector: invalid value \"tls\""),
            "{e:?}"
        );
        let e = errors("collector = \"10.0.0.9:9060\"");
        assert!(e[0].starts_with("hep.collector:"), "{e:?}");
        let e = errors("collector = \"udp:10.0.0.9:0\"");
        assert!(e[0].starts_with("hep.collector:"), "{e:?}");
        let e = errors("collector = \"udp:10.0.0.9:9060\"\nid = -1");
        assert_eq!(e, ["hep.id: -1 is out of range 0..=4294967295"]);
        let e = errors("collector = \"udp:10.0.0.9:9060\"\npassword = \"\"");
        assert_eq!(e, ["hep.password: must not be empty"]);
        assert!(!errors("collector = \"udp:10.0.0.9:9060\"\nfoo = 1").is_empty());
    }
}
