//! Test certificates for TLS in the lab: a CA and certificates it issues, generated with rcgen
//! when a test runs and written as PEM files into the lab's directory.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::error::{LabError, Result};

/// A CA whose certificate is `<dir>/<name>-ca.pem`.
pub struct TestCa {
    dir: PathBuf,
    name: String,
    cert: Certificate,
    key: KeyPair,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("ca", &self.ca_path())
            .finish_non_exhaustive()
    }
}

/// The PEM files of one issued certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFiles {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM, PKCS#8).
    pub key: PathBuf,
}

fn rcgen_error(what: &str, e: rcgen::Error) -> LabError {
    LabError::BadOutput {
        tool: format!("rcgen ({what})"),
        output: e.to_string(),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| LabError::io(format!("write {}", path.display()), e))
}

impl TestCa {
    /// A new CA named `name`, its certificate written into `dir`.
    pub fn new(dir: &Path, name: &str) -> Result<TestCa> {
        let key = KeyPair::generate().map_err(|e| rcgen_error("CA key", e))?;
        let mut params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| rcgen_error("CA", e))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("sbc-lab {name} CA"));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params
            .self_signed(&key)
            .map_err(|e| rcgen_error("CA certificate", e))?;
        let ca = TestCa {
            dir: dir.to_owned(),
            name: name.to_owned(),
            cert,
            key,
        };
        write(&ca.ca_path(), &ca.cert.pem())?;
        Ok(ca)
    }

    /// The CA certificate (PEM bundle of one), to trust.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join(format!("{}-ca.pem", self.name))
    }

    /// A server certificate for `sans` (IP addresses become IP SANs, anything else DNS
    /// names), written as `<dir>/<file>.pem` and `<dir>/<file>.key`.
    pub fn server(&self, file: &str, sans: &[&str]) -> Result<CertFiles> {
        self.issue(file, sans, &[ExtendedKeyUsagePurpose::ServerAuth])
    }

    /// A certificate for `sans` good as server and as client certificate (an SBC's own
    /// identity, presented both ways with mutual TLS).
    pub fn identity(&self, file: &str, sans: &[&str]) -> Result<CertFiles> {
        let usages = [
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        self.issue(file, sans, &usages)
    }

    /// A client certificate, written as `<dir>/<file>.pem` and `<dir>/<file>.key`.
    pub fn client(&self, file: &str) -> Result<CertFiles> {
        self.issue(file, &[], &[ExtendedKeyUsagePurpose::ClientAuth])
    }

    fn issue(
        &self,
        file: &str,
        sans: &[&str],
        usages: &[ExtendedKeyUsagePurpose],
    ) -> Result<CertFiles> {
        let key = KeyPair::generate().map_err(|e| rcgen_error("key", e))?;
        let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(sans).map_err(|e| rcgen_error(file, e))?;
        params.distinguished_name.push(DnType::CommonName, file);
        params.extended_key_usages = usages.to_vec();
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .map_err(|e| rcgen_error(file, e))?;
        let files = CertFiles {
            cert: self.dir.join(format!("{file}.pem")),
            key: self.dir.join(format!("{file}.key")),
        };
        write(&files.cert, &cert.pem())?;
        write(&files.key, &key.serialize_pem())?;
        Ok(files)
    }
}
