//! `[[realm]]`: listeners, media address and ports, TLS files.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use sbc_core::{Transport, TransportAddr};

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::model::{DEFAULT_SERVER_HEADER, Realm, TlsFiles, VerifyClient};
use crate::ports::PortRange;
use crate::schema::RealmSection;

/// A realm's outcome, with what the trunk checks need even when the realm is invalid.
pub(super) struct RealmOut {
    pub(super) realm: Option<Realm>,
    /// The name as written, so that a trunk naming an invalid realm reports only the
    /// realm's own error.
    pub(super) raw_name: String,
    /// Listeners that parsed; `listen_ok` if all did.
    pub(super) listeners: Vec<TransportAddr>,
    pub(super) listen_ok: bool,
}

/// `transport:ip:port` with a specific IP and a non-zero port, or `transport:IFACE:port`
/// (the interface's address, [`crate::Interfaces`]).
pub(super) fn transport_addr(
    v: &mut Validator<'_>,
    path: &str,
    value: &str,
) -> Option<TransportAddr> {
    if let Some((transport, name, port)) = interface_listener(value) {
        let ip = v.interface(path, name)?;
        if port == 0 {
            v.err(
                path,
                K::ZeroPort {
                    value: value.to_owned(),
                },
            );
            return None;
        }
        return Some(TransportAddr {
            transport,
            addr: SocketAddr::new(ip, port),
        });
    }
    let parsed = value
        .parse::<TransportAddr>()
        .map_err(|reason| K::InvalidTransportAddr {
            value: value.to_owned(),
            reason,
        });
    let addr = v.check(path, parsed)?;
    let value = value.to_owned();
    if addr.addr.ip().is_unspecified() {
        v.err(path, K::UnspecifiedAddress { value });
        None
    } else if addr.addr.port() == 0 {
        v.err(path, K::ZeroPort { value });
        None
    } else {
        Some(addr)
    }
}

/// `udp:eth0:5060` split into its parts, when the host part is an interface name.
fn interface_listener(value: &str) -> Option<(Transport, &str, u16)> {
    let (transport, rest) = value.split_once(':')?;
    let transport = match transport {
        "udp" => Transport::Udp,
        "tcp" => Transport::Tcp,
        "tls" => Transport::Tls,
        _ => return None,
    };
    let (name, port) = rest.rsplit_once(':')?;
    if !crate::interfaces::is_interface_name(name) {
        return None;
    }
    Some((transport, name, port.parse().ok()?))
}

/// TCP and TLS listeners are both TCP sockets: they cannot share an address.
fn socket_key(a: &TransportAddr) -> (bool, SocketAddr) {
    (a.transport.is_stream(), a.addr)
}

pub(super) fn realms(v: &mut Validator<'_>, raw: &[RealmSection]) -> Vec<RealmOut> {
    if raw.is_empty() {
        v.err("realm", K::NoRealm);
    }
    let mut sockets: HashMap<(bool, SocketAddr), String> = HashMap::new();
    let mut media: Vec<(IpAddr, PortRange, String)> = Vec::new();
    let mut out: Vec<RealmOut> = raw
        .iter()
        .enumerate()
        .map(|(i, r)| realm(v, i, r, &mut sockets, &mut media))
        .collect();
    // A UDP signalling socket inside a media range would collide with the port pool.
    for (i, r) in out.iter_mut().enumerate() {
        for (j, a) in r.listeners.iter().enumerate() {
            let hit = media.iter().find(|(ip, ports, _)| {
                a.transport == Transport::Udp && *ip == a.addr.ip() && ports.contains(a.addr.port())
            });
            if let Some((_, _, other)) = hit {
                let kind = K::ListenerInMediaPorts {
                    value: a.to_string(),
                    other: other.clone(),
                };
                v.err(format!("realm[{i}].listen[{j}]"), kind);
                r.realm = None;
            }
        }
    }
    out
}

