//! `[firewall]`: the table name, the global ACLs, kernel rate limits, ban policy and
//! pinhole lifetime. Every list entry is checked on its own, so an error names its index
//! (`firewall.allow[2]`).

use std::net::IpAddr;

use super::{Validator, parse_ip};
use crate::cidr::Cidr;
use crate::error::ConfigErrorKind as K;
use crate::model::{Firewall, FirewallPolicy};
use crate::schema::{self, FirewallSection};

pub(super) fn firewall(v: &mut Validator<'_>, f: Option<&FirewallSection>) -> Option<Firewall> {
    let f = f.cloned().unwrap_or_default();
    let table = table(v, f.table);
    let policy = match f.policy.as_deref() {
        None | Some("drop") => Some(FirewallPolicy::Drop),
        Some("reject") => Some(FirewallPolicy::Reject),
        Some(other) => {
            v.err(
                "firewall.policy",
                K::InvalidChoice {
                    value: other.to_owned(),
                    expected: &["drop", "reject"],
                },
            );
            None
        }
    };
    let allow = cidrs(v, "firewall.allow", f.allow.as_deref());
    let deny = cidrs(v, "firewall.deny", f.deny.as_deref());
    let mut int = |path: &str, value, range, default: u32| {
        v.int(path, value, range, default as usize)
            .and_then(|n| u32::try_from(n).ok())
    };
    let sip_rate = int(
        "firewall.sip_rate",
        f.sip_rate,
        schema::SIP_RATE_RANGE,
        schema::DEFAULT_SIP_RATE,
    );
    let sip_burst = int(
        "firewall.sip_burst",
        f.sip_burst,
        schema::SIP_RATE_RANGE,
        schema::DEFAULT_SIP_BURST,
    );
    let ban_seconds = int(
        "firewall.ban_seconds",
        f.ban_seconds,
        schema::BAN_SECONDS_RANGE,
        schema::DEFAULT_BAN_SECONDS,
    );
    let ban_after_auth_failures = int(
        "firewall.ban_after_auth_failures",
        f.ban_after_auth_failures,
        schema::BAN_AFTER_AUTH_FAILURES_RANGE,
        schema::DEFAULT_BAN_AFTER_AUTH_FAILURES,
    );
    let ban_requests_per_second = int(
        "firewall.ban_requests_per_second",
        f.ban_requests_per_second,
        schema::BAN_REQUESTS_PER_SECOND_RANGE,
        schema::DEFAULT_BAN_REQUESTS_PER_SECOND,
    );
    let pinhole_seconds = int(
        "firewall.pinhole_seconds",
        f.pinhole_seconds,
        schema::PINHOLE_SECONDS_RANGE,
        schema::DEFAULT_PINHOLE_SECONDS,
    );
    let scanner_user_agents = scanners(v, f.scanner_user_agents.as_deref());
    let unban = unban(v, f.unban.as_deref());
    Some(Firewall {
        enabled: f.enabled.unwrap_or(true),
        table: table?,
        policy: policy?,
        allow: allow?,
        deny: deny?,
        sip_rate: sip_rate?,
        sip_burst: sip_burst?,
        ban_seconds: ban_seconds?,
        ban_after_auth_failures: ban_after_auth_failures?,
        ban_requests_per_second: ban_requests_per_second?,
        scanner_user_agents: scanner_user_agents?,
        unban: unban?,
        pinhole_seconds: pinhole_seconds?,
    })
}

fn table(v: &mut Validator<'_>, table: Option<String>) -> Option<String> {
    let table = table.unwrap_or_else(|| schema::DEFAULT_FIREWALL_TABLE.to_owned());
    let mut chars = table.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        v.err("firewall.table", K::InvalidTableName { value: table });
        return None;
    }
    Some(table)
}

fn cidrs(v: &mut Validator<'_>, path: &str, list: Option<&[String]>) -> Option<Vec<Cidr>> {
    let parsed: Vec<Option<Cidr>> = list
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let parsed = s.parse::<Cidr>().map_err(|reason| K::InvalidCidr {
                value: s.clone(),
                reason,
            });
            v.check(format!("{path}[{i}]"), parsed)
        })
        .collect();
    parsed.into_iter().collect()
}

fn scanners(v: &mut Validator<'_>, list: Option<&[String]>) -> Option<Vec<String>> {
    let Some(list) = list else {
        return Some(
            schema::DEFAULT_SCANNER_USER_AGENTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
    };
    let mut ok = true;
    for (i, s) in list.iter().enumerate() {
        if s.trim().is_empty() {
            // An empty pattern would match every User-Agent and ban every phone.
            v.err(format!("firewall.scanner_user_agents[{i}]"), K::Empty);
            ok = false;
        }
    }
    ok.then(|| list.iter().map(|s| s.to_ascii_lowercase()).collect())
}

fn unban(v: &mut Validator<'_>, list: Option<&[String]>) -> Option<Vec<IpAddr>> {
    let parsed: Vec<Option<IpAddr>> = list
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, s)| v.check(format!("firewall.unban[{i}]"), parse_ip(s)))
        .collect();
    parsed.into_iter().collect()
}
