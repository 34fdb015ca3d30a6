//! `[[trunk.rule]]`: header manipulation rules, each checked by `sbc_rules` and refused
//! with the key path of the key to blame (`trunk[0].rule[2].match`).

use sbc_rules::{Rule, RuleSet, RuleSpec};

use super::Validator;
use crate::error::{ConfigError, ConfigErrorKind as K, ConfigErrors};
use crate::schema::RuleSection;

/// The rules of trunk `p`; `None` when one was refused (each refusal recorded).
pub(super) fn rules(v: &mut Validator<'_>, p: &str, raw: &[RuleSection]) -> Option<RuleSet> {
    match check_rules(p, raw) {
        Ok(rules) => Some(rules),
        Err(ConfigErrors(errors)) => {
            for e in errors {
                v.err(e.path, e.kind);
            }
            None
        }
    }
}

/// Checks `raw` as the rules under key path `prefix` (`trunk[0]`, or `""` for rules on
/// their own, as the management API's rule tester sends them): every refusal is an
/// error at `<prefix>.rule[j].<key>`.
pub fn check_rules(prefix: &str, raw: &[RuleSection]) -> Result<RuleSet, ConfigErrors> {
    let mut errors = Vec::new();
    let mut rules = Vec::with_capacity(raw.len());
    for (j, r) in raw.iter().enumerate() {
        let spec = RuleSpec {
            direction: r.direction.as_deref(),
            method: r.method.as_deref(),
            message: r.message.as_deref(),
            status: r.status.as_deref(),
            if_header: r.if_header.as_deref(),
            if_match: r.if_match.as_deref(),
            action: &r.action,
            header: &r.header,
            param: r.param.as_deref(),
            uri_part: r.uri_part.as_deref(),
            pattern: r.pattern.as_deref(),
            value: r.value.as_deref(),
        };
        match Rule::build(&spec) {
            Ok(rule) => rules.push(rule),
            Err(e) => {
                let dot = if prefix.is_empty() { "" } else { "." };
                errors.push(ConfigError::new(
                    format!("{prefix}{dot}rule[{j}].{}", e.key),
                    K::InvalidRule { reason: e.reason },
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(RuleSet::new(rules))
    } else {
        Err(ConfigErrors(errors))
    }
}
