//! The client side of TLS: which rustls [`ClientConfig`] and server name the SBC uses
//! when it connects to a remote, decided once at start-up from the trunks.
//!
//! * A trunk with `tls:` peers gets one configuration: its `tls_ca` (or the system
//!   roots, [`SYSTEM_ROOTS`]) as trust anchors and its `tls_client_cert`/`tls_client_key`
//!   presented for mutual TLS; without them, the realm's certificate naming its `domain`
//!   (the SBC's identity on that realm, [`certs::domain_certificate`]), if it has one
//!   and it allows client authentication ([`certs::lacks_client_auth`]). The name verified (and sent as SNI) is `tls_server_name`,
//!   else for a peer given by name that name (RFC 5922 §4: the name as configured, not
//!   an SRV target), else the peer's IP address (which the certificate must carry as an
//!   IP SAN).
//! * Lookups go by (local listener, remote address): the exact peer address first, then
//!   the peer's IP on any port (a Contact or Via may name another port of a known peer).
//! * Any other remote (a phone's contact on an open realm) is verified against the system
//!   roots by IP, without a client certificate; if the system bundle is missing, such
//!   connections fail with a clear reason.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::ServerName;
use sbc_config::{Config, Realm, Trunk};
use sbc_core::Transport;
use tracing::{debug, warn};

use super::certs::{self, TlsSetupError};

/// Debian's bundle of the system's trusted CAs (package ca-certificates).
pub const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// How to open a TLS connection to one remote.
#[derive(Debug, Clone)]
pub struct ClientTls {
    pub config: Arc<ClientConfig>,
    /// The DNS name to verify; `None`: the remote's IP address.
    pub server_name: Option<ServerName<'static>>,
}

impl ClientTls {
    /// The name the remote's certificate must carry.
    pub fn server_name_for(&self, remote: SocketAddr) -> ServerName<'static> {
        match &self.server_name {
            Some(name) => name.clone(),
            None => ServerName::IpAddress(remote.ip().to_canonical().into()),
        }
    }
}

/// Client configurations by remote; see the module docs.
#[derive(Debug, Default)]
pub struct TlsClients {
    by_addr: HashMap<(SocketAddr, SocketAddr), ClientTls>,
    by_ip: HashMap<(SocketAddr, IpAddr), ClientTls>,
    /// For remotes of no trunk; `None` when the system bundle cannot be read.
    fallback: Option<ClientTls>,
}

impl TlsClients {
    /// Builds every trunk's configuration. Fails, naming the trunk and the file, when a
    /// file cannot be used — including the system bundle, when a trunk relies on it.
    pub fn from_config(config: &Config) -> Result<Self, TlsSetupError> {
        Self::build(config, Path::new(SYSTEM_ROOTS))
    }

    /// [`TlsClients::from_config`] with another system bundle (tests).
    pub fn build(config: &Config, system_roots: &Path) -> Result<Self, TlsSetupError> {
        let system = certs::load_roots(system_roots).map(Arc::new);
        let mut clients = TlsClients {
            fallback: match &system {
                Ok(roots) => Some(ClientTls {
                    config: client_config(roots.clone(), None)?,
                    server_name: None,
                }),
                Err(e) => {
                    debug!("TLS to remotes of no trunk is not possible: {e}");
                    None
                }
            },
            ..TlsClients::default()
        };
        for trunk in config.trunks() {
            let tls_peers: Vec<SocketAddr> = trunk
                .peers
                .iter()
                .filter(|p| p.transport == Transport::Tls)
                .map(|p| p.addr)
                .collect();
            if tls_peers.is_empty() {
                continue;
            }
            let realm = config.realm_of(trunk);
            let client = trunk_client(trunk, realm, &system).map_err(|e| TlsSetupError::Trunk {
                trunk: trunk.name.clone(),
                error: Box::new(e),
            })?;
            let locals = realm
                .listen
                .iter()
                .filter(|l| l.transport == Transport::Tls)
                .map(|l| l.addr);
            // RFC 5922 §4: a peer given by name is verified against that name (the
            // domain of the peer as written, not an SRV target's), and it is the SNI.
            let by_name = named_tls_targets(trunk);
            for local in locals {
                for &peer in &tls_peers {
                    let ip = peer.ip().to_canonical();
                    let named = by_name.iter().find(|(a, _)| *a == peer);
                    if let (Some((_, name)), None) = (named, &client.server_name) {
                        let mut c = client.clone();
                        c.server_name = ServerName::try_from(name.clone()).ok();
                        clients.by_addr.entry((local, peer)).or_insert(c.clone());
                        clients.by_ip.entry((local, ip)).or_insert(c);
                        continue;
                    }
                    clients
                        .by_addr
                        .entry((local, peer))
                        .or_insert_with(|| client.clone());
                    clients
                        .by_ip
                        .entry((local, ip))
                        .or_insert_with(|| client.clone());
                }
            }
        }
        Ok(clients)
    }

