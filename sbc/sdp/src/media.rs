//! Rewrite helpers for one media section: port, connection, RTCP, direction, ICE and
//! SDES crypto. Codec policy is in [`crate::codec`].

use std::net::IpAddr;

use crate::address::{Address, Connection};
use crate::attr::{Attribute, Crypto, Direction, ICE_ATTRIBUTES, Rtcp};
use crate::model::MediaDescription;

fn is_direction(a: &Attribute) -> bool {
    a.value.is_none() && Direction::from_name(&a.name).is_some()
}

impl MediaDescription {
    /// Port 0: the stream is rejected (in an answer) or disabled (in an offer).
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// Puts the SBC's port in place of the peer's, and drops any `/<number of ports>`
    /// (the SBC anchors one port, or RTP/RTCP pair, per stream).
    ///
    /// A rejected stream stays rejected: on port 0 nothing changes and `false` is
    /// returned. Use [`MediaDescription::reject`] to reject.
    pub fn set_port(&mut self, port: u16) -> bool {
        if self.is_rejected() {
            return false;
        }
        self.port = port;
        self.port_count = None;
        true
    }

    /// Rejects (or disables) the stream: port 0, the section itself stays in place so
    /// the m-line count does not change. Formats and attributes are kept.
    pub fn reject(&mut self) {
        self.port = 0;
        self.port_count = None;
    }

    /// Sets a media-level `c=IN IP4|IP6 <ip>`, replacing any there was.
    pub fn set_connection(&mut self, ip: IpAddr) {
        self.connection = Some(Connection::new(ip));
    }

    /// Removes the media-level `c=`, so the session-level one applies.
    pub fn remove_connection(&mut self) -> Option<Connection> {
        self.connection.take()
    }

    /// The media-level direction attribute, if any. See
    /// [`crate::Stream::direction`] for the effective direction.
    pub fn direction(&self) -> Option<Direction> {
        self.attributes.direction()
    }

    /// Sets the media-level direction attribute, replacing any there were (in place of
    /// the first).
    pub fn set_direction(&mut self, direction: Direction) {
        self.attributes
            .replace_where(is_direction, [Attribute::flag(direction.as_str())]);
    }

    /// The parsed `a=rtcp`.
    pub fn rtcp(&self) -> Option<Rtcp> {
        self.attributes.rtcp()
    }

    /// Sets `a=rtcp:<port>` or `a=rtcp:<port> IN IP4|IP6 <ip>`, replacing any there was.
    pub fn set_rtcp(&mut self, port: u16, ip: Option<IpAddr>) {
        let rtcp = Rtcp {
            port,
            address: ip.map(Address::Ip),
        };
        self.attributes.set(Attribute::new("rtcp", rtcp));
    }

    /// Removes `a=rtcp`; returns whether there was one.
    pub fn remove_rtcp(&mut self) -> bool {
        self.attributes.remove("rtcp") > 0
    }

    /// Whether `a=rtcp-mux` is present.
    pub fn rtcp_mux(&self) -> bool {
        self.attributes.rtcp_mux()
    }

    /// Adds (once, at the end) or removes `a=rtcp-mux`.
    pub fn set_rtcp_mux(&mut self, on: bool) {
        match (on, self.rtcp_mux()) {
            (true, false) => self.attributes.push(Attribute::flag("rtcp-mux")),
            (false, true) => {
                self.attributes.remove("rtcp-mux");
            }
            _ => {}
        }
    }

    /// Removes every ICE attribute ([`ICE_ATTRIBUTES`]); returns how many.
    pub fn strip_ice(&mut self) -> usize {
        self.attributes
            .remove_where(|a| ICE_ATTRIBUTES.contains(&a.name.as_str()))
    }

    /// The parsed `a=crypto` lines.
    pub fn cryptos(&self) -> Vec<Crypto> {
        self.attributes.cryptos().collect()
    }

    /// Removes every `a=crypto`; returns how many.
    pub fn strip_crypto(&mut self) -> usize {
        self.attributes.remove("crypto")
    }

    /// Replaces the `a=crypto` lines by `lines` (in place of the first old one, else at
    /// the end). The protocol is not changed: set `proto` (`RTP/SAVP`) as well.
    pub fn set_crypto(&mut self, lines: &[Crypto]) {
        let new = lines.iter().map(|c| Attribute::new("crypto", c));
        self.attributes.replace_where(|a| a.name == "crypto", new);
    }

    /// Sets `a=ptime:<ms>`, replacing any there was.
    pub fn set_ptime(&mut self, millis: u32) {
        self.attributes.set(Attribute::new("ptime", millis));
    }
}
