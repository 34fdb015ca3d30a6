//! Garbage in, service continues: random and truncated datagrams, TCP garbage and an endless
//! header block must neither crash the daemon nor stop it from serving others.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sbc_lab::messages;
use sbc_lab::topology::{CARRIER_IP, SBC_OUTSIDE_IP, SIP_PORT, sip_addr};
use sbc_lab::{Lab, Ns, Prng, SbcProcess, SippTransport, TcpSession, UdpBurst};

/// Seed of every random payload here: failures are reproducible.
const SEED: u64 = 0x5bc0_1ab0_6a7b_a6e5;
/// Random datagrams (besides the truncations).
const RANDOM_DATAGRAMS: usize = 1000;

/// A lab with the daemon running on the standard config.
fn standard_lab() -> (Lab, SbcProcess) {
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_standard_sbc()
        .expect("start sbc with the standard config");
    (lab, sbc)
}

/// A valid INVITE from the carrier to the SBC.
fn valid_invite() -> Vec<u8> {
    let from = SocketAddr::new(IpAddr::V4(CARRIER_IP), SIP_PORT);
    messages::invite(from, sip_addr(SBC_OUTSIDE_IP), "+4940999", 7).into_bytes()
}

/// Every truncation of a valid INVITE, then [`RANDOM_DATAGRAMS`] random ones: pure noise,
/// INVITEs with flipped bytes, and printable lines that look almost like SIP.
fn garbage_datagrams() -> Vec<Vec<u8>> {
    let invite = valid_invite();
    let mut rng = Prng::new(SEED);
    let mut out: Vec<Vec<u8>> = (0..invite.len()).map(|n| invite[..n].to_vec()).collect();
    for i in 0..RANDOM_DATAGRAMS {
        let datagram = match i % 4 {
            0 => {
                let len = 1 + rng.below(1500);
                rng.bytes(len)
            }
            1 => {
                let mut mutated = invite.clone();
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(mutated.len());
                    mutated[at] = rng.next_u64() as u8;
                }
                mutated
            }
            2 => {
                let mut cut = invite.clone();
                let at = rng.below(cut.len());
                let len = rng.below(cut.len() - at);
                cut.drain(at..at + len);
                cut
            }
            _ => {
                let alphabet = b"SIP/2.0 INVITE:;=<>@\r\n\t abcdefXYZ0123456789%\"";
                (0..rng.below(800))
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect()
            }
        };
        out.push(datagram);
    }
    out
}

/// Asserts that the daemon still runs, never panicked, and answers OPTIONS over UDP.
fn assert_still_serving(lab: &Lab, sbc: &mut SbcProcess) {
    assert!(sbc.is_running(), "sbc died:\n{}", sbc.log_tail());
    assert!(sbc.panics().is_empty(), "sbc panicked: {:?}", sbc.panics());
    let outcome = lab
        .sipp_options(Ns::Carrier, SippTransport::Udp)
        .expect("run sipp");
    assert!(
        outcome.success(),
        "OPTIONS not answered after garbage:\n{}\n--- sbc log:\n{}",
        outcome.report(),
        sbc.log_tail()
    );
}

#[test]
fn random_and_truncated_datagrams_do_not_stop_the_service() {
    let (lab, mut sbc) = standard_lab();
    let datagrams = garbage_datagrams();
    assert!(datagrams.len() >= RANDOM_DATAGRAMS + 500);

    let replies = lab
        .udp_burst(&UdpBurst {
            ns: Ns::Carrier,
            from: None,
            to: sip_addr(SBC_OUTSIDE_IP),
            datagrams: &datagrams,
            interval: Duration::from_micros(200),
            wait: Duration::from_secs(1),
            first_only: false,
        })
        .expect("send garbage datagrams");
    eprintln!(
        "{} garbage datagrams drew {} replies",
        datagrams.len(),
        replies.len()
    );

    let code = lab
        .options_udp(Ns::Carrier, Duration::from_secs(3))
        .expect("send OPTIONS");
    assert_eq!(code, Some(200), "raw OPTIONS after garbage");
    assert_still_serving(&lab, &mut sbc);
}

#[test]
fn tcp_garbage_gets_disconnected() {
    let (lab, mut sbc) = standard_lab();
    let mut garbage = Prng::new(SEED).bytes(2000);
    garbage.extend_from_slice(b"\r\n\r\n");

    let outcome = lab
        .tcp_exchange(&TcpSession {
            ns: Ns::Carrier,
            from: None,
            to: sip_addr(SBC_OUTSIDE_IP),
            writes: &[garbage],
            flood: &[],
            flood_max: 0,
            wait: Duration::from_secs(5),
        })
        .expect("run the TCP garbage client");

    assert!(
        outcome.end.disconnected(),
        "a TCP peer sending garbage must be disconnected, got {:?} (reply {:?})",
        outcome.end,
        outcome.reply_text()
    );
    assert_still_serving(&lab, &mut sbc);
}

#[test]
fn endless_header_block_is_cut_off_while_others_are_served() {
    let (lab, mut sbc) = standard_lab();
    let head = b"OPTIONS sip:10.91.1.1:5060 SIP/2.0\r\nVia: SIP/2.0/TCP 10.91.1.2:5099;branch=z9hG4bK-endless\r\n".to_vec();
    let filler = format!("X-Filler: {}\r\n", "a".repeat(1000)).into_bytes();

    let flood = lab
        .tcp_start(&TcpSession {
            ns: Ns::Carrier,
            from: None,
            to: sip_addr(SBC_OUTSIDE_IP),
            writes: &[head],
            flood: &filler,
            flood_max: 8 * 1024 * 1024,
            wait: Duration::from_secs(10),
        })
        .expect("start the endless-header client");
    // Meanwhile another client on TCP must be served.
    std::thread::sleep(Duration::from_millis(300));
    let other = lab
        .sipp_options(Ns::Carrier, SippTransport::Tcp)
        .expect("run sipp over TCP");
    let outcome = flood.finish().expect("the endless-header client ends");

    assert!(
        other.success(),
        "OPTIONS over TCP not answered during the flood:\n{}\n--- sbc log:\n{}",
        other.report(),
        sbc.log_tail()
    );
    assert!(
        outcome.end.disconnected(),
        "an endless header block must be cut off, got {:?} after {} bytes",
        outcome.end,
        outcome.sent
    );
    eprintln!(
        "endless header block cut off after {} bytes sent",
        outcome.sent
    );
    assert_still_serving(&lab, &mut sbc);
}
