//! `[[route]]`: references to trunks and realms, the user regex and its rewrite.

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::route::{Rewrite, Route, UserPattern};
use crate::schema::{RealmSection, RouteSection, TrunkSection};

pub(super) fn routes(
    v: &mut Validator<'_>,
    raw: &[RouteSection],
    realms: &[RealmSection],
    trunks: &[TrunkSection],
) -> Vec<Option<Route>> {
    let is_trunk = |n: &str| trunks.iter().any(|t| t.name == n);
    let is_realm = |n: &str| realms.iter().any(|r| r.name == n);
    raw.iter()
        .enumerate()
        .map(|(i, r)| {
            let p = format!("route[{i}]");
            let from_ok = is_trunk(&r.from) || is_realm(&r.from);
            if !from_ok {
                let name = r.from.clone();
                v.err(format!("{p}.from"), K::UnknownSource { name });
            }
            let to_ok = is_trunk(&r.to);
            if !to_ok {
                let name = r.to.clone();
                let kind = if is_realm(&r.to) {
                    K::RouteToRealm { name }
                } else {
                    K::UnknownTrunk { name }
                };
                v.err(format!("{p}.to"), kind);
            }
            let (match_user, rewrite_user) = user(v, &p, r);
            Some(Route {
                from: from_ok.then(|| r.from.clone())?,
                match_user: match_user?,
                rewrite_user: rewrite_user?,
                to: to_ok.then(|| r.to.clone())?,
            })
        })
        .collect()
}

type UserRule = (Option<Option<UserPattern>>, Option<Option<Rewrite>>);

/// The compiled `match_user` and the parsed `rewrite_user`, each `Some(None)` when
/// absent and `None` after recording an error.
fn user(v: &mut Validator<'_>, p: &str, r: &RouteSection) -> UserRule {
    let pattern = match &r.match_user {
        Some(s) => {
            let compiled = UserPattern::new(s).map_err(|reason| K::InvalidRegex {
                value: s.clone(),
                reason,
            });
            v.check(format!("{p}.match_user"), compiled).map(Some)
        }
        None => Some(None),
    };
    let Some(s) = &r.rewrite_user else {
        return (pattern, Some(None));
    };
    let rp = format!("{p}.rewrite_user");
    let parsed = Rewrite::parse(s).map_err(|offset| K::InvalidRewrite {
        value: s.clone(),
        offset,
    });
    let Some(rewrite) = v.check(&rp, parsed) else {
        return (pattern, None);
    };
    // Group references can only be checked against a regex that compiled.
    let groups = match &pattern {
        Some(Some(p)) => p.groups(),
        Some(None) => 0,
        None => return (pattern, Some(Some(rewrite))),
    };
    match rewrite.max_group() {
        Some(g) if usize::from(g) > groups => {
            v.err(rp, K::MissingGroup { group: g, groups });
            (pattern, None)
        }
        _ => (pattern, Some(Some(rewrite))),
    }
}
