//! What `Rule::build` refuses, and the key it blames: every rule that could break a
//! message or the SBC's state is refused when the configuration is read.

use sbc_rules::{Rule, RuleSpec};

fn refused(spec: RuleSpec<'_>) -> (&'static str, String) {
    match Rule::build(&spec) {
        Ok(rule) => panic!("accepted: {spec:?} -> {rule:?}"),
        Err(e) => (e.key, e.reason),
    }
}

fn base<'a>(action: &'a str, header: &'a str) -> RuleSpec<'a> {
    RuleSpec {
        action,
        header,
        ..RuleSpec::default()
    }
}

#[test]
fn refuses_with_the_key_to_blame() {
    let big = format!("(a{{1,1000}}){{1,1000}}{}", "x".repeat(10));
    let cases: Vec<(RuleSpec<'_>, &str, &str)> = vec![
        (base("remove", "Via"), "header", "Via is protected"),
        (base("remove", "v"), "header", "Via is protected"),
        (base("remove", "call-id"), "header", "Call-ID is protected"),
        (base("remove", "Content-Length"), "header", "protected"),
        (base("remove", "Record-Route"), "header", "protected"),
        (base("remove", "From"), "action", "cannot be removed"),
        (
            RuleSpec {
                value: Some("<sip:x@y>"),
                ..base("add", "To")
            },
            "action",
            "cannot be added",
        ),
        (
            RuleSpec {
                param: Some("tag"),
                value: Some("x"),
                ..base("set", "From")
            },
            "param",
            "tag",
        ),
        (
            RuleSpec {
                value: Some("anonymous"),
                ..base("set", "From")
            },
            "value",
            "sip:, sips: or tel:",
        ),
        (
            RuleSpec {
                value: Some("<sip:a@b>"),
                ..base("set", "Contact")
            },
            "header",
            "Contact",
        ),
        (
            RuleSpec {
                uri_part: Some("host"),
                value: Some("h.example"),
                ..base("set", "Contact")
            },
            "uri_part",
            "Contact",
        ),
        (
            RuleSpec {
                uri_part: Some("host"),
                ..base("remove", "To")
            },
            "action",
            "host",
        ),
        (
            RuleSpec {
                value: Some("sip:x@y"),
                ..base("set", "Request-URI")
            },
            "header",
            "uri_part",
        ),
        (
            RuleSpec {
                message: Some("response"),
                uri_part: Some("user"),
                value: Some("1"),
                ..base("set", "Request-URI")
            },
            "header",
            "no Request-URI",
        ),
        (
            RuleSpec {
                uri_part: Some("user"),
                value: Some("a b"),
                ..base("set", "To")
            },
            "value",
            "URI's user",
        ),
        (
            RuleSpec {
                uri_part: Some("port"),
                value: Some("70000"),
                ..base("set", "To")
            },
            "value",
            "URI's port",
        ),
        (
            RuleSpec {
                uri_part: Some("path"),
                value: Some("x"),
                ..base("set", "To")
            },
            "uri_part",
            "expected",
        ),
        (
            RuleSpec {
                param: Some("a"),
                uri_part: Some("user"),
                value: Some("x"),
                ..base("set", "To")
            },
            "uri_part",
            "not both",
        ),
        (
            RuleSpec {
                value: Some("a\r\nVia: evil"),
                ..base("add", "X-A")
            },
            "value",
            "line breaks",
        ),
        (
            RuleSpec {
                value: Some("$2"),
                pattern: Some("(a)"),
                ..base("replace", "X-A")
            },
            "value",
            "capture group",
        ),
        (
            RuleSpec {
                value: Some("5$"),
                ..base("add", "X-A")
            },
            "value",
            "lone",
        ),
        (base("add", "X-A"), "value", "needs a value"),
        (
            RuleSpec {
                value: Some("x"),
                ..base("remove", "X-A")
            },
            "value",
            "takes no value",
        ),
        (
            RuleSpec {
                value: Some("x"),
                ..base("replace", "X-A")
            },
            "match",
            "needs match",
        ),
        (
            RuleSpec {
                value: Some("x"),
                pattern: Some("a"),
                ..base("set", "X-A")
            },
            "match",
            "only \"replace\"",
        ),
        (
            RuleSpec {
                value: Some("x"),
                pattern: Some("(unclosed"),
                ..base("replace", "X-A")
            },
            "match",
            "invalid regex",
        ),
        (
            RuleSpec {
                value: Some("x"),
                pattern: Some(&big),
                ..base("replace", "X-A")
            },
            "match",
            "too large",
        ),
        (
            RuleSpec {
                value: Some("x"),
                ..base("rename", "X-A")
            },
            "action",
            "expected",
        ),
        (base("remove", "X A"), "header", "not a header name"),
        (
            RuleSpec {
                method: Some("IN VITE"),
                ..base("remove", "X-A")
            },
            "method",
            "not a SIP method",
        ),
        (
            RuleSpec {
                status: Some("7xx"),
                ..base("remove", "X-A")
            },
            "status",
            "expected",
        ),
        (
            RuleSpec {
                status: Some("99"),
                ..base("remove", "X-A")
            },
            "status",
            "expected",
        ),
        (
            RuleSpec {
                status: Some("200"),
                message: Some("request"),
                ..base("remove", "X-A")
            },
            "status",
            "responses",
        ),
        (
            RuleSpec {
                message: Some("both"),
                ..base("remove", "X-A")
            },
            "message",
            "expected",
        ),
        (
            RuleSpec {
                direction: Some("sideways"),
                ..base("remove", "X-A")
            },
            "direction",
            "expected",
        ),
        (
            RuleSpec {
                if_match: Some("x"),
                ..base("remove", "X-A")
            },
            "if_match",
            "needs if_header",
        ),
        (
            RuleSpec {
                if_header: Some("X-B"),
                if_match: Some("("),
                ..base("remove", "X-A")
            },
            "if_match",
            "invalid regex",
        ),
        (
            RuleSpec {
                direction: Some("inbound"),
                value: Some("${other.P-Asserted-Identity}"),
                ..base("set", "P-Asserted-Identity")
            },
            "value",
            "use it in an outbound rule",
        ),
        (
            RuleSpec {
                value: Some("${caller.From}"),
                ..base("set", "X-Caller")
            },
            "value",
            "expected ${other.<Header>}",
        ),
    ];
    for (spec, key, reason) in cases {
        let (k, r) = refused(spec);
        assert_eq!(k, key, "{spec:?}: {r}");
        assert!(r.contains(reason), "{spec:?}: \"{r}\" lacks \"{reason}\"");
    }
}

