//! The management listener's TLS identity.
//!
//! An operator-provided certificate wins: `[management] tls_cert`/`tls_key`, else
//! `state_dir/certs/management.pem` and `.key` (upload one named `management` through the
//! API). Either is read at start, so a new one applies from the next (re)start.
//! Otherwise a self-signed certificate is generated on first start into
//! `state_dir/management-selfsigned.pem` and `.key` (mode 0600) and reused afterwards, so
//! browsers can pin the exception once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sbc_config::{Config, write_atomic};
use tracing::info;

/// The operator's certificate, if uploaded, else the self-signed one (created if needed).
pub fn server_config(config: &Config) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let dir = &config.system().state_dir;
    let cert = sbc_mgmt::api::certs::management_cert(config);
    let (cert, key) = match &config.management().tls {
        Some(tls) => (tls.cert.clone(), tls.key.clone()),
        None if cert.exists() && cert.with_extension("key").exists() => {
            let key = cert.with_extension("key");
            (cert, key)
        }
        None => self_signed(config, dir)?,
    };
    load(&cert, &key)
}

/// Whether the certificate a restart would use loads (an operator-provided or uploaded
/// one; the self-signed one is made at start when missing). Nothing is written.
pub fn check(config: &Config) -> anyhow::Result<()> {
    let cert = sbc_mgmt::api::certs::management_cert(config);
    let (cert, key) = match &config.management().tls {
        Some(tls) => (tls.cert.clone(), tls.key.clone()),
        None if cert.exists() && cert.with_extension("key").exists() => {
            let key = cert.with_extension("key");
            (cert, key)
        }
        None => return Ok(()),
    };
    load(&cert, &key).map(|_| ())
}

fn self_signed(config: &Config, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let name = sbc_mgmt::api::certs::SELF_SIGNED;
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let listen = config.management().listen.ip();
    let mut names = vec!["localhost".to_owned(), config.system().name.clone()];
    if !listen.is_unspecified() {
        names.push(listen.to_string());
    }
    let mut params = rcgen::CertificateParams::new(names).context("certificate names")?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("{} management", config.system().name),
    );
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(3600)).into();
    params.not_after = (now + std::time::Duration::from_secs(10 * 365 * 86_400)).into();
    let pair = rcgen::KeyPair::generate().context("generating a key")?;
    let signed = params.self_signed(&pair).context("self-signing")?;
    write_atomic(&key, pair.serialize_pem().as_bytes(), 0o600)?;
    write_atomic(&cert, signed.pem().as_bytes(), 0o644)?;
    info!(cert = %cert.display(), "management: generated a self-signed certificate");
    Ok((cert, key))
}

fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading {}", cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| format!("{}: certificate and key", cert.display()))?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(tls))
}