fn realm(
    v: &mut Validator<'_>,
    i: usize,
    r: &RealmSection,
    sockets: &mut HashMap<(bool, SocketAddr), String>,
    media: &mut Vec<(IpAddr, PortRange, String)>,
) -> RealmOut {
    let p = format!("realm[{i}]");
    let name = v.name(&format!("{p}.name"), p.clone(), &r.name);

    let mut listeners = Vec::new();
    let mut listen_ok = !r.listen.is_empty();
    if r.listen.is_empty() {
        v.err(format!("{p}.listen"), K::Empty);
    }
    for (j, s) in r.listen.iter().enumerate() {
        let lp = format!("{p}.listen[{j}]");
        let Some(a) = transport_addr(v, &lp, s) else {
            listen_ok = false;
            continue;
        };
        if let Some(first) = sockets.get(&socket_key(&a)) {
            let kind = K::DuplicateListener {
                value: s.clone(),
                first: first.clone(),
            };
            v.err(&lp, kind);
            listen_ok = false;
            continue;
        }
        sockets.insert(socket_key(&a), lp);
        listeners.push(a);
    }

    let media_ip = v.ip_or_interface(&format!("{p}.media_ip"), &r.media_ip);
    let mp = format!("{p}.media_ports");
    let parsed = r
        .media_ports
        .parse::<PortRange>()
        .map_err(|reason| K::InvalidPortRange {
            value: r.media_ports.clone(),
            reason,
        });
    let mut media_ports = v.check(&mp, parsed);
    if let (Some(ip), Some(ports)) = (media_ip, media_ports) {
        if let Some((_, _, other)) = media
            .iter()
            .find(|(o, op, _)| *o == ip && op.overlaps(&ports))
        {
            let kind = K::OverlappingPorts {
                value: r.media_ports.clone(),
                other: other.clone(),
            };
            v.err(&mp, kind);
            media_ports = None;
        } else {
            media.push((ip, ports, mp));
        }
    }

    let public_ip = match &r.public_ip {
        Some(s) => v.ip(&format!("{p}.public_ip"), s).map(Some),
        None => Some(None),
    };
    let has_tls = listeners.iter().any(|a| a.transport == Transport::Tls);
    let tls = tls_files(v, &p, r, has_tls);
    let certificates = extra_certificates(v, &p, r, has_tls);
    let client_auth = client_auth(v, &p, r, has_tls);
    let nat_keepalive = super::registration::nat_keepalive(v, &p, r);
    let srtp = super::srtp::policy(
        v,
        &p,
        r.srtp.as_deref(),
        r.srtp_suites.as_deref(),
        r.sdes_without_tls,
        has_tls,
        "the realm",
    );

    let keys = super::dtmf::Keys {
        mode: r.dtmf.as_deref(),
        info_type: r.dtmf_info_type.as_deref(),
        show_digits: r.show_digits,
    };
    let dtmf = super::dtmf::policy(v, &p, keys, Default::default(), None);
    let server_header = server_header(v, &p, r.server_header.as_deref());
    let domain = match &r.domain {
        None => Some(None),
        Some(d) => match crate::peer::dns_name(d) {
            Ok(name) => Some(Some(name)),
            Err(e) => {
                v.err(
                    format!("{p}.domain"),
                    K::InvalidDomain {
                        value: d.clone(),
                        reason: e.to_string(),
                    },
                );
                None
            }
        },
    };

    let realm = (|| {
        Some(Realm {
            name: name?,
            listen: listen_ok.then(|| listeners.clone())?,
            media_ip: media_ip?,
            media_ports: media_ports?,
            public_ip: public_ip?,
            tls: tls?,
            tls_verify_client: client_auth.as_ref()?.0,
            tls_client_ca: client_auth?.1,
            open: r.open.unwrap_or(false),
            registrar: r.registrar.clone(),
            nat_keepalive: nat_keepalive?,
            srtp: srtp?,
            dtmf: dtmf?,
            server_header: server_header?,
            domain: domain?,
            certificates: certificates?,
        })
    })();
    RealmOut {
        realm,
        raw_name: r.name.clone(),
        listeners,
        listen_ok,
    }
}

/// `Some(None)`: no files and none needed; `None`: an error was recorded.
fn tls_files(
    v: &mut Validator<'_>,
    p: &str,
    r: &RealmSection,
    has_tls: bool,
) -> Option<Option<TlsFiles>> {
    let (cp, kp) = (format!("{p}.tls_cert"), format!("{p}.tls_key"));
    match (&r.tls_cert, &r.tls_key) {
        (Some(cert), Some(key)) => {
            let cert = v.path(&cp, cert);
            let key = v.path(&kp, key);
            Some(Some(TlsFiles {
                cert: cert?,
                key: key?,
            }))
        }
        (Some(_), None) => {
            v.err(kp, K::TlsFilesNotPaired);
            None
        }
        (None, Some(_)) => {
            v.err(cp, K::TlsFilesNotPaired);
            None
        }
        (None, None) if has_tls => {
            v.err(cp, K::MissingTlsFile);
            v.err(kp, K::MissingTlsFile);
            None
        }
        (None, None) => Some(None),
    }
}

