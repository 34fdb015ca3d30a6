//! What the Trunks page shows of a trunk's connection to its peers, besides their
//! addresses: each probed peer's OPTIONS state (a Teams trunk is refused calls by
//! Microsoft until its OPTIONS are answered), and its realm's `domain` checked against
//! the realm's certificate (the name Microsoft, or any peer verifying the SBC, checks).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use sbc_config::{Realm, Trunk};
use sbc_mgmt::live::{CertificateCheckView, OptionsView};
use sbc_sip::health::Health as Verdict;

use crate::transport::certs::{domain_in_certificate, load_certs};
use crate::trunks::Health;

/// The OPTIONS state of each of `trunk`'s peers that is probed.
pub(crate) fn options_views(health: &Health, trunk: &Trunk, now: Instant) -> Vec<OptionsView> {
    trunk
        .peers
        .iter()
        .filter_map(|peer| {
            let s = health.status(&trunk.name, peer)?;
            Some(OptionsView {
                address: peer.to_string(),
                state: match s.health {
                    Verdict::Unknown => "unknown",
                    Verdict::Up => "up",
                    Verdict::Down => "down",
                }
                .to_owned(),
                last_code: s.last_status,
                last_answer_ago: s
                    .last_answer
                    .map(|t| now.saturating_duration_since(t).as_secs()),
                probes_sent: s.probes_sent,
                failures: s.failures,
                last_failure: s.last_failure.map(|f| f.to_string()),
            })
        })
        .collect()
}

/// Domain-against-certificate checks, made once per (domain, file): the daemon refuses
/// to start or reload with a certificate that does not name the domain, so this shows
/// the check of the configuration in force (a file replaced on disk shows after SIGHUP).
#[derive(Debug, Default)]
pub(crate) struct CertChecks {
    done: HashMap<(String, PathBuf), CertificateCheckView>,
}

impl CertChecks {
    /// The check of `realm`'s domain (`None`: no domain, or no certificate).
    pub(crate) fn check(&mut self, realm: &Realm) -> Option<CertificateCheckView> {
        let domain = realm.domain.as_ref()?;
        let cert = &realm.tls.as_ref()?.cert;
        let key = (domain.clone(), cert.clone());
        let view = self.done.entry(key).or_insert_with(|| {
            let result = load_certs(cert)
                .map_err(|e| e.to_string())
                .and_then(|chain| {
                    let leaf = chain.first().ok_or("no certificate in the file")?;
                    domain_in_certificate(domain, leaf)
                });
            CertificateCheckView {
                domain: domain.clone(),
                certificate: cert.display().to_string(),
                ok: result.is_ok(),
                reason: result.err(),
            }
        });
        Some(view.clone())
    }
}
