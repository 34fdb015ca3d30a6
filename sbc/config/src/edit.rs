//! Editing the file without losing what the operator wrote: comments, blank lines, key
//! order and formatting survive, because edits are applied to a `toml_edit` document
//! parsed from the file rather than by printing the structs back.
//!
//! The management API changes one entry at a time: [`Document::set_entry`] replaces
//! (or appends) one `[[trunk]]`/`[[route]]`/`[[realm]]` from its section struct,
//! [`Document::remove_entry`] deletes one, [`Document::set_key`] sets one key of a
//! table (`firewall.allow`). A replaced entry is merged key by key: a value that did
//! not change keeps its formatting and comments, a changed one keeps the comments
//! around it, a key the new entry lacks is removed. The result is plain text; validate
//! it with [`crate::Config::from_toml_str`] before saving it.

use serde::Serialize;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

/// Why an edit could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the file is not valid TOML: {message}")]
    Syntax { message: String },
    #[error("{key}[{index}] does not exist")]
    NoEntry { key: String, index: usize },
    #[error("{key} is not a table")]
    NotATable { key: String },
    #[error("cannot express the value as TOML: {message}")]
    Serialize { message: String },
}

/// A configuration file being edited.
#[derive(Debug, Clone)]
pub struct Document {
    doc: DocumentMut,
}

impl Document {
    /// Parses the file's text (syntax only; validation is a separate step).
    pub fn parse(text: &str) -> Result<Document, EditError> {
        let doc = text.parse::<DocumentMut>().map_err(|e| EditError::Syntax {
            message: e.to_string(),
        })?;
        Ok(Document { doc })
    }

    /// The edited text.
    pub fn render(&self) -> String {
        self.doc.to_string()
    }

    /// Entries of the array of tables `key` (`"trunk"`): 0 when absent.
    pub fn len(&self, key: &str) -> usize {
        self.doc
            .get(key)
            .and_then(Item::as_array_of_tables)
            .map_or(0, ArrayOfTables::len)
    }

    /// Replaces entry `index` of the array of tables `key` with `value` (a section
    /// struct such as `TrunkSection`), or appends it when `index` is `None`.
    pub fn set_entry<T: Serialize>(
        &mut self,
        key: &str,
        index: Option<usize>,
        value: &T,
    ) -> Result<(), EditError> {
        let new = to_table(value)?;
        match index {
            Some(i) => {
                let entry = self
                    .doc
                    .get_mut(key)
                    .and_then(Item::as_array_of_tables_mut)
                    .and_then(|a| a.get_mut(i))
                    .ok_or_else(|| EditError::NoEntry {
                        key: key.to_owned(),
                        index: i,
                    })?;
                merge_table(entry, &new);
            }
            None => self.append(key, new),
        }
        Ok(())
    }

    /// Removes entry `index` of the array of tables `key`.
    pub fn remove_entry(&mut self, key: &str, index: usize) -> Result<(), EditError> {
        let no_entry = || EditError::NoEntry {
            key: key.to_owned(),
            index,
        };
        let array = self
            .doc
            .get_mut(key)
            .and_then(Item::as_array_of_tables_mut)
            .ok_or_else(no_entry)?;
        if index >= array.len() {
            return Err(no_entry());
        }
        array.remove(index);
        if array.is_empty() {
            self.doc.remove(key);
        }
        Ok(())
    }

