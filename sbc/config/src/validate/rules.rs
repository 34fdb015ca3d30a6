//! `[[trunk.rule]]`: header manipulation rules, each checked by `sbc_rules` and refused
//! with the key path of the key to blame (`trunk[0].rule[2].match`).

use sbc_rules::{Rule, RuleSet, RuleSpec};

use super::Validator;
use crate::error::{ConfigError, ConfigErrorKind as K, ConfigErrors};
use crate::schema::RuleSection;

/// The rules of trunk `p`: its profile's (`profile`, checked under `<p>.profile`) first,
/// then its own; `None` when one was refused (each refusal recorded).
pub(super) fn rules(
    v: &mut Validator<'_>,
    p: &str,
    profile: &[RuleSection],
    raw: &[RuleSection],
) -> Option<RuleSet> {
    let mut all = Vec::with_capacity(profile.len() + raw.len());
    let mut ok = true;
    for (prefix, list) in [(format!("{p}.profile"), profile), (p.to_owned(), raw)] {
        match check_list(&prefix, list) {
            Ok(rules) => all.extend(rules),
            Err(ConfigErrors(errors)) => {
                ok = false;
                for e in errors {
                    v.err(e.path, e.kind);
                }
            }
        }
    }
    ok.then(|| RuleSet::new(all))
}

/// Checks `raw` as the rules under key path `prefix` (`trunk[0]`, or `""` for rules on
/// their own, as the management API's rule tester sends them): every refusal is an
/// error at `<prefix>.rule[j].<key>`.
pub fn check_rules(prefix: &str, raw: &[RuleSection]) -> Result<RuleSet, ConfigErrors> {
    check_list(prefix, raw).map(RuleSet::new)
}

fn check_list(prefix: &str, raw: &[RuleSection]) -> Result<Vec<Rule>, ConfigErrors> {
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
        Ok(rules)
    } else {
        Err(ConfigErrors(errors))
    }
}
