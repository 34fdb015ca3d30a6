//! Fast failover (issue 16, item 2) with a real silent peer: the pbx trunk's first peer
//! (10.91.2.2:5062, a UDP socket that reads and never answers) gets the INVITE; after
//! `invite_timeout_ms` the SBC tries the second peer (the sipp callee on :5060) and the
//! call completes — within the caller's 10 s receive timeout, where waiting for Timer B
//! (32 s) would fail it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, SIP_PORT};
use sbc_lab::{Lab, Ns, StandardConfig};

fn sip_addr(ip: Ipv4Addr) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(ip), SIP_PORT)
}

/// Reads datagrams on 10.91.2.2:5062, prints one line per datagram, answers nothing.
const SILENT_PEER: &str = "import socket\n\
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
s.bind(('10.91.2.2', 5062))\n\
print('ready', flush=True)\n\
while True:\n    d, a = s.recvfrom(65535)\n    print(d.split(b' ', 1)[0].decode(errors='replace'), flush=True)\n";

#[test]
fn a_silent_first_peer_is_left_after_invite_timeout() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default().render().replace(
        &format!("peers = [\"udp:{PBX_IP}:{SIP_PORT}\"]"),
        &format!(
            "peers = [\"udp:{PBX_IP}:5062\", \"udp:{PBX_IP}:{SIP_PORT}\"]\ninvite_timeout_ms = 1500"
        ),
    );
    assert!(config.contains("invite_timeout_ms"), "{config}");
    let mut silent = lab
        .spawn(Ns::Pbx, &["python3", "-c", SILENT_PEER])
        .expect("start the silent peer");
    let mut sbc = lab.start_sbc(&config).expect("start sbc");
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let uas = uas.finish().expect("sipp callee ends");
    let running = sbc.is_running();
    silent.kill();
    let heard = silent.stdout();
    let report = || {
        format!(
            "\n===== caller: {}\n===== callee: {}\n===== silent peer:\n{heard}\n===== sbc:\n{}",
            uac.report(),
            uas.report(),
            sbc.log_tail()
        )
    };
    assert!(
        heard.lines().any(|l| l == "INVITE"),
        "the first peer was tried first:{}",
        report()
    );
    assert!(
        !heard.lines().any(|l| l == "BYE" || l == "ACK"),
        "nothing but the INVITE (and its CANCEL, never sent without a provisional) went there:{}",
        report()
    );
    assert!(uac.success(), "caller failed:{}", report());
    assert!(uas.success(), "callee failed:{}", report());
    assert!(running, "{}", report());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
