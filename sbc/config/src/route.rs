//! Routing rules: which trunk a request goes to, and how its request-URI user is
//! rewritten on the way.

use std::fmt;

use regex::{Captures, Regex, RegexBuilder};

use crate::model::Config;

/// `[[route]]`, validated: `from` names a trunk or a realm, `to` names a trunk, the
/// regex compiles and the rewrite references only groups the regex has.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// A trunk name or a realm name.
    pub from: String,
    /// Matched against the request-URI user; `None` matches every user.
    pub match_user: Option<UserPattern>,
    /// The new user, in full; `None` keeps the user as it is.
    pub rewrite_user: Option<Rewrite>,
    /// A trunk name.
    pub to: String,
}

impl Route {
    /// The (possibly rewritten) user if this route's pattern matches `user`.
    pub fn apply(&self, user: &str) -> Option<String> {
        let caps = match &self.match_user {
            Some(p) => Some(p.regex.captures(user)?),
            None => None,
        };
        Some(match &self.rewrite_user {
            Some(r) => r.expand(user, caps.as_ref()),
            None => user.to_owned(),
        })
    }
}

impl Config {
    /// The first route, in file order, that applies to a request from `from` (a trunk
    /// name, or a realm name for sources that are no trunk's peers) whose request-URI
    /// user is `user`, with the user to send on.
    ///
    /// A route applies when its `from` is `from` itself or — when `from` is a trunk —
    /// the trunk's realm, and its `match_user` (if any) matches `user`.
    pub fn route_for(&self, from: &str, user: &str) -> Option<(&Route, String)> {
        let realm = self.trunk(from).map(|t| t.realm.as_str());
        self.routes
            .iter()
            .filter(|r| r.from == from || Some(r.from.as_str()) == realm)
            .find_map(|r| r.apply(user).map(|u| (r, u)))
    }
}

/// A compiled `match_user` regex. Unanchored unless written with `^` / `$`.
///
/// `\d`, `\w` and `\s` (and their negations) are ASCII here: a SIP user part is ASCII
/// (RFC 3261 §25.1, anything else %-escaped), phone numbers are ASCII digits, and the
/// Unicode classes are huge — `^\w{1,32}@?[\w.-]{0,64}$` compiles to megabytes with
/// Unicode `\w`, so a few hundred routes typed into the management UI could take the
/// daemon's memory. Each regex is also capped (256 KiB, `REGEX_SIZE_LIMIT`); a pattern past it
/// is refused with the reason.
#[derive(Debug, Clone)]
pub struct UserPattern {
    source: String,
    regex: Regex,
}

/// Most memory one compiled `match_user` may take (its program, and its lazy DFA cache).
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;

impl UserPattern {
    /// Compile `source`; the error is a one-line reason.
    pub fn new(source: &str) -> Result<UserPattern, String> {
        RegexBuilder::new(&ascii_perl_classes(source))
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(|regex| UserPattern {
                source: source.to_owned(),
                regex,
            })
            .map_err(|e| one_line(&e.to_string()))
    }

    /// The regex as written in the file.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Number of capture groups (`$1`..), not counting the whole match `$0`.
    pub fn groups(&self) -> usize {
        self.regex.captures_len() - 1
    }

    pub fn regex(&self) -> &Regex {
        &self.regex
    }
}

impl PartialEq for UserPattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// `source` with the Perl classes `\d \w \s \D \W \S` replaced by their ASCII (POSIX)
/// equivalents, inside and outside bracket classes; every other escape is kept as is.
fn ascii_perl_classes(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let mut chars = source.chars();
    let mut in_class = false;
    // Just after `[` or `[^`: a `]` there is a literal, not the end of the class.
    let mut class_start = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let posix = match next {
                    'd' | 'D' => Some("digit"),
                    'w' | 'W' => Some("word"),
                    's' | 'S' => Some("space"),
                    _ => None,
                };
                match posix {
                    Some(name) => {
                        let negated = if next.is_ascii_uppercase() { "^" } else { "" };
                        if in_class {
                            out.push_str(&format!("[:{negated}{name}:]"));
                        } else {
                            out.push_str(&format!("[[:{negated}{name}:]]"));
                        }
                    }
                    None => {
                        out.push(c);
                        out.push(next);
                    }
                }
                class_start = false;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push(c);
                continue;
            }
            '^' if class_start => {
                out.push(c);
                continue;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                out.push(c);
            }
            '[' if in_class => {
                // A nested class or a POSIX class `[:name:]`: copy it through its `]`.
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == ']' {
                        break;
                    }
                }
                class_start = false;
            }
            _ => {
                out.push(c);
                class_start = false;
            }
        }
    }
    out
}

/// regex's syntax errors span several lines (pattern, caret, `error: ...`); keep the
/// reason.
fn one_line(message: &str) -> String {
    message
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .map(str::to_owned)
        .unwrap_or_else(|| message.lines().collect::<Vec<_>>().join("; "))
}

/// A `rewrite_user` template: literal text with `$0` (the whole match) .. `$9` (capture
/// groups) and `$$` for a literal `$`. A group that did not take part in the match
/// expands to nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Group(u8),
}

