//! Small single-valued headers: CSeq, Max-Forwards, Content-Length, Expires, Call-ID,
//! Date, Content-Type and option-tag lists.

use super::GrammarError;
use super::chars::{is_token, is_word};
use super::cursor::Cursor;

/// `CSeq = 1*DIGIT LWS Method` (§20.16). The number must fit 32 bits (§8.1.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: &'a str,
}

impl<'a> CSeq<'a> {
    pub fn parse(s: &'a str) -> Result<CSeq<'a>, GrammarError> {
        let mut c = Cursor::new(s);
        c.skip_lws();
        let digits = c.take_while(|b| b.is_ascii_digit());
        let seq = parse_u32(digits, "CSeq number")?;
        if !c.skip_lws() {
            return Err(c.error("white space after the CSeq number"));
        }
        let method = c.token("CSeq method")?;
        c.expect_end("end of CSeq")?;
        Ok(CSeq { seq, method })
    }
}

/// A `delta-seconds`/`1*DIGIT` value that must fit in 32 bits (Expires, Content-Length).
pub fn parse_u32(s: &str, what: &'static str) -> Result<u32, GrammarError> {
    let t = s.trim_ascii();
    if t.is_empty() || t.len() > 10 {
        let error = if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
            GrammarError::OutOfRange {
                what,
                value: s.to_owned(),
            }
        } else {
            GrammarError::NotANumber {
                what,
                value: s.to_owned(),
            }
        };
        return Err(error);
    }
    let mut v: u64 = 0;
    for b in t.bytes() {
        if !b.is_ascii_digit() {
            return Err(GrammarError::NotANumber {
                what,
                value: s.to_owned(),
            });
        }
        v = v * 10 + u64::from(b - b'0');
    }
    u32::try_from(v).map_err(|_| GrammarError::OutOfRange {
        what,
        value: s.to_owned(),
    })
}

/// `Max-Forwards = 1*DIGIT`, 0..=255 (§20.22).
pub fn parse_max_forwards(s: &str) -> Result<u8, GrammarError> {
    let n = parse_u32(s, "Max-Forwards")?;
    u8::try_from(n).map_err(|_| GrammarError::OutOfRange {
        what: "Max-Forwards",
        value: s.to_owned(),
    })
}

/// `callid = word [ "@" word ]` (§25.1).
pub fn validate_call_id(s: &str) -> Result<(), GrammarError> {
    let (a, b) = match super::chars::split_once(s, b'@') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let word = |w: &str| !w.is_empty() && w.bytes().all(is_word);
    if word(a) && b.is_none_or(word) {
        Ok(())
    } else {
        Err(GrammarError::BadCallId(s.to_owned()))
    }
}

/// `Date = rfc1123-date` and the zone must be `GMT` (§20.17, RFC 4475 §3.1.2.12).
pub fn validate_date(s: &str) -> Result<(), GrammarError> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let bad = || GrammarError::BadDate(s.to_owned());
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    // "Sat, 13 Nov 2010 23:29:00 GMT"
    let (wkday, rest) = s.split_once(", ").ok_or_else(bad)?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, zone] = parts.as_slice() else {
        return Err(bad());
    };
    let t: Vec<&str> = time.split(':').collect();
    let ok = DAYS.contains(&wkday)
        && digits(day, 2)
        && MONTHS.contains(month)
        && digits(year, 4)
        && t.len() == 3
        && t.iter().all(|p| digits(p, 2))
        && *zone == "GMT";
    if ok { Ok(()) } else { Err(bad()) }
}

/// `media-type = m-type SLASH m-subtype *(SEMI m-parameter)` (§20.15). Returns
/// `type/subtype` without parameters.
pub fn parse_content_type(s: &str) -> Result<(&str, &str), GrammarError> {
    let mut c = Cursor::new(s);
    c.skip_lws();
    let ty = c.token("media type")?;
    if !c.eat_sep(b'/') {
        return Err(c.error("'/' in media type"));
    }
    let sub = c.token("media subtype")?;
    super::params::parse_params(&mut c)?;
    c.expect_end("end of media type")?;
    Ok((ty, sub))
}

/// A comma-separated list of tokens (Require, Supported, Allow, Proxy-Require ...).
pub fn for_each_token<'a>(s: &'a str, mut f: impl FnMut(&'a str)) -> Result<(), GrammarError> {
    let mut c = Cursor::new(s);
    c.skip_lws();
    if c.at_end() {
        // An empty Supported/Allow is legal (§20.37: `[option-tag *(COMMA option-tag)]`).
        return Ok(());
    }
    loop {
        let t = c.take_while(is_token);
        if t.is_empty() {
            return Err(c.error("token"));
        }
        f(t);
        if !c.eat_sep(b',') {
            return c.expect_end("',' or end of list");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        assert_eq!(
            CSeq::parse("0009\r\n  INVITE"),
            Ok(CSeq {
                seq: 9,
                method: "INVITE"
            })
        );
        assert!(CSeq::parse("36893488147419103232 INVITE").is_err());
        assert!(CSeq::parse("INVITE").is_err());
        assert!(CSeq::parse("1INVITE").is_err());
    }

    #[test]
    fn scalars() {
        assert_eq!(parse_max_forwards("0068"), Ok(68));
        assert!(parse_max_forwards("300").is_err());
        assert!(parse_u32("-999", "Content-Length").is_err());
        assert!(parse_u32("10000000000000000000000", "Expires").is_err());
    }

    #[test]
    fn call_ids() {
        assert!(validate_call_id("0ha0isndaksdj@192.0.2.1").is_ok());
        assert!(validate_call_id("a b").is_err());
        assert!(validate_call_id("a@").is_err());
    }

    #[test]
    fn dates() {
        assert!(validate_date("Sat, 13 Nov 2010 23:29:00 GMT").is_ok());
        assert!(validate_date("Fri, 01 Jan 2010 16:00:00 EST").is_err());
    }

    #[test]
    fn content_types_and_tokens() {
        assert_eq!(
            parse_content_type("multipart/mixed;boundary=7a9cbec02ceef655"),
            Ok(("multipart", "mixed"))
        );
        assert!(parse_content_type("application").is_err());
        let mut v = vec![];
        for_each_token("100rel , timer", |t| v.push(t)).expect("valid");
        assert_eq!(v, ["100rel", "timer"]);
        assert!(for_each_token("a,,b", |_| {}).is_err());
    }
}
