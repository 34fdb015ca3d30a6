//! The direction attributes `sendrecv`, `sendonly`, `recvonly`, `inactive`
//! (RFC 8866 §6.7, RFC 3264 §5.1, §6.1).

use std::fmt;

/// Which way media flows, from the point of view of the party that wrote the SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// The default when no direction attribute is present.
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// All four, in attribute-name order of RFC 8866.
    pub const ALL: [Direction; 4] = [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ];

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction named by a flag attribute.
    pub fn from_name(name: &str) -> Option<Self> {
        Direction::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// Built from whether the writer sends and receives.
    pub fn from_flags(sends: bool, receives: bool) -> Self {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same flow seen from the other party: `sendonly` <-> `recvonly`. The direction
    /// an answer mirrors (RFC 3264 §6.1).
    pub fn reversed(self) -> Self {
        Direction::from_flags(self.receives(), self.sends())
    }

    /// This direction with receiving taken away, what `c=0.0.0.0` means (RFC 3264 §8.4:
    /// nothing is to be sent to that party).
    pub fn without_receive(self) -> Self {
        Direction::from_flags(self.sends(), false)
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
