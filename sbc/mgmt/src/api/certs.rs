//! `/api/certificates`: the realms' TLS certificates, the management listener's, and
//! uploaded ones (`state_dir/certs/<name>.pem` + `.key`), with subject and expiry.
//! `used_by` names realms, and `"management"` for the HTTPS listener.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderName, StatusCode};
use axum::response::AppendHeaders;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

use crate::body::{Headers, JsonValue, decode};
use crate::error::ApiError;
use crate::guard::User;
use crate::state::AppState;

/// Where uploads go, under `state_dir`.
pub const CERTS_DIR: &str = "certs";
/// An upload of this name is the management listener's certificate (from the next start)
/// unless `[management] tls_cert` names one.
pub const MANAGEMENT_UPLOAD: &str = "management";
/// The self-signed certificate the daemon generates otherwise, in `state_dir`
/// (`.pem` and `.key`).
pub const SELF_SIGNED: &str = "management-selfsigned";

/// The certificate file the management listener uses (the daemon's precedence).
pub fn management_cert(config: &sbc_config::Config) -> PathBuf {
    let dir = &config.system().state_dir;
    let uploaded = dir.join(CERTS_DIR).join(format!("{MANAGEMENT_UPLOAD}.pem"));
    let uploaded_key = uploaded.with_extension("key");
    match &config.management().tls {
        Some(tls) => tls.cert.clone(),
        None if uploaded.exists() && uploaded_key.exists() => uploaded,
        None => dir.join(format!("{SELF_SIGNED}.pem")),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertView {
    pub name: String,
    /// Absolute path of the certificate (what a realm's `tls_cert` names).
    pub path: String,
    pub subject: String,
    pub not_after: String,
    pub days_left: i64,
    pub used_by: Vec<String>,
    /// Why the file could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn view(path: &Path, used_by: Vec<String>) -> CertView {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut v = CertView {
        name,
        path: path.display().to_string(),
        subject: String::new(),
        not_after: String::new(),
        days_left: 0,
        used_by,
        error: None,
    };
    let summary = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|pem| {
            let der = CertificateDer::pem_slice_iter(&pem)
                .next()
                .ok_or_else(|| "no certificate in the file".to_owned())?
                .map_err(|e| e.to_string())?;
            crate::der::summary(&der).map_err(|e| e.to_string())
        });
    match summary {
        Ok(s) => {
            v.subject = s.subject;
            v.not_after = crate::clock::rfc3339(s.not_after);
            v.days_left = (s.not_after - crate::clock::unix_now()).div_euclid(86_400);
        }
        Err(e) => v.error = Some(e),
    }
    v
}

pub async fn list(State(state): State<AppState>) -> Json<Vec<CertView>> {
    let (config, _) = state.config();
    let mut paths: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for realm in config.realms() {
        // The default certificate and the ones picked by SNI (`[[realm.certificate]]`).
        for tls in realm.all_certificates() {
            paths
                .entry(tls.cert.clone())
                .or_default()
                .push(realm.name.clone());
        }
    }
    let management = management_cert(&config);
    if management.exists() {
        paths
            .entry(management)
            .or_default()
            .push("management".to_owned());
    }
    if let Ok(entries) = std::fs::read_dir(state.0.state_dir.join(CERTS_DIR)) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "pem") {
                paths.entry(p).or_default();
            }
        }
    }
    Json(paths.into_iter().map(|(p, used)| view(&p, used)).collect())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Upload {
    name: String,
    cert_pem: String,
    key_pem: String,
}

/// Checks an upload: a certificate chain that parses, a private key that parses and
/// belongs to the first certificate.
fn check(up: &Upload) -> Result<(), ApiError> {
    let name_ok = !up.name.is_empty()
        && up.name.len() <= 64
        && !up.name.starts_with('.')
        && up
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !name_ok {
        return Err(ApiError::unprocessable(
            "name",
            "use 1 to 64 letters, digits, '_', '.' and '-' (not starting with '.')",
        ));
    }
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(up.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::unprocessable("cert_pem", format!("not PEM: {e}")))?;
    if chain.is_empty() {
        return Err(ApiError::unprocessable(
            "cert_pem",
            "no CERTIFICATE block found",
        ));
    }
    for (i, c) in chain.iter().enumerate() {
        crate::der::summary(c).map_err(|e| {
            ApiError::unprocessable("cert_pem", format!("certificate {}: {e}", i + 1))
        })?;
    }
    let key = PrivateKeyDer::from_pem_slice(up.key_pem.as_bytes())
        .map_err(|e| ApiError::unprocessable("key_pem", format!("no private key: {e}")))?;
    let provider = rustls::crypto::ring::default_provider();
    rustls::sign::CertifiedKey::from_der(chain, key, &provider).map_err(|e| {
        ApiError::unprocessable(
            "key_pem",
            format!("the key does not fit the certificate: {e}"),
        )
    })?;
    Ok(())
}

pub async fn upload(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    JsonValue(body): JsonValue,
) -> Result<(StatusCode, Headers, Json<CertView>), ApiError> {
    let up: Upload = decode(body, "")?;
    check(&up)?;
    let dir = state.0.state_dir.join(CERTS_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| ApiError::internal(e.to_string()))?;
    let cert = dir.join(format!("{}.pem", up.name));
    let key = dir.join(format!("{}.key", up.name));
    sbc_config::write_atomic(&key, up.key_pem.as_bytes(), 0o600)?;
    sbc_config::write_atomic(&cert, up.cert_pem.as_bytes(), 0o644)?;
    state.0.audit.record(
        &user.name,
        &format!("certificate.upload {}", up.name),
        String::new(),
    );
    let (config, _) = state.config();
    let used_by: Vec<String> = config
        .realms()
        .iter()
        .filter(|r| r.all_certificates().any(|t| t.cert == cert))
        .map(|r| r.name.clone())
        .collect();
    // TLS identities are loaded at start: a replaced file in use waits for a restart.
    let mut users: Vec<String> = used_by.iter().map(|r| format!("realm {r}")).collect();
    if management_cert(&config) == cert {
        users.push("management".to_owned());
    }
    let mut headers = Vec::new();
    if !users.is_empty() {
        state.replaced(format!("certificate {} ({})", up.name, users.join(", ")));
        headers.push((
            HeaderName::from_static(crate::restart::HEADER),
            state.restart_required().join(", "),
        ));
    }
    Ok((
        StatusCode::CREATED,
        AppendHeaders(headers),
        Json(view(&cert, used_by)),
    ))
}
