//! Golden messages, one directory per rule kind under `tests/golden/`: `rules.toml`
//! (`[[rule]]` tables with the keys of `[[trunk.rule]]`), `in.sip` and the expected
//! `out.sip` (LF line endings in the files, CRLF on the wire), and `other.sip` when the
//! rules read the other leg's message (`${other.<Header>}`). `BLESS=1` writes missing
//! `out.sip` files for review instead of failing.

use std::fs;
use std::path::Path;

use sbc_rules::{Direction, Outcome, Rule, RuleSet, RuleSpec, SipText};

/// The `[[rule]]` tables of a `rules.toml`, every value a string.
fn read_rules(path: &Path) -> Vec<Vec<(String, String)>> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rules = table
        .get("rule")
        .and_then(|r| r.as_array())
        .unwrap_or_else(|| panic!("{}: no [[rule]]", path.display()));
    rules
        .iter()
        .map(|r| {
            let r = r.as_table().expect("a table");
            r.iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string values").to_owned()))
                .collect()
        })
        .collect()
}

fn build(keys: &[(String, String)]) -> Rule {
    let get = |k: &str| keys.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let spec = RuleSpec {
        direction: get("direction"),
        method: get("method"),
        message: get("message"),
        status: get("status"),
        if_header: get("if_header"),
        if_match: get("if_match"),
        action: get("action").expect("action"),
        header: get("header").expect("header"),
        param: get("param"),
        uri_part: get("uri_part"),
        pattern: get("match"),
        value: get("value"),
    };
    Rule::build(&spec).unwrap_or_else(|e| panic!("rule {keys:?}: {}: {e}", e.key))
}

/// The other leg's message of a case (`other.sip`), if it has one.
fn other_leg(dir: &Path) -> Option<SipText> {
    let text = fs::read_to_string(dir.join("other.sip")).ok()?;
    Some(SipText::parse(&crlf(&text)).expect("other.sip parses"))
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

#[test]
fn every_rule_kind_on_golden_messages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .expect("tests/golden")
        .map(|e| e.expect("dir entry").path())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 16, "golden cases missing: {dirs:?}");
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for dir in dirs {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let rules = RuleSet::new(
            read_rules(&dir.join("rules.toml"))
                .iter()
                .map(|k| build(k))
                .collect(),
        );
        let input = fs::read_to_string(dir.join("in.sip")).expect("in.sip");
        let mut msg = SipText::parse(&crlf(&input)).expect("in.sip parses");
        let other = other_leg(&dir);
        let outcomes = rules.apply(&mut msg, Direction::Outbound, other.as_ref());
        // The same rules never act on the other direction.
        let mut untouched = SipText::parse(&crlf(&input)).expect("in.sip parses");
        assert!(
            rules
                .apply(&mut untouched, Direction::Inbound, other.as_ref())
                .iter()
                .all(|o| *o == Outcome::NotApplicable),
            "{name}: outbound rules acted inbound"
        );
        let got = String::from_utf8(msg.to_bytes())
            .expect("utf-8")
            .replace("\r\n", "\n");
        let expected_path = dir.join("out.sip");
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected == got => {}
            Ok(expected) => failures.push(format!(
                "{name}: outcomes {outcomes:?}\n--- expected\n{expected}--- got\n{got}"
            )),
            Err(_) if bless => fs::write(&expected_path, &got).expect("write out.sip"),
            Err(e) => failures.push(format!("{name}: out.sip: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn outcomes_tell_what_happened() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let run = |case: &str| {
        let dir = root.join(case);
        let rules = RuleSet::new(
            read_rules(&dir.join("rules.toml"))
                .iter()
                .map(|k| build(k))
                .collect(),
        );
        let input = fs::read_to_string(dir.join("in.sip")).expect("in.sip");
        let mut msg = SipText::parse(&crlf(&input)).expect("parses");
        rules.apply(&mut msg, Direction::Outbound, other_leg(&dir).as_ref())
    };
    assert!(
        run("condition_not_met")
            .iter()
            .all(|o| *o == Outcome::NotApplicable)
    );
    assert!(matches!(
        run("refused_value_keeps_message").as_slice(),
        [Outcome::Refused { reason }] if reason.contains("URI's user")
    ));
    assert!(matches!(
        run("other_leg_header_missing").as_slice(),
        [Outcome::Refused { reason }] if reason.contains("the other leg's message has no Diversion")
    ));
    assert_eq!(
        run("condition_status_class"),
        [Outcome::Applied { changed: true }, Outcome::NotApplicable]
    );
}
