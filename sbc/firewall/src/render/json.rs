//! The rule language as an nftables-crate JSON batch: what `nft -j -f -` applies in one
//! atomic transaction.
//!
//! The crate's typed schema builds every object; one gap is patched on the serialized
//! value: its `set` statement has no `stmt` list, which `update @meter { key limit ... }`
//! needs, so the limit is inserted after serialization.

use std::borrow::Cow;
use std::collections::HashSet;

use nftables::expr::{self, Expression, Meta, MetaKey, NamedExpression, Payload, PayloadField};
use nftables::schema::{self, FlushObject, NfCmd, NfListObject, NfObject, SetType, SetTypeValue};
use nftables::stmt::{self, Operator, Statement};
use nftables::types::{NfChainPolicy, NfChainType, NfFamily, NfHook};
use serde_json::{Value as Json, json};

use super::ir::{Field, KeyType, Match, Rule, SetDef, Stmt, Table, Value};

/// Which transaction to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode<'a> {
    /// Delete and recreate the table: every set starts empty.
    Setup,
    /// Replace chains and rules, flush the rate meters; pinhole and ban sets keep elements.
    /// `existing` names the sets already in the kernel: an existing meter set is flushed,
    /// not re-added (nft 1.0.6 cannot declare "dynamic" in JSON, so a re-add would differ
    /// from the kernel's set and fail with EEXIST).
    Apply { existing: &'a [String] },
}

/// The JSON text of the transaction for `t`.
pub(crate) fn batch(t: &Table, mode: Mode<'_>) -> String {
    let mut cmds: Vec<Json> = Vec::new();
    let table = || schema::Table {
        family: NfFamily::INet,
        name: Cow::Owned(t.name.clone()),
        handle: None,
    };
    cmds.push(cmd(NfCmd::Add(NfListObject::Table(table()))));
    if mode == Mode::Setup {
        cmds.push(cmd(NfCmd::Delete(NfListObject::Table(table()))));
        cmds.push(cmd(NfCmd::Add(NfListObject::Table(table()))));
    }
    for c in &t.chains {
        cmds.push(cmd(NfCmd::Add(NfListObject::Chain(chain(
            t,
            c.name,
            c.input_hook,
        )))));
    }
    let existing: &[String] = match mode {
        Mode::Setup => &[],
        Mode::Apply { existing } => existing,
    };
    let exists = |s: &SetDef| existing.iter().any(|e| e == s.name);
    for s in t.sets.iter().filter(|s| s.keep || !exists(s)) {
        cmds.push(cmd(NfCmd::Add(NfListObject::Set(Box::new(set(t, s))))));
    }
    if let Mode::Apply { .. } = mode {
        for c in &t.chains {
            cmds.push(cmd(NfCmd::Flush(FlushObject::Chain(chain(
                t, c.name, None,
            )))));
        }
        for s in t.sets.iter().filter(|s| !s.keep && exists(s)) {
            cmds.push(cmd(NfCmd::Flush(FlushObject::Set(Box::new(set(t, s))))));
        }
    }
    for r in &t.rules {
        cmds.push(rule(t, r));
    }
    json!({ "nftables": cmds }).to_string()
}

/// The JSON text deleting table `name` (absent is fine: it is added first).
pub(crate) fn delete(name: &str) -> String {
    let table = || schema::Table {
        family: NfFamily::INet,
        name: Cow::Owned(name.to_owned()),
        handle: None,
    };
    let cmds = vec![
        cmd(NfCmd::Add(NfListObject::Table(table()))),
        cmd(NfCmd::Delete(NfListObject::Table(table()))),
    ];
    json!({ "nftables": cmds }).to_string()
}

fn cmd(c: NfCmd<'_>) -> Json {
    // The schema types are plain data; serializing them cannot fail.
    serde_json::to_value(NfObject::CmdObject(c)).unwrap_or(Json::Null)
}

fn chain<'a>(t: &'a Table, name: &'a str, hook: Option<i32>) -> schema::Chain<'a> {
    schema::Chain {
        family: NfFamily::INet,
        table: Cow::Borrowed(&t.name),
        name: Cow::Borrowed(name),
        newname: None,
        handle: None,
        _type: hook.map(|_| NfChainType::Filter),
        hook: hook.map(|_| NfHook::Input),
        prio: hook,
        dev: None,
        policy: hook.map(|_| NfChainPolicy::Accept),
    }
}

fn set<'a>(t: &'a Table, s: &'a SetDef) -> schema::Set<'a> {
    let key: Vec<SetType> = s
        .key
        .iter()
        .map(|k| match k {
            KeyType::Ipv4 => SetType::Ipv4Addr,
            KeyType::Ipv6 => SetType::Ipv6Addr,
            KeyType::Service => SetType::InetService,
        })
        .collect();
    let set_type = match key.as_slice() {
        [one] => SetTypeValue::Single(*one),
        _ => SetTypeValue::Concatenated(Cow::Owned(key)),
    };
    // nft 1.0.6 refuses "dynamic" in JSON; it sets the flag itself on a set that a rule
    // updates (the golden comparison test checks the kernel ends up with the same set).
    let flags = HashSet::from([schema::SetFlag::Timeout]);
    schema::Set {
        family: NfFamily::INet,
        table: Cow::Borrowed(&t.name),
        name: Cow::Borrowed(s.name),
        handle: None,
        set_type,
        policy: None,
        flags: Some(flags),
        elem: None,
        timeout: s.timeout_s,
        gc_interval: None,
        size: s.size,
        comment: None,
    }
}