    /// Sets `table.key` to `value` (creating `[table]` when absent); `None` removes it.
    pub fn set_key<T: Serialize>(
        &mut self,
        table: &str,
        key: &str,
        value: Option<&T>,
    ) -> Result<(), EditError> {
        if !self.doc.contains_key(table) {
            if value.is_none() {
                return Ok(());
            }
            self.doc.insert(table, Item::Table(Table::new()));
        }
        let t = self
            .doc
            .get_mut(table)
            .and_then(Item::as_table_mut)
            .ok_or_else(|| EditError::NotATable {
                key: table.to_owned(),
            })?;
        match value {
            None => {
                t.remove(key);
            }
            Some(v) => {
                let new = to_value(v)?;
                match t.get_mut(key) {
                    Some(Item::Value(old)) => replace_value(old, new),
                    Some(slot) => *slot = Item::Value(new),
                    None => {
                        t.insert(key, Item::Value(new));
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads `table.key` as a list of strings (`None`: absent or not such a list).
    pub fn string_list(&self, table: &str, key: &str) -> Option<Vec<String>> {
        let array = self.doc.get(table)?.get(key)?.as_array()?;
        array
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    fn append(&mut self, key: &str, mut new: Table) {
        // Place the new entry right after the last existing one (not at the end of the
        // file), shifting the tables that follow.
        let last = self
            .doc
            .get(key)
            .and_then(Item::as_array_of_tables)
            .and_then(|a| a.iter().filter_map(max_position).max());
        let count = count_tables(&new);
        match last {
            Some(p) => {
                shift_positions(self.doc.as_table_mut(), p, count);
                let mut next = p + 1;
                set_positions(&mut new, &mut next);
            }
            None => {
                let mut next = doc_max_position(self.doc.as_table()).map_or(1, |p| p + 1);
                set_positions(&mut new, &mut next);
            }
        }
        new.set_implicit(false);
        match self.doc.get_mut(key).and_then(Item::as_array_of_tables_mut) {
            Some(array) => array.push(new),
            None => {
                let mut array = ArrayOfTables::new();
                array.push(new);
                self.doc.insert(key, Item::ArrayOfTables(array));
            }
        }
    }
}

fn to_table<T: Serialize>(value: &T) -> Result<Table, EditError> {
    let text = toml::to_string(value).map_err(|e| EditError::Serialize {
        message: e.to_string(),
    })?;
    let doc = text
        .parse::<DocumentMut>()
        .map_err(|e| EditError::Serialize {
            message: e.to_string(),
        })?;
    Ok(doc.as_table().clone())
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, EditError> {
    let wrapped = std::collections::BTreeMap::from([("v", value)]);
    let table = to_table(&wrapped)?;
    match table.get("v") {
        Some(Item::Value(v)) => {
            let mut v = v.clone();
            v.decor_mut().clear();
            Ok(v)
        }
        _ => Err(EditError::Serialize {
            message: "not a plain value".into(),
        }),
    }
}

/// Text of a value without its surrounding whitespace and comments.
fn bare(v: &Value) -> String {
    let mut v = v.clone();
    v.decor_mut().clear();
    v.to_string()
}

fn replace_value(old: &mut Value, new: Value) {
    if bare(old) == bare(&new) {
        return;
    }
    let decor = old.decor().clone();
    *old = new;
    *old.decor_mut() = decor;
}

/// Merges `new` into `old` key by key. Tables `new` brings are placed right after
/// `old` (a `[trunk.register]` must follow its own `[[trunk]]`).
fn merge_table(old: &mut Table, new: &Table) {
    let here = old.position();
    let stale: Vec<String> = old
        .iter()
        .map(|(k, _)| k.to_owned())
        .filter(|k| !new.contains_key(k))
        .collect();
    for k in stale {
        old.remove(&k);
    }
    for (k, item) in new.iter() {
        match (old.get_mut(k), item) {
            (Some(Item::Table(ot)), Item::Table(nt)) => merge_table(ot, nt),
            (Some(Item::Value(ov)), Item::Value(nv)) => replace_value(ov, nv.clone()),
            (Some(Item::Value(ov)), Item::Table(nt)) if ov.is_inline_table() => {
                let mut inline = nt.clone().into_inline_table();
                inline.fmt();
                replace_value(ov, Value::InlineTable(inline));
            }
            (Some(slot), _) => *slot = placed(item, here),
            (None, _) => {
                old.insert(k, placed(item, here));
            }
        }
    }
}

fn placed(item: &Item, at: Option<usize>) -> Item {
    let mut item = item.clone();
    if let (Item::Table(t), Some(p)) = (&mut item, at) {
        same_position(t, p);
    }
    item
}

fn same_position(t: &mut Table, p: usize) {
    t.set_position(p);
    for (_, item) in t.iter_mut() {
        if let Item::Table(inner) = item {
            same_position(inner, p);
        }
    }
}

fn max_position(t: &Table) -> Option<usize> {
    let own = t.position();
    let inner = t
        .iter()
        .filter_map(|(_, i)| i.as_table())
        .filter_map(max_position)
        .max();
    own.max(inner)
}

fn count_tables(t: &Table) -> usize {
    1 + t
        .iter()
        .filter_map(|(_, i)| i.as_table())
        .map(count_tables)
        .sum::<usize>()
}

fn set_positions(t: &mut Table, next: &mut usize) {
    t.set_position(*next);
    *next += 1;
    for (_, item) in t.iter_mut() {
        if let Item::Table(inner) = item {
            set_positions(inner, next);
        }
    }
}

/// The largest position of any table in the document.
fn doc_max_position(t: &Table) -> Option<usize> {
    let mut max = t.position();
    for (_, item) in t.iter() {
        let inner = match item {
            Item::Table(inner) => doc_max_position(inner),
            Item::ArrayOfTables(array) => array.iter().filter_map(doc_max_position).max(),
            _ => None,
        };
        max = max.max(inner);
    }
    max
}

fn shift_positions(t: &mut Table, after: usize, by: usize) {
    if let Some(p) = t.position() {
        if p > after {
            t.set_position(p + by);
        }
    }
    for (_, item) in t.iter_mut() {
        match item {
            Item::Table(inner) => shift_positions(inner, after, by),
            Item::ArrayOfTables(array) => {
                for inner in array.iter_mut() {
                    shift_positions(inner, after, by);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RegisterSection, RouteSection, TrunkSection};

    const TEXT: &str = r#"# The edge.
[system]
name = "edge-1" # its name

# Carriers.
[[trunk]]
name = "a"   # first
realm = "outside"
peers = ["udp:192.0.2.1:5060"]

[[trunk]]
name = "b"
realm = "outside"
peers = ["udp:192.0.2.2:5060"]

# Routing.
[[route]]
from = "a"
to = "b"
"#;

    fn trunk(name: &str, peer: &str) -> TrunkSection {
        TrunkSection {
            name: name.into(),
            realm: "outside".into(),
            profile: None,
            peers: vec![peer.into()],
            sources: None,
            codecs: None,
            transcode: None,
            g729_annexb: None,
            ptime: None,
            dtmf: None,
            dtmf_info_type: None,
            show_digits: None,
            srtp: None,
            srtp_suites: None,
            sdes_without_tls: None,
            tls_ca: None,
            tls_server_name: None,
            tls_client_cert: None,
            tls_client_key: None,
            uri_scheme: None,
            options_interval: None,
            options_down_after: None,
            options_up_after: None,
            max_calls: None,
            max_cps: None,
            register: None,
            rules: Vec::new(),
            invite_timeout_ms: None,
            no_target_code: None,
            refer: None,
            ice: None,
            rtcp_mux: None,
        }
    }

    fn reparse(text: &str) -> toml::Table {
        toml::from_str(text).expect("valid TOML")
    }

    #[test]
    fn replacing_an_entry_keeps_comments() {
        let mut d = Document::parse(TEXT).expect("parse");
        let mut t = trunk("a", "udp:192.0.2.9:5060");
        t.max_calls = Some(10);
        d.set_entry("trunk", Some(0), &t).expect("edit");
        let out = d.render();
        assert!(out.contains("# The edge."), "{out}");
        assert!(out.contains("name = \"a\"   # first"), "{out}");
        assert!(out.contains("peers = [\"udp:192.0.2.9:5060\"]"), "{out}");
        assert!(out.contains("max_calls = 10"), "{out}");
        assert!(out.contains("# Routing."), "{out}");
    }

    #[test]
    fn appended_entries_follow_their_array_and_subtables_their_entry() {
        let mut d = Document::parse(TEXT).expect("parse");
        let mut t = trunk("c", "udp:192.0.2.3:5060");
        t.register = Some(RegisterSection {
            user: "u".into(),
            password: "p".into(),
            auth_user: None,
            domain: None,
            expires: None,
        });
        d.set_entry("trunk", None, &t).expect("append");
        let mut a = trunk("a", "udp:192.0.2.1:5060");
        a.register = Some(RegisterSection {
            user: "ua".into(),
            password: "pa".into(),
            auth_user: None,
            domain: None,
            expires: None,
        });
        d.set_entry("trunk", Some(0), &a).expect("edit");
        let out = d.render();
        let parsed = reparse(&out);
        let trunks = parsed["trunk"].as_array().expect("trunks");
        assert_eq!(trunks.len(), 3, "{out}");
        assert_eq!(trunks[0]["register"]["user"].as_str(), Some("ua"), "{out}");
        assert!(trunks[1].get("register").is_none(), "{out}");
        assert_eq!(trunks[2]["register"]["user"].as_str(), Some("u"), "{out}");
        // The new trunk comes before the routes.
        let c = out.find("name = \"c\"").expect("c");
        let r = out.find("[[route]]").expect("route");
        assert!(c < r, "{out}");
    }

    #[test]
    fn removing_and_setting_keys() {
        let mut d = Document::parse(TEXT).expect("parse");
        d.remove_entry("trunk", 1).expect("remove");
        assert_eq!(d.len("trunk"), 1);
        assert!(matches!(
            d.remove_entry("trunk", 5),
            Err(EditError::NoEntry { index: 5, .. })
        ));
        d.set_key("firewall", "allow", Some(&vec!["10.0.0.0/8"]))
            .expect("set");
        assert_eq!(
            d.string_list("firewall", "allow"),
            Some(vec!["10.0.0.0/8".to_owned()])
        );
        d.set_entry(
            "route",
            None,
            &RouteSection {
                from: "a".into(),
                match_user: None,
                rewrite_user: None,
                to: "a".into(),
            },
        )
        .expect("route");
        let parsed = reparse(&d.render());
        assert_eq!(parsed["route"].as_array().map(Vec::len), Some(2));
        assert_eq!(parsed["trunk"].as_array().map(Vec::len), Some(1));
    }
}
