//! A cursor over a header value that knows SIP's linear white space.
//!
//! `LWS = [*WSP CRLF] 1*WSP` (RFC 3261 §25.1): a value may be folded over several lines,
//! and every separator (`HCOLON`, `SEMI`, `EQUAL`, `SLASH`, `COMMA`) may be surrounded by
//! it. The parsers in this module only ever skip white space through [`Cursor::skip_lws`],
//! so folding is handled in one place.

use super::GrammarError;
use super::chars::is_token;

#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Cursor { s, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    pub(crate) fn slice(&self, from: usize, to: usize) -> &'a str {
        &self.s[from..to]
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    /// Skips white space, including folded line breaks. Returns whether any was skipped.
    pub(crate) fn skip_lws(&mut self) -> bool {
        let b = self.s.as_bytes();
        let start = self.pos;
        loop {
            match b.get(self.pos) {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'\r')
                    if b.get(self.pos + 1) == Some(&b'\n')
                        && matches!(b.get(self.pos + 2), Some(b' ' | b'\t')) =>
                {
                    self.pos += 3
                }
                _ => break,
            }
        }
        self.pos > start
    }

    /// Consumes `c` if it is next.
    pub(crate) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `SWS c SWS` if `c` is next after optional white space.
    pub(crate) fn eat_sep(&mut self, c: u8) -> bool {
        let save = self.pos;
        self.skip_lws();
        if self.eat(c) {
            self.skip_lws();
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Consumes the longest run of bytes for which `f` holds.
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let b = self.s.as_bytes();
        let start = self.pos;
        while self.pos < b.len() && f(b[self.pos]) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// Consumes bytes up to (not including) the first for which `f` holds.
    pub(crate) fn take_until(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        self.take_while(|b| !f(b))
    }

    pub(crate) fn token(&mut self, what: &'static str) -> Result<&'a str, GrammarError> {
        let t = self.take_while(is_token);
        if t.is_empty() {
            Err(self.error(what))
        } else {
            Ok(t)
        }
    }

    /// A `quoted-string` including its quotes. `\` escapes any character except CR/LF.
    pub(crate) fn quoted_string(&mut self) -> Result<&'a str, GrammarError> {
        let b = self.s.as_bytes();
        let start = self.pos;
        if !self.eat(b'"') {
            return Err(self.error("quoted string"));
        }
        loop {
            match b.get(self.pos) {
                None => return Err(GrammarError::Unterminated("quoted string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(&self.s[start..self.pos]);
                }
                Some(b'\\') => match b.get(self.pos + 1) {
                    Some(b'\r' | b'\n') | None => {
                        return Err(GrammarError::Unterminated("quoted string"));
                    }
                    Some(_) => self.pos += 2,
                },
                // Only a fold (CRLF WSP) may appear inside a quoted string.
                Some(b'\r')
                    if b.get(self.pos + 1) == Some(&b'\n')
                        && matches!(b.get(self.pos + 2), Some(b' ' | b'\t')) =>
                {
                    self.pos += 3;
                }
                Some(b'\r' | b'\n') => return Err(GrammarError::Unterminated("quoted string")),
                Some(_) => self.pos += 1,
            }
        }
    }

    pub(crate) fn expect_end(&mut self, what: &'static str) -> Result<(), GrammarError> {
        self.skip_lws();
        if self.at_end() {
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    pub(crate) fn error(&self, expected: &'static str) -> GrammarError {
        GrammarError::Unexpected {
            expected,
            found: self.rest().chars().take(24).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_white_space_is_skipped() {
        let mut c = Cursor::new(" \r\n\t x");
        assert!(c.skip_lws());
        assert_eq!(c.rest(), "x");
    }

    #[test]
    fn a_bare_line_break_is_not_white_space() {
        let mut c = Cursor::new("\r\nx");
        assert!(!c.skip_lws());
    }

    #[test]
    fn quoted_strings_honour_escapes() {
        let mut c = Cursor::new(r#""J Rosenberg \\\"" rest"#);
        assert_eq!(c.quoted_string().expect("valid"), r#""J Rosenberg \\\"""#);
        let mut c = Cursor::new(r#""unterminated <sip:a@b>"#);
        assert!(c.quoted_string().is_err());
    }
}
