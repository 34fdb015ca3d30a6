//! [`Stream`]: a media section seen together with its session, for the values where
//! the session level is the default (connection, direction).

use crate::address::Connection;
use crate::attr::Direction;
use crate::model::{MediaDescription, SessionDescription};

/// A media section and the session it belongs to. Obtained from
/// [`SessionDescription::streams`] or [`SessionDescription::stream`].
#[derive(Debug, Clone, Copy)]
pub struct Stream<'a> {
    index: usize,
    session: &'a SessionDescription,
    media: &'a MediaDescription,
}

impl<'a> Stream<'a> {
    pub(crate) fn new(index: usize, session: &'a SessionDescription) -> Option<Self> {
        let media = session.media.get(index)?;
        Some(Stream {
            index,
            session,
            media,
        })
    }

    /// Position of the `m=` section, 0-based; the same in offer and answer.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn media(&self) -> &'a MediaDescription {
        self.media
    }

    /// The media-level `c=`, else the session-level one. `None` only for a rejected
    /// stream (the parser refuses an active stream without connection data).
    pub fn connection(&self) -> Option<&'a Connection> {
        self.media
            .connection
            .as_ref()
            .or(self.session.connection.as_ref())
    }

    /// The effective direction: the media-level attribute, else the session-level one,
    /// else `sendrecv`. It does not account for `c=0.0.0.0`; see [`Stream::is_hold`].
    pub fn direction(&self) -> Direction {
        self.media
            .attributes
            .direction()
            .or(self.session.attributes.direction())
            .unwrap_or_default()
    }

    /// Whether the writer is holding the stream: `sendonly`, `inactive`, or the
    /// RFC 2543 connection address `0.0.0.0` (`::` too). Never for a rejected stream.
    pub fn is_hold(&self) -> bool {
        !self.media.is_rejected()
            && (matches!(self.direction(), Direction::SendOnly | Direction::Inactive)
                || self.is_old_hold())
    }

    /// `c=0.0.0.0` (or `::`) on an active stream that does not use ICE. With ICE the
    /// address is only the placeholder for "see the candidates" (RFC 8839 §4.2.1.1,
    /// usually with port 9), not hold: ask before [`crate::SessionDescription::strip_ice`].
    pub fn is_old_hold(&self) -> bool {
        !self.media.is_rejected()
            && !self.uses_ice()
            && self
                .connection()
                .is_some_and(|c| c.address.is_unspecified())
    }

    /// Whether ICE attributes are present for this stream (media or session level).
    pub fn uses_ice(&self) -> bool {
        self.media.attributes.has_ice() || self.session.attributes.has_ice()
    }

    /// Port 0.
    pub fn is_rejected(&self) -> bool {
        self.media.is_rejected()
    }
}