#[test]
fn accepts_what_operators_write() {
    let ok = [
        RuleSpec {
            value: Some("<tel:+4930111>"),
            ..base("add", "P-Asserted-Identity")
        },
        RuleSpec {
            uri_part: Some("user"),
            pattern: Some(r"^\+49(\d+)$"),
            value: Some("0$1"),
            ..base("replace", "Request-URI")
        },
        RuleSpec {
            uri_part: Some("user"),
            value: Some("sbc"),
            ..base("set", "Contact")
        },
        RuleSpec {
            param: Some("user"),
            value: Some("phone"),
            ..base("set", "To")
        },
        RuleSpec {
            status: Some("4xx"),
            method: Some("invite"),
            value: Some("SIP;cause=41"),
            ..base("set", "Reason")
        },
        RuleSpec {
            direction: Some("inbound"),
            ..base("remove", "P-Charging-Vector")
        },
        RuleSpec {
            if_header: Some("From"),
            if_match: Some("<sip:(\\d+)@"),
            value: Some("<sip:$1@pbx.example>"),
            ..base("set", "P-Preferred-Identity")
        },
        RuleSpec {
            value: Some("${other.P-Asserted-Identity}"),
            ..base("set", "P-Asserted-Identity")
        },
    ];
    for spec in ok {
        Rule::build(&spec).unwrap_or_else(|e| panic!("{spec:?}: {}: {e}", e.key));
    }
}
