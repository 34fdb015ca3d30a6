//! The `auth-param` lists of `WWW-Authenticate`, `Proxy-Authenticate`, `Authorization`
//! and `Proxy-Authorization` values (RFC 3261 §25.1, RFC 7235 §2.1):
//!
//! ```text
//! challenge   = auth-scheme LWS auth-param *(COMMA auth-param)
//! auth-param  = token LWS "=" LWS ( token / quoted-string )
//! ```
//!
//! White space (also folded over lines) may surround every `=` and `,`. One field value
//! may hold several challenges, HTTP style (`Digest realm="a", nonce="1", Digest ...`):
//! after a comma, a token that is not followed by `=` starts the next challenge.
//! Values come back unquoted and unescaped. Unquoted values are read leniently (any
//! visible character but `,` and `"`), because deployed servers send `nonce=abc/+=`.

use super::error::AuthError;
use crate::grammar::cursor::Cursor;

/// One challenge or credentials value: the scheme and its parameters in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawAuth {
    pub(crate) scheme: String,
    pub(crate) params: Vec<(String, String)>,
}

impl RawAuth {
    /// The value of parameter `name` (case-insensitive).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A parameter that must be present.
    pub(crate) fn require(&self, name: &'static str) -> Result<&str, AuthError> {
        self.get(name).ok_or(AuthError::MissingParam { name })
    }

    pub(crate) fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }
}

/// Every challenge (or credentials value) in one header field value.
pub(crate) fn parse_list(value: &str) -> Result<Vec<RawAuth>, AuthError> {
    let mut c = Cursor::new(value);
    let mut out = Vec::with_capacity(1);
    c.skip_lws();
    while !c.at_end() {
        let scheme = c.token("auth-scheme").map_err(bad)?;
        let mut raw = RawAuth {
            scheme: scheme.to_owned(),
            params: Vec::with_capacity(8),
        };
        loop {
            c.skip_lws();
            if c.at_end() {
                break;
            }
            if c.eat(b',') {
                continue; // `#rule`: empty list elements are allowed
            }
            let save = c.clone();
            let name = c.token("auth-param name").map_err(bad)?;
            if !c.eat_sep(b'=') {
                // A token without `=`: the scheme of the next challenge.
                c = save;
                break;
            }
            let value = param_value(&mut c)?;
            if raw.get(name).is_some() {
                return Err(AuthError::malformed(format!(
                    "duplicate parameter \"{name}\""
                )));
            }
            raw.params.push((name.to_owned(), value));
            c.skip_lws();
            if !c.at_end() && c.peek() != Some(b',') {
                return Err(bad(c.error("',' between parameters")));
            }
        }
        out.push(raw);
    }
    if out.is_empty() {
        return Err(AuthError::malformed("empty value"));
    }
    Ok(out)
}

fn param_value(c: &mut Cursor<'_>) -> Result<String, AuthError> {
    if c.peek() == Some(b'"') {
        let quoted = c.quoted_string().map_err(bad)?;
        return Ok(unquote(quoted));
    }
    let v = c.take_while(|b| b.is_ascii_graphic() && b != b',' && b != b'"');
    if v.is_empty() {
        return Err(bad(c.error("parameter value")));
    }
    Ok(v.to_owned())
}

/// The content of a `quoted-string` (quotes included in `q`): `\x` becomes `x`, and a
/// folded line break (CRLF followed by white space) becomes one space (RFC 3261 §7.3.1).
fn unquote(q: &str) -> String {
    let inner = q.get(1..q.len().saturating_sub(1)).unwrap_or_default();
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => out.extend(chars.next()),
            '\r' => {
                // The cursor admitted only CRLF followed by white space here.
                chars.next();
                out.push(' ');
                let rest = chars.as_str();
                chars = rest.trim_start_matches([' ', '\t']).chars();
            }
            c => out.push(c),
        }
    }
    out
}

fn bad(e: crate::grammar::GrammarError) -> AuthError {
    AuthError::malformed(e.to_string())
}

/// `s` as a `quoted-string`: `"` and `\` escaped (RFC 3261 §25.1 `quoted-pair`).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        if ch == '"' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_spaced_and_escaped() {
        let l = parse_list(
            "Digest realm = \"atlanta\\\"com\" ,\r\n  nonce=\"a\r\n b\",algorithm=MD5,, stale=FALSE",
        )
        .expect("valid");
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].get("REALM"), Some("atlanta\"com"));
        assert_eq!(l[0].get("nonce"), Some("a b"));
        assert_eq!(l[0].get("algorithm"), Some("MD5"));
        assert_eq!(l[0].get("stale"), Some("FALSE"));
    }

    #[test]
    fn several_challenges_in_one_value() {
        let l = parse_list("Digest realm=\"a\", nonce=\"1\", Digest realm=\"b\", nonce=\"2\"")
            .expect("valid");
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].get("realm"), Some("b"));
        let l = parse_list("Basic realm=\"x\", Digest nonce=abc/+==").expect("valid");
        assert_eq!(l[0].scheme, "Basic");
        assert_eq!(l[1].get("nonce"), Some("abc/+=="));
    }

    #[test]
    fn malformed_values() {
        for bad in [
            "",
            "Digest realm=",
            "Digest realm=\"open",
            "Digest realm=\"a\" nonce=\"b\"",
            "Digest realm=\"a\", realm=\"b\"",
            "\"Digest\"",
        ] {
            assert!(parse_list(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quote_round_trips() {
        let q = quote("a\"b\\c");
        assert_eq!(q, "\"a\\\"b\\\\c\"");
        assert_eq!(unquote(&q), "a\"b\\c");
    }
}
