//! Reading a STUN message (RFC 8489 §5, §14): the header checked, the attributes the ICE
//! usage needs picked out as borrowed views, and where MESSAGE-INTEGRITY and FINGERPRINT
//! sit so [`crate::integrity`] can check them.
//!
//! Rules applied (RFC 8489 §14): attributes are TLVs padded to 4 bytes (the padding's
//! value is ignored); attributes after MESSAGE-INTEGRITY other than FINGERPRINT are
//! ignored; nothing may follow FINGERPRINT; an unknown comprehension-required attribute
//! (type below 0x8000) makes the message unusable; the first of a repeated attribute
//! counts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The magic cookie in every RFC 5389/8489 message (§5).
pub const MAGIC_COOKIE: u32 = 0x2112_a442;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 20;
/// The Binding method (§18.2).
pub const BINDING: u16 = 0x001;

/// Attribute types (RFC 8489 §18.3, RFC 8445 §16.1).
pub mod attr {
    pub const MAPPED_ADDRESS: u16 = 0x0001;
    pub const USERNAME: u16 = 0x0006;
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    pub const ERROR_CODE: u16 = 0x0009;
    pub const UNKNOWN_ATTRIBUTES: u16 = 0x000a;
    pub const REALM: u16 = 0x0014;
    pub const NONCE: u16 = 0x0015;
    pub const MESSAGE_INTEGRITY_SHA256: u16 = 0x001c;
    pub const PASSWORD_ALGORITHM: u16 = 0x001d;
    pub const USERHASH: u16 = 0x001e;
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    pub const PRIORITY: u16 = 0x0024;
    pub const USE_CANDIDATE: u16 = 0x0025;
    pub const SOFTWARE: u16 = 0x8022;
    pub const FINGERPRINT: u16 = 0x8028;
    pub const ICE_CONTROLLED: u16 = 0x8029;
    pub const ICE_CONTROLLING: u16 = 0x802a;
}

/// The class of a message (§5: bits C1 and C0 of the type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Request,
    Indication,
    Success,
    Error,
}

impl Class {
    /// The class bits of the message type field.
    pub(crate) const fn bits(self) -> u16 {
        match self {
            Class::Request => 0x0000,
            Class::Indication => 0x0010,
            Class::Success => 0x0100,
            Class::Error => 0x0110,
        }
    }
}

/// The message type field from a method and a class (the method's 12 bits interleaved
/// with the class's two).
pub(crate) const fn message_type(method: u16, class: Class) -> u16 {
    (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | class.bits()
}

/// Why a datagram is not a usable STUN message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("shorter than a STUN header ({len} bytes)")]
    TooShort { len: usize },
    #[error("the two leading bits are not zero")]
    NotStun,
    #[error("no magic cookie (an RFC 3489 message?)")]
    NoMagicCookie,
    #[error(
        "length field {field} does not match the {len} bytes received, or is not a multiple of 4"
    )]
    BadLength { field: usize, len: usize },
    #[error("attribute 0x{kind:04x} runs past the message")]
    AttributeOverrun { kind: u16 },
    #[error("attribute 0x{kind:04x} has a malformed value")]
    BadAttribute { kind: u16 },
    #[error("attribute 0x{kind:04x} follows FINGERPRINT")]
    AfterFingerprint { kind: u16 },
    #[error("unknown comprehension-required attribute 0x{kind:04x}")]
    UnknownRequired { kind: u16 },
}

/// A parsed STUN message, borrowing the datagram.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    bytes: &'a [u8],
    pub class: Class,
    pub method: u16,
    pub transaction: [u8; 12],
    pub username: Option<&'a [u8]>,
    pub software: Option<&'a [u8]>,
    pub priority: Option<u32>,
    pub use_candidate: bool,
    pub ice_controlling: Option<u64>,
    pub ice_controlled: Option<u64>,
    pub xor_mapped_address: Option<SocketAddr>,
    /// Offset of the MESSAGE-INTEGRITY attribute's header.
    pub(crate) integrity_at: Option<usize>,
    /// Offset of the FINGERPRINT attribute's header, and its value.
    pub(crate) fingerprint_at: Option<(usize, u32)>,
}

impl<'a> Message<'a> {
    /// Whether `data` looks like STUN at all: RFC 7983's first-byte rule and the cookie.
    pub fn looks_like_stun(data: &[u8]) -> bool {
        data.len() >= HEADER_LEN && data[0] < 4 && data[4..8] == MAGIC_COOKIE.to_be_bytes()
    }

