//! The kernel fast path for media: relays that need no transformation forwarded by
//! nftables NAT and conntrack instead of the daemon's sockets.
//!
//! A second table of ours (`inet sbc_fast` by default; `render.rs` documents its maps and
//! chains) holds, per relayed stream, two DNAT entries (each latched peer's packets to the
//! SBC's socket go to the other leg's latched peer), two SNAT entries (they leave with the
//! SBC's address and port of the other leg) and four forward entries (the only packets the
//! forward chain lets through; their counters are the per-direction stats). Conntrack
//! carries both directions after the first packet.
//!
//! # Lifecycle
//!
//! * [`FastPath::setup`] creates the table empty (the reconcile after a crash) and, when
//!   asked, switches IPv4 forwarding on (remembering the old value).
//! * [`FastPath::install`] adds a relay's eight entries in one netlink transaction, then
//!   deletes the conntrack entries of the userspace flows (`P -> L`, `Q -> M`): existing
//!   connections never consult the nat chains again, so without the delete the packets
//!   would keep reaching the sockets. Installing the same relay again refreshes the
//!   entries' kernel timeouts (the safety net when a removal is lost).
//! * [`FastPath::remove`] deletes the entries and the connection: the next packet reaches
//!   the daemon's socket again (a re-INVITE or relatch that changes an address).
//! * [`FastPath::stats`] dumps the forward set's counters.
//! * [`FastPath::shutdown`] deletes the table and puts forwarding back.
//!
//! The daemon keeps its sockets open throughout: the ports stay reserved, and it gets the
//! stream back at once when the relay is removed. IPv4 only for now.

mod render;
mod sysctl;

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::FirewallError;
use crate::netlink::msg::{self, Element};
use crate::netlink::{Socket, ct};

/// Default name of the fast path's table (family inet).
pub const DEFAULT_TABLE: &str = "sbc_fast";

/// Why a fast path operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FastPathError {
    /// Creating or deleting the table (nft) failed.
    #[error(transparent)]
    Ruleset(#[from] FirewallError),
    /// The forwarding sysctl could not be read or written.
    #[error("sysctl {path}: {source}")]
    Sysctl {
        /// The /proc/sys file.
        path: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The file remembering the forwarding flag across a crash could not be used.
    #[error("forwarding memo {}: {source}", path.display())]
    Memo {
        /// The memo file (in the daemon's state_dir).
        path: PathBuf,
        /// The OS error, or bad content.
        #[source]
        source: io::Error,
    },
    /// The kernel refused a netlink request.
    #[error("fast path {what} for {relay}: {source}")]
    Netlink {
        /// What was asked ("install", "remove", "conntrack delete", "stats").
        what: &'static str,
        /// The relay, printed.
        relay: String,
        /// The kernel's or the socket's error.
        #[source]
        source: io::Error,
    },
    /// The relay cannot be forwarded by the kernel (an IPv6 address).
    #[error("fast path cannot relay {relay}: {reason}")]
    Unsupported {
        /// The relay, printed.
        relay: String,
        /// Why.
        reason: &'static str,
    },
}

/// One leg of a relay: the SBC's socket and the peer latched on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Leg {
    /// The SBC's local address and port of this leg.
    pub local: SocketAddrV4,
    /// The latched peer.
    pub peer: SocketAddrV4,
}

impl Leg {
    /// A leg from socket addresses; `None` unless both are IPv4.
    pub fn new(local: SocketAddr, peer: SocketAddr) -> Option<Leg> {
        match (local, peer) {
            (SocketAddr::V4(local), SocketAddr::V4(peer)) => Some(Leg { local, peer }),
            _ => None,
        }
    }
}

/// A stream relayed between two legs: what `a.peer` sends to `a.local` goes to `b.peer`
/// from `b.local`, and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Relay {
    /// One leg.
    pub a: Leg,
    /// The other.
    pub b: Leg,
}

impl std::fmt::Display for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} -> {} | {} -> {}",
            self.a.peer, self.a.local, self.b.local, self.b.peer
        )
    }
}

/// Packets and bytes the kernel forwarded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counter {
    /// Packets.
    pub packets: u64,
    /// Bytes (IP length).
    pub bytes: u64,
}

/// A relay's kernel counters per direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// From `a.peer` to `b.peer`.
    pub a_to_b: Counter,
    /// From `b.peer` to `a.peer`.
    pub b_to_a: Counter,
}

/// Every forward entry's counter, keyed by (source peer, the SBC socket its connection
/// was first addressed to).
#[derive(Debug, Clone, Default)]
pub struct Snapshot(HashMap<(SocketAddrV4, SocketAddrV4), Counter>);

