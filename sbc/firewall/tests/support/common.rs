//! Shared fixtures for the firewall tests.
#![allow(dead_code)]

use sbc_firewall::{
    Cidr, Desired, ManagementService, MediaRange, Policy, RateLimit, SipProto, SipService,
};

pub fn cidr(s: &str) -> Cidr {
    s.parse().expect("fixture cidr")
}

/// Outside realm open to phones (UDP+TLS), inside realm with a PBX trunk, management,
/// metrics.
pub fn two_realms() -> Desired {
    Desired {
        table: "sbc".to_owned(),
        policy: Policy::Drop,
        addresses: vec![
            "203.0.113.10".parse().expect("fixture"),
            "10.0.0.1".parse().expect("fixture"),
        ],
        sip: vec![
            SipService {
                proto: SipProto::Udp,
                addr: "203.0.113.10:5060".parse().expect("fixture"),
                peers: vec![cidr("198.51.100.20"), cidr("198.51.100.0/28")],
                open: true,
            },
            SipService {
                proto: SipProto::Tcp,
                addr: "203.0.113.10:5061".parse().expect("fixture"),
                peers: vec![cidr("198.51.100.20")],
                open: true,
            },
            SipService {
                proto: SipProto::Udp,
                addr: "10.0.0.1:5060".parse().expect("fixture"),
                peers: vec![cidr("10.0.0.2")],
                open: false,
            },
        ],
        media: vec![
            MediaRange {
                addr: "203.0.113.10".parse().expect("fixture"),
                first: 20000,
                last: 29999,
            },
            MediaRange {
                addr: "10.0.0.1".parse().expect("fixture"),
                first: 30000,
                last: 39999,
            },
        ],
        management: Some(ManagementService {
            addr: "10.0.0.1:8443".parse().expect("fixture"),
            allow: vec![cidr("10.0.0.0/24"), cidr("10.0.0.5")],
        }),
        metrics: Some(ManagementService {
            addr: "10.0.0.1:9090".parse().expect("fixture"),
            allow: vec![cidr("10.0.0.9")],
        }),
        allow: vec![],
        deny: vec![cidr("192.0.2.0/24")],
        sip_rate: RateLimit {
            packets_per_second: 50,
            burst: 100,
        },
    }
}

/// Dual-stack, wildcard listeners (metrics on IPv4's), reject policy, global allow list,
/// custom table name.
pub fn dual_stack() -> Desired {
    Desired {
        table: "edge_fw".to_owned(),
        policy: Policy::Reject,
        addresses: vec![
            "192.0.2.1".parse().expect("fixture"),
            "2001:db8::1".parse().expect("fixture"),
        ],
        sip: vec![
            SipService {
                proto: SipProto::Udp,
                addr: "0.0.0.0:5060".parse().expect("fixture"),
                peers: vec![cidr("198.51.100.7"), cidr("2001:db8:1::/48")],
                open: false,
            },
            SipService {
                proto: SipProto::Tcp,
                addr: "[2001:db8::1]:5061".parse().expect("fixture"),
                peers: vec![cidr("2001:db8:1::7"), cidr("198.51.100.7")],
                open: true,
            },
        ],
        media: vec![
            MediaRange {
                addr: "192.0.2.1".parse().expect("fixture"),
                first: 10000,
                last: 10999,
            },
            MediaRange {
                addr: "2001:db8::1".parse().expect("fixture"),
                first: 10000,
                last: 10999,
            },
        ],
        management: Some(ManagementService {
            addr: "[::]:8443".parse().expect("fixture"),
            allow: vec![cidr("127.0.0.0/8"), cidr("fd00::/8")],
        }),
        metrics: Some(ManagementService {
            addr: "0.0.0.0:9100".parse().expect("fixture"),
            allow: vec![cidr("192.0.2.0/24")],
        }),
        allow: vec![cidr("198.51.100.99"), cidr("2001:db8:ffff::/64")],
        deny: vec![],
        sip_rate: RateLimit {
            packets_per_second: 20,
            burst: 40,
        },
    }
}

/// Nothing configured but addresses: only bans, pinholes, ICMP and the policy.
pub fn minimal() -> Desired {
    Desired {
        addresses: vec!["192.0.2.1".parse().expect("fixture")],
        ..Desired::default()
    }
}
