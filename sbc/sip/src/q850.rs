//! ITU-T Q.850 cause values in SIP: the `Reason` header (RFC 3326, in responses RFC 6432)
//! and the mapping of SIP status codes to causes (RFC 3398 §8.2.6.1).
//!
//! * [`parse_reason`] finds the `Q.850` value among a `Reason` header's comma-separated
//!   values (`SIP;cause=200;text="Call completed elsewhere", Q.850;cause=16`).
//! * [`from_status`] maps a final SIP code to the cause an ISUP gateway would send
//!   (RFC 3398's table; codes it leaves out map to 127, interworking unspecified).
//! * [`for_end`] is the cause of a call's end as the B2BUA saw it: 16 (normal call
//!   clearing) for a BYE or CANCEL, the mapped code for a rejection, 102 (recovery on timer
//!   expiry) for the SBC's own timeouts and 41 (temporary failure) for its failures.
//! * [`header_value`] renders `Q.850;cause=16;text="Normal call clearing"`.

use crate::b2bua::EndReason;

/// A Q.850 cause, with the text its sender gave (or `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub cause: u16,
    pub text: Option<String>,
}

/// The Q.850 cause of a `Reason` header value, if it has one with a numeric `cause`.
pub fn parse_reason(value: &str) -> Option<Cause> {
    split_values(value).into_iter().find_map(|v| {
        let mut parts = split_outside_quotes(v, ';').into_iter();
        let protocol = parts.next()?.trim();
        if !protocol.eq_ignore_ascii_case("Q.850") {
            return None;
        }
        let mut cause = None;
        let mut text = None;
        for p in parts {
            let (name, val) = p.split_once('=').unwrap_or((p, ""));
            let (name, val) = (name.trim(), val.trim());
            if name.eq_ignore_ascii_case("cause") {
                cause = val.parse::<u16>().ok().filter(|c| *c <= 127);
            } else if name.eq_ignore_ascii_case("text") {
                text = Some(unquote(val));
            }
        }
        Some(Cause {
            cause: cause?,
            text,
        })
    })
}

/// RFC 3398 §8.2.6.1: the cause for a final response `code` (≥ 300).
pub fn from_status(code: u16) -> u16 {
    match code {
        400 | 481 | 500 | 503 => 41,
        401 | 402 | 403 | 407 | 603 => 21,
        404 | 485 | 604 => 1,
        405 => 63,
        406 | 415 | 501 => 79,
        408 | 504 => 102,
        410 => 22,
        480 => 18,
        482 | 483 => 25,
        484 => 28,
        486 | 600 => 17,
        502 => 38,
        // 487 (the caller's CANCEL) is normal clearing, as a CANCEL is (RFC 3398 §8.2.4).
        487 => 16,
        // 488/606: "by Warning header"; 413, 414, 416, 420, 421, 423, 505, 513 and every
        // code the table leaves out.
        _ => 127,
    }
}

/// The cause for a call that ended for `reason`.
pub fn for_end(reason: &EndReason) -> u16 {
    match reason {
        EndReason::Bye(_) | EndReason::Cancelled => 16,
        EndReason::Rejected(code) => from_status(*code),
        EndReason::AckTimeout
        | EndReason::PrackTimeout
        | EndReason::SessionExpired
        | EndReason::MediaTimeout => 102,
        EndReason::DialogLost(_) | EndReason::Failed(_) => 41,
    }
}

/// Q.850's name of a cause (the common ones; others `"Cause N"`-less: `None`).
pub fn name(cause: u16) -> Option<&'static str> {
    Some(match cause {
        1 => "Unallocated number",
        16 => "Normal call clearing",
        17 => "User busy",
        18 => "No user responding",
        19 => "No answer from user",
        21 => "Call rejected",
        22 => "Number changed",
        25 => "Exchange routing error",
        27 => "Destination out of order",
        28 => "Invalid number format",
        31 => "Normal, unspecified",
        34 => "No circuit/channel available",
        38 => "Network out of order",
        41 => "Temporary failure",
        47 => "Resource unavailable, unspecified",
        63 => "Service or option not available",
        65 => "Bearer capability not implemented",
        79 => "Service or option not implemented",
        102 => "Recovery on timer expiry",
        127 => "Interworking, unspecified",
        _ => return None,
    })
}

/// A `Reason` header value for `cause`, with its Q.850 name as text when it has one.
pub fn header_value(cause: u16) -> String {
    match name(cause) {
        Some(text) => format!("Q.850;cause={cause};text=\"{text}\""),
        None => format!("Q.850;cause={cause}"),
    }
}

/// The comma-separated values of a header, commas inside quotes kept.
fn split_values(value: &str) -> Vec<&str> {
    split_outside_quotes(value, ',')
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v);
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b2bua::Side;

    #[test]
    fn rfc_3326_examples() {
        // RFC 3326 §2 (the second value of a header with two protocols).
        let v = r#"SIP ;cause=200 ;text="Call completed elsewhere", Q.850 ;cause=16 ;text="Terminated""#;
        assert_eq!(
            parse_reason(v),
            Some(Cause {
                cause: 16,
                text: Some("Terminated".into())
            })
        );
        assert_eq!(parse_reason(r#"SIP;cause=200;text="x""#), None);
        assert_eq!(
            parse_reason("q.850;cause=17").map(|c| c.cause),
            Some(17),
            "protocol names are case-insensitive"
        );
        assert_eq!(
            parse_reason(r#"Q.850;text="a, \"b\"";cause=34"#),
            Some(Cause {
                cause: 34,
                text: Some("a, \"b\"".into())
            })
        );
    }

    #[test]
    fn nonsense_is_no_cause() {
        for v in [
            "",
            "Q.850",
            "Q.850;cause=",
            "Q.850;cause=abc",
            "Q.850;cause=999",
            "Q.850;cause=-1",
            ";;;,,\"",
        ] {
            assert_eq!(parse_reason(v), None, "{v:?}");
        }
    }

    #[test]
    fn rfc_3398_table() {
        let table = [
            (400, 41),
            (401, 21),
            (403, 21),
            (404, 1),
            (408, 102),
            (410, 22),
            (480, 18),
            (484, 28),
            (486, 17),
            (488, 127),
            (502, 38),
            (503, 41),
            (504, 102),
            (600, 17),
            (603, 21),
            (604, 1),
        ];
        for (code, cause) in table {
            assert_eq!(from_status(code), cause, "{code}");
        }
    }

    #[test]
    fn ends() {
        assert_eq!(for_end(&EndReason::Bye(Side::A)), 16);
        assert_eq!(for_end(&EndReason::Rejected(486)), 17);
        assert_eq!(for_end(&EndReason::MediaTimeout), 102);
        assert_eq!(for_end(&EndReason::Failed("x".into())), 41);
        assert_eq!(
            header_value(16),
            r#"Q.850;cause=16;text="Normal call clearing""#
        );
        assert_eq!(parse_reason(&header_value(102)).map(|c| c.cause), Some(102));
        assert_eq!(header_value(99), "Q.850;cause=99");
    }
}
