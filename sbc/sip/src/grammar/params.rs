//! Header parameters: `*( SEMI generic-param )`, `generic-param = token [ EQUAL gen-value ]`,
//! `gen-value = token / host / quoted-string` (RFC 3261 §25.1).

use super::GrammarError;
use super::chars::is_token;
use super::cursor::Cursor;

/// Parameters of a header value as written, starting at the first `;` (empty when none).
/// Validated when the value was parsed; iteration re-reads the text without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a>(pub(crate) &'a str);

impl<'a> Params<'a> {
    /// The raw text (`;tag=1;lr`).
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// `(name, value)` pairs; a flag parameter has value `None`. Quotes are kept.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        let mut c = Cursor::new(self.0);
        std::iter::from_fn(move || {
            if !c.eat_sep(b';') {
                return None;
            }
            // The text was validated by `parse_params`, so these cannot fail; on the
            // impossible path iteration simply ends.
            let name = c.token("parameter name").ok()?;
            let value = if c.eat_sep(b'=') {
                Some(gen_value(&mut c).ok()?)
            } else {
                None
            };
            Some((name, value))
        })
    }

    /// The value of parameter `name` (case-insensitive); `Some(None)` for a flag.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Consumes `*( SEMI generic-param )` and returns it.
pub(crate) fn parse_params<'a>(c: &mut Cursor<'a>) -> Result<Params<'a>, GrammarError> {
    let start = c.pos();
    let mut end = start;
    while c.eat_sep(b';') {
        c.token("parameter name")?;
        if c.eat_sep(b'=') {
            gen_value(c)?;
        }
        end = c.pos();
    }
    // Give back white space that followed the last parameter.
    let text = c.slice(start, end);
    Ok(Params(text.trim_start_matches([' ', '\t', '\r', '\n'])))
}

fn gen_value<'a>(c: &mut Cursor<'a>) -> Result<&'a str, GrammarError> {
    match c.peek() {
        Some(b'"') => c.quoted_string(),
        Some(b'[') => {
            let start = c.pos();
            c.take_until(|b| b == b']');
            if !c.eat(b']') {
                return Err(GrammarError::Unterminated("IPv6 reference"));
            }
            Ok(c.slice(start, c.pos()))
        }
        _ => {
            // token covers host names and IPv4 addresses too.
            let v = c.take_while(|b| is_token(b) || b == b':');
            if v.is_empty() {
                Err(c.error("parameter value"))
            } else {
                Ok(v)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Result<Params<'_>, GrammarError> {
        let mut c = Cursor::new(s);
        let p = parse_params(&mut c)?;
        c.expect_end("end")?;
        Ok(p)
    }

    #[test]
    fn params_with_white_space_and_quotes() {
        let p = params(" ;   tag    = 1918181833n ; lr; x=\"a;b\"").expect("valid");
        assert_eq!(p.get("tag"), Some(Some("1918181833n")));
        assert_eq!(p.get("LR"), Some(None));
        assert_eq!(p.get("x"), Some(Some("\"a;b\"")));
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn empty_params_are_malformed() {
        assert!(params(";;").is_err());
        assert!(params(";=x").is_err());
        assert!(params(";a=").is_err());
    }
}
