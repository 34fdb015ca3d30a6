//! Desired state -> the rule language ([`super::ir`]): the table layout lives here.

use std::net::IpAddr;

use super::ir::{ChainDef, Field, KeyType, Match, Rule, SetDef, Stmt, Table, Value};
use crate::error::FirewallError;
use crate::model::{Cidr, Desired, Policy, SipProto, SipService};
use crate::sets;

/// ICMP echo: at most this many per second (burst below), for all sources together.
const ECHO_RATE: u32 = 20;
const ECHO_BURST: u32 = 50;
/// Rate-meter entries of a silent source expire after this many seconds.
const METER_TIMEOUT_S: u32 = 60;
const METER_SIZE: u32 = 65535;

/// Builds the table for `desired`, after checking what nft would reject less readably.
pub(crate) fn table(desired: &Desired) -> Result<Table, FirewallError> {
    super::validate::validate(desired)?;
    let mut t = Table {
        name: desired.table.clone(),
        sets: set_defs(),
        chains: vec![
            ChainDef {
                name: "input",
                input_hook: Some(0),
            },
            ChainDef {
                name: "filter",
                input_hook: None,
            },
            ChainDef {
                name: "media",
                input_hook: None,
            },
        ],
        rules: Vec::new(),
    };
    input_rules(desired, &mut t.rules);
    filter_rules(desired, &mut t.rules);
    media_rules(&mut t.rules);
    // A meter set exists only with a rule updating it: nft (1.0.6) cannot say "dynamic"
    // in JSON and flags a set dynamic only when a rule of the same batch updates it.
    let used: Vec<&'static str> = t
        .rules
        .iter()
        .flat_map(|r| &r.stmts)
        .filter_map(|s| match s {
            Stmt::UpdateOver { set, .. } => Some(*set),
            _ => None,
        })
        .collect();
    t.sets.retain(|s| !s.dynamic || used.contains(&s.name));
    Ok(t)
}

fn set_defs() -> Vec<SetDef> {
    use KeyType::{Ipv4, Ipv6, Service};
    let kept = |name, key: Vec<KeyType>| SetDef {
        name,
        key,
        dynamic: false,
        timeout_s: None,
        size: None,
        keep: true,
    };
    let meter = |name, key| SetDef {
        name,
        key: vec![key],
        dynamic: true,
        timeout_s: Some(METER_TIMEOUT_S),
        size: Some(METER_SIZE),
        keep: false,
    };
    vec![
        kept(sets::BAN4, vec![Ipv4]),
        kept(sets::BAN6, vec![Ipv6]),
        kept(sets::PIN4, vec![Ipv4, Ipv4, Service]),
        kept(sets::PIN6, vec![Ipv6, Ipv6, Service]),
        kept(sets::PORT4, vec![Ipv4, Service]),
        kept(sets::PORT6, vec![Ipv6, Service]),
        meter(sets::RATE4, Ipv4),
        meter(sets::RATE6, Ipv6),
    ]
}

fn m(left: Field, right: Value) -> Stmt {
    Stmt::Match(Match {
        left: vec![left],
        right,
    })
}

fn rule(chain: &'static str, stmts: Vec<Stmt>, comment: Option<&'static str>) -> Rule {
    Rule {
        chain,
        stmts,
        comment,
    }
}

/// Splits prefixes by family, masks host bits, sorts and drops those inside another
/// (nft refuses overlapping intervals in one set).
fn split(cidrs: &[Cidr]) -> (Vec<Cidr>, Vec<Cidr>) {
    let mut all: Vec<Cidr> = cidrs.iter().map(Cidr::network).collect();
    all.sort_by_key(|c| (c.addr, c.prefix));
    all.dedup();
    let mut kept: Vec<Cidr> = Vec::new();
    for c in &all {
        if !all.iter().any(|o| o != c && o.contains(c)) {
            kept.push(*c);
        }
    }
    kept.into_iter().partition(|c| c.addr.is_ipv4())
}

