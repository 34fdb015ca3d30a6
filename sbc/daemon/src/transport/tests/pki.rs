//! A throw-away PKI for tests: a CA (rcgen) issuing server and client certificates,
//! written as PEM files into a scratch directory removed on drop.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A CA and the directory its files live in.
pub struct Pki {
    dir: PathBuf,
    ca: Certificate,
    ca_key: KeyPair,
}

/// The files of one issued certificate.
#[derive(Debug, Clone)]
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pki {
    /// A fresh CA named `name`, in its own scratch directory.
    pub fn new(name: &str) -> Pki {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sbc-pki-{}-{n}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = params.self_signed(&ca_key).expect("self-signed CA");
        std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write CA");
        Pki { dir, ca, ca_key }
    }

    /// The directory (config files may be written there too).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate (PEM), to trust.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A server certificate for `sans` (IP addresses become IP SANs).
    pub fn server(&self, name: &str, sans: &[&str]) -> Issued {
        self.issue(name, sans, &[ExtendedKeyUsagePurpose::ServerAuth])
    }

    /// A certificate for `sans` good for both ends of a connection (server and client
    /// authentication), as an SBC's own identity certificate must be for mutual TLS.
    pub fn identity(&self, name: &str, sans: &[&str]) -> Issued {
        let usages = [
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        self.issue(name, sans, &usages)
    }

    /// A client certificate.
    pub fn client(&self, name: &str) -> Issued {
        self.issue(name, &[], &[ExtendedKeyUsagePurpose::ClientAuth])
    }

    fn issue(&self, name: &str, sans: &[&str], usages: &[ExtendedKeyUsagePurpose]) -> Issued {
        let key = KeyPair::generate().expect("key");
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = usages.to_vec();
        let cert = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .expect("sign");
        let issued = Issued {
            cert: self.dir.join(format!("{name}.pem")),
            key: self.dir.join(format!("{name}.key")),
        };
        std::fs::write(&issued.cert, cert.pem()).expect("write cert");
        std::fs::write(&issued.key, key.serialize_pem()).expect("write key");
        issued
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
