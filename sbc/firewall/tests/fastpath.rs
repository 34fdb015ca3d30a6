//! The kernel media fast path with real packets: peer namespaces A and B, each on a veth
//! pair to the test's namespace (the SBC). The SBC holds a UDP socket per leg, as the
//! daemon does. Before the relay is installed A's packets reach the SBC's socket; once it
//! is, the kernel forwards A -> SBC -> B and back with both addresses rewritten (each peer
//! sees only the SBC's address and port on its side), the sockets receive nothing, the
//! forward set counts every packet, a third party is not forwarded (it reaches the socket),
//! plain forwarding between the subnets stays dropped, and after removal the maps are
//! empty, the connection is gone and packets reach the socket again.

#[path = "support/netns.rs"]
mod netns;

use std::io::ErrorKind;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sbc_firewall::Forwarding;
use sbc_firewall::fastpath::{FastPath, Leg, Relay};

const TABLE: &str = "sbc_fast";
const SBC_A: &str = "10.98.1.1:20000";
const PEER_A: &str = "10.98.1.2:4000";
const SBC_B: &str = "10.98.2.1:20002";
const PEER_B: &str = "10.98.2.2:5000";
const N: usize = 50;

fn sa(s: &str) -> SocketAddrV4 {
    s.parse().expect("fixture address")
}

fn run(args: &[&str]) {
    let ok = Command::new(args[0])
        .args(&args[1..])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{args:?} failed");
}

/// A peer namespace (held by a `sleep` child, killed on drop) joined to ours by a veth
/// pair `{name}0` (ours, `sbc_ip`) — `{name}` (theirs, `peer_ip`), both /24.
struct PeerNs(Child);

impl PeerNs {
    fn start(name: &str, sbc_ip: &str, peer_ip: &str) -> PeerNs {
        let child = Command::new("unshare")
            .args(["--net", "sleep", "120"])
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare runs");
        let ns = PeerNs(child);
        let pid = ns.0.id().to_string();
        let ours = format!("{name}0");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let _ = Command::new("ip").args(["link", "del", &ours]).output();
            let ok = Command::new("ip")
                .args(["link", "add", &ours, "type", "veth", "peer", "name", name])
                .args(["netns", &pid])
                .status()
                .is_ok_and(|s| s.success())
                && ns.exec(&["ip", "link", "show", name]);
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "could not create veth {name}");
            std::thread::sleep(Duration::from_millis(50));
        }
        run(&["ip", "addr", "add", &format!("{sbc_ip}/24"), "dev", &ours]);
        run(&["ip", "link", "set", &ours, "up"]);
        let peer_cidr = format!("{peer_ip}/24");
        assert!(ns.exec(&["ip", "addr", "add", &peer_cidr, "dev", name]));
        assert!(ns.exec(&["ip", "link", "set", "lo", "up"]));
        assert!(ns.exec(&["ip", "link", "set", name, "up"]));
        ns
    }

    fn exec(&self, args: &[&str]) -> bool {
        Command::new("nsenter")
            .args(["-t", &self.0.id().to_string(), "-n", "--"])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A UDP socket bound to `addr` inside this namespace (made by a thread that joins it;
    /// a socket stays in the namespace it was created in).
    #[allow(unsafe_code)]
    fn socket(&self, addr: &str) -> UdpSocket {
        use std::os::fd::AsRawFd;
        let path = format!("/proc/{}/ns/net", self.0.id());
        let addr = addr.to_owned();
        std::thread::spawn(move || {
            let f = std::fs::File::open(&path).expect("open the peer's netns");
            // SAFETY: setns(2) on a valid namespace fd only moves this short-lived thread.
            let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            let s = UdpSocket::bind(&addr).expect("bind in the peer namespace");
            s.set_read_timeout(Some(Duration::from_millis(300)))
                .expect("timeout");
            s
        })
        .join()
        .expect("socket thread")
    }
}

impl Drop for PeerNs {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Receives until nothing arrives for the read timeout: (payload, source) of each packet.
fn drain(s: &UdpSocket) -> Vec<(Vec<u8>, SocketAddr)> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1500];
    loop {
        match s.recv_from(&mut buf) {
            Ok((n, from)) => out.push((buf[..n].to_vec(), from)),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return out;
            }
            Err(e) => panic!("recv: {e}"),
        }
    }
}

