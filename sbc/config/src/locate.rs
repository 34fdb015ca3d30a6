//! From a byte offset in a TOML file to the key path it lies in (`trunk[1].codecs`).
//!
//! The TOML parser reports errors with a byte span but not the key path. This scanner
//! replays the file's table headers and `key = value` lines up to the offset, counting
//! `[[array]]` headers to produce indices. It handles what configuration files are
//! made of — headers, dotted and quoted keys, comments, multi-line strings and arrays —
//! and, for anything more exotic, still names the enclosing table.

use std::collections::HashMap;

/// The key path at byte `offset` of `text`: the enclosing table (with `[[array]]`
/// indices) and, when the offset lies on or after a `key =`, that key.
pub(crate) fn key_path(text: &str, offset: usize) -> String {
    let mut arrays: HashMap<String, usize> = HashMap::new();
    let mut table = String::new();
    let mut key: Option<String> = None;
    let mut multiline: Option<&'static str> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        pos += line.len();
        let here = offset < pos;
        if let Some(delim) = multiline {
            if line.matches(delim).count() % 2 == 1 {
                multiline = None;
            }
        } else {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                match header(trimmed, &mut arrays) {
                    Some(t) => {
                        table = t;
                        key = None;
                    }
                    // A malformed header belongs to no table.
                    None if here => return String::new(),
                    None => {}
                }
            } else if let Some((k, eq)) = assignment(line) {
                // The offset is on the key itself (an unknown key) or in its value.
                key = Some(k);
                multiline = opens_multiline(&line[eq..]);
            }
        }
        if here {
            break;
        }
    }
    match (table.is_empty(), key) {
        (_, None) => table,
        (true, Some(k)) => k,
        (false, Some(k)) => format!("{table}.{k}"),
    }
}

/// `[a.b]` or `[[a.b]]`: the table path with indices of the arrays it lies in.
fn header(trimmed: &str, arrays: &mut HashMap<String, usize>) -> Option<String> {
    let is_array = trimmed.starts_with("[[");
    let inner = trimmed.trim_start_matches('[');
    let inner = &inner[..inner.find(']')?];
    let parts = split_key(inner)?;
    let mut name = String::new();
    let mut path = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(part);
        if is_array && i + 1 == parts.len() {
            *arrays.entry(name.clone()).or_insert(0) += 1;
            // A new element starts its sub-arrays afresh.
            let prefix = format!("{name}.");
            arrays.retain(|k, _| !k.starts_with(&prefix));
        }
        match arrays.get(&name) {
            Some(n) => path.push(format!("{part}[{}]", n - 1)),
            None => path.push(part.clone()),
        }
    }
    Some(path.join("."))
}

/// `key = value`: the key (dotted parts joined) and the byte index of the `=`.
fn assignment(line: &str) -> Option<(String, usize)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    let eq = line.find('=')?;
    let parts = split_key(&line[..eq])?;
    Some((parts.join("."), eq))
}

/// `a . "b.c" . 'd'` into its parts, or `None` if it is not a key.
fn split_key(s: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut rest = s.trim();
    loop {
        let (part, after) = if let Some(q @ ('"' | '\'')) = rest.chars().next() {
            let close = rest[1..].find(q)? + 1;
            (rest[1..close].to_owned(), &rest[close + 1..])
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            (rest[..end].to_owned(), &rest[end..])
        };
        parts.push(part);
        let after = after.trim_start();
        if after.is_empty() {
            return Some(parts);
        }
        rest = after.strip_prefix('.')?.trim_start();
    }
}

/// Whether the value starting here opens a multi-line string left open on this line.
fn opens_multiline(value: &str) -> Option<&'static str> {
    ["\"\"\"", "'''"]
        .into_iter()
        .find(|d| value.matches(d).count() % 2 == 1)
}

/// 1-based line and column (in characters) of byte `offset`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# comment = not a key
[system]
name = "x"

[[realm]]
name = "a"

[[realm]]
name = "b"
listen = [
  "udp:1.2.3.4:5060",
  "x=y",
]
note = """
[[realm]]
"""
"media.ports" = 5

[[trunk]]
name = "t"
[trunk.sub]
k = 1
"#;

    fn at(needle: &str) -> String {
        let offset = TEXT.find(needle).expect("needle in text");
        key_path(TEXT, offset)
    }

    #[test]
    fn finds_key_paths() {
        assert_eq!(at("[system]"), "system");
        assert_eq!(at("name = \"x\""), "system.name");
        assert_eq!(at("\"a\""), "realm[0].name");
        assert_eq!(at("\"b\""), "realm[1].name");
        assert_eq!(at("\"udp:1.2.3.4:5060\""), "realm[1].listen");
        assert_eq!(at("\"x=y\""), "realm[1].listen");
        assert_eq!(
            at("\"media.ports\""),
            "realm[1].media.ports",
            "multi-line string skipped"
        );
        assert_eq!(at("\"t\""), "trunk[0].name");
        assert_eq!(at("k = 1"), "trunk[0].sub.k");
        assert_eq!(at("# comment"), "");
        assert_eq!(key_path("[a]\nx = 1\n[b\n", 12), "", "malformed header");
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("a\nbc\n", 0), (1, 1));
        assert_eq!(line_col("a\nbc\n", 3), (2, 2));
        assert_eq!(line_col("é\nx", 3), (2, 1));
        assert_eq!(line_col("aé", 2), (1, 2), "inside a character");
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
