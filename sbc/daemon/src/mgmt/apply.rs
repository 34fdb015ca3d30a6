//! Applying a configuration live, for management and for SIGHUP: everything that can
//! refuse it is tried before anything changes, so a refused configuration leaves the
//! daemon as it was and management does not save it.
//!
//! 1. TLS files: every `tls:` realm's certificate, key and client CA, every trunk's TLS
//!    client settings, and the management certificate load (most take effect only at
//!    the next start, but a file that does not load now would stop that start).
//! 2. Addresses: every listener, media address and the management address must be one
//!    of this host's ([`check_addresses`]); listeners change only at the next start,
//!    which such an address would stop, and a foreign media address fails every call.
//! 3. The firewall ruleset is re-rendered ([`crate::firewall::reload`]); nft applies it
//!    as one transaction, so a refused ruleset leaves the running one untouched.
//! 4. The TLS listeners take the new certificates (renewals need no restart), and the
//!    core takes the configuration ([`Control::Reload`], which also rebuilds the trunks'
//!    TLS client settings); that cannot fail.

use std::path::Path;
use std::sync::Arc;

use sbc_config::Config;
use sbc_core::Transport;
use sbc_firewall::Firewall;
use sbc_mgmt::live::ApplyError;
use tracing::error;

use crate::core::Control;
use crate::run::Live;
use crate::transport::{TlsClients, server_config};

/// Checks `new` and hands it to the core; on an error nothing was changed.
pub async fn apply(
    live: &Live<'_>,
    firewall: &mut Option<Firewall>,
    new: Arc<Config>,
) -> Result<(), ApplyError> {
    let (path, control) = (live.path, live.control);
    let refused = |e: ApplyError| {
        error!(
            "{}: {e}; not applied, the running configuration stays",
            path.display()
        );
        e
    };
    check_tls(&new).map_err(refused)?;
    check_addresses(&new).map_err(refused)?;
    crate::firewall::reload(firewall, &new).map_err(|e| {
        refused(ApplyError::Refused {
            field: None,
            reason: format!("{e:#}"),
        })
    })?;
    // Checked above: the listeners' certificates load (a failure now is a race with a
    // file being rewritten; the old certificate stays and it is logged).
    live.identities.reload(&new);
    control
        .send(Control::Reload(new))
        .await
        .map_err(|_| ApplyError::Failed {
            reason: "the daemon is stopping".to_owned(),
        })?;
    Ok(())
}

/// Loads every TLS identity and trust store `config` names; the first that fails is
/// the error, with the key to blame.
pub fn check_tls(config: &Config) -> Result<(), ApplyError> {
    for (i, realm) in config.realms().iter().enumerate() {
        if !realm.listen.iter().any(|l| l.transport == Transport::Tls) {
            continue;
        }
        if let Err(e) = server_config(realm) {
            let reason = e.to_string();
            let names = |p: &Path| reason.starts_with(&p.display().to_string());
            let extra = realm.certificates.iter().enumerate().find_map(|(j, c)| {
                let part = if names(&c.cert) {
                    "cert"
                } else if names(&c.key) {
                    "key"
                } else {
                    return None;
                };
                Some(format!("certificate[{j}].{part}"))
            });
            let key = if reason.starts_with("domain \"") {
                "domain".to_owned()
            } else if let Some(extra) = extra {
                extra
            } else if realm.tls_client_ca.as_deref().is_some_and(names) {
                "tls_client_ca".to_owned()
            } else if realm.tls.as_ref().is_some_and(|t| names(&t.key)) {
                "tls_key".to_owned()
            } else {
                "tls_cert".to_owned()
            };
            return Err(ApplyError::Refused {
                field: Some(format!("realm[{i}].{key}")),
                reason: format!("realm {}: {reason}", realm.name),
            });
        }
    }
    if let Err(e) = TlsClients::from_config(config) {
        let reason = e.to_string();
        let field = config.trunks().iter().enumerate().find_map(|(i, t)| {
            let detail = reason.strip_prefix(&format!("trunk {}: ", t.name))?;
            let names = |p: &Path| detail.starts_with(&p.display().to_string());
            let key = match &t.tls.client {
                Some(c) if names(&c.cert) => "tls_client_cert",
                Some(c) if names(&c.key) => "tls_client_key",
                _ => "tls_ca",
            };
            Some(format!("trunk[{i}].{key}"))
        });
        return Err(ApplyError::Refused { field, reason });
    }
    crate::mgmt::cert::check(config).map_err(|e| ApplyError::Refused {
        field: Some("management.tls_cert".to_owned()),
        reason: format!("management certificate: {e:#}"),
    })
}