/// `[[realm.certificate]]`: paths resolved; they need a `tls:` listener and the default
/// certificate (`tls_cert`) beside them. `None` after recording an error.
fn extra_certificates(
    v: &mut Validator<'_>,
    p: &str,
    r: &RealmSection,
    has_tls: bool,
) -> Option<Vec<TlsFiles>> {
    let mut ok = true;
    let mut out = Vec::with_capacity(r.certificates.len());
    for (i, c) in r.certificates.iter().enumerate() {
        let cp = format!("{p}.certificate[{i}]");
        if !has_tls {
            let why = "the realm has no tls: listener";
            v.err(&cp, K::TlsKeyWithoutEffect { why });
            ok = false;
            continue;
        }
        let cert = v.path(&format!("{cp}.cert"), &c.cert);
        let key = v.path(&format!("{cp}.key"), &c.key);
        match cert.zip(key) {
            Some((cert, key)) => out.push(TlsFiles { cert, key }),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `tls_verify_client` and `tls_client_ca`: the policy and, unless it is `none`, the CA.
/// `None` after recording an error.
fn client_auth(
    v: &mut Validator<'_>,
    p: &str,
    r: &RealmSection,
    has_tls: bool,
) -> Option<(VerifyClient, Option<std::path::PathBuf>)> {
    let (vp, cp) = (
        format!("{p}.tls_verify_client"),
        format!("{p}.tls_client_ca"),
    );
    let without_listener = || K::TlsKeyWithoutEffect {
        why: "the realm has no tls: listener",
    };
    if !has_tls {
        if r.tls_verify_client.is_some() {
            v.err(&vp, without_listener());
        }
        if r.tls_client_ca.is_some() {
            v.err(&cp, without_listener());
        }
        return (r.tls_verify_client.is_none() && r.tls_client_ca.is_none())
            .then_some((VerifyClient::None, None));
    }
    let mode = match &r.tls_verify_client {
        None => Some(VerifyClient::None),
        Some(s) => {
            let parsed = VerifyClient::from_name(s).ok_or_else(|| K::InvalidChoice {
                value: s.clone(),
                expected: VerifyClient::NAMES,
            });
            v.check(&vp, parsed)
        }
    };
    // `Some(None)`: an empty path, already reported.
    let ca = r.tls_client_ca.as_deref().map(|s| v.path(&cp, s));
    let ca = match ca {
        Some(None) => return None,
        Some(Some(path)) => Some(path),
        None => None,
    };
    match (mode?, ca) {
        (VerifyClient::None, None) => Some((VerifyClient::None, None)),
        (VerifyClient::None, Some(_)) => {
            let why = "tls_verify_client is \"none\"";
            v.err(cp, K::TlsKeyWithoutEffect { why });
            None
        }
        (m, None) => {
            v.err(cp, K::MissingClientCa { mode: m.as_str() });
            None
        }
        (m, Some(ca)) => Some((m, Some(ca))),
    }
}

/// Longest `server_header` accepted.
const SERVER_HEADER_MAX: usize = 128;

/// `server_header` of realm `p`: printable text on one line (RFC 3261 §20.35 product
/// tokens and comments), at most [`SERVER_HEADER_MAX`] bytes; `""` for none.
fn server_header(v: &mut Validator<'_>, p: &str, value: Option<&str>) -> Option<String> {
    let Some(value) = value else {
        return Some(DEFAULT_SERVER_HEADER.to_owned());
    };
    let reason = if value.len() > SERVER_HEADER_MAX {
        Some("longer than 128 bytes")
    } else if value.chars().any(char::is_control) {
        Some("control characters (line breaks, tabs) would split or corrupt the message")
    } else if value != value.trim() {
        Some("leading or trailing spaces")
    } else {
        None
    };
    match reason {
        Some(reason) => {
            let kind = K::InvalidServerHeader {
                value: value.to_owned(),
                reason,
            };
            v.err(format!("{p}.server_header"), kind);
            None
        }
        None => Some(value.to_owned()),
    }
}
