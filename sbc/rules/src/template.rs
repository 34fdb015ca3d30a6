//! The text a rule writes: literal text with `$1`..`$9` (captures of the rule's regex:
//! `match` for `replace`, else `if_match`; `$0` the whole match), `$$` (a dollar sign)
//! and `${other.<Header>}`: the first value of that header in the message the SBC last
//! received on the call's other leg (its caller's INVITE for the INVITE the SBC sends to
//! the trunk, the callee's response for a response it relays back, ...).

use crate::message::SipText;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Capture(usize),
    /// `${other.<name>}`.
    Other(String),
}

/// What `${...}` may name, after `other.`: a header name (RFC 3261 token).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

/// A parsed `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Reads `value`; `groups` is how many capture groups the rule's regex has.
    pub fn parse(value: &str, groups: usize) -> Result<Template, String> {
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(
                "a value cannot contain line breaks or NUL: they would split the message".into(),
            );
        }
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '$' {
                text.push(c);
                continue;
            }
            match chars.peek() {
                Some('$') => {
                    chars.next();
                    text.push('$');
                }
                Some(&d @ '0'..='9') => {
                    chars.next();
                    let n = d as usize - '0' as usize;
                    if n > groups {
                        return Err(format!(
                            "${n} names a capture group the rule's regex does not have ({groups})"
                        ));
                    }
                    flush(&mut text, &mut pieces);
                    pieces.push(Piece::Capture(n));
                }
                Some('{') => {
                    chars.next();
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => inner.push(c),
                            None => return Err(format!("\"${{{inner}\" is not closed by \"}}\"")),
                        }
                    }
                    let name = inner
                        .strip_prefix("other.")
                        .filter(|n| is_header_name(n))
                        .ok_or_else(|| {
                            format!(
                                "\"${{{inner}}}\": expected ${{other.<Header>}} (a header of the other leg's message)"
                            )
                        })?;
                    flush(&mut text, &mut pieces);
                    pieces.push(Piece::Other(name.to_owned()));
                }
                _ => return Err("a lone \"$\": write \"$$\" for a dollar sign".into()),
            }
        }
        flush(&mut text, &mut pieces);
        Ok(Template { pieces })
    }

    /// The text, when it has no captures.
    pub fn literal(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [] => Some(""),
            [Piece::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// The headers of the other leg's message it reads (`${other.<Header>}`).
    pub fn others(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Other(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The first header of `others` that `other` cannot fill in (no message, or no such
    /// header in it), as a reason; `None` when every reference can be filled.
    pub fn unfilled(&self, other: Option<&SipText>) -> Option<String> {
        let name = self
            .others()
            .find(|n| other.is_none_or(|m| m.first(n).is_none()))?;
        Some(match other {
            None => format!("${{other.{name}}}: no message of the other leg"),
            Some(_) => format!("${{other.{name}}}: the other leg's message has no {name}"),
        })
    }

    /// Fills it in with `captures` (`captures[n]` for `$n`; missing ones are empty) and
    /// the headers of `other` (missing ones are empty: [`Template::unfilled`] tells first).
    pub fn expand(&self, captures: &[Option<&str>], other: Option<&SipText>) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Capture(n) => {
                    if let Some(Some(m)) = captures.get(*n) {
                        out.push_str(m);
                    }
                }
                Piece::Other(name) => {
                    if let Some(v) = other.and_then(|m| m.first(name)) {
                        out.push_str(v);
                    }
                }
            }
        }
        out
    }
}

fn flush(text: &mut String, pieces: &mut Vec<Piece>) {
    if !text.is_empty() {
        pieces.push(Piece::Text(std::mem::take(text)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_expands() {
        let re = regex::Regex::new(r"n=(\d+)").expect("regex");
        let caps = re.captures("n=42").expect("matches");
        let caps: Vec<Option<&str>> = caps.iter().map(|m| m.map(|m| m.as_str())).collect();
        let t = Template::parse("$$ $1 [$0]", 1).expect("ok");
        assert_eq!(t.expand(&caps, None), "$ 42 [n=42]");
        assert_eq!(
            Template::parse("plain", 0).expect("ok").literal(),
            Some("plain")
        );
    }

    #[test]
    fn refuses_what_would_break_a_message() {
        assert!(Template::parse("a\r\nX: b", 0).is_err());
        assert!(
            Template::parse("$2", 1)
                .expect_err("refused")
                .contains("capture group")
        );
        assert!(Template::parse("${From}", 0).is_err());
        assert!(Template::parse("${other.}", 0).is_err());
        assert!(Template::parse("${other.P Asserted}", 0).is_err());
        assert!(Template::parse("${other.From", 0).is_err());
        assert!(Template::parse("5$", 0).is_err());
    }

    #[test]
    fn reads_the_other_legs_headers() {
        let other = SipText::parse(
            b"INVITE sip:1@h SIP/2.0\r\nP-Asserted-Identity: <sip:+4930111@carrier>\r\nf: <sip:a@h>;tag=1\r\n\r\n",
        )
        .expect("parses");
        let t = Template::parse("${other.p-asserted-identity};x", 0).expect("ok");
        assert_eq!(t.literal(), None);
        assert_eq!(t.unfilled(Some(&other)), None);
        assert_eq!(t.expand(&[], Some(&other)), "<sip:+4930111@carrier>;x");
        // Compact forms are the same header.
        let from = Template::parse("${other.From}", 0).expect("ok");
        assert_eq!(from.expand(&[], Some(&other)), "<sip:a@h>;tag=1");
        let missing = Template::parse("${other.Diversion}", 0).expect("ok");
        assert!(
            missing
                .unfilled(Some(&other))
                .is_some_and(|r| r.contains("has no Diversion"))
        );
        assert!(t.unfilled(None).is_some_and(|r| r.contains("no message")));
    }
}
