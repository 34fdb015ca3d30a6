//! The text a rule writes: literal text with `$1`..`$9` (captures of the rule's regex:
//! `match` for `replace`, else `if_match`; `$0` the whole match) and `$$` (a dollar sign).

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Capture(usize),
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

    /// Fills it in with `captures` (`captures[n]` for `$n`; missing ones are empty).
    pub fn expand(&self, captures: &[Option<&str>]) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Capture(n) => {
                    if let Some(Some(m)) = captures.get(*n) {
                        out.push_str(m);
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
        assert_eq!(t.expand(&caps), "$ 42 [n=42]");
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
        assert!(Template::parse("${other.From}", 0).is_err());
        assert!(Template::parse("5$", 0).is_err());
    }
}
