//! Via (RFC 3261 §20.42, §25.1) with the parameters a transaction layer needs.

use super::GrammarError;
use super::chars::is_token;
use super::cursor::Cursor;
use super::host::{Host, parse_hostport};
use super::params::{Params, parse_params};

/// The RFC 3261 branch prefix that marks a globally unique branch (§8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// One `via-parm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// `SIP/2.0`: the protocol name and version, as written.
    pub protocol: &'a str,
    pub version: &'a str,
    /// `UDP`, `TCP`, `TLS`, `SCTP` or any other token.
    pub transport: &'a str,
    pub host: Host<'a>,
    pub port: Option<u16>,
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parses a Via header value, which may hold several comma-separated `via-parm`s.
    pub fn parse_list(s: &'a str) -> Result<Vec<Via<'a>>, GrammarError> {
        let mut out = Vec::with_capacity(1);
        for_each(s, |v| {
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first `via-parm` of a header value.
    pub fn parse_first(s: &'a str) -> Result<Via<'a>, GrammarError> {
        let mut c = Cursor::new(s);
        parse_one(&mut c)
    }

    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// `rport` (RFC 3581): `None` absent, `Some(None)` requested, `Some(Some(p))` filled.
    pub fn rport(&self) -> Option<Option<&'a str>> {
        self.params.get("rport")
    }

    pub fn received(&self) -> Option<&'a str> {
        self.params.get("received").flatten()
    }

    /// Whether the branch carries the RFC 3261 magic cookie.
    pub fn is_rfc3261(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with(MAGIC_COOKIE))
    }
}

/// Calls `f` for each `via-parm` in a header value.
pub fn for_each<'a>(
    s: &'a str,
    mut f: impl FnMut(Via<'a>) -> Result<(), GrammarError>,
) -> Result<(), GrammarError> {
    let mut c = Cursor::new(s);
    loop {
        f(parse_one(&mut c)?)?;
        if !c.eat_sep(b',') {
            return c.expect_end("',' or end of Via");
        }
    }
}

fn parse_one<'a>(c: &mut Cursor<'a>) -> Result<Via<'a>, GrammarError> {
    c.skip_lws();
    let protocol = c.token("protocol name")?;
    if !c.eat_sep(b'/') {
        return Err(c.error("'/' in sent-protocol"));
    }
    let version = c.token("protocol version")?;
    if !c.eat_sep(b'/') {
        return Err(c.error("'/' in sent-protocol"));
    }
    let transport = c.token("transport")?;
    if !c.skip_lws() {
        return Err(c.error("white space before sent-by"));
    }
    let sent_by = if c.peek() == Some(b'[') {
        let start = c.pos();
        c.take_until(|b| b == b']');
        c.eat(b']');
        c.take_while(|b| b == b':' || b.is_ascii_digit());
        c.slice(start, c.pos())
    } else {
        c.take_while(|b| is_token(b) || b == b':')
    };
    let (host, port) = parse_hostport(sent_by)?;
    // `sent-by = host [ COLON port ]` where COLON may have white space around it.
    let port = match port {
        Some(p) => Some(p),
        None if c.eat_sep(b':') => Some(super::host::parse_port(
            c.take_while(|b| b.is_ascii_digit()),
        )?),
        None => None,
    };
    let params = parse_params(c)?;
    Ok(Via {
        protocol,
        version,
        transport,
        host,
        port,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_and_spaced_vias() {
        let v = Via::parse_list(
            "SIP/2.0/TCP spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239",
        )
        .expect("valid");
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].transport, "TCP");
        assert_eq!(v[0].branch(), Some("z9hG4bK9ikj8"));
        assert_eq!(v[1].transport, "UDP");
        assert_eq!(v[1].branch(), Some("z9hG4bK30239"));
        assert!(v[1].is_rfc3261());
    }

    #[test]
    fn rport_and_ipv6() {
        let v = Via::parse_first("SIP/2.0/UDP [2001:db8::9]:5070;rport;branch=z9hG4bKx")
            .expect("valid");
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.rport(), Some(None));
    }

    #[test]
    fn malformed_vias() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;,;,,",
            "SIP/2.0/UDP",
            "SIP/2.0 host",
            "SIP/2.0/UDP host;branch=",
            "SIP/2.0/UDP 10.0.0.300",
        ] {
            assert!(Via::parse_list(bad).is_err(), "{bad}");
        }
    }
}