fn saddr(v4: bool) -> Field {
    if v4 { Field::IpSaddr } else { Field::Ip6Saddr }
}

fn daddr(v4: bool) -> Field {
    if v4 { Field::IpDaddr } else { Field::Ip6Daddr }
}

/// The addresses whose traffic we judge: ours plus every service address.
fn judged(d: &Desired) -> Vec<Cidr> {
    let mut addrs: Vec<IpAddr> = d.addresses.clone();
    addrs.extend(d.sip.iter().map(|s| s.addr.ip()));
    addrs.extend(d.media.iter().map(|m| m.addr));
    addrs.extend(d.services().map(|(m, _)| m.addr.ip()));
    let cidrs: Vec<Cidr> = addrs
        .into_iter()
        .filter(|a| !a.is_unspecified())
        .map(Cidr::host)
        .collect();
    let (v4, v6) = split(&cidrs);
    v4.into_iter().chain(v6).collect()
}

fn input_rules(d: &Desired, out: &mut Vec<Rule>) {
    out.push(rule(
        "input",
        vec![m(Field::Iif, Value::Symbol("lo")), Stmt::Accept],
        None,
    ));
    let (v4, v6) = split(&judged(d));
    for (v4fam, list) in [(true, v4), (false, v6)] {
        if !list.is_empty() {
            out.push(rule(
                "input",
                vec![m(daddr(v4fam), Value::Addrs(list)), Stmt::Jump("filter")],
                None,
            ));
        }
    }
    // Management (or metrics) on a wildcard address answers on every address of the host,
    // not only the SBC's: its port is judged whatever the destination (only from the
    // allow list).
    for (mg, _) in d.services().filter(|(m, _)| m.addr.ip().is_unspecified()) {
        let mut s = service_match(mg.addr.ip(), Field::TcpDport, mg.addr.port());
        s.push(Stmt::Jump("filter"));
        out.push(rule("input", s, None));
    }
}

/// `[ip daddr A] <proto> dport P` for a service address.
fn service_match(addr: IpAddr, proto: Field, port: u16) -> Vec<Stmt> {
    let mut v = Vec::new();
    if !addr.is_unspecified() {
        v.push(m(daddr(addr.is_ipv4()), Value::Addr(addr)));
    } else if addr.is_ipv4() {
        // 0.0.0.0 takes IPv4 only; `::` is dual-stack.
        v.push(m(Field::NfProto, Value::Symbol("ipv4")));
    }
    v.push(m(proto, Value::Port(port)));
    v
}

/// Source families (true: IPv4) a service bound to `addr` can see: `::` is dual-stack,
/// `0.0.0.0` is IPv4 only.
pub(super) fn families(addr: IpAddr) -> Vec<bool> {
    match addr {
        IpAddr::V6(a) if a.is_unspecified() => vec![true, false],
        a => vec![a.is_ipv4()],
    }
}

