//! A TCP trunk connection that breaks after the INVITE went out fails the call at once
//! (RFC 3261 §17.1.4): nothing is retransmitted over TCP, so without this the caller
//! would wait for Timer B (32 s) before hearing anything.
//!
//! The pbx side is a tiny Python TCP server in the pbx namespace that accepts the SBC's
//! connection, reads the INVITE, and closes the connection without answering.

use std::time::{Duration, Instant};

use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, SIP_PORT, sip_addr};
use sbc_lab::{Lab, Ns, StandardConfig};

/// Accepts one connection, reads until a complete INVITE head arrived, prints
/// `got-invite`, closes; then refuses to accept anything else until it exits.
const DROPPING_PEER: &str = r#"
import socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(4)
print("listening", flush=True)
conn, _ = srv.accept()
data = b""
conn.settimeout(10)
while b"INVITE " not in data or b"\r\n\r\n" not in data[data.find(b"INVITE "):]:
    chunk = conn.recv(65536)
    if not chunk:
        break
    data += chunk
print("got-invite" if b"INVITE " in data else "no-invite", flush=True)
conn.close()
srv.close()
time.sleep(20)
"#;

#[test]
fn a_tcp_trunk_connection_that_breaks_fails_the_call_at_once() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default().render();
    let pbx_peers = format!("peers = [\"udp:{PBX_IP}:{SIP_PORT}\"]");
    assert!(
        config.contains(&pbx_peers),
        "the standard config changed shape:\n{config}"
    );
    let config = config.replace(
        &pbx_peers,
        &format!("peers = [\"tcp:{PBX_IP}:{SIP_PORT}\"]"),
    );
    let sbc = lab.start_sbc(&config).expect("start sbc with a TCP trunk");

    let mut pbx = lab
        .spawn(
            Ns::Pbx,
            &[
                "python3",
                "-c",
                DROPPING_PEER,
                &PBX_IP.to_string(),
                &SIP_PORT.to_string(),
            ],
        )
        .expect("start the dropping TCP peer");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !pbx.stdout().contains("listening") {
        assert!(
            Instant::now() < deadline,
            "the TCP peer did not start:\n{}",
            pbx.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let started = Instant::now();
    let uac = lab
        .sipp(
            Ns::Carrier,
            "invite_fails_uac.xml",
            sip_addr(SBC_OUTSIDE_IP),
        )
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(8))
        .run()
        .expect("run sipp caller");
    let answered_after = started.elapsed();
    pbx.kill();

    assert!(
        pbx.stdout().contains("got-invite"),
        "the INVITE must have reached the pbx over TCP:\n{}\n{}\n--- sbc:\n{}",
        pbx.stdout(),
        pbx.stderr(),
        sbc.log_tail()
    );
    assert!(
        uac.success(),
        "the caller must get 408/503 within 8 s of the connection breaking:\n{}\n--- sbc:\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(
        answered_after < Duration::from_secs(8),
        "answered after {answered_after:?}: Timer B was not cut short"
    );
    assert!(
        sbc.log()
            .contains("transaction(s) failed: tcp connection closed"),
        "the SBC logs why the call failed:\n{}",
        sbc.log_tail()
    );
}
