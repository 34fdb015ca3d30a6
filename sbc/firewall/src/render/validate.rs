//! Checks on a [`Desired`] before it is rendered: what nft would refuse less readably, and
//! what would render into a ruleset that does not protect what the operator meant.

use super::build::families;
use crate::error::FirewallError;
use crate::model::{Desired, MediaRange, SipProto};

/// Refuses a bad table name, an empty or reversed media range, a zero SIP rate, a wildcard
/// listener that no listed address covers (nothing sent to it would be filtered) and a UDP
/// SIP port inside a media range (media there is pinholes only, so SIP would be dropped).
pub(super) fn validate(d: &Desired) -> Result<(), FirewallError> {
    let name_ok = !d.table.is_empty()
        && d.table.len() <= 64
        && d.table
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && d.table
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !name_ok {
        return Err(FirewallError::Invalid {
            reason: format!("table name {:?}: letters, digits, _ and - only", d.table),
        });
    }
    for m in &d.media {
        if m.first > m.last || m.first == 0 {
            return Err(FirewallError::Invalid {
                reason: format!("media range {}-{} on {}", m.first, m.last, m.addr),
            });
        }
    }
    for s in &d.sip {
        let ip = s.addr.ip();
        if ip.is_unspecified() {
            let covered = families(ip).iter().any(|v4| {
                d.addresses
                    .iter()
                    .any(|a| !a.is_unspecified() && a.is_ipv4() == *v4)
            });
            if !covered {
                return Err(FirewallError::Invalid {
                    reason: format!(
                        "SIP listener {} binds every address, but no address of ours is \
                         listed: nothing sent to it would be filtered",
                        s.addr
                    ),
                });
            }
        }
        if s.proto != SipProto::Udp {
            continue;
        }
        let same_addr =
            |m: &MediaRange| ip.is_unspecified() || m.addr.is_unspecified() || m.addr == ip;
        if let Some(m) = d
            .media
            .iter()
            .find(|m| same_addr(m) && (m.first..=m.last).contains(&s.addr.port()))
        {
            return Err(FirewallError::Invalid {
                reason: format!(
                    "SIP listener udp:{} lies inside media range {}-{} on {}: media is \
                     pinholes only, so SIP there would be dropped",
                    s.addr, m.first, m.last, m.addr
                ),
            });
        }
    }
    if d.sip_rate.packets_per_second == 0 {
        return Err(FirewallError::Invalid {
            reason: "sip rate limit of 0 packets/s".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SipService;

    #[test]
    fn bad_states_are_refused_with_the_value() {
        let mut d = Desired {
            table: "bad name".to_owned(),
            ..Desired::default()
        };
        let e = super::super::build::table(&d)
            .expect_err("space in name")
            .to_string();
        assert!(e.contains("bad name"), "{e}");
        d.table = "sbc".to_owned();
        d.media.push(MediaRange {
            addr: "192.0.2.1".parse().expect("ip"),
            first: 30000,
            last: 20000,
        });
        let e = super::super::build::table(&d)
            .expect_err("reversed range")
            .to_string();
        assert!(e.contains("30000-20000"), "{e}");
    }

    #[test]
    fn listeners_that_could_not_be_filtered_are_refused() {
        let udp = |addr: &str| SipService {
            proto: SipProto::Udp,
            addr: addr.parse().expect("addr"),
            peers: vec![],
            open: false,
        };
        let mut d = Desired {
            sip: vec![udp("0.0.0.0:5060")],
            ..Desired::default()
        };
        let e = super::super::build::table(&d)
            .expect_err("nothing to judge")
            .to_string();
        assert!(e.contains("0.0.0.0:5060"), "{e}");
        d.addresses.push("2001:db8::1".parse().expect("ip"));
        assert!(
            super::super::build::table(&d).is_err(),
            "an IPv6 address does not cover 0.0.0.0"
        );
        d.addresses.push("192.0.2.1".parse().expect("ip"));
        super::super::build::table(&d).expect("covered by 192.0.2.1");
        d.sip = vec![udp("192.0.2.1:20002")];
        d.media.push(MediaRange {
            addr: "192.0.2.1".parse().expect("ip"),
            first: 20000,
            last: 29999,
        });
        let e = super::super::build::table(&d)
            .expect_err("SIP in the media range")
            .to_string();
        assert!(e.contains("20000-29999"), "{e}");
        d.sip[0].proto = SipProto::Tcp;
        super::super::build::table(&d).expect("TCP is not media");
        d.sip = vec![udp("192.0.2.2:20002")];
        super::super::build::table(&d).expect("another address");
    }
}
