//! Certificates and keys from PEM files, and the rustls configurations built from them:
//! one [`ServerConfig`] per realm with `tls:` listeners (its certificates picked by SNI,
//! [`CertBySni`]), and the certificate naming the realm's `domain`.
//!
//! Every error names the file it is about, so that start-up can refuse with a line an
//! operator can act on (`realm outside: /etc/sbc/certs/outside.pem: no certificate found`).
//! Everything uses the *ring* provider, TLS 1.2 and 1.3.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sbc_config::{Realm, TlsFiles, VerifyClient};

use super::sni::CertBySni;

/// A TLS file that cannot be used, or a configuration rustls refuses.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The realm's `domain` is not a name its certificate carries (checked at start and on
    /// reload: peers verifying the SBC by that name would refuse it).
    #[error("domain \"{domain}\" is not a name of the certificate {} ({reason})", cert.display())]
    DomainNotInCertificate {
        domain: String,
        cert: PathBuf,
        reason: String,
    },
    #[error("{}: cannot read certificates: {reason}", path.display())]
    Certs { path: PathBuf, reason: pem::Error },
    #[error("{}: no certificate found (expected PEM \"BEGIN CERTIFICATE\" blocks)", path.display())]
    NoCerts { path: PathBuf },
    #[error("{}: cannot read private key: {reason}", path.display())]
    Key { path: PathBuf, reason: pem::Error },
    #[error("{}: no usable CA certificate ({ignored} could not be parsed)", path.display())]
    NoRoots { path: PathBuf, ignored: usize },
    /// rustls refused the pair: the key does not match the certificate, or its
    /// algorithm is not supported.
    #[error("{} with {}: {reason}", cert.display(), key.display())]
    Pair {
        cert: PathBuf,
        key: PathBuf,
        reason: rustls::Error,
    },
    #[error("{}: {reason}", path.display())]
    ClientVerifier {
        path: PathBuf,
        reason: rustls::server::VerifierBuilderError,
    },
    /// The system CA bundle is needed (a `tls:` trunk peer without `tls_ca`) but unusable.
    #[error(
        "a {what} is verified against the system CAs, but {reason} (install ca-certificates, or set tls_ca)"
    )]
    SystemRoots { what: &'static str, reason: String },
    #[error("invalid server name \"{name}\"")]
    ServerName { name: String },
    #[error("the TLS protocol versions are not supported by the crypto provider: {0}")]
    Versions(rustls::Error),
    /// A realm with `tls:` listeners but no certificate (validation prevents it).
    #[error("no tls_cert/tls_key configured")]
    NoFiles,
    /// Client certificates are asked for without a CA (validation prevents it).
    #[error("tls_verify_client needs tls_client_ca")]
    NoClientCa,
    #[error("trunk {trunk}: {error}")]
    Trunk {
        trunk: String,
        error: Box<TlsSetupError>,
    },
}

/// The crypto provider of every TLS configuration: *ring*.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The protocol versions offered and accepted.
pub const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Every certificate of a PEM file, in order (a chain: leaf first).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs_err = |reason| TlsSetupError::Certs {
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(certs_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(certs_err)?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCerts {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// The first private key of a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    PrivateKeyDer::from_pem_file(path).map_err(|reason| TlsSetupError::Key {
        path: path.to_owned(),
        reason,
    })
}

/// A trust store from a PEM bundle; certificates that do not parse are skipped (system
/// bundles carry a few), but at least one must.
pub fn load_roots(path: &Path) -> Result<RootCertStore, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(load_certs(path)?);
    if added == 0 {
        return Err(TlsSetupError::NoRoots {
            path: path.to_owned(),
            ignored,
        });
    }
    Ok(roots)
}

/// A certificate chain and its private key, checked to belong together.
pub fn load_identity(files: &TlsFiles) -> Result<Arc<CertifiedKey>, TlsSetupError> {
    let chain = load_certs(&files.cert)?;
    let key = load_key(&files.key)?;
    CertifiedKey::from_der(chain, key, &provider())
        .map(Arc::new)
        .map_err(|reason| TlsSetupError::Pair {
            cert: files.cert.clone(),
            key: files.key.clone(),
            reason,
        })
}

