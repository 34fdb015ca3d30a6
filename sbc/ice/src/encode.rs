//! Writing a STUN message into a caller's buffer (no allocation): the header, then
//! attributes in order, then MESSAGE-INTEGRITY and FINGERPRINT computed over what is
//! already written. The header's length field is kept right after every attribute.

use std::net::SocketAddr;

use hmac::Mac;

use crate::integrity::{FINGERPRINT_LEN, INTEGRITY_LEN, fingerprint_at, hmac_at};
use crate::message::{Class, HEADER_LEN, MAGIC_COOKIE, attr, message_type, write_xor_address};

/// The buffer cannot hold the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {needed}-byte STUN message does not fit {room} bytes")]
pub struct TooSmall {
    pub needed: usize,
    pub room: usize,
}

/// A message being written.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
    transaction: [u8; 12],
    pad: u8,
}

impl<'b> Writer<'b> {
    /// Starts a message of `method` and `class` with `transaction` in `buf`.
    pub fn new(
        buf: &'b mut [u8],
        method: u16,
        class: Class,
        transaction: [u8; 12],
    ) -> Result<Self, TooSmall> {
        if buf.len() < HEADER_LEN {
            return Err(TooSmall {
                needed: HEADER_LEN,
                room: buf.len(),
            });
        }
        buf[0..2].copy_from_slice(&message_type(method, class).to_be_bytes());
        buf[2..4].copy_from_slice(&[0, 0]);
        buf[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
        buf[8..20].copy_from_slice(&transaction);
        Ok(Writer {
            buf,
            len: HEADER_LEN,
            transaction,
            pad: 0,
        })
    }

    /// The byte padding is filled with (RFC 8489: any value; 0 by default, RFC 5769's
    /// samples use spaces).
    pub fn pad_with(mut self, byte: u8) -> Self {
        self.pad = byte;
        self
    }

    /// Appends an attribute, padded to 4 bytes.
    pub fn attribute(&mut self, kind: u16, value: &[u8]) -> Result<(), TooSmall> {
        let padded = value.len().next_multiple_of(4);
        let needed = self.len + 4 + padded;
        let len = u16::try_from(value.len()).map_err(|_| TooSmall {
            needed,
            room: self.buf.len(),
        })?;
        if needed > self.buf.len() || needed - HEADER_LEN > usize::from(u16::MAX) {
            return Err(TooSmall {
                needed,
                room: self.buf.len(),
            });
        }
        let at = self.len;
        self.buf[at..at + 2].copy_from_slice(&kind.to_be_bytes());
        self.buf[at + 2..at + 4].copy_from_slice(&len.to_be_bytes());
        self.buf[at + 4..at + 4 + value.len()].copy_from_slice(value);
        self.buf[at + 4 + value.len()..needed].fill(self.pad);
        self.len = needed;
        self.set_length(self.len);
        Ok(())
    }

    /// XOR-MAPPED-ADDRESS of `addr`.
    pub fn xor_mapped_address(&mut self, addr: SocketAddr) -> Result<(), TooSmall> {
        let mut value = [0u8; 20];
        let n = write_xor_address(addr, &self.transaction, &mut value);
        self.attribute(attr::XOR_MAPPED_ADDRESS, &value[..n])
    }

    /// MESSAGE-INTEGRITY over everything written so far, keyed with `key`.
    pub fn message_integrity(&mut self, key: &[u8]) -> Result<(), TooSmall> {
        let at = self.len;
        self.reserve(INTEGRITY_LEN)?;
        let tag = hmac_at(self.buf, at, key).finalize().into_bytes();
        self.write_attribute_header(at, attr::MESSAGE_INTEGRITY, 20);
        self.buf[at + 4..at + INTEGRITY_LEN].copy_from_slice(&tag);
        self.len = at + INTEGRITY_LEN;
        self.set_length(self.len);
        Ok(())
    }

    /// FINGERPRINT over everything written so far; the last attribute.
    pub fn fingerprint(&mut self) -> Result<(), TooSmall> {
        let at = self.len;
        self.reserve(FINGERPRINT_LEN)?;
        let crc = fingerprint_at(self.buf, at);
        self.write_attribute_header(at, attr::FINGERPRINT, 4);
        self.buf[at + 4..at + FINGERPRINT_LEN].copy_from_slice(&crc.to_be_bytes());
        self.len = at + FINGERPRINT_LEN;
        self.set_length(self.len);
        Ok(())
    }

    /// The length of the message written.
    pub fn finish(self) -> usize {
        self.len
    }

    fn reserve(&self, n: usize) -> Result<(), TooSmall> {
        if self.len + n > self.buf.len() {
            return Err(TooSmall {
                needed: self.len + n,
                room: self.buf.len(),
            });
        }
        Ok(())
    }

    fn write_attribute_header(&mut self, at: usize, kind: u16, len: u16) {
        self.buf[at..at + 2].copy_from_slice(&kind.to_be_bytes());
        self.buf[at + 2..at + 4].copy_from_slice(&len.to_be_bytes());
    }

    fn set_length(&mut self, total: usize) {
        // `attribute` and `reserve` keep the body within u16.
        let body = u16::try_from(total - HEADER_LEN).unwrap_or(u16::MAX);
        self.buf[2..4].copy_from_slice(&body.to_be_bytes());
    }
}