fn rule(t: &Table, r: &Rule) -> Json {
    let exprs: Vec<Statement<'_>> = r.stmts.iter().map(statement).collect();
    let rule = schema::Rule {
        family: NfFamily::INet,
        table: Cow::Borrowed(&t.name),
        chain: Cow::Borrowed(r.chain),
        expr: Cow::Owned(exprs),
        handle: None,
        index: None,
        comment: r.comment.map(Cow::Borrowed),
    };
    let mut v = cmd(NfCmd::Add(NfListObject::Rule(rule)));
    for (i, s) in r.stmts.iter().enumerate() {
        if let Stmt::UpdateOver { rate, burst, .. } = s {
            if let Some(set) = v.pointer_mut(&format!("/add/rule/expr/{i}/set")) {
                set["stmt"] = json!([{ "limit": {
                    "rate": rate, "per": "second", "burst": burst,
                    "burst_unit": "packets", "inv": true
                } }]);
            }
        }
    }
    v
}

fn payload(f: Field) -> Expression<'static> {
    let (protocol, field) = match f {
        Field::IpSaddr => ("ip", "saddr"),
        Field::IpDaddr => ("ip", "daddr"),
        Field::Ip6Saddr => ("ip6", "saddr"),
        Field::Ip6Daddr => ("ip6", "daddr"),
        Field::UdpDport => ("udp", "dport"),
        Field::TcpDport => ("tcp", "dport"),
        Field::IcmpType => ("icmp", "type"),
        Field::Icmpv6Type => ("icmpv6", "type"),
        Field::CtState => {
            return Expression::Named(NamedExpression::CT(expr::CT {
                key: Cow::Borrowed("state"),
                family: None,
                dir: None,
            }));
        }
        Field::Iif => return Expression::Named(NamedExpression::Meta(Meta { key: MetaKey::Iif })),
        Field::L4Proto => {
            return Expression::Named(NamedExpression::Meta(Meta {
                key: MetaKey::L4proto,
            }));
        }
        Field::NfProto => {
            return Expression::Named(NamedExpression::Meta(Meta {
                key: MetaKey::Nfproto,
            }));
        }
    };
    Expression::Named(NamedExpression::Payload(Payload::PayloadField(
        PayloadField {
            protocol: Cow::Borrowed(protocol),
            field: Cow::Borrowed(field),
        },
    )))
}

fn string(s: String) -> Expression<'static> {
    Expression::String(Cow::Owned(s))
}

fn value(v: &Value) -> Expression<'static> {
    match v {
        Value::Addr(a) => string(a.to_string()),
        Value::Addrs(list) => Expression::Named(NamedExpression::Set(
            list.iter()
                .map(|c| {
                    let e = if c.is_host() {
                        string(c.addr.to_string())
                    } else {
                        Expression::Named(NamedExpression::Prefix(expr::Prefix {
                            addr: Box::new(string(c.addr.to_string())),
                            len: u32::from(c.prefix),
                        }))
                    };
                    expr::SetItem::Element(e)
                })
                .collect(),
        )),
        Value::Port(p) => Expression::Number(u32::from(*p)),
        Value::PortRange(a, b) => Expression::Range(Box::new(expr::Range {
            range: [
                Expression::Number(u32::from(*a)),
                Expression::Number(u32::from(*b)),
            ],
        })),
        Value::Symbol(s) => string((*s).to_owned()),
        Value::Symbols(list) => Expression::Named(NamedExpression::Set(
            list.iter()
                .map(|s| expr::SetItem::Element(string((*s).to_owned())))
                .collect(),
        )),
        Value::SetRef(name) => string(format!("@{name}")),
    }
}

fn matches(m: &Match) -> Statement<'static> {
    let left = match m.left.as_slice() {
        [one] => payload(*one),
        many => Expression::Named(NamedExpression::Concat(
            many.iter().map(|f| payload(*f)).collect(),
        )),
    };
    let (op, right) = match (&m.left[..], &m.right) {
        // ct state is a bit mask: `in` with a plain list of flags.
        ([Field::CtState], Value::Symbols(list)) => (
            Operator::IN,
            Expression::List(list.iter().map(|s| string((*s).to_owned())).collect()),
        ),
        (_, v) => (Operator::EQ, value(v)),
    };
    Statement::Match(stmt::Match { left, right, op })
}

fn statement(s: &Stmt) -> Statement<'static> {
    match s {
        Stmt::Match(m) => matches(m),
        Stmt::Limit { rate, burst } => Statement::Limit(stmt::Limit {
            rate: *rate,
            rate_unit: None,
            per: Some(Cow::Borrowed("second")),
            burst: Some(*burst),
            burst_unit: Some(Cow::Borrowed("packets")),
            inv: None,
        }),
        Stmt::UpdateOver { set, key, .. } => Statement::Set(stmt::Set {
            op: stmt::SetOp::Update,
            elem: payload(*key),
            set: Cow::Owned(format!("@{set}")),
        }),
        Stmt::Counter => Statement::Counter(stmt::Counter::Anonymous(None)),
        Stmt::Accept => Statement::Accept(None),
        Stmt::Drop => Statement::Drop(None),
        Stmt::Reject => Statement::Reject(None),
        Stmt::RejectTcpReset => Statement::Reject(Some(stmt::Reject {
            _type: Some(stmt::RejectType::TCPReset),
            expr: None,
        })),
        Stmt::Goto(c) => Statement::Goto(stmt::JumpTarget {
            target: Cow::Borrowed(c),
        }),
        Stmt::Jump(c) => Statement::Jump(stmt::JumpTarget {
            target: Cow::Borrowed(c),
        }),
    }
}
