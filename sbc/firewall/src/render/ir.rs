//! The small rule language both printers share: just the matches and statements our table
//! uses, so the nft text (goldens) and the JSON batch (apply) cannot drift apart.

use std::net::IpAddr;

use crate::model::Cidr;

/// A packet field a rule matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    IpSaddr,
    IpDaddr,
    Ip6Saddr,
    Ip6Daddr,
    UdpDport,
    TcpDport,
    IcmpType,
    Icmpv6Type,
    CtState,
    Iif,
    /// `meta l4proto`.
    L4Proto,
    /// `meta nfproto`.
    NfProto,
}

/// The right-hand side of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// One address.
    Addr(IpAddr),
    /// An anonymous set of addresses/prefixes (interval set when any is a prefix).
    Addrs(Vec<Cidr>),
    Port(u16),
    PortRange(u16, u16),
    /// One symbolic constant (`"lo"`, `echo-request`).
    Symbol(&'static str),
    /// Several symbolic constants: an anonymous set, or for `ct state` a flag list.
    Symbols(Vec<&'static str>),
    /// A named set of our table (`@pin4`).
    SetRef(&'static str),
}

/// A match: `left == right`, where a left of several fields is a concatenation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Match {
    pub left: Vec<Field>,
    pub right: Value,
}

/// One statement of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stmt {
    Match(Match),
    /// `limit rate N/second burst M packets` (global, not per source).
    Limit {
        rate: u32,
        burst: u32,
    },
    /// `update @set { key limit rate over N/second burst M packets }`: per-key meter.
    UpdateOver {
        set: &'static str,
        key: Field,
        rate: u32,
        burst: u32,
    },
    Counter,
    Accept,
    Drop,
    /// `reject`: ICMP(v6) port unreachable (icmpx in the inet family).
    Reject,
    /// `reject with tcp reset` (after a `meta l4proto tcp` match).
    RejectTcpReset,
    Goto(&'static str),
    Jump(&'static str),
}

/// A rule in a chain, with an optional comment naming its counter for tests and the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub chain: &'static str,
    pub stmts: Vec<Stmt>,
    pub comment: Option<&'static str>,
}

/// Key type of a named set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyType {
    Ipv4,
    Ipv6,
    Service,
}

/// A named set of our table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetDef {
    pub name: &'static str,
    pub key: Vec<KeyType>,
    /// Dynamic (filled by the ruleset itself: the rate meters).
    pub dynamic: bool,
    /// Default element timeout in seconds (dynamic sets), else per-element timeouts.
    pub timeout_s: Option<u32>,
    pub size: Option<u32>,
    /// Holds per-call or per-ban elements that must survive `apply`.
    pub keep: bool,
}

/// A chain of our table; base chains carry their hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainDef {
    pub name: &'static str,
    /// `Some(priority)` for the input base chain (policy accept).
    pub input_hook: Option<i32>,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    pub name: String,
    pub sets: Vec<SetDef>,
    pub chains: Vec<ChainDef>,
    pub rules: Vec<Rule>,
}
