//! Which certificate a realm's TLS server presents: the one naming the server name (SNI,
//! RFC 6066 §3) the client asks for.
//!
//! A realm has a default certificate (`tls_cert`/`tls_key`) and may have more
//! (`[[realm.certificate]]`), for instance one per FQDN a carrier and a PBX know the SBC
//! by. At each handshake the certificates are tried in that order (default first) and
//! the first whose SANs cover the name — wildcards too, as the client will check — is
//! served. A client that sends no SNI (many SIP phones, and every client that connects
//! by IP: RFC 6066 forbids IP literals in SNI) or a name none of them carries gets the
//! default: it then fails or passes its own verification, which is its call to make.

use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::certs::domain_in_certificate;

/// The realm's certificates, the default first; never empty.
#[derive(Debug)]
pub struct CertBySni {
    default: Arc<CertifiedKey>,
    more: Vec<Arc<CertifiedKey>>,
}

impl CertBySni {
    /// `default` for clients without a known SNI, `more` tried after it by name.
    pub fn new(default: Arc<CertifiedKey>, more: Vec<Arc<CertifiedKey>>) -> Self {
        CertBySni { default, more }
    }

    /// The certificate served to a client asking for `sni`.
    pub fn pick(&self, sni: Option<&str>) -> &Arc<CertifiedKey> {
        let Some(name) = sni else {
            return &self.default;
        };
        std::iter::once(&self.default)
            .chain(&self.more)
            .find(|c| names(c, name))
            .unwrap_or(&self.default)
    }
}

/// Whether the leaf of `cert` is valid for the DNS name `name`.
fn names(cert: &CertifiedKey, name: &str) -> bool {
    cert.end_entity_cert()
        .is_ok_and(|leaf| domain_in_certificate(name, leaf).is_ok())
}

impl ResolvesServerCert for CertBySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.pick(hello.server_name()).clone())
    }
}