impl Rewrite {
    /// Parse a template; the error is the byte offset of a `$` not followed by a digit
    /// or another `$`.
    pub fn parse(source: &str) -> Result<Rewrite, usize> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '$' {
                literal.push(c);
                continue;
            }
            match chars.next() {
                Some((_, '$')) => literal.push('$'),
                Some((_, d @ '0'..='9')) => {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    // '0'..='9' is one ASCII digit.
                    parts.push(Part::Group(d as u8 - b'0'));
                }
                _ => return Err(i),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Rewrite {
            source: source.to_owned(),
            parts,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The highest group referenced, if any (`$0` counts as group 0).
    pub fn max_group(&self) -> Option<u8> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Group(g) => Some(*g),
                Part::Literal(_) => None,
            })
            .max()
    }

    /// The new user. Without captures (no `match_user`), `$0` is the whole user.
    pub fn expand(&self, user: &str, caps: Option<&Captures<'_>>) -> String {
        let mut out = String::with_capacity(self.source.len() + user.len());
        for part in &self.parts {
            match (part, caps) {
                (Part::Literal(s), _) => out.push_str(s),
                (Part::Group(g), Some(c)) => {
                    out.push_str(c.get(usize::from(*g)).map_or("", |m| m.as_str()));
                }
                (Part::Group(0), None) => out.push_str(user),
                (Part::Group(_), None) => {}
            }
        }
        out
    }
}

impl fmt::Display for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii() {
        assert_eq!(
            ascii_perl_classes(r"^\+?49(\d+)$"),
            r"^\+?49([[:digit:]]+)$"
        );
        assert_eq!(ascii_perl_classes(r"[\w.-]\S"), r"[[:word:].-][[:^space:]]");
        assert_eq!(ascii_perl_classes(r"[^\D]"), r"[^[:^digit:]]");
        assert_eq!(ascii_perl_classes(r"[]\d]"), r"[][:digit:]]");
        assert_eq!(
            ascii_perl_classes(r"[[:alpha:]\d]x"),
            r"[[:alpha:][:digit:]]x"
        );
        // Other escapes, and an escaped backslash before a letter, stay as written.
        assert_eq!(ascii_perl_classes(r"\\d\.\b"), r"\\d\.\b");
        assert_eq!(ascii_perl_classes("tail\\"), "tail\\");

        let p = UserPattern::new(r"^\+?(\d+)$").expect("compiles");
        assert_eq!(p.as_str(), r"^\+?(\d+)$", "the pattern as written is kept");
        assert!(p.regex().is_match("+4989123"));
        assert!(
            !p.regex().is_match("\u{0664}\u{0662}"),
            "Arabic-Indic digits are no phone number"
        );
        assert!(
            UserPattern::new(r"^[\w.-]+$")
                .expect("compiles")
                .regex()
                .is_match("a.b-c_9")
        );
    }

    #[test]
    fn big_patterns_are_refused_small_realistic_ones_compile() {
        // With Unicode \w this compiled to megabytes; 200 routes of it took over 1 GB.
        for _ in 0..200 {
            UserPattern::new(r"^\w{1,32}@?[\w.-]{0,64}$").expect("a realistic pattern");
        }
        let refused = UserPattern::new(r".{1000}x{20000}").expect_err("over the size limit");
        assert!(refused.contains("size limit"), "{refused}");
    }

    fn route(pattern: Option<&str>, rewrite: Option<&str>) -> Route {
        Route {
            from: "a".into(),
            match_user: pattern.map(|p| UserPattern::new(p).expect("test regex")),
            rewrite_user: rewrite.map(|r| Rewrite::parse(r).expect("test rewrite")),
            to: "b".into(),
        }
    }

    #[test]
    fn rewrite_templates() {
        let r = route(Some(r"^\+?49(\d+)$"), Some("0$1"));
        assert_eq!(r.apply("+4930123").as_deref(), Some("030123"));
        assert_eq!(r.apply("4930123").as_deref(), Some("030123"));
        assert_eq!(r.apply("+4430123"), None);
        let r = route(Some(r"^(\d)(\d)?$"), Some("$$x$2-$1$0"));
        assert_eq!(
            r.apply("7").as_deref(),
            Some("$x-77"),
            "unmatched group is empty"
        );
        let r = route(None, Some("+$0"));
        assert_eq!(r.apply("100").as_deref(), Some("+100"));
        assert_eq!(route(None, None).apply("any").as_deref(), Some("any"));
        assert_eq!(route(Some("^1"), None).apply("123").as_deref(), Some("123"));
    }

    #[test]
    fn rewrite_parse_errors_and_groups() {
        assert_eq!(Rewrite::parse("0$"), Err(1));
        assert_eq!(Rewrite::parse("ab$x"), Err(2));
        assert_eq!(Rewrite::parse("a$1$3").expect("valid").max_group(), Some(3));
        assert_eq!(Rewrite::parse("$$1").expect("valid").max_group(), None);
        assert_eq!(Rewrite::parse("é$0").expect("valid").max_group(), Some(0));
    }

    #[test]
    fn regex_errors_are_one_line() {
        let e = UserPattern::new(r"^(\d+$").expect_err("unclosed group");
        assert_eq!(e, "unclosed group");
        assert_eq!(UserPattern::new(r"^(\d)(x)?$").expect("valid").groups(), 2);
    }
}
