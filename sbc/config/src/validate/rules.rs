//! `[[trunk.rule]]`: header manipulation rules, each checked by `sbc_rules` and refused
//! with the key path of the key to blame (`trunk[0].rule[2].match`).

use sbc_rules::{Rule, RuleSet, RuleSpec};

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::schema::RuleSection;

/// The rules of trunk `p`; `None` when one was refused (each refusal recorded).
pub(super) fn rules(v: &mut Validator<'_>, p: &str, raw: &[RuleSection]) -> Option<RuleSet> {
    let mut ok = true;
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
                ok = false;
                v.err(
                    format!("{p}.rule[{j}].{}", e.key),
                    K::InvalidRule { reason: e.reason },
                );
            }
        }
    }
    ok.then(|| RuleSet::new(rules))
}
