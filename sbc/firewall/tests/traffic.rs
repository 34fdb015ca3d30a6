//! Packets through the real ruleset: a peer namespace sends UDP and TCP over a veth pair to
//! the test's namespace, where our table judges it. Pinholes let media through, bans and the
//! default-deny on the media range drop it, and the named rule counters record the drops;
//! signalling from trunk peers and replies to flows the SBC started pass, and the reject
//! policy answers TCP with a reset and UDP with port unreachable.

#[path = "support/netns.rs"]
mod netns;

use std::net::{IpAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sbc_firewall::{Desired, Firewall, Hole, MediaRange, Policy, SipProto, SipService};

const SBC: &str = "10.99.0.1";
const PEER: &str = "10.99.0.2";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("fixture address")
}

/// A second namespace holding the far end of a veth pair; killed on drop.
struct Peer(Child);

impl Peer {
    fn start() -> Peer {
        let child = Command::new("unshare")
            .args(["--net", "sleep", "120"])
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare runs");
        let peer = Peer(child);
        let pid = peer.0.id().to_string();
        // The child needs a moment to enter its namespace: retry until the link moves.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let _ = Command::new("ip")
                .args(["link", "del", "veth-sbc"])
                .output();
            let ok = Command::new("ip")
                .args([
                    "link",
                    "add",
                    "veth-sbc",
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "veth-peer",
                ])
                .args(["netns", &pid])
                .status()
                .is_ok_and(|s| s.success())
                && peer.exec(&["ip", "link", "show", "veth-peer"]);
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "could not create the veth pair");
            std::thread::sleep(Duration::from_millis(50));
        }
        run(&["ip", "addr", "add", &format!("{SBC}/24"), "dev", "veth-sbc"]);
        run(&["ip", "link", "set", "veth-sbc", "up"]);
        assert!(peer.exec(&[
            "ip",
            "addr",
            "add",
            &format!("{PEER}/24"),
            "dev",
            "veth-peer"
        ]));
        assert!(peer.exec(&["ip", "link", "set", "veth-peer", "up"]));
        peer
    }

    fn exec(&self, args: &[&str]) -> bool {
        Command::new("nsenter")
            .args(["-t", &self.0.id().to_string(), "-n", "--"])
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs a Python snippet in the peer's namespace; true when it exits 0.
    fn python(&self, code: &str) -> bool {
        self.exec(&["python3", "-c", code])
    }

    fn send_udp(&self, port: u16) {
        let script = format!("echo probe >/dev/udp/{SBC}/{port}");
        assert!(self.exec(&["bash", "-c", &script]), "send to port {port}");
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(args: &[&str]) {
    let ok = Command::new(args[0])
        .args(&args[1..])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{args:?} failed");
}

/// Packets counted by each rule with `comment` in chain `chain` of table sbc, in order.
fn counters(chain: &str, comment: &str) -> Vec<u64> {
    let out = netns::nft(&["-j", "list", "chain", "inet", "sbc", chain]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("rule"))
        .filter(|r| r["comment"] == comment)
        .map(|r| {
            r["expr"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.get("counter").and_then(|c| c["packets"].as_u64()))
                .sum()
        })
        .collect()
}

/// Packets counted by the rules with `comment` in chain `chain` of table sbc.
fn counter(chain: &str, comment: &str) -> u64 {
    counters(chain, comment).iter().sum()
}

/// Waits until the counter exceeds `before` (the drop happened) or fails.
fn wait_counter(chain: &str, comment: &str, before: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while counter(chain, comment) <= before {
        assert!(Instant::now() < deadline, "no drop counted by {comment:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn received(sock: &UdpSocket) -> bool {
    let mut buf = [0u8; 64];
    sock.recv(&mut buf).is_ok()
}

fn desired() -> Desired {
    Desired {
        addresses: vec![ip(SBC)],
        sip: vec![SipService {
            proto: SipProto::Udp,
            addr: (ip(SBC), 5060).into(),
            peers: vec!["10.99.0.3".parse().expect("cidr")],
            open: false,
        }],
        media: vec![MediaRange {
            addr: ip(SBC),
            first: 20000,
            last: 20099,
        }],
        ..Desired::default()
    }
}

#[test]
fn pinholes_and_bans_decide_what_reaches_the_media_port() {
    netns::run(|| {
        let peer = Peer::start();
        let fw = Firewall::setup(&desired()).expect("setup");
        let mut el = fw.elements().expect("netlink");
        let media = UdpSocket::bind((ip(SBC), 20000)).expect("bind media port");
        media
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");

        // No pinhole: dropped in the kernel.
        let before = counter("media", "media");
        peer.send_udp(20000);
        wait_counter("media", "media", before);

        // Port hole (latch window): any source passes.
        el.open(
            Hole::Port {
                ip: ip(SBC),
                port: 20000,
            },
            Duration::from_secs(60),
        );
        el.flush().expect("open port hole");
        peer.send_udp(20000);
        assert!(received(&media), "packet through the port hole");

        // Latched to another remote: our peer is dropped again.
        el.close(Hole::Port {
            ip: ip(SBC),
            port: 20000,
        });
        el.open(
            Hole::Peer {
                remote: ip("10.99.0.3"),
                ip: ip(SBC),
                port: 20000,
            },
            Duration::from_secs(60),
        );
        el.flush().expect("latch elsewhere");
        let before = counter("media", "media");
        peer.send_udp(20000);
        wait_counter("media", "media", before);

        // Latched to our peer: passes.
        el.open(
            Hole::Peer {
                remote: ip(PEER),
                ip: ip(SBC),
                port: 20000,
            },
            Duration::from_secs(60),
        );
        el.flush().expect("latch to peer");
        peer.send_udp(20000);
        assert!(received(&media), "packet through the latched hole");

        // Banned: dropped before any pinhole.
        el.ban(ip(PEER), Duration::from_secs(60));
        el.flush().expect("ban");
        let before = counter("filter", "ban");
        peer.send_udp(20000);
        wait_counter("filter", "ban", before);

        // SIP from a source that is not a trunk peer of a closed realm: dropped.
        el.unban(ip(PEER));
        el.flush().expect("unban");
        let before = counter("filter", "sip");
        peer.send_udp(5060);
        wait_counter("filter", "sip", before);

        // Nothing arrived while dropped: the only datagrams queued were the two let through.
        media
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        assert!(!received(&media), "a dropped packet reached the socket");
        fw.shutdown().expect("shutdown");
    });
}

#[test]
fn signalling_replies_and_the_reject_policy() {
    netns::run(|| {
        let peer = Peer::start();
        let mut d = desired();
        d.policy = Policy::Reject;
        d.sip[0].peers.push(ip(PEER).into());
        let fw = Firewall::setup(&d).expect("setup");
        let timeout = Some(Duration::from_secs(5));

        // SIP over UDP from a trunk peer reaches the listener.
        let sip = UdpSocket::bind((ip(SBC), 5060)).expect("bind SIP port");
        sip.set_read_timeout(timeout).expect("timeout");
        peer.send_udp(5060);
        assert!(received(&sip), "SIP from a trunk peer");

        // A datagram from port 53 to one of our ephemeral ports: unsolicited, refused...
        let dns = UdpSocket::bind((ip(SBC), 40000)).expect("bind client port");
        dns.set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        let answer = format!(
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
             s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
             s.bind(('{PEER}',53))\ns.sendto(b'answer',('{SBC}',40000))"
        );
        let before = counter("filter", "policy");
        assert!(peer.python(&answer), "send the unsolicited answer");
        wait_counter("filter", "policy", before);
        assert!(!received(&dns), "an unsolicited datagram got through");
        // ...but once we asked (a DNS query, say), the answer is an established flow.
        dns.send_to(b"query", (ip(PEER), 53)).expect("send query");
        assert!(peer.python(&answer), "send the answer");
        dns.set_read_timeout(timeout).expect("timeout");
        assert!(received(&dns), "the reply to our own query");

        // Reject policy: a TCP connect to a closed port is refused at once (a reset, not a
        // timeout), a UDP datagram draws an ICMP port unreachable.
        let tcp = format!(
            "import socket\ns=socket.socket()\ns.settimeout(3)\n\
             try:\n    s.connect(('{SBC}',7000))\nexcept ConnectionRefusedError:\n    raise SystemExit(0)\n\
             raise SystemExit(1)"
        );
        let tcp_rejects = counters("filter", "policy")[0];
        assert!(peer.python(&tcp), "TCP to a closed port is refused");
        assert!(
            counters("filter", "policy")[0] > tcp_rejects,
            "refused by the `reject with tcp reset` rule"
        );
        let udp = format!(
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(3)\n\
             s.connect(('{SBC}',7001))\ns.send(b'x')\n\
             try:\n    s.recv(10)\nexcept ConnectionRefusedError:\n    raise SystemExit(0)\n\
             raise SystemExit(1)"
        );
        assert!(
            peer.python(&udp),
            "UDP to a closed port draws port unreachable"
        );
        fw.shutdown().expect("shutdown");
    });
}

/// Management listening on a wildcard address answers on every address of the host, also
/// those that are none of the SBC's: its port is judged there too, so only the allow list
/// gets a connection through.
#[test]
fn wildcard_management_is_guarded_on_every_address() {
    netns::run(|| {
        let peer = Peer::start();
        // A second network on the link: an address of the host that the SBC does not use.
        run(&["ip", "addr", "add", "10.98.0.1/24", "dev", "veth-sbc"]);
        assert!(peer.exec(&["ip", "addr", "add", "10.98.0.2/24", "dev", "veth-peer"]));
        let listener = std::net::TcpListener::bind(("0.0.0.0", 8443)).expect("bind 8443");
        let connect = |to: &str| {
            let code = format!(
                "import socket\ns=socket.socket()\ns.settimeout(2)\n\
                 s.bind(('10.98.0.2',0))\ns.connect(('{to}',8443))"
            );
            peer.python(&code)
        };
        let mut d = desired();
        d.management = Some(sbc_firewall::ManagementService {
            addr: (ip("0.0.0.0"), 8443).into(),
            allow: vec!["10.99.0.3".parse().expect("cidr")],
        });
        let fw = Firewall::setup(&d).expect("setup");
        for to in [SBC, "10.98.0.1"] {
            let before = counter("filter", "management");
            assert!(!connect(to), "a stranger connected to management at {to}");
            assert!(
                counter("filter", "management") > before,
                "dropped by our rule"
            );
        }
        fw.shutdown().expect("shutdown");
        d.management = Some(sbc_firewall::ManagementService {
            addr: (ip("0.0.0.0"), 8443).into(),
            allow: vec!["10.98.0.0/24".parse().expect("cidr")],
        });
        let fw = Firewall::setup(&d).expect("setup");
        for to in [SBC, "10.98.0.1"] {
            assert!(connect(to), "the allow list reaches management at {to}");
        }
        drop(listener);
        fw.shutdown().expect("shutdown");
    });
}
