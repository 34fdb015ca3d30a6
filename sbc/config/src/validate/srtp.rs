//! `srtp`, `srtp_suites` and `sdes_without_tls` of a trunk or realm: the SRTP policy of its
//! legs. `required` needs SDES keys to travel somewhere safe: a TLS peer (trunk) or
//! listener (realm), unless `sdes_without_tls` says the operator accepts them in clear.

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::model::{SrtpMode, SrtpPolicy};

/// The policy of the table at key path `p`; `tls`: it has a TLS peer or listener.
pub(super) fn policy(
    v: &mut Validator<'_>,
    p: &str,
    mode: Option<&str>,
    suites: Option<&[String]>,
    sdes_without_tls: Option<bool>,
    tls: bool,
    what: &'static str,
) -> Option<SrtpPolicy> {
    let mut out = SrtpPolicy::default();
    if let Some(m) = mode {
        let parsed = SrtpMode::from_name(m).ok_or_else(|| K::InvalidChoice {
            value: m.to_owned(),
            expected: SrtpMode::NAMES,
        });
        out.mode = v.check(format!("{p}.srtp"), parsed)?;
    }
    out.sdes_without_tls = sdes_without_tls.unwrap_or(false);
    if let Some(list) = suites {
        out.suites = suite_list(v, &format!("{p}.srtp_suites"), list)?;
    }
    if out.mode == SrtpMode::Required && !tls && !out.sdes_without_tls {
        let where_ = if what == "the trunk" {
            "peer"
        } else {
            "listener"
        };
        v.err(format!("{p}.srtp"), K::SrtpNeedsTls { what, where_ });
        return None;
    }
    Some(out)
}

fn suite_list(
    v: &mut Validator<'_>,
    p: &str,
    list: &[String],
) -> Option<Vec<sbc_core::registry::SrtpSuite>> {
    if list.is_empty() {
        v.err(p, K::Empty);
        return None;
    }
    let mut out: Vec<sbc_core::registry::SrtpSuite> = Vec::new();
    let mut ok = true;
    for (j, name) in list.iter().enumerate() {
        let sp = format!("{p}[{j}]");
        match sbc_core::registry::SRTP_SUITES
            .iter()
            .find(|s| s.name == name)
        {
            None => {
                v.err(
                    sp,
                    K::UnknownSrtpSuite {
                        value: name.clone(),
                    },
                );
                ok = false;
            }
            Some(s) if out.iter().any(|o| o.name == s.name) => {
                v.err(
                    sp,
                    K::DuplicateSrtpSuite {
                        value: name.clone(),
                    },
                );
                ok = false;
            }
            Some(s) => out.push(*s),
        }
    }
    ok.then_some(out)
}