/// Every specific address `config` binds (realm listeners and media, management) can be
/// bound on this host; the first that cannot is the error, with its key. Port 0 is
/// bound, so ports in use (ours included) do not matter: what is checked is that the
/// address belongs to this host.
pub fn check_addresses(config: &Config) -> Result<(), ApplyError> {
    let mut wanted: Vec<(String, std::net::IpAddr)> = Vec::new();
    for (i, realm) in config.realms().iter().enumerate() {
        for (j, l) in realm.listen.iter().enumerate() {
            wanted.push((format!("realm[{i}].listen[{j}]"), l.addr.ip()));
        }
        wanted.push((format!("realm[{i}].media_ip"), realm.media_ip));
    }
    wanted.push((
        "management.listen".to_owned(),
        config.management().listen.ip(),
    ));
    for (field, ip) in wanted {
        if ip.is_unspecified() {
            continue;
        }
        if let Err(e) = std::net::UdpSocket::bind((ip, 0)) {
            return Err(ApplyError::Refused {
                reason: format!("{field}: {ip} cannot be bound on this host: {e}"),
                field: Some(field),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(realm_tls: &str, trunk_tls: &str) -> Config {
        let text = format!(
            r#"
[system]
name = "t"
state_dir = "state"
[management]
listen = "127.0.0.1:8443"
[firewall]
enabled = false
[[realm]]
name = "outside"
listen = ["udp:127.0.0.1:5060"{realm_tls}
media_ip = "127.0.0.1"
media_ports = "20000-20999"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:127.0.0.1:5080"{trunk_tls}
"#
        );
        Config::from_toml_str(&text, Path::new("/nonexistent-sbc-test"))
            .unwrap_or_else(|e| panic!("valid: {e:?}"))
    }

    #[test]
    fn addresses_not_on_this_host_are_refused_naming_the_key() {
        assert_eq!(check_addresses(&config("]", "]")), Ok(()));
        // 192.0.2.1 (TEST-NET-1) is no address of a test machine.
        let text = |listen: &str, media: &str, mgmt: &str| {
            format!(
                "[system]\nname = \"t\"\n[management]\nlisten = \"{mgmt}:8443\"\n\
                 [firewall]\nenabled = false\n[[realm]]\nname = \"outside\"\n\
                 listen = [\"udp:127.0.0.1:5060\", \"udp:{listen}:5060\"]\n\
                 media_ip = \"{media}\"\nmedia_ports = \"20000-20999\"\n"
            )
        };
        let refused = |listen: &str, media: &str, mgmt: &str| {
            let c = Config::from_toml_str(
                &text(listen, media, mgmt),
                Path::new("/nonexistent-sbc-test"),
            )
            .unwrap_or_else(|e| panic!("valid: {e:?}"));
            match check_addresses(&c) {
                Ok(()) => None,
                Err(ApplyError::Refused { field, reason }) => {
                    assert!(reason.contains("192.0.2.1"), "{reason}");
                    field
                }
                Err(other) => panic!("{other:?}"),
            }
        };
        assert_eq!(refused("127.0.0.2", "127.0.0.1", "127.0.0.1"), None);
        assert_eq!(refused("127.0.0.2", "127.0.0.1", "0.0.0.0"), None);
        assert_eq!(
            refused("192.0.2.1", "127.0.0.1", "127.0.0.1").as_deref(),
            Some("realm[0].listen[1]")
        );
        assert_eq!(
            refused("127.0.0.2", "192.0.2.1", "127.0.0.1").as_deref(),
            Some("realm[0].media_ip")
        );
        assert_eq!(
            refused("127.0.0.2", "127.0.0.1", "192.0.2.1").as_deref(),
            Some("management.listen")
        );
    }

    #[test]
    fn tls_files_that_do_not_load_are_refused_naming_the_key() {
        assert_eq!(check_tls(&config("]", "]")), Ok(()));
        let realm = config(
            ", \"tls:127.0.0.1:5061\"]\ntls_cert = \"c.pem\"\ntls_key = \"c.key\"",
            "]",
        );
        match check_tls(&realm) {
            Err(ApplyError::Refused { field, reason }) => {
                assert_eq!(field.as_deref(), Some("realm[0].tls_cert"));
                assert!(reason.contains("c.pem"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // A trunk's TLS peer needs a TLS listener whose files load: a generated pair.
        let dir = std::env::temp_dir().join(format!("sbc-apply-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
        std::fs::write(dir.join("c.pem"), pair.cert.pem()).expect("write cert");
        std::fs::write(dir.join("c.key"), pair.key_pair.serialize_pem()).expect("write key");
        let realm_tls = format!(
            ", \"tls:127.0.0.1:5061\"]\ntls_cert = \"{0}/c.pem\"\ntls_key = \"{0}/c.key\"",
            dir.display()
        );
        assert_eq!(check_tls(&config(&realm_tls, "]")), Ok(()));
        let trunk = config(&realm_tls, ", \"tls:127.0.0.1:5081\"]\ntls_ca = \"ca.pem\"");
        match check_tls(&trunk) {
            Err(ApplyError::Refused { field, reason }) => {
                assert_eq!(field.as_deref(), Some("trunk[0].tls_ca"));
                assert!(reason.contains("ca.pem"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