fn filter_rules(d: &Desired, out: &mut Vec<Rule>) {
    let f = "filter";
    out.push(rule(
        f,
        vec![
            m(Field::IpSaddr, Value::SetRef(sets::BAN4)),
            Stmt::Counter,
            Stmt::Drop,
        ],
        Some("ban"),
    ));
    out.push(rule(
        f,
        vec![
            m(Field::Ip6Saddr, Value::SetRef(sets::BAN6)),
            Stmt::Counter,
            Stmt::Drop,
        ],
        Some("ban"),
    ));
    let (deny4, deny6) = split(&d.deny);
    for (v4, list) in [(true, deny4), (false, deny6)] {
        if !list.is_empty() {
            out.push(rule(
                f,
                vec![m(saddr(v4), Value::Addrs(list)), Stmt::Counter, Stmt::Drop],
                Some("deny"),
            ));
        }
    }
    // Media before conntrack: a hung-up peer's packets keep its conntrack entry alive.
    for r in &d.media {
        let mut s = service_match(r.addr, Field::UdpDport, 0);
        s.pop(); // the port: a range here
        s.push(m(Field::UdpDport, Value::PortRange(r.first, r.last)));
        s.push(Stmt::Goto("media"));
        out.push(rule(f, s, None));
    }
    let (allow4, allow6) = split(&d.allow);
    for (v4, list) in [(true, allow4), (false, allow6)] {
        if !list.is_empty() {
            out.push(rule(
                f,
                vec![m(saddr(v4), Value::Addrs(list)), Stmt::Accept],
                Some("allow"),
            ));
        }
    }
    // UDP signalling per packet, before conntrack (a flood is "established" after one reply).
    for s in d.sip.iter().filter(|s| s.proto == SipProto::Udp) {
        sip_rules(d, s, Field::UdpDport, out);
    }
    out.push(rule(
        f,
        vec![
            m(
                Field::CtState,
                Value::Symbols(vec!["established", "related"]),
            ),
            Stmt::Accept,
        ],
        None,
    ));
    out.push(rule(
        f,
        vec![
            m(Field::CtState, Value::Symbols(vec!["invalid"])),
            Stmt::Counter,
            Stmt::Drop,
        ],
        Some("invalid"),
    ));
    // TCP/TLS signalling per new connection.
    for s in d.sip.iter().filter(|s| s.proto == SipProto::Tcp) {
        sip_rules(d, s, Field::TcpDport, out);
    }
    for (mg, comment) in d.services() {
        let base = service_match(mg.addr.ip(), Field::TcpDport, mg.addr.port());
        let (a4, a6) = split(&mg.allow);
        for (v4, list) in [(true, a4), (false, a6)] {
            if !list.is_empty() && families(mg.addr.ip()).contains(&v4) {
                let mut s = base.clone();
                s.push(m(saddr(v4), Value::Addrs(list)));
                s.push(Stmt::Accept);
                out.push(rule(f, s, None));
            }
        }
        let mut s = base;
        s.extend([Stmt::Counter, Stmt::Drop]);
        out.push(rule(f, s, Some(comment)));
    }
    icmp_rules(out);
    match d.policy {
        Policy::Drop => out.push(rule(f, vec![Stmt::Counter, Stmt::Drop], Some("policy"))),
        Policy::Reject => {
            // A TCP client gets a reset (it fails at once, as from a closed port); anything
            // else an ICMP(v6) port unreachable, which the kernel rate-limits.
            out.push(rule(
                f,
                vec![
                    m(Field::L4Proto, Value::Symbol("tcp")),
                    Stmt::Counter,
                    Stmt::RejectTcpReset,
                ],
                Some("policy"),
            ));
            out.push(rule(f, vec![Stmt::Counter, Stmt::Reject], Some("policy")));
        }
    }
}

fn sip_rules(d: &Desired, s: &SipService, proto: Field, out: &mut Vec<Rule>) {
    let base = service_match(s.addr.ip(), proto, s.addr.port());
    let (p4, p6) = split(&s.peers);
    for (v4, list) in [(true, p4), (false, p6)] {
        if !list.is_empty() && families(s.addr.ip()).contains(&v4) {
            let mut r = base.clone();
            r.push(m(saddr(v4), Value::Addrs(list)));
            r.push(Stmt::Accept);
            out.push(rule("filter", r, Some("sip-peer")));
        }
    }
    if s.open {
        for v4 in families(s.addr.ip()) {
            let mut r = base.clone();
            r.push(Stmt::UpdateOver {
                set: if v4 { sets::RATE4 } else { sets::RATE6 },
                key: saddr(v4),
                rate: d.sip_rate.packets_per_second,
                burst: d.sip_rate.burst,
            });
            r.extend([Stmt::Counter, Stmt::Drop]);
            out.push(rule("filter", r, Some("sip-rate")));
        }
        let mut r = base;
        r.push(Stmt::Accept);
        out.push(rule("filter", r, Some("sip-open")));
    } else {
        let mut r = base;
        r.extend([Stmt::Counter, Stmt::Drop]);
        out.push(rule("filter", r, Some("sip")));
    }
}

