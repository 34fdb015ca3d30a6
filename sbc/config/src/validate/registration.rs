//! The registration keys: a realm's `registrar` and `nat_keepalive`, a trunk's
//! `[trunk.register]`.

use std::time::Duration;

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::model::TrunkRegistration;
use crate::schema::{RealmSection, RegisterSection, TrunkSection};

/// `nat_keepalive` bounds (seconds) and default.
pub const NAT_KEEPALIVE_RANGE: std::ops::RangeInclusive<i64> = 10..=3600;
pub const DEFAULT_NAT_KEEPALIVE: usize = 60;
/// `[trunk.register] expires` bounds (seconds) and default.
pub const REGISTER_EXPIRES_RANGE: std::ops::RangeInclusive<i64> = 60..=86400;
pub const DEFAULT_REGISTER_EXPIRES: usize = 3600;

/// `nat_keepalive` of realm `p`.
pub(super) fn nat_keepalive(v: &mut Validator<'_>, p: &str, r: &RealmSection) -> Option<Duration> {
    let secs = v.int(
        &format!("{p}.nat_keepalive"),
        r.nat_keepalive,
        NAT_KEEPALIVE_RANGE,
        DEFAULT_NAT_KEEPALIVE,
    )?;
    Some(Duration::from_secs(secs as u64))
}

/// Every realm's `registrar` names a trunk of another realm.
pub(super) fn registrars(v: &mut Validator<'_>, realms: &[RealmSection], trunks: &[TrunkSection]) {
    for (i, r) in realms.iter().enumerate() {
        let Some(name) = &r.registrar else { continue };
        let path = format!("realm[{i}].registrar");
        match trunks.iter().find(|t| &t.name == name) {
            None => v.err(path, K::UnknownTrunk { name: name.clone() }),
            Some(t) if t.realm == r.name => {
                v.err(path, K::RegistrarOnOwnRealm { name: name.clone() })
            }
            Some(_) => {}
        }
    }
}

/// `[trunk.register]` of trunk `p`; `Some(None)` when absent.
pub(super) fn register(
    v: &mut Validator<'_>,
    p: &str,
    r: Option<&RegisterSection>,
    first_peer: Option<String>,
) -> Option<Option<TrunkRegistration>> {
    let Some(r) = r else { return Some(None) };
    let p = format!("{p}.register");
    let user = token(v, &format!("{p}.user"), &r.user);
    let auth_user = match &r.auth_user {
        Some(a) => token(v, &format!("{p}.auth_user"), a),
        None => user.clone(),
    };
    if r.password.is_empty() {
        v.err(format!("{p}.password"), K::Empty);
    }
    let domain = match (&r.domain, first_peer) {
        (Some(d), _) => token(v, &format!("{p}.domain"), d),
        (None, Some(peer)) => Some(peer),
        (None, None) => {
            v.err(format!("{p}.domain"), K::Empty);
            None
        }
    };
    let expires = v.int(
        &format!("{p}.expires"),
        r.expires,
        REGISTER_EXPIRES_RANGE,
        DEFAULT_REGISTER_EXPIRES,
    );
    if r.password.is_empty() {
        return None;
    }
    Some(Some(TrunkRegistration {
        user: user?,
        auth_user: auth_user?,
        password: r.password.clone(),
        domain: domain?,
        // The range bounds it far below u32::MAX.
        expires: u32::try_from(expires?).ok()?,
    }))
}

/// A user name or domain: non-empty, no white space, quotes, `<>` or `@`.
fn token(v: &mut Validator<'_>, path: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        v.err(path, K::Empty);
        return None;
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '@' | ';'))
    {
        v.err(
            path,
            K::InvalidSipToken {
                value: value.to_owned(),
            },
        );
        return None;
    }
    Some(value.to_owned())
}