/// The realm's certificate naming its `domain`, the default (`tls_cert`) tried first:
/// the one its TLS server shows a client asking for that name, and the client
/// certificate it presents to its trunks' TLS peers. `Ok(None)`: the realm has no
/// `domain` or no certificate; an error when no certificate of the realm carries it
/// (peers verifying the SBC by that name would refuse it).
pub fn domain_certificate(realm: &Realm) -> Result<Option<&TlsFiles>, TlsSetupError> {
    let (Some(domain), Some(default)) = (&realm.domain, &realm.tls) else {
        return Ok(None);
    };
    let mut first_reason = None;
    for files in realm.all_certificates() {
        let chain = load_certs(&files.cert)?;
        let Some(leaf) = chain.first() else {
            continue;
        };
        match domain_in_certificate(domain, leaf) {
            Ok(()) => return Ok(Some(files)),
            Err(reason) => {
                first_reason.get_or_insert(reason);
            }
        }
    }
    let mut reason = first_reason.unwrap_or_default();
    if !realm.certificates.is_empty() {
        let more = realm.certificates.len();
        reason.push_str(&format!("; nor of the realm's {more} other certificate(s)"));
    }
    Err(TlsSetupError::DomainNotInCertificate {
        domain: domain.clone(),
        cert: default.cert.clone(),
        reason,
    })
}

/// The server side of a realm's `tls:` listeners: its certificates, picked by SNI
/// ([`CertBySni`]: `tls_cert` the default, `[[realm.certificate]]` by name), and the
/// client-certificate policy (`tls_verify_client`, `tls_client_ca`).
pub fn server_config(realm: &Realm) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let files = realm.tls.as_ref().ok_or(TlsSetupError::NoFiles)?;
    domain_certificate(realm)?;
    let default = load_identity(files)?;
    let more = realm
        .certificates
        .iter()
        .map(load_identity)
        .collect::<Result<Vec<_>, _>>()?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .map_err(TlsSetupError::Versions)?;
    let builder = match (realm.tls_verify_client, &realm.tls_client_ca) {
        (VerifyClient::None, _) => builder.with_no_client_auth(),
        // Validation requires the CA; never fall back to accepting any client.
        (_, None) => return Err(TlsSetupError::NoClientCa),
        (mode, Some(ca)) => {
            let roots = Arc::new(load_roots(ca)?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider());
            let verifier = match mode {
                VerifyClient::Optional => verifier.allow_unauthenticated(),
                _ => verifier,
            };
            let verifier = verifier
                .build()
                .map_err(|reason| TlsSetupError::ClientVerifier {
                    path: ca.clone(),
                    reason,
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder.with_cert_resolver(Arc::new(CertBySni::new(default, more)));
    Ok(Arc::new(config))
}

/// Whether the leaf certificate `leaf` is valid for the DNS name `domain` (its SANs,
/// wildcards included, as a peer verifying the SBC would check).
pub fn domain_in_certificate(
    domain: &str,
    leaf: &rustls_pki_types::CertificateDer<'_>,
) -> Result<(), String> {
    let cert = webpki::EndEntityCert::try_from(leaf).map_err(|e| format!("unreadable: {e}"))?;
    let name =
        rustls_pki_types::ServerName::try_from(domain).map_err(|_| "not a DNS name".to_owned())?;
    cert.verify_is_valid_for_subject_name(&name)
        .map_err(|e| format!("{e:?}"))
}

/// Whether the leaf of `chain` is known not to allow TLS client authentication: its
/// extended key usage lists serverAuth but not clientAuth (public CAs have stopped issuing
/// server certificates with clientAuth). Checked with webpki against the chain's own
/// issuer; `false` when that cannot be decided (no issuer in the file, an expired or
/// otherwise unverifiable chain): the peer then decides.
pub fn lacks_client_auth(chain: &[CertificateDer<'_>]) -> bool {
    let (Some(leaf), Some(issuer)) = (chain.first(), chain.get(1)) else {
        return false;
    };
    let Ok(cert) = webpki::EndEntityCert::try_from(leaf) else {
        return false;
    };
    let Ok(anchor) = webpki::anchor_from_trusted_cert(issuer) else {
        return false;
    };
    let anchors = [anchor];
    let algorithms = provider().signature_verification_algorithms.all;
    let result = cert.verify_for_usage(
        algorithms,
        &anchors,
        &chain[2..],
        rustls_pki_types::UnixTime::now(),
        webpki::KeyUsage::client_auth(),
        None,
        None,
    );
    matches!(result, Err(webpki::Error::RequiredEkuNotFoundContext(_)))
}
