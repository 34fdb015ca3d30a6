//! This host's interfaces and their addresses (`getifaddrs(3)`), the table the config's
//! interface names (`udp:eth0:5060`, `media_ip = "eth0"`) are looked up in
//! ([`sbc_config::Interfaces`]). Read at start, at each reload and by `check-config`.
//!
//! The workspace denies `unsafe_code`; this module allows it for the one libc call and
//! the walk over the list it returns, each with its SAFETY comment.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sbc_config::Interfaces;

/// The addresses of every interface that has one (IPv4 and IPv6).
pub fn read() -> std::io::Result<Interfaces> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `head` is a valid place for the list pointer; on success the list is ours
    // until freeifaddrs below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut pairs = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a non-null node of the list getifaddrs returned, not freed yet.
        let entry = unsafe { &*cur };
        if let Some(ip) = address(entry.ifa_addr) {
            // SAFETY: ifa_name points to a NUL-terminated name owned by the list.
            let name = unsafe { CStr::from_ptr(entry.ifa_name) };
            pairs.push((name.to_string_lossy().into_owned(), ip));
        }
        cur = entry.ifa_next;
    }
    // SAFETY: `head` came from getifaddrs and is freed once; nothing borrowed from it
    // outlives this call (names were copied).
    unsafe { libc::freeifaddrs(head) };
    Ok(Interfaces::from_pairs(pairs))
}

/// The IP of a `sockaddr` of family AF_INET or AF_INET6; `None` for others or null.
fn address(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: non-null `sa` points to a sockaddr of the list; its family says how much
    // of it is there, and each cast below matches the family read.
    let family = i32::from(unsafe { (*sa).sa_family });
    match family {
        libc::AF_INET => {
            // SAFETY: an AF_INET address is a sockaddr_in.
            let sin = unsafe { &*(sa.cast::<libc::sockaddr_in>()) };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 address is a sockaddr_in6.
            let sin6 = unsafe { &*(sa.cast::<libc::sockaddr_in6>()) };
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// The table, or an empty one (logged) when the system cannot tell: then every
/// interface name in the config is reported unknown.
pub fn read_or_empty() -> Interfaces {
    read().unwrap_or_else(|e| {
        tracing::warn!("reading this host's interfaces: {e}");
        Interfaces::default()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_listed() {
        let t = super::read().expect("getifaddrs");
        assert_eq!(t.address("lo"), Some("127.0.0.1".parse().expect("ip")));
    }
}
