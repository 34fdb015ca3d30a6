//! SIP INFO bodies that carry DTMF: `application/dtmf-relay` (`Signal=5` and `Duration=160`
//! lines, the de-facto format of Cisco and most PBXs) and `application/dtmf` (the digit
//! alone). Other INFO bodies (`application/media_control+xml` picture fast update, vendor
//! types) are not DTMF and are relayed untouched.

use sbc_config::DtmfInfoType;
use sbc_core::Digit;

/// A digit without `Duration=` lasts this long.
pub const DEFAULT_MS: u32 = 160;
/// Durations are kept within Q.24's minimum and a few seconds.
pub const MS_RANGE: std::ops::RangeInclusive<u32> = 40..=5000;

/// Why a DTMF body is refused (answered 400, nothing played).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfoError {
    #[error("no Signal= line")]
    NoSignal,
    #[error("Signal {0:?} is not a DTMF digit")]
    BadSignal(String),
    #[error("Duration {0:?} is not a number of milliseconds")]
    BadDuration(String),
    #[error("body is not text")]
    NotText,
}

/// The DTMF type of a Content-Type, if it is one.
pub fn dtmf_type(content_type: Option<&str>) -> Option<DtmfInfoType> {
    let media_type = content_type?
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/dtmf-relay" => Some(DtmfInfoType::DtmfRelay),
        "application/dtmf" => Some(DtmfInfoType::Dtmf),
        _ => None,
    }
}

/// A signal: a digit symbol, or its RFC 4733 code (`10` is `*`, `11` `#`, 12-15 `A`-`D`).
fn signal(s: &str) -> Result<Digit, InfoError> {
    let bad = || InfoError::BadSignal(s.chars().take(16).collect());
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Digit::from_char(c).ok_or_else(bad),
        _ => s
            .parse::<u8>()
            .ok()
            .and_then(Digit::from_code)
            .ok_or_else(bad),
    }
}

/// The digit and its duration (ms, within [`MS_RANGE`]) of a DTMF body of type `t`.
pub fn parse(t: DtmfInfoType, body: &[u8]) -> Result<(Digit, u32), InfoError> {
    let text = std::str::from_utf8(body).map_err(|_| InfoError::NotText)?;
    match t {
        DtmfInfoType::Dtmf => Ok((signal(text.trim())?, DEFAULT_MS)),
        DtmfInfoType::DtmfRelay => {
            let mut digit = None;
            let mut ms = DEFAULT_MS;
            for line in text.lines() {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                let value = value.trim();
                match key.trim().to_ascii_lowercase().as_str() {
                    "signal" => digit = Some(signal(value)?),
                    "duration" => {
                        let n: u32 = value.parse().map_err(|_| {
                            InfoError::BadDuration(value.chars().take(16).collect())
                        })?;
                        ms = n.clamp(*MS_RANGE.start(), *MS_RANGE.end());
                    }
                    _ => {}
                }
            }
            Ok((digit.ok_or(InfoError::NoSignal)?, ms))
        }
    }
}

/// The body of an INFO for `digit` (the digit itself: call only to send it).
pub fn body(t: DtmfInfoType, digit: Digit, ms: u32) -> Vec<u8> {
    match t {
        DtmfInfoType::DtmfRelay => {
            format!("Signal={}\r\nDuration={ms}\r\n", digit.reveal()).into_bytes()
        }
        DtmfInfoType::Dtmf => digit.reveal().to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> Digit {
        Digit::from_char(c).unwrap_or_else(|| panic!("{c}"))
    }

    #[test]
    fn bodies_both_ways() {
        let relay = DtmfInfoType::DtmfRelay;
        assert_eq!(
            parse(relay, b"Signal=5\r\nDuration=160\r\n"),
            Ok((d('5'), 160))
        );
        assert_eq!(parse(relay, b"signal= #\nduration= 250"), Ok((d('#'), 250)));
        assert_eq!(
            parse(relay, b"Signal=11\r\n"),
            Ok((d('#'), 160)),
            "numeric, default"
        );
        assert_eq!(
            parse(relay, b"Signal=*\r\nDuration=1\r\n"),
            Ok((d('*'), 40))
        );
        assert_eq!(
            parse(relay, b"Signal=D\r\nDuration=99999\r\n"),
            Ok((d('D'), 5000))
        );
        assert_eq!(parse(relay, b"Duration=100\r\n"), Err(InfoError::NoSignal));
        assert_eq!(
            parse(relay, b"Signal=16\r\n"),
            Err(InfoError::BadSignal("16".into()))
        );
        assert_eq!(
            parse(relay, b"Signal=55\r\n"),
            Err(InfoError::BadSignal("55".into()))
        );
        assert_eq!(
            parse(relay, b"Signal=5\r\nDuration=long\r\n"),
            Err(InfoError::BadDuration("long".into()))
        );
        assert_eq!(parse(relay, &[0xff, 0xfe]), Err(InfoError::NotText));
        assert_eq!(parse(DtmfInfoType::Dtmf, b"7\r\n"), Ok((d('7'), 160)));
        assert!(parse(DtmfInfoType::Dtmf, b"").is_err());
        assert_eq!(body(relay, d('9'), 200), b"Signal=9\r\nDuration=200\r\n");
        assert_eq!(body(DtmfInfoType::Dtmf, d('A'), 200), b"A");
        assert_eq!(dtmf_type(Some("Application/DTMF-Relay; x=1")), Some(relay));
        assert_eq!(
            dtmf_type(Some("application/dtmf")),
            Some(DtmfInfoType::Dtmf)
        );
        assert_eq!(dtmf_type(Some("application/media_control+xml")), None);
        assert_eq!(dtmf_type(None), None);
    }
}