impl Snapshot {
    /// The counters of `relay` (zero for a relay not installed).
    pub fn relay(&self, relay: &Relay) -> RelayStats {
        // Whichever peer spoke first, its connection was addressed to its own leg's socket.
        let get = |from: SocketAddrV4| {
            let mut c = Counter::default();
            for first in [relay.a.local, relay.b.local] {
                let e = self.0.get(&(from, first)).copied().unwrap_or_default();
                c.packets += e.packets;
                c.bytes += e.bytes;
            }
            c
        };
        RelayStats {
            a_to_b: get(relay.a.peer),
            b_to_a: get(relay.b.peer),
        }
    }

    /// Number of forward entries (four per installed relay).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No relay installed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The fast path's table and a netlink socket to fill it; one per thread that needs it.
#[derive(Debug)]
pub struct FastPath {
    table: String,
    sock: Socket,
    /// The forwarding flag before setup, when setup changed it, and the memo file that
    /// remembers it across a crash.
    restore_forwarding: Option<(bool, Option<PathBuf>)>,
}

/// Whether [`FastPath::setup`] switches IPv4 forwarding on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwarding {
    /// Leave `net.ipv4.conf.all.forwarding` alone (tests that set it themselves).
    Leave,
    /// Switch it on for the fast path's lifetime and put it back at shutdown. With a memo
    /// file, the value it had before is written there first and read back by the next
    /// setup if it is still there: a daemon that crashed with forwarding on (its table,
    /// whose forward chain has policy drop, left in place) restores the original value at
    /// its next clean stop instead of taking "on" for the host's own setting.
    Enable { memo: Option<PathBuf> },
}

impl FastPath {
    /// Creates (or empties) table `inet table`; with [`Forwarding::Enable`], switches
    /// `net.ipv4.conf.all.forwarding` on for the lifetime of this value.
    pub fn setup(table: &str, forwarding: Forwarding) -> Result<FastPath, FastPathError> {
        let sock = Socket::open()?;
        crate::nft::run_text(table, &render::table(table))?;
        let mut restore_forwarding = None;
        if let Forwarding::Enable { memo } = forwarding {
            let sysctl_err = |source| FastPathError::Sysctl {
                path: sysctl::FORWARDING,
                source,
            };
            let memo_err = |path: &PathBuf| {
                let path = path.clone();
                move |source| FastPathError::Memo { path, source }
            };
            let remembered = match &memo {
                Some(path) => sysctl::read_memo(path).map_err(memo_err(path))?,
                None => None,
            };
            let now = sysctl::read(sysctl::FORWARDING).map_err(sysctl_err)?;
            let was = remembered.unwrap_or(now);
            if let Some(path) = &memo {
                if !was && remembered.is_none() {
                    sysctl::write_memo(path, was).map_err(memo_err(path))?;
                }
            }
            if !now {
                sysctl::write(sysctl::FORWARDING, true).map_err(sysctl_err)?;
            }
            if !was {
                restore_forwarding = Some((was, memo.clone()));
            }
            tracing::info!(
                table,
                was,
                "kernel media fast path: net.ipv4.conf.all.forwarding=1 (the forward chain \
                 accepts only our relays)"
            );
        }
        tracing::info!(table, "kernel media fast path table set up");
        Ok(FastPath {
            table: table.to_owned(),
            sock,
            restore_forwarding,
        })
    }

    /// Another handle on a table [`FastPath::setup`] created (one per thread that installs
    /// relays): a netlink socket only. Its `shutdown` must not be called (the owner's is).
    pub fn attach(table: &str) -> Result<FastPath, FastPathError> {
        Ok(FastPath {
            table: table.to_owned(),
            sock: Socket::open()?,
            restore_forwarding: None,
        })
    }

    /// The table name (family inet).
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Hands `relay` to the kernel for `ttl` (refreshed by installing it again).
    pub fn install(&mut self, relay: &Relay, ttl: Duration) -> Result<(), FastPathError> {
        let adds = elements(relay, Some(ttl));
        if self.transact(&adds).is_err() {
            // A stale entry with other data (EBUSY) or anything else: start clean once.
            self.delete_elements(relay)?;
            self.transact(&adds)
                .map_err(|source| FastPathError::Netlink {
                    what: "install",
                    relay: relay.to_string(),
                    source,
                })?;
        }
        self.forget_connections(relay)
    }

    /// Takes `relay` back from the kernel: entries and its connection deleted, so the next
    /// packet reaches the daemon's sockets. Removing an absent relay is not an error.
    pub fn remove(&mut self, relay: &Relay) -> Result<(), FastPathError> {
        self.delete_elements(relay)?;
        self.forget_connections(relay)
    }

