//! `name-addr` / `addr-spec` values: From, To, Contact, Route, Record-Route, Refer-To ...
//! (RFC 3261 §20.10, §25.1).

use super::GrammarError;
use super::chars::{is_token, is_uric};
use super::cursor::Cursor;
use super::params::{Params, parse_params};
use super::uri::Uri;

/// One address with its header parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name as written: a quoted string with its quotes, or tokens.
    pub display: Option<&'a str>,
    pub uri: Uri<'a>,
    /// Whether the URI was enclosed in `<>`.
    pub bracketed: bool,
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// Parses a single-valued header (From, To): exactly one address.
    pub fn parse(s: &'a str) -> Result<NameAddr<'a>, GrammarError> {
        let mut c = Cursor::new(s);
        let v = parse_one(&mut c)?;
        c.expect_end("end of address")?;
        Ok(v)
    }

    /// Parses a comma-separated list of addresses (Contact, Route, Record-Route).
    pub fn parse_list(s: &'a str) -> Result<Vec<NameAddr<'a>>, GrammarError> {
        let mut out = Vec::with_capacity(1);
        for_each(s, |a| {
            out.push(a);
            Ok(())
        })?;
        Ok(out)
    }

    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").flatten()
    }
}

/// Calls `f` for each address of a comma-separated list, without allocating.
pub fn for_each<'a>(
    s: &'a str,
    mut f: impl FnMut(NameAddr<'a>) -> Result<(), GrammarError>,
) -> Result<(), GrammarError> {
    let mut c = Cursor::new(s);
    loop {
        f(parse_one(&mut c)?)?;
        if !c.eat_sep(b',') {
            return c.expect_end("',' or end of address list");
        }
    }
}

fn parse_one<'a>(c: &mut Cursor<'a>) -> Result<NameAddr<'a>, GrammarError> {
    c.skip_lws();
    let display = display_name(c)?;
    if display.is_some() || c.peek() == Some(b'<') {
        c.skip_lws();
        if !c.eat(b'<') {
            return Err(c.error("'<'"));
        }
        // No white space is allowed inside the brackets (RFC 4475 §3.1.2.14).
        let uri_text = c.take_until(|b| b == b'>' || b == b' ' || b == b'\t' || b == b'\r');
        if !c.eat(b'>') {
            return Err(c.error("'>' after the URI"));
        }
        let uri = Uri::parse(uri_text)?;
        let params = parse_params(c)?;
        return Ok(NameAddr {
            display,
            uri,
            bracketed: true,
            params,
        });
    }
    // addr-spec form: the URI ends at the first `;`, `,` or white space, and may not carry
    // URI headers (RFC 3261 §20: a URI with `,` `;` or `?` must be bracketed).
    let uri_text = c.take_while(|b| is_uric(b) && b != b';' && b != b',');
    if super::chars::find(uri_text, b'?').is_some() {
        return Err(GrammarError::BadUri(uri_text.to_owned()));
    }
    let uri = Uri::parse(uri_text)?;
    let params = parse_params(c)?;
    Ok(NameAddr {
        display: None,
        uri,
        bracketed: false,
        params,
    })
}

/// `display-name = *(token LWS) / quoted-string`, only when followed by `<`.
fn display_name<'a>(c: &mut Cursor<'a>) -> Result<Option<&'a str>, GrammarError> {
    if c.peek() == Some(b'"') {
        return c.quoted_string().map(Some);
    }
    // Tokens followed by '<' are a display name; otherwise rewind (addr-spec form).
    let save = c.clone();
    let start = c.pos();
    let mut end = start;
    loop {
        let t = c.take_while(is_token);
        if t.is_empty() {
            break;
        }
        end = c.pos();
        c.skip_lws();
    }
    if end > start && c.peek() == Some(b'<') {
        Ok(Some(c.slice(start, end)))
    } else {
        *c = save;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_display_name_with_escapes() {
        let a = NameAddr::parse(
            "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
        )
        .expect("valid");
        assert_eq!(a.display, Some("\"J Rosenberg \\\\\\\"\""));
        assert_eq!(a.tag(), Some("98asjd8"));
        assert!(a.bracketed);
    }

    #[test]
    fn addr_spec_form_params_belong_to_the_header() {
        let a = NameAddr::parse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n")
            .expect("valid");
        assert!(!a.bracketed);
        assert_eq!(a.tag(), Some("1918181833n"));
    }

    #[test]
    fn no_space_needed_before_bracket() {
        let a = NameAddr::parse("\"caller\"<sip:caller@example.com>;tag=323").expect("valid");
        assert_eq!(a.display, Some("\"caller\""));
    }

    #[test]
    fn token_display_names() {
        let a = NameAddr::parse("Alice Smith <sip:a@example.com>").expect("valid");
        assert_eq!(a.display, Some("Alice Smith"));
    }

    #[test]
    fn malformed_addresses() {
        for bad in [
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "\"Mr. J. User <sip:j.user@example.com>",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "<sip:a@example.com",
            "<sip:a@example.com>;;",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists() {
        let l = NameAddr::parse_list("<sip:a@x>;q=0.5, \"B\" <sip:b@y>;expires=10").expect("valid");
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].params.get("expires"), Some(Some("10")));
    }
}