fn sysctl_forwarding() -> String {
    let out = Command::new("sysctl")
        .args(["-n", "net.ipv4.conf.all.forwarding"])
        .output()
        .expect("sysctl runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Lines of this namespace's conntrack table (empty when procfs conntrack is not built).
fn conntrack() -> Vec<String> {
    std::fs::read_to_string("/proc/thread-self/net/nf_conntrack")
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn forward_drops() -> u64 {
    let out = netns::nft(&["-j", "list", "chain", "inet", TABLE, "forward"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("rule"))
        .filter(|r| r["comment"] == "forward")
        .flat_map(|r| r["expr"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["counter"]["packets"].as_u64())
        .sum()
}

#[test]
fn kernel_relays_a_latched_stream_both_ways_and_gives_it_back() {
    netns::run(|| {
        let ns_a = PeerNs::start("fpa", "10.98.1.1", "10.98.1.2");
        let ns_b = PeerNs::start("fpb", "10.98.2.1", "10.98.2.2");
        assert_eq!(
            sysctl_forwarding(),
            "0",
            "a fresh namespace does not forward"
        );
        let mut fast =
            FastPath::setup(TABLE, Forwarding::Enable { memo: None }).expect("fast path table");
        assert_eq!(sysctl_forwarding(), "1");

        let sbc_a = UdpSocket::bind(SBC_A).expect("bind leg a");
        let sbc_b = UdpSocket::bind(SBC_B).expect("bind leg b");
        for s in [&sbc_a, &sbc_b] {
            s.set_read_timeout(Some(Duration::from_millis(300)))
                .expect("timeout");
        }
        let pa = ns_a.socket(PEER_A);
        let pb = ns_b.socket(PEER_B);

        // Userspace first: the SBC's socket gets A's packet (and conntrack an entry).
        pa.send_to(b"before", SBC_A).expect("send");
        let got = drain(&sbc_a);
        assert_eq!(got.len(), 1, "userspace receives before the handover");
        assert_eq!(got[0].1, SocketAddr::V4(sa(PEER_A)));

        let relay = Relay {
            a: Leg {
                local: sa(SBC_A),
                peer: sa(PEER_A),
            },
            b: Leg {
                local: sa(SBC_B),
                peer: sa(PEER_B),
            },
        };
        fast.install(&relay, Duration::from_secs(60))
            .expect("install");

        for i in 0..N {
            pa.send_to(format!("a{i}").as_bytes(), SBC_A).expect("send");
        }
        let at_b = drain(&pb);
        assert_eq!(at_b.len(), N, "B receives every packet A sent to the SBC");
        assert!(
            at_b.iter()
                .all(|(_, from)| *from == SocketAddr::V4(sa(SBC_B))),
            "B sees the SBC's leg-b address and port as the source: {:?}",
            at_b.first()
        );
        assert_eq!(at_b[0].0, b"a0");
        for i in 0..N {
            pb.send_to(format!("b{i}").as_bytes(), SBC_B).expect("send");
        }
        let at_a = drain(&pa);
        assert_eq!(at_a.len(), N, "A receives every packet B sent to the SBC");
        assert!(
            at_a.iter()
                .all(|(_, from)| *from == SocketAddr::V4(sa(SBC_A))),
            "A sees the SBC's leg-a address and port as the source"
        );
        assert!(
            drain(&sbc_a).is_empty(),
            "the kernel relayed: socket a idle"
        );
        assert!(
            drain(&sbc_b).is_empty(),
            "the kernel relayed: socket b idle"
        );

        let stats = fast.stats().expect("stats").relay(&relay);
        assert_eq!(stats.a_to_b.packets, N as u64);
        assert_eq!(stats.b_to_a.packets, N as u64);
        assert!(
            stats.a_to_b.bytes >= (N as u64) * 30,
            "IP lengths: {stats:?}"
        );
        assert!(
            conntrack()
                .iter()
                .any(|l| l.contains("dst=10.98.2.1") || l.contains("dst=10.98.1.1")),
            "one NATed connection: {:?}",
            conntrack()
        );

        // A third party (another port of A's host) is not the latched peer: not forwarded.
        let stranger = ns_a.socket("10.98.1.2:4001");
        stranger.send_to(b"bleed", SBC_A).expect("send");
        assert!(
            drain(&pb).is_empty(),
            "a stranger's packet is not forwarded"
        );
        let got = drain(&sbc_a);
        assert_eq!(got.len(), 1, "it reaches the socket, which judges it");

        // Forwarding is on, but only for our relays.
        assert!(ns_a.exec(&["ip", "route", "add", "10.98.2.0/24", "via", "10.98.1.1"]));
        let before = forward_drops();
        pa.send_to(b"direct", PEER_B).expect("send");
        assert!(drain(&pb).is_empty(), "plain routing A -> B is dropped");
        assert_eq!(forward_drops(), before + 1, "counted by the forward chain");

        // Re-INVITE / relatch: taken back from the kernel.
        fast.remove(&relay).expect("remove");
        assert!(fast.stats().expect("stats").is_empty(), "maps empty");
        let listing = netns::nft(&["list", "table", "inet", TABLE]);
        assert!(
            !listing.contains("elements ="),
            "dnat4, snat4 and flow4 empty:\n{listing}"
        );
        assert!(
            !conntrack().iter().any(|l| l.contains("dport=5000")),
            "the NATed connection is gone: {:?}",
            conntrack()
        );
        pa.send_to(b"after", SBC_A).expect("send");
        assert!(drain(&pb).is_empty(), "no longer forwarded");
        let got = drain(&sbc_a);
        assert_eq!(got.len(), 1, "userspace receives again");
        assert_eq!(got[0].0, b"after");
        fast.remove(&relay).expect("removing twice is fine");

        fast.shutdown().expect("shutdown");
        assert_eq!(sysctl_forwarding(), "0", "forwarding put back");
        let tables = netns::nft(&["list", "tables"]);
        assert!(!tables.contains(TABLE), "table removed: {tables}");
    });
}

#[test]
fn two_relays_between_the_same_peers_stay_apart() {
    netns::run(|| {
        let ns_a = PeerNs::start("fpa", "10.98.1.1", "10.98.1.2");
        let ns_b = PeerNs::start("fpb", "10.98.2.1", "10.98.2.2");
        let mut fast =
            FastPath::setup(TABLE, Forwarding::Enable { memo: None }).expect("fast path table");
        let pa = ns_a.socket(PEER_A);
        let pb = ns_b.socket(PEER_B);
        let relay = |a_port: u16, b_port: u16| Relay {
            a: Leg {
                local: SocketAddrV4::new(*sa(SBC_A).ip(), a_port),
                peer: sa(PEER_A),
            },
            b: Leg {
                local: SocketAddrV4::new(*sa(SBC_B).ip(), b_port),
                peer: sa(PEER_B),
            },
        };
        let (one, two) = (relay(20000, 20002), relay(20004, 20006));
        fast.install(&one, Duration::from_secs(60))
            .expect("install");
        fast.install(&two, Duration::from_secs(60))
            .expect("install");
        pa.send_to(b"1", "10.98.1.1:20000").expect("send");
        pa.send_to(b"2", "10.98.1.1:20004").expect("send");
        let got = drain(&pb);
        let sources: Vec<SocketAddr> = got.iter().map(|(_, from)| *from).collect();
        assert_eq!(
            sources,
            [
                "10.98.2.1:20002".parse().expect("addr"),
                "10.98.2.1:20006".parse().expect("addr")
            ],
            "each relay leaves from its own port"
        );
        fast.remove(&two).expect("remove");
        pa.send_to(b"1", "10.98.1.1:20000").expect("send");
        assert_eq!(drain(&pb).len(), 1, "the other relay still forwards");
        let snap = fast.stats().expect("stats");
        assert_eq!(snap.relay(&one).a_to_b.packets, 2, "counted per relay");
        assert_eq!(snap.relay(&two).a_to_b.packets, 0);
        fast.shutdown().expect("shutdown");
    });
}

fn set_forwarding(on: bool) {
    std::fs::write(
        "/proc/sys/net/ipv4/conf/all/forwarding",
        if on { "1\n" } else { "0\n" },
    )
    .expect("write the forwarding sysctl");
}

#[test]
fn forwarding_is_put_back_as_the_host_had_it_also_after_a_crash() {
    netns::run(|| {
        let dir = std::env::temp_dir().join(format!("sbc-fastpath-memo-{}", std::process::id()));
        let memo = dir.join("state").join("fastpath-forwarding");
        let enable = || Forwarding::Enable {
            memo: Some(memo.clone()),
        };
        assert_eq!(sysctl_forwarding(), "0");

        // A clean run: on while it runs, the old value remembered, put back, memo gone.
        let fast = FastPath::setup(TABLE, enable()).expect("setup");
        assert_eq!(sysctl_forwarding(), "1");
        assert_eq!(std::fs::read_to_string(&memo).expect("memo").trim(), "0");
        fast.shutdown().expect("shutdown");
        assert_eq!(sysctl_forwarding(), "0");
        assert!(!memo.exists(), "memo removed at shutdown");

        // A crash: the value is still on and the memo still says off. The next run takes
        // the memo's word and puts forwarding back off at its clean stop.
        let crashed = FastPath::setup(TABLE, enable()).expect("setup");
        std::mem::forget(crashed);
        assert_eq!(sysctl_forwarding(), "1");
        let fast = FastPath::setup(TABLE, enable()).expect("setup after the crash");
        fast.shutdown().expect("shutdown");
        assert_eq!(
            sysctl_forwarding(),
            "0",
            "the host's own value, not the crash's"
        );
        assert!(!memo.exists());

        // A host that forwards by itself keeps forwarding; nothing is remembered.
        set_forwarding(true);
        let fast = FastPath::setup(TABLE, enable()).expect("setup");
        assert!(!memo.exists(), "nothing to put back");
        fast.shutdown().expect("shutdown");
        assert_eq!(sysctl_forwarding(), "1");

        // A memo that is not 0 or 1 is an error naming the file, not a guess.
        set_forwarding(false);
        std::fs::write(&memo, "yes\n").expect("write");
        let err = FastPath::setup(TABLE, enable()).expect_err("bad memo");
        assert!(err.to_string().contains("fastpath-forwarding"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    });
}