    /// The kernel's counters for every installed relay.
    pub fn stats(&mut self) -> Result<Snapshot, FastPathError> {
        let dumped = self
            .sock
            .dump_with(&self.table, render::FLOW4, counter_of)
            .map_err(|source| FastPathError::Netlink {
                what: "stats",
                relay: "all".to_owned(),
                source,
            })?;
        let mut out = HashMap::new();
        for (key, _left, counter) in dumped {
            if let Some(pair) = flow_of(&key) {
                out.insert(pair, counter.unwrap_or_default());
            }
        }
        Ok(Snapshot(out))
    }

    /// Puts forwarding back as it was, then deletes the table (tried twice).
    ///
    /// Forwarding goes first and whatever the deletion does: a table left behind only
    /// drops (its forward chain's policy), while forwarding left on would let the box route
    /// between its interfaces with no daemon running. The first error is returned, after
    /// both were tried.
    pub fn shutdown(self) -> Result<(), FastPathError> {
        let restored = match self.restore_forwarding {
            Some((was, memo)) => sysctl::write(sysctl::FORWARDING, was)
                .map_err(|source| FastPathError::Sysctl {
                    path: sysctl::FORWARDING,
                    source,
                })
                .and_then(|()| match memo {
                    Some(path) => sysctl::remove_memo(&path)
                        .map_err(|source| FastPathError::Memo { path, source }),
                    None => Ok(()),
                }),
            None => Ok(()),
        };
        let delete = render::delete(&self.table);
        let deleted = crate::nft::run_text(&self.table, &delete).or_else(|first| {
            tracing::warn!(table = %self.table, error = %first, "kernel media fast path: removing its table failed, trying again");
            std::thread::sleep(std::time::Duration::from_millis(200));
            crate::nft::run_text(&self.table, &delete)
        });
        restored?;
        deleted?;
        tracing::info!(table = %self.table, "kernel media fast path table removed");
        Ok(())
    }

    /// One transaction; `Err` unless the kernel acked every element.
    fn transact(&mut self, elems: &[Element]) -> io::Result<()> {
        let out = self.sock.transact(&self.table, elems)?;
        if let Some(errno) = out.batch_errno.or(out.failed.first().map(|f| f.1)) {
            return Err(io::Error::from_raw_os_error(errno));
        }
        if !out.acked {
            return Err(io::Error::other("no ack from the kernel"));
        }
        Ok(())
    }

