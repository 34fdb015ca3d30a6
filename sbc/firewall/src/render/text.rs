//! The rule language printed as nft text: the stable form of the golden files, which
//! `nft -c -f` must accept.

use std::fmt::Write;

use super::ir::{Field, KeyType, Match, Rule, Stmt, Table, Value};

/// The table as an nft script (`table inet NAME { ... }`), tab-indented like `nft list`.
pub(crate) fn table(t: &Table) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(s, "table inet {} {{", t.name);
    for set in &t.sets {
        let key: Vec<&str> = set.key.iter().map(|k| key_type(*k)).collect();
        let _ = writeln!(s, "\tset {} {{", set.name);
        let _ = writeln!(s, "\t\ttype {}", key.join(" . "));
        if let Some(size) = set.size {
            let _ = writeln!(s, "\t\tsize {size}");
        }
        let flags = if set.dynamic {
            "dynamic,timeout"
        } else {
            "timeout"
        };
        let _ = writeln!(s, "\t\tflags {flags}");
        if let Some(t) = set.timeout_s {
            let _ = writeln!(s, "\t\ttimeout {t}s");
        }
        let _ = writeln!(s, "\t}}\n");
    }
    for (i, chain) in t.chains.iter().enumerate() {
        let _ = writeln!(s, "\tchain {} {{", chain.name);
        if let Some(prio) = chain.input_hook {
            let _ = writeln!(
                s,
                "\t\ttype filter hook input priority {prio}; policy accept;"
            );
        }
        for r in t.rules.iter().filter(|r| r.chain == chain.name) {
            let _ = writeln!(s, "\t\t{}", rule(r));
        }
        let _ = writeln!(s, "\t}}");
        if i + 1 < t.chains.len() {
            s.push('\n');
        }
    }
    s.push_str("}\n");
    s
}

fn key_type(k: KeyType) -> &'static str {
    match k {
        KeyType::Ipv4 => "ipv4_addr",
        KeyType::Ipv6 => "ipv6_addr",
        KeyType::Service => "inet_service",
    }
}

pub(crate) fn field(f: Field) -> &'static str {
    match f {
        Field::IpSaddr => "ip saddr",
        Field::IpDaddr => "ip daddr",
        Field::Ip6Saddr => "ip6 saddr",
        Field::Ip6Daddr => "ip6 daddr",
        Field::UdpDport => "udp dport",
        Field::TcpDport => "tcp dport",
        Field::IcmpType => "icmp type",
        Field::Icmpv6Type => "icmpv6 type",
        Field::CtState => "ct state",
        Field::Iif => "iif",
        Field::L4Proto => "meta l4proto",
        Field::NfProto => "meta nfproto",
    }
}

fn value(v: &Value, left: &[Field]) -> String {
    match v {
        Value::Addr(a) => a.to_string(),
        Value::Addrs(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|c| {
                    if c.is_host() {
                        c.addr.to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Port(p) => p.to_string(),
        Value::PortRange(a, b) => format!("{a}-{b}"),
        Value::Symbol(s) if left == [Field::Iif] => format!("\"{s}\""),
        Value::Symbol(s) => (*s).to_owned(),
        Value::Symbols(list) if left == [Field::CtState] => list.join(","),
        Value::Symbols(list) if list.len() == 1 => list[0].to_owned(),
        Value::Symbols(list) => format!("{{ {} }}", list.join(", ")),
        Value::SetRef(name) => format!("@{name}"),
    }
}

fn matches(m: &Match) -> String {
    let left: Vec<&str> = m.left.iter().map(|f| field(*f)).collect();
    format!("{} {}", left.join(" . "), value(&m.right, &m.left))
}

fn stmt(s: &Stmt) -> String {
    match s {
        Stmt::Match(m) => matches(m),
        Stmt::Limit { rate, burst } => format!("limit rate {rate}/second burst {burst} packets"),
        Stmt::UpdateOver {
            set,
            key,
            rate,
            burst,
        } => format!(
            "update @{set} {{ {} limit rate over {rate}/second burst {burst} packets }}",
            field(*key)
        ),
        Stmt::Counter => "counter".to_owned(),
        Stmt::Accept => "accept".to_owned(),
        Stmt::Drop => "drop".to_owned(),
        Stmt::Reject => "reject".to_owned(),
        Stmt::RejectTcpReset => "reject with tcp reset".to_owned(),
        Stmt::Goto(c) => format!("goto {c}"),
        Stmt::Jump(c) => format!("jump {c}"),
    }
}

/// One rule line (without indentation).
pub(crate) fn rule(r: &Rule) -> String {
    let mut parts: Vec<String> = r.stmts.iter().map(stmt).collect();
    if let Some(c) = r.comment {
        parts.push(format!("comment \"{c}\""));
    }
    parts.join(" ")
}
