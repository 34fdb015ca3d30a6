//! The media relay's IO in the lab: `sbc-media-harness` (the daemon's media workers, driven
//! by ops on stdin) in the sbc namespace, real RTP from the carrier and pbx namespaces over
//! the veth links. (SDP-driven calls with RTP come with the control plane's lab tests.)

use std::net::SocketAddr;
use std::time::Duration;

use sbc_lab::media_harness::{MediaHarness, rtp_packet as rtp, ssrc_of};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP};
use sbc_lab::{Lab, Ns, UdpBurst};

fn packets(ssrc: u32, n: u16) -> Vec<Vec<u8>> {
    (0..n).map(|s| rtp(ssrc, s)).collect()
}

/// RTP every 20 ms from `from` (in `ns`) to `to`; what comes back within `wait` ms after.
fn stream<'a>(
    ns: Ns,
    from: SocketAddr,
    to: SocketAddr,
    rtp: &'a [Vec<u8>],
    wait: u64,
) -> UdpBurst<'a> {
    UdpBurst {
        ns,
        from: Some(from),
        to,
        datagrams: rtp,
        interval: Duration::from_millis(20),
        wait: Duration::from_millis(wait),
        first_only: false,
    }
}

const CARRIER: u32 = 0xca11;
const PBX: u32 = 0x0b0b;
const EVIL: u32 = 0x0bad;

#[test]
fn rtp_crosses_the_sbc_latched_to_a_natted_carrier_and_injection_is_refused() {
    crosses_latches_and_refuses(&[]);
}

/// The same with the workers on io_uring (`[media] io = "io_uring"`).
#[test]
fn rtp_crosses_the_sbc_with_io_uring_workers() {
    crosses_latches_and_refuses(&["--io", "io_uring"]);
}

fn crosses_latches_and_refuses(args: &[&str]) {
    let lab = Lab::new().expect("create lab");
    let mut h = MediaHarness::start(&lab, args);
    let a_local = SocketAddr::from((SBC_OUTSIDE_IP, 20000));
    let b_local = SocketAddr::from((SBC_INSIDE_IP, 20000));
    let carrier = SocketAddr::from((CARRIER_IP, 4444));
    let pbx = SocketAddr::from((PBX_IP, 6000));
    let evil = SocketAddr::from((CARRIER_IP, 5555));
    h.send(&format!("open 1 0 {a_local} {b_local} private private"));
    // The carrier's SDP names a private address it does not send from (it is NATed).
    h.send("remote 1 0 a 192.168.1.10:4000");
    h.send(&format!("remote 1 0 b {pbx}"));
    h.send("answered 1 0");
    let (p_rtp, c_rtp, e_rtp) = (packets(PBX, 60), packets(CARRIER, 40), packets(EVIL, 30));
    let (to_pbx, to_carrier, _) = std::thread::scope(|s| {
        let p = s.spawn(|| lab.udp_burst(&stream(Ns::Pbx, pbx, b_local, &p_rtp, 1500)));
        std::thread::sleep(Duration::from_millis(100));
        let c = s.spawn(|| lab.udp_burst(&stream(Ns::Carrier, carrier, a_local, &c_rtp, 1500)));
        std::thread::sleep(Duration::from_millis(300));
        let e = s.spawn(|| lab.udp_burst(&stream(Ns::Carrier, evil, a_local, &e_rtp, 500)));
        (
            p.join().expect("pbx").expect("pbx netio"),
            c.join().expect("carrier").expect("carrier netio"),
            e.join().expect("evil").expect("evil netio"),
        )
    });
    let latched = h.wait_line("side: A");
    assert!(
        latched.contains("10.91.1.2:4444") && latched.contains("Observed"),
        "{latched}"
    );
    let from_carrier = to_pbx
        .iter()
        .filter(|d| ssrc_of(d) == Some(CARRIER))
        .count();
    assert!(
        from_carrier >= 35,
        "carrier RTP at the pbx: {from_carrier} of 40"
    );
    assert!(
        to_pbx.iter().all(|d| d.from == b_local),
        "relayed from the SBC's inside port"
    );
    assert!(
        !to_pbx.iter().any(|d| ssrc_of(d) == Some(EVIL)),
        "injected RTP relayed"
    );
    let from_pbx = to_carrier
        .iter()
        .filter(|d| ssrc_of(d) == Some(PBX))
        .count();
    assert!(
        from_pbx >= 20,
        "pbx RTP at the carrier's NAT address: {from_pbx}"
    );
    assert!(to_carrier.iter().all(|d| d.from == a_local));
    h.send("stats 1 0");
    let stats = h.wait_line("event Stats");
    assert!(stats.contains("foreign: 30"), "{stats}");
    h.send("close 1 0");
    h.wait_line("event Closed");
}
