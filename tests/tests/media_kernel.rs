//! The kernel media fast path in the lab: `sbc-media-harness --kernel-forwarding` in the
//! sbc namespace (which has ip_forward off), real RTP from the carrier and pbx namespaces.
//! Once both peers are latched and the latch window is over, the stream is handed to the
//! kernel (logged): the far sides keep receiving everything, from the SBC's own addresses
//! and ports, while almost nothing more goes through the workers (the forward set's
//! counters carry the rest); the harness switches forwarding on. After `close` the maps
//! are empty and no NATed connection is left; at exit the table is gone and forwarding is
//! off again.

use std::net::SocketAddr;
use std::time::Duration;

use sbc_lab::media_harness::{MediaHarness, rtp_packet as rtp, ssrc_of};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP};
use sbc_lab::{Lab, Ns, UdpBurst};

const TABLE: &str = "sbc_fast";

fn stream<'a>(ns: Ns, from: SocketAddr, to: SocketAddr, rtp: &'a [Vec<u8>]) -> UdpBurst<'a> {
    UdpBurst {
        ns,
        from: Some(from),
        to,
        datagrams: rtp,
        interval: Duration::from_millis(20),
        wait: Duration::from_millis(1000),
        first_only: false,
    }
}

/// The forward set's elements: (source IP, packet counter) each (`S . Sport . O . Oport
/// counter packets N bytes M`, comma-separated).
fn kernel_packets(lab: &Lab) -> Vec<(String, u64)> {
    let elements = lab.nft_set(TABLE, "flow4").expect("nft list set");
    elements
        .split(',')
        .filter_map(|e| {
            let source = e.split_whitespace().next()?.to_owned();
            let packets = e
                .split("packets ")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some((source, packets))
        })
        .collect()
}

/// `packets: N` fields of an event line, in order (side A, side B).
/// Each side's `packets` (all it relayed, the kernel's share included; not
/// `kernel_packets`).
fn stats_packets(line: &str) -> Vec<u64> {
    line.split("StreamStats { packets: ")
        .skip(1)
        .filter_map(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .collect()
}

fn sysctl(lab: &Lab) -> String {
    lab.exec_ok(Ns::Sbc, &["sysctl", "-n", "net.ipv4.conf.all.forwarding"])
        .expect("sysctl")
        .trim()
        .to_owned()
}

const CARRIER: u32 = 0xca11;
const PBX: u32 = 0x0b0b;
const N: u16 = 200;

#[test]
fn a_latched_stream_is_relayed_by_the_kernel_and_given_back_at_close() {
    let lab = Lab::new().expect("create lab");
    assert_eq!(
        sysctl(&lab),
        "0",
        "the lab's sbc namespace does not forward"
    );
    let mut h = MediaHarness::start(
        &lab,
        &["--kernel-forwarding", TABLE, "--latch-window", "300"],
    );
    assert_eq!(sysctl(&lab), "1", "switched on with the fast path");
    let a_local = SocketAddr::from((SBC_OUTSIDE_IP, 20000));
    let b_local = SocketAddr::from((SBC_INSIDE_IP, 20000));
    let carrier = SocketAddr::from((CARRIER_IP, 4444));
    let pbx = SocketAddr::from((PBX_IP, 6000));
    h.send(&format!("open 1 0 {a_local} {b_local} private private"));
    h.send(&format!("remote 1 0 a {carrier}"));
    h.send(&format!("remote 1 0 b {pbx}"));
    h.send("answered 1 0");
    let (p_rtp, c_rtp): (Vec<_>, Vec<_>) = (0..N).map(|s| (rtp(PBX, s), rtp(CARRIER, s))).unzip();
    let (to_pbx, to_carrier) = std::thread::scope(|s| {
        let p = s.spawn(|| lab.udp_burst(&stream(Ns::Pbx, pbx, b_local, &p_rtp)));
        let c = s.spawn(|| lab.udp_burst(&stream(Ns::Carrier, carrier, a_local, &c_rtp)));
        (
            p.join().expect("pbx").expect("pbx netio"),
            c.join().expect("carrier").expect("carrier netio"),
        )
    });
    let handed = h.wait_line("media forwarded by the kernel");
    assert!(
        handed.contains("1/0") || handed.contains("stream"),
        "{handed}"
    );

    let at_pbx = to_pbx
        .iter()
        .filter(|d| ssrc_of(d) == Some(CARRIER))
        .count();
    let at_carrier = to_carrier
        .iter()
        .filter(|d| ssrc_of(d) == Some(PBX))
        .count();
    assert!(
        at_pbx >= usize::from(N) - 3,
        "carrier RTP at the pbx: {at_pbx} of {N}"
    );
    assert!(
        at_carrier >= usize::from(N) - 3,
        "pbx RTP at the carrier: {at_carrier} of {N}"
    );
    assert!(
        to_pbx.iter().all(|d| d.from == b_local),
        "from the SBC's inside port"
    );
    assert!(
        to_carrier.iter().all(|d| d.from == a_local),
        "from the SBC's outside port"
    );

    // The kernel's counters, and what the workers relayed themselves.
    let all = kernel_packets(&lab);
    assert_eq!(all.len(), 4, "four forward entries: {all:?}");
    // Each direction is counted under its source: normally in one entry (the connection of
    // whoever spoke first); a packet or two may land in the other entry of that source when
    // both peers send at the very moment of the handover (two connections race in
    // conntrack), so the entries of a source are added up.
    let by_source = |ip: std::net::Ipv4Addr| -> u64 {
        all.iter()
            .filter(|(s, _)| *s == ip.to_string())
            .map(|(_, p)| p)
            .sum()
    };
    let kernel = [by_source(CARRIER_IP), by_source(PBX_IP)];
    std::thread::sleep(Duration::from_millis(1200)); // a counter poll of the worker
    h.send("stats 1 0");
    let stats = h.wait_line("event Stats");
    let total = stats_packets(&stats);
    assert_eq!(total.len(), 2, "{stats}");
    for (side, (&all, &k)) in total.iter().zip(&kernel).enumerate() {
        let userspace = all.saturating_sub(k);
        eprintln!("side {side}: {all} packets, {k} by the kernel, {userspace} by the worker");
        assert!(k >= u64::from(N) - 40, "the kernel relayed most: {k}");
        assert!(
            userspace <= 40,
            "the worker relayed only until the handover (latch window 300 ms): {userspace}"
        );
    }

    h.send("close 1 0");
    h.wait_line("event Closed");
    h.wait_line("media back in userspace");
    for set in ["dnat4", "snat4", "flow4"] {
        assert_eq!(
            lab.nft_set(TABLE, set).expect("nft"),
            "",
            "{set} empty after close"
        );
    }
    let ct = lab
        .exec(Ns::Sbc, &["cat", "/proc/net/nf_conntrack"])
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        !ct.lines()
            .any(|l| l.contains("sport=4444") && l.contains("dport=6000")),
        "no NATed connection left:\n{ct}"
    );

    h.stop();
    assert_eq!(
        lab.nft_table(TABLE).expect("nft"),
        None,
        "table removed at exit"
    );
    assert_eq!(sysctl(&lab), "0", "forwarding put back");
}
