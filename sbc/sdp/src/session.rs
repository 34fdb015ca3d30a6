//! Entry points ([`SessionDescription::parse`], [`SessionDescription::to_bytes`]) and the
//! session-wide rewrite helpers.

use std::net::IpAddr;

use crate::address::Connection;
use crate::attr::{Direction, ICE_ATTRIBUTES};
use crate::error::SdpError;
use crate::limits::SdpLimits;
use crate::model::{Origin, SessionDescription};
use crate::stream::Stream;

impl SessionDescription {
    /// Parses with [`SdpLimits::default`].
    pub fn parse(input: &[u8]) -> Result<Self, SdpError> {
        Self::parse_with(input, &SdpLimits::default())
    }

    /// Parses with the given limits.
    pub fn parse_with(input: &[u8], limits: &SdpLimits) -> Result<Self, SdpError> {
        crate::parse::parse(input, limits)
    }

    /// The canonical text: CRLF line endings, RFC 8866 line order.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// Replaces the `o=` line by the SBC's own (`<username> <id> <version> IN IP4|IP6
    /// <addr>`). To keep a per-leg origin whose version follows changes, use
    /// [`crate::LegOrigin`].
    pub fn set_origin(&mut self, username: &str, session_id: u64, version: u64, addr: IpAddr) {
        self.origin = Origin::new(username, session_id, version, addr);
    }

    /// Sets the session-level `c=`.
    pub fn set_session_connection(&mut self, ip: IpAddr) {
        self.connection = Some(Connection::new(ip));
    }

    /// Removes the session-level `c=`. Streams without their own `c=` are then invalid
    /// unless rejected; set theirs first.
    pub fn remove_session_connection(&mut self) -> Option<Connection> {
        self.connection.take()
    }

    /// Anchors every stream on `ip`: each media section, rejected ones included (so no
    /// peer address leaks), gets a media-level `c=` with `ip`, and the session-level
    /// `c=` is removed. Call [`SessionDescription::normalize_old_hold`] first, or the
    /// `c=0.0.0.0` hold indication is lost.
    pub fn anchor_connections(&mut self, ip: IpAddr) {
        for m in &mut self.media {
            m.set_connection(ip);
        }
        self.connection = None;
    }

    /// Every media section with its session context, in order.
    pub fn streams(&self) -> impl Iterator<Item = Stream<'_>> + '_ {
        (0..self.media.len()).filter_map(|i| Stream::new(i, self))
    }

    /// The media section at `index` with its session context.
    pub fn stream(&self, index: usize) -> Option<Stream<'_>> {
        Stream::new(index, self)
    }

    /// Sets the direction of every stream at media level and removes the session-level
    /// direction attribute.
    pub fn set_direction(&mut self, direction: Direction) {
        self.attributes
            .remove_where(|a| a.value.is_none() && Direction::from_name(&a.name).is_some());
        for m in &mut self.media {
            m.set_direction(direction);
        }
    }

    /// Turns RFC 2543 hold (`c=0.0.0.0` or `c=::` on an active stream) into a direction
    /// attribute, before the connection is replaced by the SBC's. The address means that
    /// nothing is to be sent to the writer (RFC 3264 §8.4), so its effective direction
    /// loses receiving: `sendrecv` becomes `sendonly`, `recvonly` becomes `inactive`.
    /// The address itself is not changed. Streams using ICE are skipped (see
    /// [`Stream::is_old_hold`]), so call this before [`SessionDescription::strip_ice`].
    /// Returns how many streams were changed.
    pub fn normalize_old_hold(&mut self) -> usize {
        let holds: Vec<(usize, Direction)> = self
            .streams()
            .filter(|s| s.is_old_hold())
            .map(|s| (s.index(), s.direction().without_receive()))
            .collect();
        for (index, direction) in &holds {
            if let Some(m) = self.media.get_mut(*index) {
                m.set_direction(*direction);
            }
        }
        holds.len()
    }

    /// Removes every ICE attribute at session and media level; returns how many.
    pub fn strip_ice(&mut self) -> usize {
        let session = self
            .attributes
            .remove_where(|a| ICE_ATTRIBUTES.contains(&a.name.as_str()));
        session + self.media.iter_mut().map(|m| m.strip_ice()).sum::<usize>()
    }

    /// Removes every `a=crypto` at session and media level; returns how many.
    pub fn strip_crypto(&mut self) -> usize {
        let session = self.attributes.remove("crypto");
        session
            + self
                .media
                .iter_mut()
                .map(|m| m.strip_crypto())
                .sum::<usize>()
    }
}