fn icmp_rules(out: &mut Vec<Rule>) {
    let f = "filter";
    let echo = |field, ty| {
        rule(
            f,
            vec![
                m(field, Value::Symbol(ty)),
                Stmt::Limit {
                    rate: ECHO_RATE,
                    burst: ECHO_BURST,
                },
                Stmt::Accept,
            ],
            None,
        )
    };
    out.push(echo(Field::IcmpType, "echo-request"));
    out.push(rule(
        f,
        vec![
            m(
                Field::IcmpType,
                Value::Symbols(vec![
                    "destination-unreachable",
                    "time-exceeded",
                    "parameter-problem",
                ]),
            ),
            Stmt::Accept,
        ],
        None,
    ));
    out.push(echo(Field::Icmpv6Type, "echo-request"));
    out.push(rule(
        f,
        vec![
            m(
                Field::Icmpv6Type,
                Value::Symbols(vec![
                    "destination-unreachable",
                    "packet-too-big",
                    "time-exceeded",
                    "parameter-problem",
                    "nd-router-advert",
                    "nd-neighbor-solicit",
                    "nd-neighbor-advert",
                ]),
            ),
            Stmt::Accept,
        ],
        None,
    ));
}

fn media_rules(out: &mut Vec<Rule>) {
    let c = "media";
    let set = |left: Vec<Field>, name| {
        rule(
            c,
            vec![
                Stmt::Match(Match {
                    left,
                    right: Value::SetRef(name),
                }),
                Stmt::Accept,
            ],
            None,
        )
    };
    use Field::{Ip6Daddr, Ip6Saddr, IpDaddr, IpSaddr, UdpDport};
    out.push(set(vec![IpSaddr, IpDaddr, UdpDport], sets::PIN4));
    out.push(set(vec![IpDaddr, UdpDport], sets::PORT4));
    out.push(set(vec![Ip6Saddr, Ip6Daddr, UdpDport], sets::PIN6));
    out.push(set(vec![Ip6Daddr, UdpDport], sets::PORT6));
    out.push(rule(c, vec![Stmt::Counter, Stmt::Drop], Some("media")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SipService;

    fn c(s: &str) -> Cidr {
        s.parse().expect("cidr")
    }

    #[test]
    fn overlapping_prefixes_collapse_and_families_split() {
        let (v4, v6) = split(&[
            c("10.0.0.0/8"),
            c("10.1.0.0/16"),
            c("10.1.2.3"),
            c("fd00::1"),
            c("10.0.0.0/8"),
        ]);
        assert_eq!(v4, [c("10.0.0.0/8")]);
        assert_eq!(v6, [c("fd00::1")]);
    }

    #[test]
    fn reject_resets_tcp_and_answers_the_rest_with_icmp() {
        let d = Desired {
            policy: Policy::Reject,
            ..Desired::default()
        };
        let t = table(&d).expect("renders");
        let policy: Vec<&Rule> = t
            .rules
            .iter()
            .filter(|r| r.comment == Some("policy"))
            .collect();
        assert_eq!(policy.len(), 2);
        assert_eq!(
            policy[0].stmts,
            [
                m(Field::L4Proto, Value::Symbol("tcp")),
                Stmt::Counter,
                Stmt::RejectTcpReset
            ]
        );
        assert_eq!(policy[1].stmts, [Stmt::Counter, Stmt::Reject]);
        let last = t.rules.iter().rfind(|r| r.chain == "filter");
        assert_eq!(last, Some(policy[1]), "the last rule of filter");
    }

    #[test]
    fn service_addresses_are_judged_even_when_not_listed() {
        let d = Desired {
            sip: vec![SipService {
                proto: SipProto::Udp,
                addr: "192.0.2.9:5060".parse().expect("addr"),
                peers: vec![],
                open: false,
            }],
            ..Desired::default()
        };
        assert_eq!(judged(&d), [c("192.0.2.9")]);
        let t = table(&d).expect("renders");
        assert!(
            t.sets.iter().all(|s| !s.dynamic),
            "no meter without an open service"
        );
    }
}
