//! The firewall against the real kernel: the SBC's own nftables table in the `sbc`
//! namespace, judged by its rule counters and by what gets answered.
//!
//! * signalling from a source that is no trunk's peer is dropped in the kernel (counted by
//!   our `sip` rule, never answered), a trunk peer gets through;
//! * RTP to a media port without a call is dropped (`media` counter);
//! * a clean stop (SIGTERM) removes our table, and somebody else's table is untouched
//!   from before the start to after the stop;
//! * enabled but nft unusable: the daemon refuses to start, saying why.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sbc_lab::nft::{BYSTANDER_TABLE, STRANGER_IP};
use sbc_lab::topology::{CARRIER_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, Signal, StandardConfig, UdpBurst, messages};

const TABLE: &str = "sbc";

/// Sends `n` OPTIONS from `from` to the outside SIP listener; returns how many got an answer.
fn options_answered(lab: &Lab, from: SocketAddr, n: u32) -> usize {
    let to = sip_addr(SBC_OUTSIDE_IP);
    let datagrams: Vec<Vec<u8>> = (0..n)
        .map(|i| messages::options(from, to, "UDP", 7000 + i).into_bytes())
        .collect();
    lab.udp_burst(&UdpBurst {
        ns: Ns::Carrier,
        from: Some(from),
        to,
        datagrams: &datagrams,
        interval: Duration::from_millis(20),
        wait: Duration::from_secs(1),
        first_only: false,
    })
    .expect("udp burst")
    .len()
}

#[test]
fn strangers_and_stray_media_are_dropped_in_the_kernel_trunks_get_through() {
    let lab = Lab::new().expect("create lab");
    lab.add_carrier_address(STRANGER_IP)
        .expect("second carrier address");
    let bystander = lab.add_bystander_table().expect("bystander table");
    let mut sbc = lab
        .start_sbc(&StandardConfig::default().firewall(true).render())
        .expect("start sbc");
    let table = lab
        .nft_table(TABLE)
        .expect("nft")
        .unwrap_or_else(|| panic!("no table inet {TABLE}\n{}", sbc.log_tail()));
    assert!(table.contains("hook input"), "{table}");

    // A stranger on the carrier's network: dropped in the kernel, never answered.
    let before = lab.nft_counter(TABLE, "sip").expect("counter");
    let stranger = SocketAddr::new(IpAddr::V4(STRANGER_IP), 5099);
    assert_eq!(options_answered(&lab, stranger, 5), 0, "{}", sbc.log_tail());
    let after = lab.nft_counter(TABLE, "sip").expect("counter");
    assert!(
        after >= before + 5,
        "sip drop counter {before} -> {after}\n{}",
        lab.nft_table(TABLE).expect("nft").unwrap_or_default()
    );
    assert!(
        !sbc.log().contains(&STRANGER_IP.to_string()),
        "the stranger reached the daemon:\n{}",
        sbc.log_tail()
    );

    // The trunk peer gets through and is answered.
    let carrier = SocketAddr::new(IpAddr::V4(CARRIER_IP), 5099);
    assert_eq!(options_answered(&lab, carrier, 3), 3, "{}", sbc.log_tail());

    // RTP to a media port with no call: dropped by the media chain.
    let media_before = lab.nft_counter(TABLE, "media").expect("counter");
    let rtp = vec![vec![0x80u8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]; 10];
    let replies = lab
        .udp_burst(&UdpBurst {
            ns: Ns::Carrier,
            from: Some(SocketAddr::new(IpAddr::V4(CARRIER_IP), 40000)),
            to: SocketAddr::new(IpAddr::V4(SBC_OUTSIDE_IP), 20000),
            datagrams: &rtp,
            interval: Duration::ZERO,
            wait: Duration::from_millis(500),
            first_only: false,
        })
        .expect("rtp burst");
    assert!(replies.is_empty());
    let media_after = lab.nft_counter(TABLE, "media").expect("counter");
    assert!(
        media_after >= media_before + 10,
        "media drop counter {media_before} -> {media_after}"
    );

    // SIGTERM: our table goes, the bystander's stays exactly as it was.
    sbc.signal(Signal::Term).expect("SIGTERM");
    let status = sbc.wait_exit(Duration::from_secs(10)).expect("exit");
    assert!(status.success(), "{status}\n{}", sbc.log_tail());
    assert_eq!(
        lab.nft_table(TABLE).expect("nft"),
        None,
        "table left behind"
    );
    assert_eq!(
        lab.nft_table(BYSTANDER_TABLE).expect("nft").as_deref(),
        Some(bystander.as_str()),
        "somebody else's table was changed"
    );
    assert!(
        sbc.log().contains("table inet sbc removed"),
        "{}",
        sbc.log_tail()
    );
}

#[test]
fn enabled_but_nft_unusable_refuses_to_start() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default().firewall(true).render();
    let dir = lab.artifacts().unique_path("sbc-nonft", "");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("sbc.toml");
    std::fs::write(&path, config).expect("write config");
    // No nft on the PATH (env sets it inside the namespace, after `ip netns exec`).
    let binary = sbc_lab::sbc::sbc_binary().expect("sbc binary");
    let out = lab
        .command(Ns::Sbc, &["/usr/bin/env", "PATH=/nonexistent"])
        .arg(binary)
        .arg("--config")
        .arg(&path)
        .env("NO_COLOR", "1")
        .output()
        .expect("run sbc");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started without nft:\n{stderr}");
    assert!(
        stderr.contains("[firewall] enabled = true") && stderr.contains("not starting"),
        "no clear refusal:\n{stderr}"
    );
    assert!(stderr.contains("nft"), "{stderr}");
    assert_eq!(lab.nft_table(TABLE).expect("nft"), None);
}