    /// Deletes the relay's entries one by one (absent ones are fine).
    fn delete_elements(&mut self, relay: &Relay) -> Result<(), FastPathError> {
        for e in elements(relay, None) {
            match self.transact(std::slice::from_ref(&e)) {
                Ok(()) => {}
                Err(err) if err.raw_os_error() == Some(libc::ENOENT) => {}
                Err(source) => {
                    return Err(FastPathError::Netlink {
                        what: "remove",
                        relay: relay.to_string(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// Deletes the conntrack entries of both legs' flows (either direction finds one).
    fn forget_connections(&mut self, relay: &Relay) -> Result<(), FastPathError> {
        for leg in [relay.a, relay.b] {
            let errno = self
                .sock
                .request(|seq| ct::delete_udp(leg.peer, leg.local, seq))
                .map_err(|source| FastPathError::Netlink {
                    what: "conntrack delete",
                    relay: relay.to_string(),
                    source,
                })?;
            if errno != 0 && errno != libc::ENOENT {
                return Err(FastPathError::Netlink {
                    what: "conntrack delete",
                    relay: relay.to_string(),
                    source: io::Error::from_raw_os_error(errno),
                });
            }
        }
        Ok(())
    }
}

/// Address and port as an nftables key field pair (port padded to 4 bytes).
fn push(out: &mut Vec<u8>, a: SocketAddrV4) {
    out.extend_from_slice(&a.ip().octets());
    out.extend_from_slice(&a.port().to_be_bytes());
    out.extend_from_slice(&[0, 0]);
}

fn cat(parts: &[SocketAddrV4]) -> Vec<u8> {
    let mut v = Vec::with_capacity(parts.len() * 8);
    for p in parts {
        push(&mut v, *p);
    }
    v
}

/// The eight entries of a relay: adds with `ttl`, deletes without.
fn elements(r: &Relay, ttl: Option<Duration>) -> Vec<Element> {
    let timeout_ms = ttl.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX).max(1));
    let e = |set: &'static str, key: Vec<u8>, data: Vec<u8>| Element {
        set,
        key,
        timeout_ms,
        data: Some(data),
    };
    let flow = |from: SocketAddrV4, first: SocketAddrV4| Element {
        data: None,
        ..e(render::FLOW4, cat(&[from, first]), Vec::new())
    };
    let (a, b) = (r.a, r.b);
    vec![
        e(render::DNAT4, cat(&[a.peer, a.local]), cat(&[b.peer])),
        e(render::DNAT4, cat(&[b.peer, b.local]), cat(&[a.peer])),
        e(render::SNAT4, cat(&[a.local]), cat(&[b.local])),
        e(render::SNAT4, cat(&[b.local]), cat(&[a.local])),
        flow(a.peer, a.local),
        flow(a.peer, b.local),
        flow(b.peer, a.local),
        flow(b.peer, b.local),
    ]
}

/// (source, first SBC socket) of a `flow4` key.
fn flow_of(key: &[u8]) -> Option<(SocketAddrV4, SocketAddrV4)> {
    let addr = |b: &[u8]| -> Option<SocketAddrV4> {
        let ip: [u8; 4] = b.get(0..4)?.try_into().ok()?;
        let port: [u8; 2] = b.get(4..6)?.try_into().ok()?;
        Some(SocketAddrV4::new(ip.into(), u16::from_be_bytes(port)))
    };
    if key.len() != 16 {
        return None;
    }
    Some((addr(&key[..8])?, addr(&key[8..])?))
}

const NFTA_SET_ELEM_EXPR: u16 = 7;
const NFTA_SET_ELEM_EXPRESSIONS: u16 = 10;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_COUNTER_BYTES: u16 = 1;
const NFTA_COUNTER_PACKETS: u16 = 2;

/// The counter among an element's attributes (one expression, or a list of them).
fn counter_of(attrs: &[(u16, &[u8])]) -> Option<Counter> {
    let exprs: Vec<&[u8]> = attrs
        .iter()
        .flat_map(|&(ty, v)| match ty {
            NFTA_SET_ELEM_EXPR => vec![v],
            NFTA_SET_ELEM_EXPRESSIONS => msg::attrs(v)
                .into_iter()
                .filter(|(t, _)| *t == NFTA_LIST_ELEM)
                .map(|(_, e)| e)
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    exprs.into_iter().find_map(|expr| {
        let a = msg::attrs(expr);
        let name = a.iter().find(|(t, _)| *t == NFTA_EXPR_NAME)?.1;
        if name.strip_suffix(b"\0").unwrap_or(name) != b"counter" {
            return None;
        }
        let data = msg::attrs(a.iter().find(|(t, _)| *t == NFTA_EXPR_DATA)?.1);
        let u64_of = |want: u16| -> Option<u64> {
            let v = data.iter().find(|(t, _)| *t == want)?.1;
            Some(u64::from_be_bytes(v.try_into().ok()?))
        };
        Some(Counter {
            packets: u64_of(NFTA_COUNTER_PACKETS)?,
            bytes: u64_of(NFTA_COUNTER_BYTES)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddrV4 {
        s.parse().expect("test address")
    }

    fn relay() -> Relay {
        Relay {
            a: Leg {
                local: sa("10.0.1.1:20000"),
                peer: sa("10.0.1.2:4000"),
            },
            b: Leg {
                local: sa("10.0.2.1:20002"),
                peer: sa("10.0.2.2:5000"),
            },
        }
    }

    #[test]
    fn eight_entries_per_relay() {
        let e = elements(&relay(), Some(Duration::from_secs(60)));
        assert_eq!(e.len(), 8);
        assert_eq!(e[0].set, "dnat4");
        assert_eq!(
            e[0].key,
            [10, 0, 1, 2, 0x0f, 0xa0, 0, 0, 10, 0, 1, 1, 0x4e, 0x20, 0, 0],
            "peer . port . local . port"
        );
        assert_eq!(
            e[0].data.as_deref(),
            Some(&[10, 0, 2, 2, 0x13, 0x88, 0, 0][..])
        );
        assert_eq!(e[2].key, cat(&[sa("10.0.1.1:20000")]));
        assert_eq!(e[4].data, None, "flow4 is a set");
        assert_eq!(
            flow_of(&e[4].key),
            Some((sa("10.0.1.2:4000"), sa("10.0.1.1:20000")))
        );
        assert_eq!(
            flow_of(&e[7].key),
            Some((sa("10.0.2.2:5000"), sa("10.0.2.1:20002")))
        );
        assert!(elements(&relay(), None).iter().all(Element::is_delete));
    }

    #[test]
    fn counter_read_from_a_single_expression() {
        let mut w = msg::Writer::default();
        let expr = w.nest_begin(NFTA_SET_ELEM_EXPR);
        w.attr(NFTA_EXPR_NAME, b"counter\0");
        let data = w.nest_begin(NFTA_EXPR_DATA);
        w.attr(NFTA_COUNTER_BYTES, &3200u64.to_be_bytes());
        w.attr(NFTA_COUNTER_PACKETS, &100u64.to_be_bytes());
        w.nest_end(data);
        w.nest_end(expr);
        let attrs = msg::attrs(&w.buf);
        assert_eq!(
            counter_of(&attrs),
            Some(Counter {
                packets: 100,
                bytes: 3200
            })
        );
        assert_eq!(counter_of(&[]), None);
    }
}