    /// Reads one whole message (a datagram).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        if bytes.len() < HEADER_LEN {
            return Err(ParseError::TooShort { len: bytes.len() });
        }
        let kind = u16::from_be_bytes([bytes[0], bytes[1]]);
        if kind & 0xc000 != 0 {
            return Err(ParseError::NotStun);
        }
        let field = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        if field % 4 != 0 || HEADER_LEN + field != bytes.len() {
            return Err(ParseError::BadLength {
                field,
                len: bytes.len(),
            });
        }
        if bytes[4..8] != MAGIC_COOKIE.to_be_bytes() {
            return Err(ParseError::NoMagicCookie);
        }
        let class = match kind & 0x0110 {
            0x0000 => Class::Request,
            0x0010 => Class::Indication,
            0x0100 => Class::Success,
            _ => Class::Error,
        };
        let method = (kind & 0x000f) | ((kind & 0x00e0) >> 1) | ((kind & 0x3e00) >> 2);
        let mut transaction = [0u8; 12];
        transaction.copy_from_slice(&bytes[8..20]);
        let mut msg = Message {
            bytes,
            class,
            method,
            transaction,
            username: None,
            software: None,
            priority: None,
            use_candidate: false,
            ice_controlling: None,
            ice_controlled: None,
            xor_mapped_address: None,
            integrity_at: None,
            fingerprint_at: None,
        };
        msg.read_attributes()?;
        Ok(msg)
    }

    fn read_attributes(&mut self) -> Result<(), ParseError> {
        let bytes = self.bytes;
        let mut at = HEADER_LEN;
        while at < bytes.len() {
            let Some(head) = bytes.get(at..at + 4) else {
                return Err(ParseError::AttributeOverrun { kind: 0 });
            };
            let kind = u16::from_be_bytes([head[0], head[1]]);
            let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let Some(value) = bytes.get(at + 4..at + 4 + len) else {
                return Err(ParseError::AttributeOverrun { kind });
            };
            if self.fingerprint_at.is_some() {
                return Err(ParseError::AfterFingerprint { kind });
            }
            if kind == attr::FINGERPRINT {
                let v: [u8; 4] = value
                    .try_into()
                    .map_err(|_| ParseError::BadAttribute { kind })?;
                self.fingerprint_at = Some((at, u32::from_be_bytes(v)));
            } else if self.integrity_at.is_none() {
                self.attribute(at, kind, value)?;
            }
            at += 4 + len.next_multiple_of(4);
        }
        if at != bytes.len() {
            // The last attribute's padding runs past the end.
            return Err(ParseError::BadLength {
                field: bytes.len() - HEADER_LEN,
                len: bytes.len(),
            });
        }
        Ok(())
    }

    fn attribute(&mut self, at: usize, kind: u16, value: &'a [u8]) -> Result<(), ParseError> {
        let bad = ParseError::BadAttribute { kind };
        match kind {
            attr::MESSAGE_INTEGRITY => {
                if value.len() != 20 {
                    return Err(bad);
                }
                self.integrity_at = Some(at);
            }
            attr::USERNAME => {
                if value.len() > 512 {
                    return Err(bad);
                }
                self.username.get_or_insert(value);
            }
            attr::SOFTWARE => {
                self.software.get_or_insert(value);
            }
            attr::PRIORITY => {
                let v: [u8; 4] = value.try_into().map_err(|_| bad)?;
                self.priority.get_or_insert(u32::from_be_bytes(v));
            }
            attr::USE_CANDIDATE => {
                if !value.is_empty() {
                    return Err(bad);
                }
                self.use_candidate = true;
            }
            attr::ICE_CONTROLLING | attr::ICE_CONTROLLED => {
                let v: [u8; 8] = value.try_into().map_err(|_| bad)?;
                let v = u64::from_be_bytes(v);
                if kind == attr::ICE_CONTROLLING {
                    self.ice_controlling.get_or_insert(v);
                } else {
                    self.ice_controlled.get_or_insert(v);
                }
            }
            attr::XOR_MAPPED_ADDRESS => {
                let addr = xor_address(value, &self.transaction).ok_or(bad)?;
                self.xor_mapped_address.get_or_insert(addr);
            }
            // Known, not needed by the ICE usage: skipped.
            attr::MAPPED_ADDRESS
            | attr::ERROR_CODE
            | attr::UNKNOWN_ATTRIBUTES
            | attr::REALM
            | attr::NONCE
            | attr::MESSAGE_INTEGRITY_SHA256
            | attr::PASSWORD_ALGORITHM
            | attr::USERHASH => {}
            k if k < 0x8000 => return Err(ParseError::UnknownRequired { kind }),
            _ => {}
        }
        Ok(())
    }

    /// The datagram the message was read from.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// Decodes an XOR-MAPPED-ADDRESS value (§14.2).
fn xor_address(value: &[u8], transaction: &[u8; 12]) -> Option<SocketAddr> {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let port = u16::from_be_bytes([*value.get(2)?, *value.get(3)?]) ^ (MAGIC_COOKIE >> 16) as u16;
    let ip = match (value.first()?, value.get(1)?, value.len()) {
        (0, 1, 8) => {
            let mut a = [0u8; 4];
            for (i, b) in a.iter_mut().enumerate() {
                *b = value[4 + i] ^ cookie[i];
            }
            IpAddr::V4(Ipv4Addr::from(a))
        }
        (0, 2, 20) => {
            let mut a = [0u8; 16];
            for (i, b) in a.iter_mut().enumerate() {
                let k = if i < 4 { cookie[i] } else { transaction[i - 4] };
                *b = value[4 + i] ^ k;
            }
            IpAddr::V6(Ipv6Addr::from(a))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Encodes an XOR-MAPPED-ADDRESS value into `out` (8 or 20 bytes); returns its length.
pub(crate) fn write_xor_address(
    addr: SocketAddr,
    transaction: &[u8; 12],
    out: &mut [u8; 20],
) -> usize {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let port = addr.port() ^ (MAGIC_COOKIE >> 16) as u16;
    out[0] = 0;
    out[2..4].copy_from_slice(&port.to_be_bytes());
    match addr.ip() {
        IpAddr::V4(v4) => {
            out[1] = 1;
            for (i, b) in v4.octets().iter().enumerate() {
                out[4 + i] = b ^ cookie[i];
            }
            8
        }
        IpAddr::V6(v6) => {
            out[1] = 2;
            for (i, b) in v6.octets().iter().enumerate() {
                let k = if i < 4 { cookie[i] } else { transaction[i - 4] };
                out[4 + i] = b ^ k;
            }
            20
        }
    }
}
