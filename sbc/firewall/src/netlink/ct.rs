//! ctnetlink (conntrack over NETLINK_NETFILTER): deleting one connection by a tuple.
//!
//! The kernel hashes both directions of every connection, so a delete naming either the
//! original or the reply tuple of an entry finds it (`nf_conntrack_find_get`). Sans-IO:
//! this builds the bytes; [`crate::netlink::Socket::request`] sends them.

use std::net::SocketAddrV4;

use super::msg::{NLM_F_ACK, NLM_F_REQUEST, Writer};

const NFNL_SUBSYS_CTNETLINK: u16 = 1;
const IPCTNL_MSG_CT_DELETE: u16 = 2;
const AF_INET: u8 = 2;
const CTA_TUPLE_ORIG: u16 = 1;
const CTA_TUPLE_IP: u16 = 1;
const CTA_TUPLE_PROTO: u16 = 2;
const CTA_IP_V4_SRC: u16 = 1;
const CTA_IP_V4_DST: u16 = 2;
const CTA_PROTO_NUM: u16 = 1;
const CTA_PROTO_SRC_PORT: u16 = 2;
const CTA_PROTO_DST_PORT: u16 = 3;
const IPPROTO_UDP: u8 = 17;

/// `IPCTNL_MSG_CT_DELETE` for the UDP connection with tuple `src -> dst` (either direction).
pub(crate) fn delete_udp(src: SocketAddrV4, dst: SocketAddrV4, seq: u32) -> Vec<u8> {
    let mut w = Writer::default();
    let start = w.begin(
        (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        AF_INET,
        0,
    );
    let tuple = w.nest_begin(CTA_TUPLE_ORIG);
    let ip = w.nest_begin(CTA_TUPLE_IP);
    w.attr(CTA_IP_V4_SRC, &src.ip().octets());
    w.attr(CTA_IP_V4_DST, &dst.ip().octets());
    w.nest_end(ip);
    let proto = w.nest_begin(CTA_TUPLE_PROTO);
    w.attr(CTA_PROTO_NUM, &[IPPROTO_UDP]);
    w.attr(CTA_PROTO_SRC_PORT, &src.port().to_be_bytes());
    w.attr(CTA_PROTO_DST_PORT, &dst.port().to_be_bytes());
    w.nest_end(proto);
    w.nest_end(tuple);
    w.end(start);
    w.buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_names_the_udp_tuple() {
        let src: SocketAddrV4 = "10.0.0.2:4000".parse().expect("addr");
        let dst: SocketAddrV4 = "10.0.0.1:20000".parse().expect("addr");
        let b = delete_udp(src, dst, 9);
        assert_eq!(b.len(), 20 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8);
        assert_eq!(
            &b[4..6],
            &0x0102u16.to_ne_bytes(),
            "CTNETLINK << 8 | DELETE"
        );
        assert_eq!(&b[6..8], &5u16.to_ne_bytes(), "REQUEST | ACK");
        assert_eq!(b[16], AF_INET);
        assert_eq!(&b[32..36], &[10, 0, 0, 2], "source address first");
        assert_eq!(b[52], 17, "UDP");
        assert_eq!(&b[60..62], &4000u16.to_be_bytes());
        assert_eq!(&b[68..70], &20000u16.to_be_bytes());
    }
}
