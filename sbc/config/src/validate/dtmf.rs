//! `dtmf`, `dtmf_info_type` and `show_digits` of a realm or trunk: how its legs carry DTMF.
//! A trunk's own values win; what it leaves out comes from its realm. `inband` needs the
//! leg to be G.711: a trunk whose `codecs` lists PCMU or PCMA and nothing but G.711 and
//! telephone-event; a realm (its phones have no codec list) cannot be `inband`.

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::model::{Codec, DtmfInfoType, DtmfMode, DtmfPolicy};

/// The keys as written in one table.
pub(super) struct Keys<'a> {
    pub mode: Option<&'a str>,
    pub info_type: Option<&'a str>,
    pub show_digits: Option<bool>,
}

/// The policy of the table at key path `p`, over `inherited` (the realm's for a trunk);
/// `codecs`: the trunk's codec list (`Some(None)`: all), `None` for a realm.
pub(super) fn policy(
    v: &mut Validator<'_>,
    p: &str,
    keys: Keys<'_>,
    inherited: DtmfPolicy,
    codecs: Option<Option<&[Codec]>>,
) -> Option<DtmfPolicy> {
    let mut out = inherited;
    let mut ok = true;
    if let Some(m) = keys.mode {
        let parsed = DtmfMode::from_name(m).ok_or_else(|| K::InvalidChoice {
            value: m.to_owned(),
            expected: DtmfMode::NAMES,
        });
        match v.check(format!("{p}.dtmf"), parsed) {
            Some(mode) => out.mode = mode,
            None => ok = false,
        }
    }
    if let Some(t) = keys.info_type {
        let parsed = DtmfInfoType::from_name(t).ok_or_else(|| K::InvalidChoice {
            value: t.to_owned(),
            expected: DtmfInfoType::NAMES,
        });
        match v.check(format!("{p}.dtmf_info_type"), parsed) {
            Some(info_type) => out.info_type = info_type,
            None => ok = false,
        }
    }
    if let Some(show) = keys.show_digits {
        out.show_digits = show;
    }
    if ok && out.mode == DtmfMode::Inband {
        let why = match codecs {
            None => Some(
                "a realm has no codec list; set it on a trunk with codecs = [\"PCMA\", \"PCMU\"]",
            ),
            Some(None) => {
                Some("the trunk allows every codec; list G.711 only: codecs = [\"PCMA\", \"PCMU\"]")
            }
            Some(Some(list)) => {
                let g711 = |c: &Codec| matches!(c, Codec::Pcmu | Codec::Pcma);
                let other = list.iter().any(|c| !g711(c) && *c != Codec::TelephoneEvent);
                if other || !list.iter().any(g711) {
                    Some("its codecs must be PCMU or PCMA (and telephone-event) only")
                } else {
                    None
                }
            }
        };
        if let Some(why) = why {
            v.err(format!("{p}.dtmf"), K::InbandNeedsG711 { why });
            ok = false;
        }
    }
    ok.then_some(out)
}
