//! Hand-built nf_tables netlink messages for set elements (sans-IO: bytes in, bytes out).
//!
//! A transaction is `NFNL_MSG_BATCH_BEGIN`, one `NFT_MSG_NEWSETELEM` / `NFT_MSG_DELSETELEM`
//! per operation (so the kernel's error names the operation by its sequence number), and
//! `NFNL_MSG_BATCH_END`. Keys are the raw field bytes, each field of a concatenation padded
//! to 4 bytes (an `inet_service` is 2 bytes big-endian + 2 zero bytes); timeouts are
//! milliseconds, big-endian u64.

use std::net::IpAddr;
use std::time::Duration;

use crate::model::{ElementOp, Hole};
use crate::sets;

pub(crate) const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub(crate) const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
pub(crate) const NFNL_MSG_BATCH_END: u16 = 0x11;
pub(crate) const NFT_MSG_NEWSETELEM: u16 = 12;
pub(crate) const NFT_MSG_GETSETELEM: u16 = 13;
pub(crate) const NFT_MSG_DELSETELEM: u16 = 14;
pub(crate) const NLM_F_REQUEST: u16 = 0x1;
pub(crate) const NLM_F_ACK: u16 = 0x4;
pub(crate) const NLM_F_DUMP: u16 = 0x300;
pub(crate) const NLM_F_CREATE: u16 = 0x400;
pub(crate) const NLMSG_ERROR: u16 = 2;
pub(crate) const NLMSG_DONE: u16 = 3;
const NFPROTO_INET: u8 = 1;
const NFTA_SET_ELEM_LIST_TABLE: u16 = 1;
const NFTA_SET_ELEM_LIST_SET: u16 = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_SET_ELEM_KEY: u16 = 1;
const NFTA_SET_ELEM_DATA: u16 = 2;
const NFTA_SET_ELEM_TIMEOUT: u16 = 4;
const NFTA_SET_ELEM_EXPIRATION: u16 = 5;
const NFTA_DATA_VALUE: u16 = 1;
const NLA_F_NESTED: u16 = 0x8000;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// What one operation does in the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub set: &'static str,
    pub key: Vec<u8>,
    /// Timeout in ms for an add; `None` for a delete.
    pub timeout_ms: Option<u64>,
    /// The mapped value for an add to a map (`NFTA_SET_ELEM_DATA`); `None` for a set.
    pub data: Option<Vec<u8>>,
}

impl Element {
    pub fn is_delete(&self) -> bool {
        self.timeout_ms.is_none()
    }
}

