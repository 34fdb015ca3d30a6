//! Collecting the lines of the session section and of one media section.
//!
//! Within a section the order of lines is not enforced (peers get it wrong, and the
//! printer writes the RFC 8866 order anyway); what is enforced is that single-occurrence
//! lines occur once and that session-only lines do not appear in media sections.

use super::fields;
use super::lines::Line;
use crate::address::Connection;
use crate::attr::{Attribute, Attributes};
use crate::error::SdpErrorKind;
use crate::limits::SdpLimits;
use crate::model::{MediaDescription, Origin, OtherLine, SessionDescription, Timing};

fn once<T>(slot: &mut Option<T>, line: &Line<'_>, value: T) -> Result<(), SdpErrorKind> {
    if slot.is_some() {
        return Err(SdpErrorKind::DuplicateLine {
            letter: char::from(line.letter),
        });
    }
    *slot = Some(value);
    Ok(())
}

fn attribute(
    attrs: &mut Attributes,
    line: &Line<'_>,
    limits: &SdpLimits,
) -> Result<(), SdpErrorKind> {
    if attrs.len() >= limits.max_attributes {
        return Err(SdpErrorKind::TooManyAttributes {
            limit: limits.max_attributes,
        });
    }
    let attr = Attribute::parse(line.value);
    attr.validate()?;
    attrs.push(attr);
    Ok(())
}

fn other(line: &Line<'_>) -> OtherLine {
    OtherLine {
        letter: char::from(line.letter),
        value: line.value.to_owned(),
    }
}

/// The session section while it is being read; `o=`, `s=` and `t=` may still be missing.
#[derive(Default)]
pub(crate) struct SessionBuilder {
    origin: Option<Origin>,
    name: Option<String>,
    information: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    connection: Option<Connection>,
    bandwidths: Vec<crate::model::Bandwidth>,
    timings: Vec<Timing>,
    time_zones: Option<String>,
    key: Option<String>,
    attributes: Attributes,
    other_lines: Vec<OtherLine>,
}

impl SessionBuilder {
    pub fn line(&mut self, line: &Line<'_>, limits: &SdpLimits) -> Result<(), SdpErrorKind> {
        let text = || line.value.to_owned();
        match line.letter {
            b'v' => Err(SdpErrorKind::DuplicateLine { letter: 'v' }),
            b'o' => once(&mut self.origin, line, fields::origin(line.value)?),
            b's' => once(&mut self.name, line, text()),
            b'i' => once(&mut self.information, line, text()),
            b'u' => once(&mut self.uri, line, text()),
            b'e' => {
                self.emails.push(text());
                Ok(())
            }
            b'p' => {
                self.phones.push(text());
                Ok(())
            }
            b'c' => once(&mut self.connection, line, Connection::parse(line.value)?),
            b'b' => {
                self.bandwidths.push(fields::bandwidth(line.value)?);
                Ok(())
            }
            b't' => {
                self.timings.push(fields::timing(line.value)?);
                Ok(())
            }
            b'r' => match self.timings.last_mut() {
                Some(t) => {
                    t.repeats.push(text());
                    Ok(())
                }
                None => Err(SdpErrorKind::UnexpectedLine { letter: 'r' }),
            },
            b'z' => once(&mut self.time_zones, line, text()),
            b'k' => once(&mut self.key, line, text()),
            b'a' => attribute(&mut self.attributes, line, limits),
            _ => {
                self.other_lines.push(other(line));
                Ok(())
            }
        }
    }

    /// The finished session, or the mandatory line that is missing.
    pub fn finish(self, media: Vec<MediaDescription>) -> Result<SessionDescription, SdpErrorKind> {
        let missing = |letter| SdpErrorKind::MissingLine { letter };
        let origin = self.origin.ok_or_else(|| missing('o'))?;
        let session_name = self.name.ok_or_else(|| missing('s'))?;
        if self.timings.is_empty() {
            return Err(missing('t'));
        }
        Ok(SessionDescription {
            origin,
            session_name,
            information: self.information,
            uri: self.uri,
            emails: self.emails,
            phones: self.phones,
            connection: self.connection,
            bandwidths: self.bandwidths,
            timings: self.timings,
            time_zones: self.time_zones,
            key: self.key,
            attributes: self.attributes,
            other_lines: self.other_lines,
            media,
        })
    }
}

/// Adds one line to the media section being read.
pub(crate) fn media_line(
    m: &mut MediaDescription,
    line: &Line<'_>,
    limits: &SdpLimits,
) -> Result<(), SdpErrorKind> {
    match line.letter {
        b'i' => once(&mut m.information, line, line.value.to_owned()),
        b'c' => once(&mut m.connection, line, Connection::parse(line.value)?),
        b'b' => {
            m.bandwidths.push(fields::bandwidth(line.value)?);
            Ok(())
        }
        b'k' => once(&mut m.key, line, line.value.to_owned()),
        b'a' => attribute(&mut m.attributes, line, limits),
        b'v' | b'o' | b's' | b'u' | b'e' | b'p' | b't' | b'r' | b'z' => {
            Err(SdpErrorKind::UnexpectedLine {
                letter: char::from(line.letter),
            })
        }
        _ => {
            m.other_lines.push(other(line));
            Ok(())
        }
    }
}