    /// The configuration for a connection from the listener `local` to `remote`.
    pub fn for_link(&self, local: SocketAddr, remote: SocketAddr) -> Option<&ClientTls> {
        self.by_addr
            .get(&(local, remote))
            .or_else(|| self.by_ip.get(&(local, remote.ip().to_canonical())))
            .or(self.fallback.as_ref())
    }
}

/// The TLS addresses `trunk`'s names resolved to, each with the name it came from.
fn named_tls_targets(trunk: &Trunk) -> Vec<(SocketAddr, String)> {
    trunk
        .resolution
        .iter()
        .filter(|r| !r.source_only)
        .filter_map(|r| {
            let spec: sbc_config::PeerSpec = r.spec.parse().ok()?;
            let name = spec.name()?.to_owned();
            Some(
                r.state
                    .targets()
                    .iter()
                    .filter(|t| t.addr.transport == Transport::Tls)
                    .map(move |t| (t.addr.addr, name.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect()
}

/// One trunk's configuration.
fn trunk_client(
    trunk: &Trunk,
    realm: &Realm,
    system: &Result<Arc<RootCertStore>, TlsSetupError>,
) -> Result<ClientTls, TlsSetupError> {
    let roots = match (&trunk.tls.ca, system) {
        (Some(ca), _) => Arc::new(certs::load_roots(ca)?),
        (None, Ok(roots)) => roots.clone(),
        (None, Err(e)) => {
            return Err(TlsSetupError::SystemRoots {
                what: "tls: peer without tls_ca",
                reason: e.to_string(),
            });
        }
    };
    let client_auth = match &trunk.tls.client {
        Some(files) => Some((
            certs::load_certs(&files.cert)?,
            certs::load_key(&files.key)?,
            files,
        )),
        None => domain_identity(trunk, realm)?,
    };
    let server_name = match &trunk.tls.server_name {
        // Validation checked the DNS syntax; rustls re-checks it.
        Some(name) => Some(
            ServerName::try_from(name.clone())
                .map_err(|_| TlsSetupError::ServerName { name: name.clone() })?,
        ),
        None => None,
    };
    Ok(ClientTls {
        config: client_config(roots, client_auth)?,
        server_name,
    })
}

/// The realm's certificate naming its `domain`, as `trunk`'s client certificate; `None`
/// without one, or when it is known not to allow client authentication (presenting it
/// would fail handshakes with peers that only ask for a certificate; logged).
fn domain_identity<'a>(
    trunk: &Trunk,
    realm: &'a Realm,
) -> Result<Option<ClientAuth<'a>>, TlsSetupError> {
    let Some(files) = certs::domain_certificate(realm)? else {
        return Ok(None);
    };
    let chain = certs::load_certs(&files.cert)?;
    if certs::lacks_client_auth(&chain) {
        warn!(
            trunk = %trunk.name,
            cert = %files.cert.display(),
            "the realm's domain certificate does not allow client authentication (no clientAuth extended key usage): no client certificate is presented; set tls_client_cert/tls_client_key"
        );
        return Ok(None);
    }
    Ok(Some((chain, certs::load_key(&files.key)?, files)))
}

type ClientAuth<'a> = (
    Vec<rustls_pki_types::CertificateDer<'static>>,
    rustls_pki_types::PrivateKeyDer<'static>,
    &'a sbc_config::TlsFiles,
);

fn client_config(
    roots: Arc<RootCertStore>,
    client_auth: Option<ClientAuth<'_>>,
) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let builder = ClientConfig::builder_with_provider(certs::provider())
        .with_protocol_versions(certs::VERSIONS)
        .map_err(TlsSetupError::Versions)?
        .with_root_certificates(roots);
    let config = match client_auth {
        None => builder.with_no_client_auth(),
        Some((chain, key, files)) => {
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|reason| TlsSetupError::Pair {
                    cert: files.cert.clone(),
                    key: files.key.clone(),
                    reason,
                })?
        }
    };
    Ok(Arc::new(config))
}
