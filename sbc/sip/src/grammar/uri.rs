//! URIs: `sip:`/`sips:` parsed into their parts (RFC 3261 §19.1), anything else kept as an
//! opaque `absoluteURI` (RFC 2396) whose scheme the caller may refuse with 416.

use std::fmt;

use super::GrammarError;
use super::chars::{
    find, is_escaped_with, is_header, is_param, is_password, is_uric, is_user, split_once,
};
use super::host::{Host, parse_hostport};

/// A parsed URI, borrowing from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uri<'a> {
    Sip(SipUri<'a>),
    /// Any other scheme: `tel:`, `urn:`, `isbn:` ... kept as written.
    Other {
        scheme: &'a str,
        rest: &'a str,
    },
}

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUri<'a> {
    pub secure: bool,
    /// The user part, still %-escaped as written.
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    pub host: Host<'a>,
    pub port: Option<u16>,
    /// URI parameters as written, each preceded by `;` (empty when none).
    pub params: &'a str,
    /// URI headers as written, after the `?` (empty when none).
    pub headers: &'a str,
}

impl<'a> Uri<'a> {
    /// Parses a complete URI (no surrounding white space or brackets).
    pub fn parse(s: &'a str) -> Result<Uri<'a>, GrammarError> {
        let (scheme, rest) =
            split_once(s, b':').ok_or_else(|| GrammarError::BadUri(s.to_owned()))?;
        if !is_scheme(scheme) {
            return Err(GrammarError::BadUri(s.to_owned()));
        }
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            let secure = scheme.len() == 4;
            return SipUri::parse_after_scheme(secure, rest)
                .map(Uri::Sip)
                .map_err(|_| GrammarError::BadUri(s.to_owned()));
        }
        if rest.is_empty() || !rest.bytes().all(is_uric) {
            return Err(GrammarError::BadUri(s.to_owned()));
        }
        Ok(Uri::Other { scheme, rest })
    }

    pub fn scheme(&self) -> &'a str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Other { scheme, .. } => scheme,
        }
    }

    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Uri::Sip(u) => Some(u),
            Uri::Other { .. } => None,
        }
    }
}

fn is_scheme(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

impl<'a> SipUri<'a> {
    fn parse_after_scheme(secure: bool, s: &'a str) -> Result<SipUri<'a>, GrammarError> {
        let bad = || GrammarError::BadUri(s.to_owned());
        // `@` cannot appear unescaped after the userinfo, so the first one ends it.
        let (userinfo, hostpart) = match find(s, b'@') {
            Some(i) => (Some(&s[..i]), &s[i + 1..]),
            None => (None, s),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => {
                let (u, p) = match split_once(ui, b':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (ui, None),
                };
                if u.is_empty() || !is_escaped_with(u, is_user) {
                    return Err(bad());
                }
                if let Some(p) = p {
                    if !is_escaped_with(p, is_password) {
                        return Err(bad());
                    }
                }
                (Some(u), p)
            }
        };
        let (before_headers, headers, has_headers) = match split_once(hostpart, b'?') {
            Some((b, h)) => (b, h, true),
            None => (hostpart, "", false),
        };
        let (hostport, params) = match find(before_headers, b';') {
            Some(i) => before_headers.split_at(i),
            None => (before_headers, ""),
        };
        let (host, port) = parse_hostport(hostport).map_err(|_| bad())?;
        if !params_are_valid(params) || !headers_are_valid(headers, has_headers) {
            return Err(bad());
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// The value of URI parameter `name` (`Some("")` for a flag like `;lr`).
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params.split(';').skip(1).find_map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            n.eq_ignore_ascii_case(name).then_some(v)
        })
    }
}

/// `*( ";" pname [ "=" pvalue ] )`: every name non-empty, every character a paramchar or
/// a complete escape. One pass over the bytes.
fn params_are_valid(params: &str) -> bool {
    let b = params.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // b[i] == ';' (the text starts with one, and the loop stops at the next).
        i += 1;
        let name_start = i;
        i = skip_escaped(b, i, |c| is_param(c) && c != b'=');
        if i == name_start || i == usize::MAX {
            return false;
        }
        if b.get(i) == Some(&b'=') {
            i = skip_escaped(b, i + 1, is_param);
            if i == usize::MAX {
                return false;
            }
        }
        if i < b.len() && b[i] != b';' {
            return false;
        }
    }
    true
}

/// Skips characters for which `ok` holds and `%HH` escapes; `usize::MAX` on a broken escape.
fn skip_escaped(b: &[u8], mut i: usize, ok: impl Fn(u8) -> bool) -> usize {
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return usize::MAX;
            }
            i += 3;
        } else if c != b';' && ok(c) {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn headers_are_valid(headers: &str, present: bool) -> bool {
    if !present {
        return true;
    }
    headers.split('&').all(|h| match split_once(h, b'=') {
        Some((n, v)) => {
            !n.is_empty() && is_escaped_with(n, is_header) && is_escaped_with(v, is_header)
        }
        None => false,
    })
}

impl fmt::Display for SipUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = self.user {
            f.write_str(u)?;
            if let Some(p) = self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        f.write_str(self.params)?;
        if !self.headers.is_empty() {
            write!(f, "?{}", self.headers)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri<'_> {
        match Uri::parse(s) {
            Ok(Uri::Sip(u)) => u,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn rfc4475_unusual_userinfo() {
        let u = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(
            u.user,
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password,
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
        assert_eq!(u.host, Host::Name("example.com"));
    }

    #[test]
    fn semicolons_in_the_user_part() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user, Some("user;par=u%40example.net"));
        assert_eq!(u.params, "");
    }

    #[test]
    fn params_headers_and_ports() {
        let u = sip("sips:alice@[2001:db8::1]:5061;transport=tls;lr?Subject=hi");
        assert!(u.secure);
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.param("transport"), Some("tls"));
        assert_eq!(u.param("lr"), Some(""));
        assert_eq!(u.param("maddr"), None);
        assert_eq!(u.headers, "Subject=hi");
        assert_eq!(
            u.to_string(),
            "sips:alice@[2001:db8::1]:5061;transport=tls;lr?Subject=hi"
        );
    }

    #[test]
    fn other_schemes_are_opaque() {
        assert_eq!(
            Uri::parse("soap.beep://192.0.2.103:3002"),
            Ok(Uri::Other {
                scheme: "soap.beep",
                rest: "//192.0.2.103:3002"
            })
        );
        assert_eq!(
            Uri::parse("tel:+1-201-555-0123").map(|u| u.scheme()),
            Ok("tel")
        );
    }

    #[test]
    fn malformed() {
        for bad in [
            "<sip:user@example.com>",
            "sip:user@example.com; lr",
            "sip:user@exa mple.com",
            "sip:@example.com",
            "sip:user@10.0.0.300",
            "sip:user@host:70000",
            "sip:user%4@host",
            "sip:host?noequals",
            "nocolon",
            "1sip:host",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }
}
