//! Just enough DER to show an X.509 certificate to an operator: the subject's common
//! name and the validity period. Everything else (signatures, extensions) is checked by
//! rustls/webpki when the certificate is loaded.

use crate::clock::days_from_civil;

/// Why a certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    #[error("truncated DER at byte {at}")]
    Truncated { at: usize },
    #[error("unexpected DER tag 0x{tag:02x} at byte {at} (expected {expected})")]
    Tag {
        tag: u8,
        at: usize,
        expected: &'static str,
    },
    #[error("invalid time {text:?}")]
    Time { text: String },
}

/// What the UI shows of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// The subject's CN, or the whole subject as `attr=value` pairs when it has none.
    pub subject: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    fn at(&self) -> usize {
        self.base + self.pos
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn byte(&mut self) -> Result<u8, DerError> {
        let b = self
            .buf
            .get(self.pos)
            .copied()
            .ok_or(DerError::Truncated { at: self.at() })?;
        self.pos += 1;
        Ok(b)
    }

    /// One TLV: `(tag, contents, offset of the contents)`.
    fn tlv(&mut self) -> Result<(u8, &'a [u8], usize), DerError> {
        let tag = self.byte()?;
        let first = self.byte()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err(DerError::Truncated { at: self.at() });
            }
            let mut len = 0usize;
            for _ in 0..n {
                len = (len << 8) | usize::from(self.byte()?);
            }
            len
        };
        let start = self.pos;
        let end = start
            .checked_add(len)
            .filter(|e| *e <= self.buf.len())
            .ok_or(DerError::Truncated { at: self.at() })?;
        self.pos = end;
        Ok((tag, &self.buf[start..end], self.base + start))
    }

    fn expect(&mut self, want: u8, expected: &'static str) -> Result<Reader<'a>, DerError> {
        let at = self.at();
        let (tag, body, off) = self.tlv()?;
        if tag != want {
            return Err(DerError::Tag { tag, at, expected });
        }
        Ok(Reader::new(body, off))
    }
}

const SEQUENCE: u8 = 0x30;
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

/// Reads the subject and validity of a DER certificate.
pub fn summary(der: &[u8]) -> Result<CertSummary, DerError> {
    let mut cert = Reader::new(der, 0).expect(SEQUENCE, "Certificate")?;
    let mut tbs = cert.expect(SEQUENCE, "TBSCertificate")?;
    if tbs.peek() == Some(0xa0) {
        tbs.tlv()?; // version
    }
    tbs.tlv()?; // serialNumber
    tbs.expect(SEQUENCE, "signature AlgorithmIdentifier")?;
    tbs.expect(SEQUENCE, "issuer Name")?;
    let mut validity = tbs.expect(SEQUENCE, "Validity")?;
    let not_before = time(&mut validity)?;
    let not_after = time(&mut validity)?;
    let subject = name(tbs.expect(SEQUENCE, "subject Name")?)?;
    Ok(CertSummary {
        subject,
        not_before,
        not_after,
    })
}

fn time(r: &mut Reader<'_>) -> Result<i64, DerError> {
    let at = r.at();
    let (tag, body, _) = r.tlv()?;
    let text = String::from_utf8_lossy(body).into_owned();
    let bad = || DerError::Time { text: text.clone() };
    let digits = text.strip_suffix('Z').ok_or_else(bad)?;
    let (year, rest) = match tag {
        0x17 if digits.len() == 12 => {
            let yy: i64 = digits[..2].parse().map_err(|_| bad())?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &digits[2..])
        }
        0x18 if digits.len() == 14 => (digits[..4].parse().map_err(|_| bad())?, &digits[4..]),
        0x17 | 0x18 => return Err(bad()),
        _ => {
            return Err(DerError::Tag {
                tag,
                at,
                expected: "UTCTime or GeneralizedTime",
            });
        }
    };
    if !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let field = |i: usize| -> u32 { rest[i..i + 2].parse().unwrap_or(99) };
    let (mo, d, h, mi, s) = (field(0), field(2), field(4), field(6), field(8));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    Ok(days_from_civil(year, mo, d) * 86_400
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(s))
}

fn name(mut r: Reader<'_>) -> Result<String, DerError> {
    let mut parts = Vec::new();
    let mut cn = None;
    while r.peek().is_some() {
        let mut set = r.expect(0x31, "RelativeDistinguishedName")?;
        while set.peek().is_some() {
            let mut attr = set.expect(SEQUENCE, "AttributeTypeAndValue")?;
            let (_, oid, _) = attr.tlv()?;
            let (_, value, _) = attr.tlv()?;
            let value = String::from_utf8_lossy(value).into_owned();
            if oid == COMMON_NAME {
                cn = Some(value.clone());
            }
            parts.push(value);
        }
    }
    Ok(cn.unwrap_or_else(|| parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_rcgen_certificate() {
        let mut params =
            rcgen::CertificateParams::new(vec!["sbc.example".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sbc.example");
        params.not_before = rcgen::date_time_ymd(2025, 1, 2);
        params.not_after = rcgen::date_time_ymd(2060, 3, 4);
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let s = summary(cert.der()).expect("summary");
        assert_eq!(s.subject, "sbc.example");
        assert_eq!(crate::clock::rfc3339(s.not_before), "2025-01-02T00:00:00Z");
        assert_eq!(crate::clock::rfc3339(s.not_after), "2060-03-04T00:00:00Z");
    }

    #[test]
    fn refuses_garbage() {
        assert!(summary(b"").is_err());
        assert!(summary(&[0x30, 0x05, 0x30]).is_err());
        assert!(summary(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
