//! Splitting the input into numbered `<letter>=<value>` lines.
//!
//! Lines end in CRLF or a bare LF; the last one may have no ending. Blank lines are
//! skipped (they still count for line numbers). A line is refused when it is longer than
//! the limit, holds a NUL or a CR other than the one before its LF, is not UTF-8, or does
//! not start with a lower-case letter and `=`.

use crate::error::{SdpError, SdpErrorKind};

/// One non-blank line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// 1-based.
    pub number: usize,
    pub letter: u8,
    /// Everything after `=`, without the line ending.
    pub value: &'a str,
}

pub(crate) struct Lines<'a> {
    rest: &'a [u8],
    number: usize,
    max_line: usize,
}

impl<'a> Lines<'a> {
    pub fn new(input: &'a [u8], max_line: usize) -> Self {
        Lines {
            rest: input,
            number: 0,
            max_line,
        }
    }

    /// The number of the last line read, blank or not.
    pub fn number(&self) -> usize {
        self.number
    }

    fn check(&self, raw: &'a [u8]) -> Result<Line<'a>, SdpErrorKind> {
        if raw.len() > self.max_line {
            return Err(SdpErrorKind::LineTooLong {
                length: raw.len(),
                limit: self.max_line,
            });
        }
        if let Some(&byte) = raw.iter().find(|&&b| b == 0 || b == b'\r') {
            return Err(SdpErrorKind::BadCharacter { byte });
        }
        let text = std::str::from_utf8(raw).map_err(|_| SdpErrorKind::NotUtf8)?;
        match raw {
            // The first two bytes are ASCII, so byte 2 is a char boundary.
            [letter @ b'a'..=b'z', b'=', ..] => Ok(Line {
                number: self.number,
                letter: *letter,
                value: &text[2..],
            }),
            _ => Err(SdpErrorKind::MalformedLine {
                line: text.to_owned(),
            }),
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Result<Line<'a>, SdpError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            self.number += 1;
            let (raw, rest) = match self.rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.is_empty() {
                continue;
            }
            let line = self
                .check(raw)
                .map_err(|kind| SdpError::at(self.number, kind));
            if line.is_err() {
                self.rest = &[];
            }
            return Some(line);
        }
    }
}
