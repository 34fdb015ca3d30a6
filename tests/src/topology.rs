//! The fixed shape of the lab: three namespaces, two links, their addresses.
//!
//! ```text
//!  carrier                 sbc                      pbx
//!  eth0 10.91.1.2/24 ── out0 10.91.1.1/24
//!                          in0 10.91.2.1/24 ── eth0 10.91.2.2/24
//! ```
//!
//! The addresses exist only inside the lab's namespaces, so concurrent labs reuse them freely.
//! Interface names are also per namespace (the veth ends are created directly inside them), so
//! they are fixed and never appear in the root namespace. `scripts/lab` builds the same layout.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The SIP port every lab peer and listener uses.
pub const SIP_PORT: u16 = 5060;
/// The SIP-over-TLS port of the SBC's outside realm, when the config asks for TLS.
pub const SIP_TLS_PORT: u16 = 5061;

/// The carrier's address (a trunk peer on the outside).
pub const CARRIER_IP: Ipv4Addr = Ipv4Addr::new(10, 91, 1, 2);
/// The SBC's outside address (realm "outside").
pub const SBC_OUTSIDE_IP: Ipv4Addr = Ipv4Addr::new(10, 91, 1, 1);
/// The SBC's inside address (realm "inside").
pub const SBC_INSIDE_IP: Ipv4Addr = Ipv4Addr::new(10, 91, 2, 1);
/// The PBX's address (a trunk peer on the inside).
pub const PBX_IP: Ipv4Addr = Ipv4Addr::new(10, 91, 2, 2);
/// Prefix length of both lab subnets.
pub const PREFIX_LEN: u8 = 24;

/// One of the lab's network namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ns {
    /// Outside peers (carriers, remote phones, attackers).
    Carrier,
    /// The SBC itself: two interfaces, ip_forward off.
    Sbc,
    /// Inside peers (the PBX).
    Pbx,
}

impl Ns {
    /// All namespaces, in creation order.
    pub const ALL: [Ns; 3] = [Ns::Carrier, Ns::Sbc, Ns::Pbx];

    /// The role name, used as the namespace name suffix (`sbcl-<pid>-<n>-carrier`).
    pub fn role(self) -> &'static str {
        match self {
            Ns::Carrier => "carrier",
            Ns::Sbc => "sbc",
            Ns::Pbx => "pbx",
        }
    }

    /// The peer address of this namespace (for `Sbc`: its outside address).
    pub fn ip(self) -> Ipv4Addr {
        match self {
            Ns::Carrier => CARRIER_IP,
            Ns::Sbc => SBC_OUTSIDE_IP,
            Ns::Pbx => PBX_IP,
        }
    }

    /// The SBC's SIP address facing this peer namespace; `None` for the SBC itself.
    pub fn sbc_sip_addr(self) -> Option<SocketAddr> {
        match self {
            Ns::Carrier => Some(sip_addr(SBC_OUTSIDE_IP)),
            Ns::Pbx => Some(sip_addr(SBC_INSIDE_IP)),
            Ns::Sbc => None,
        }
    }
}

impl fmt::Display for Ns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.role())
    }
}

/// One end of a veth link.
#[derive(Debug, Clone, Copy)]
pub struct End {
    /// The namespace this end lives in.
    pub ns: Ns,
    /// Interface name inside that namespace.
    pub ifname: &'static str,
    /// Its address (with [`PREFIX_LEN`]).
    pub ip: Ipv4Addr,
}

/// The two veth links of the lab.
pub const LINKS: [(End, End); 2] = [
    (
        End {
            ns: Ns::Carrier,
            ifname: "eth0",
            ip: CARRIER_IP,
        },
        End {
            ns: Ns::Sbc,
            ifname: "out0",
            ip: SBC_OUTSIDE_IP,
        },
    ),
    (
        End {
            ns: Ns::Sbc,
            ifname: "in0",
            ip: SBC_INSIDE_IP,
        },
        End {
            ns: Ns::Pbx,
            ifname: "eth0",
            ip: PBX_IP,
        },
    ),
];

/// `ip:5060`.
pub fn sip_addr(ip: Ipv4Addr) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(ip), SIP_PORT)
}
