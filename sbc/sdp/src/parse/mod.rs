//! The parser: one pass over the lines, the session section up to the first `m=`, then
//! one media section per `m=`. Stops at the first error, which names its line.

mod fields;
mod lines;
mod section;

use crate::error::{SdpError, SdpErrorKind};
use crate::limits::SdpLimits;
use crate::model::SessionDescription;
use lines::Lines;
use section::SessionBuilder;

pub(crate) fn parse(input: &[u8], limits: &SdpLimits) -> Result<SessionDescription, SdpError> {
    if input.len() > limits.max_size {
        return Err(SdpError::at(
            0,
            SdpErrorKind::TooLarge {
                size: input.len(),
                limit: limits.max_size,
            },
        ));
    }
    let mut lines = Lines::new(input, limits.max_line);
    let missing_v = |line| SdpError::at(line, SdpErrorKind::MissingLine { letter: 'v' });
    let first = lines.next().ok_or_else(|| missing_v(1))??;
    if first.letter != b'v' {
        return Err(missing_v(first.number));
    }
    fields::version(first.value).map_err(|k| SdpError::at(first.number, k))?;

    let mut session = SessionBuilder::default();
    let mut media = Vec::new();
    // The line number of each `m=`, for errors found once the section is complete.
    let mut media_lines = Vec::new();
    for line in lines.by_ref() {
        let line = line?;
        let at = |kind| SdpError::at(line.number, kind);
        if line.letter == b'm' {
            if media.len() >= limits.max_media {
                return Err(at(SdpErrorKind::TooManyMedia {
                    limit: limits.max_media,
                }));
            }
            media.push(fields::media(line.value).map_err(at)?);
            media_lines.push(line.number);
            continue;
        }
        match media.last_mut() {
            None => session.line(&line, limits),
            Some(m) => section::media_line(m, &line, limits),
        }
        .map_err(at)?;
    }

    let end_of_session = media_lines.first().copied().unwrap_or(lines.number() + 1);
    let sdp = session
        .finish(media)
        .map_err(|k| SdpError::at(end_of_session, k))?;
    for (index, (m, line)) in sdp.media.iter().zip(media_lines).enumerate() {
        if m.port != 0 && m.connection.is_none() && sdp.connection.is_none() {
            return Err(SdpError::at(line, SdpErrorKind::NoConnection { index }));
        }
    }
    Ok(sdp)
}