fn ip_bytes(ip: IpAddr, out: &mut Vec<u8>) {
    match ip {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
}

fn port_bytes(port: u16, out: &mut Vec<u8>) {
    out.extend_from_slice(&port.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
}

fn ms(ttl: Duration) -> u64 {
    // The kernel rejects a zero timeout on a timeout set: one millisecond is the least.
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The set and key of a hole, or `None` when `remote` and `ip` differ in family.
fn hole_key(hole: &Hole) -> Option<(&'static str, Vec<u8>)> {
    let mut key = Vec::with_capacity(36);
    match *hole {
        Hole::Port { ip, port } => {
            ip_bytes(ip, &mut key);
            port_bytes(port, &mut key);
            Some((
                if ip.is_ipv4() {
                    sets::PORT4
                } else {
                    sets::PORT6
                },
                key,
            ))
        }
        Hole::Peer { remote, ip, port } => {
            if remote.is_ipv4() != ip.is_ipv4() {
                return None;
            }
            ip_bytes(remote, &mut key);
            ip_bytes(ip, &mut key);
            port_bytes(port, &mut key);
            Some((if ip.is_ipv4() { sets::PIN4 } else { sets::PIN6 }, key))
        }
    }
}

fn ban_key(ip: IpAddr) -> (&'static str, Vec<u8>) {
    let mut key = Vec::with_capacity(16);
    ip_bytes(ip, &mut key);
    (if ip.is_ipv4() { sets::BAN4 } else { sets::BAN6 }, key)
}

/// The kernel element for an operation; `None` for an impossible one (mixed families).
pub(crate) fn element(op: &ElementOp) -> Option<Element> {
    let (set, key, timeout_ms) = match op {
        ElementOp::Open { hole, ttl } => {
            let (s, k) = hole_key(hole)?;
            (s, k, Some(ms(*ttl)))
        }
        ElementOp::Close { hole } => {
            let (s, k) = hole_key(hole)?;
            (s, k, None)
        }
        ElementOp::Ban { ip, ttl } => {
            let (s, k) = ban_key(*ip);
            (s, k, Some(ms(*ttl)))
        }
        ElementOp::Unban { ip } => {
            let (s, k) = ban_key(*ip);
            (s, k, None)
        }
    };
    Some(Element {
        set,
        key,
        timeout_ms,
        data: None,
    })
}

fn align(n: usize) -> usize {
    (n + 3) & !3
}

/// Appends netlink messages to one buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    /// Starts a message (header + nfgenmsg); returns its offset for [`Writer::end`].
    pub(crate) fn begin(
        &mut self,
        ty: u16,
        flags: u16,
        seq: u32,
        family: u8,
        res_id: u16,
    ) -> usize {
        let start = self.buf.len();
        self.buf.extend_from_slice(&0u32.to_ne_bytes()); // length, patched by end()
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(&flags.to_ne_bytes());
        self.buf.extend_from_slice(&seq.to_ne_bytes());
        self.buf.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it
        self.buf.push(family);
        self.buf.push(0); // NFNETLINK_V0
        self.buf.extend_from_slice(&res_id.to_be_bytes());
        start
    }

    pub(crate) fn end(&mut self, start: usize) {
        let len = u32::try_from(self.buf.len() - start).unwrap_or(u32::MAX);
        self.buf[start..start + 4].copy_from_slice(&len.to_ne_bytes());
    }

    pub(crate) fn attr(&mut self, ty: u16, payload: &[u8]) {
        let len = u16::try_from(4 + payload.len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.buf.resize(align(self.buf.len()), 0);
    }

    fn attr_str(&mut self, ty: u16, s: &str) {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        self.attr(ty, &v);
    }

    pub(crate) fn nest_begin(&mut self, ty: u16) -> usize {
        let start = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf
            .extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
        start
    }

    pub(crate) fn nest_end(&mut self, start: usize) {
        let len = u16::try_from(self.buf.len() - start).unwrap_or(u16::MAX);
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    }

    /// `NFNL_MSG_BATCH_BEGIN` / `_END` for the nftables subsystem.
    pub fn batch(&mut self, end: bool, seq: u32) {
        let ty = if end {
            NFNL_MSG_BATCH_END
        } else {
            NFNL_MSG_BATCH_BEGIN
        };
        let start = self.begin(ty, NLM_F_REQUEST, seq, 0, NFNL_SUBSYS_NFTABLES);
        self.end(start);
    }

    /// One NEWSETELEM (add or refresh, no `NLM_F_EXCL`) or DELSETELEM with one element.
    pub fn element(&mut self, table: &str, e: &Element, seq: u32, ack: bool) {
        let (ty, mut flags) = match e.timeout_ms {
            Some(_) => (NFT_MSG_NEWSETELEM, NLM_F_REQUEST | NLM_F_CREATE),
            None => (NFT_MSG_DELSETELEM, NLM_F_REQUEST),
        };
        if ack {
            flags |= NLM_F_ACK;
        }
        let start = self.begin(
            (NFNL_SUBSYS_NFTABLES << 8) | ty,
            flags,
            seq,
            NFPROTO_INET,
            0,
        );
        self.attr_str(NFTA_SET_ELEM_LIST_TABLE, table);
        self.attr_str(NFTA_SET_ELEM_LIST_SET, e.set);
        let list = self.nest_begin(NFTA_SET_ELEM_LIST_ELEMENTS);
        let item = self.nest_begin(NFTA_LIST_ELEM);
        let key = self.nest_begin(NFTA_SET_ELEM_KEY);
        self.attr(NFTA_DATA_VALUE, &e.key);
        self.nest_end(key);
        if let (Some(data), Some(_)) = (&e.data, e.timeout_ms) {
            let nest = self.nest_begin(NFTA_SET_ELEM_DATA);
            self.attr(NFTA_DATA_VALUE, data);
            self.nest_end(nest);
        }
        if let Some(t) = e.timeout_ms {
            self.attr(NFTA_SET_ELEM_TIMEOUT, &t.to_be_bytes());
        }
        self.nest_end(item);
        self.nest_end(list);
        self.end(start);
    }

    /// A GETSETELEM dump request for one set.
    pub fn dump(&mut self, table: &str, set: &str, seq: u32) {
        let start = self.begin(
            (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM,
            NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK,
            seq,
            NFPROTO_INET,
            0,
        );
        self.attr_str(NFTA_SET_ELEM_LIST_TABLE, table);
        self.attr_str(NFTA_SET_ELEM_LIST_SET, set);
        self.end(start);
    }
}

/// One received netlink message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply<'a> {
    pub ty: u16,
    pub seq: u32,
    /// For `NLMSG_ERROR`: 0 (ack) or a positive errno.
    pub errno: i32,
    /// Bytes after the netlink header.
    pub payload: &'a [u8],
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Splits a datagram from the kernel into messages (stops at the first malformed one).
pub(crate) fn replies(buf: &[u8]) -> Vec<Reply<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let (Some(len), Some(ty), Some(seq)) =
        (u32_at(buf, at), u16_at(buf, at + 4), u32_at(buf, at + 8))
    {
        let len = len as usize;
        if len < 16 || at + len > buf.len() {
            break;
        }
        let payload = &buf[at + 16..at + len];
        let errno = if ty == NLMSG_ERROR {
            // The kernel sends a negative errno; wrapping keeps a corrupt value from panicking.
            u32_at(payload, 0).map_or(0, |e| (e as i32).wrapping_neg())
        } else {
            0
        };
        out.push(Reply {
            ty,
            seq,
            errno,
            payload,
        });
        at += align(len);
    }
    out
}

/// Attributes of a payload region: (type without flags, value).
pub(crate) fn attrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while let (Some(len), Some(ty)) = (u16_at(b, 0), u16_at(b, 2)) {
        let len = usize::from(len);
        if len < 4 || len > b.len() {
            break;
        }
        out.push((ty & NLA_TYPE_MASK, &b[4..len]));
        b = &b[align(len).min(b.len())..];
    }
    out
}

/// The elements of a GETSETELEM reply: (key bytes, time left in ms if it has a timeout).
#[cfg(test)]
pub(crate) fn dumped_elements(payload: &[u8]) -> Vec<(Vec<u8>, Option<u64>)> {
    dumped(payload, |_| ())
        .into_iter()
        .map(|(k, left, ())| (k, left))
        .collect()
}

/// One dumped element: key, ms left (with a timeout), and what the caller read from it.
pub(crate) type Dumped<T> = (Vec<u8>, Option<u64>, T);

/// Like [`dumped_elements`], with `extra` run over each element's attributes (to read a
/// stateful expression such as a counter).
pub(crate) fn dumped<T>(payload: &[u8], extra: impl Fn(&[(u16, &[u8])]) -> T) -> Vec<Dumped<T>> {
    let mut out = Vec::new();
    // Skip the 4-byte nfgenmsg.
    let Some(body) = payload.get(4..) else {
        return out;
    };
    for (ty, list) in attrs(body) {
        if ty != NFTA_SET_ELEM_LIST_ELEMENTS {
            continue;
        }
        for (ty, elem) in attrs(list) {
            if ty != NFTA_LIST_ELEM {
                continue;
            }
            let mut key = None;
            let mut left = None;
            let all = attrs(elem);
            for &(ty, v) in &all {
                match ty {
                    NFTA_SET_ELEM_KEY => {
                        key = attrs(v)
                            .into_iter()
                            .find(|(t, _)| *t == NFTA_DATA_VALUE)
                            .map(|(_, d)| d.to_vec());
                    }
                    NFTA_SET_ELEM_EXPIRATION => {
                        left = v.try_into().ok().map(u64::from_be_bytes);
                    }
                    _ => {}
                }
            }
            if let Some(k) = key {
                out.push((k, left, extra(&all)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn keys_pad_ports_to_four_bytes() {
        let e = element(&ElementOp::Open {
            hole: Hole::Peer {
                remote: ip("198.51.100.20"),
                ip: ip("203.0.113.10"),
                port: 20002,
            },
            ttl: Duration::from_secs(30),
        })
        .expect("same family");
        assert_eq!(e.set, "pin4");
        assert_eq!(
            e.key,
            [198, 51, 100, 20, 203, 0, 113, 10, 0x4e, 0x22, 0, 0],
            "remote . local . port (20002 = 0x4e22, padded)"
        );
        assert_eq!(e.timeout_ms, Some(30_000));
        let e = element(&ElementOp::Close {
            hole: Hole::Port {
                ip: ip("2001:db8::1"),
                port: 5004,
            },
        })
        .expect("port hole");
        assert_eq!(e.set, "port6");
        assert_eq!(e.key.len(), 20);
        assert_eq!(&e.key[16..], [0x13, 0x8c, 0, 0]);
        assert!(e.is_delete());
        let e = element(&ElementOp::Ban {
            ip: ip("192.0.2.9"),
            ttl: Duration::ZERO,
        })
        .expect("ban");
        assert_eq!((e.set, e.key.as_slice()), ("ban4", &[192, 0, 2, 9][..]));
        assert_eq!(
            e.timeout_ms,
            Some(1),
            "a zero ttl becomes the least timeout"
        );
        let mixed = ElementOp::Open {
            hole: Hole::Peer {
                remote: ip("2001:db8::1"),
                ip: ip("192.0.2.1"),
                port: 1,
            },
            ttl: Duration::from_secs(1),
        };
        assert_eq!(element(&mixed), None);
    }

    #[test]
    fn newsetelem_bytes() {
        let e = Element {
            set: "port4",
            key: vec![203, 0, 113, 10, 0x4e, 0x20, 0, 0],
            timeout_ms: Some(30_000),
            data: None,
        };
        let mut w = Writer::default();
        w.element("sbc", &e, 7, true);
        let ne16 = |v: u16| v.to_ne_bytes().to_vec();
        let ne32 = |v: u32| v.to_ne_bytes().to_vec();
        let mut want = Vec::new();
        want.extend(ne32(76)); // total length: 20 header + 8 + 12 + 36
        want.extend(ne16(0x0a0c)); // NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM
        want.extend(ne16(0x0405)); // REQUEST | ACK | CREATE
        want.extend(ne32(7)); // seq
        want.extend(ne32(0)); // port id
        want.extend([1, 0, 0, 0]); // NFPROTO_INET, v0, res_id 0
        want.extend(ne16(8));
        want.extend(ne16(1)); // LIST_TABLE
        want.extend(b"sbc\0");
        want.extend(ne16(10));
        want.extend(ne16(2)); // LIST_SET
        want.extend(b"port4\0\0\0"); // NUL + pad
        want.extend(ne16(36));
        want.extend(ne16(0x8003)); // nested LIST_ELEMENTS
        want.extend(ne16(32));
        want.extend(ne16(0x8001)); // nested LIST_ELEM
        want.extend(ne16(16));
        want.extend(ne16(0x8001)); // nested ELEM_KEY
        want.extend(ne16(12));
        want.extend(ne16(1)); // DATA_VALUE
        want.extend([203, 0, 113, 10, 0x4e, 0x20, 0, 0]);
        want.extend(ne16(12));
        want.extend(ne16(4)); // ELEM_TIMEOUT
        want.extend(30_000u64.to_be_bytes());
        assert_eq!(w.buf, want);
    }

    #[test]
    fn delsetelem_and_batch_bytes() {
        let e = Element {
            set: "ban4",
            key: vec![192, 0, 2, 9],
            timeout_ms: None,
            data: None,
        };
        let mut w = Writer::default();
        w.batch(false, 1);
        let begin = w.buf.clone();
        assert_eq!(begin.len(), 20);
        assert_eq!(&begin[4..6], &0x10u16.to_ne_bytes());
        assert_eq!(
            &begin[16..20],
            &[0, 0, 0, 10],
            "res_id NFNL_SUBSYS_NFTABLES, big-endian"
        );
        w.element("sbc", &e, 2, false);
        let msg = &w.buf[20..];
        assert_eq!(&msg[4..6], &0x0a0eu16.to_ne_bytes(), "DELSETELEM");
        assert_eq!(&msg[6..8], &1u16.to_ne_bytes(), "REQUEST only");
        assert_eq!(msg.len(), 60, "no timeout attribute");
    }

    #[test]
    fn replies_parse_acks_and_errors() {
        let mut buf = Vec::new();
        for (seq, err) in [(5u32, 0i32), (6, -libc::ENOENT)] {
            buf.extend(36u32.to_ne_bytes());
            buf.extend(NLMSG_ERROR.to_ne_bytes());
            buf.extend(0x100u16.to_ne_bytes());
            buf.extend(seq.to_ne_bytes());
            buf.extend(0u32.to_ne_bytes());
            buf.extend(err.to_ne_bytes());
            buf.extend([0u8; 16]); // the capped original header
        }
        buf.extend([1, 2, 3]); // a truncated tail is ignored
        let r = replies(&buf);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].seq, r[0].errno), (5, 0));
        assert_eq!((r[1].seq, r[1].errno), (6, libc::ENOENT));
    }

    #[test]
    fn dumped_elements_read_key_and_expiration() {
        // nfgenmsg, then LIST_ELEMENTS { LIST_ELEM { KEY { VALUE }, EXPIRATION } }.
        let mut w = Writer::default();
        w.buf.extend([1, 0, 0, 0]);
        let list = w.nest_begin(NFTA_SET_ELEM_LIST_ELEMENTS);
        let item = w.nest_begin(NFTA_LIST_ELEM);
        let key = w.nest_begin(NFTA_SET_ELEM_KEY);
        w.attr(NFTA_DATA_VALUE, &[192, 0, 2, 9]);
        w.nest_end(key);
        w.attr(NFTA_SET_ELEM_EXPIRATION, &4_500u64.to_be_bytes());
        w.nest_end(item);
        w.nest_end(list);
        assert_eq!(
            dumped_elements(&w.buf),
            vec![(vec![192, 0, 2, 9], Some(4_500))]
        );
        assert!(dumped_elements(&[1, 0]).is_empty());
    }
}
