//! Kernel tests for set elements over netlink and for setup/apply/shutdown, each in a
//! throwaway network namespace (run as root).

#[path = "support/common.rs"]
mod common;
#[path = "support/netns.rs"]
mod netns;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use sbc_firewall::{ElementOp, Elements, Firewall, Hole};
use serde_json::Value;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("fixture address")
}

/// (key as nft prints it, expires in s) of each element of a set.
fn elements(table: &str, set: &str) -> Vec<(String, u64)> {
    netns::set_elements(table, set)
        .into_iter()
        .map(|e| {
            let (val, expires) = match e.get("elem") {
                Some(inner) => (inner["val"].clone(), inner["expires"].as_u64().unwrap_or(0)),
                None => (e.clone(), 0),
            };
            let key = match &val {
                Value::Object(o) if o.contains_key("concat") => val["concat"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.to_string().trim_matches('"').to_owned())
                    .collect::<Vec<_>>()
                    .join(" . "),
                v => v.to_string().trim_matches('"').to_owned(),
            };
            (key, expires)
        })
        .collect()
}

fn keys(table: &str, set: &str) -> Vec<String> {
    let mut k: Vec<String> = elements(table, set).into_iter().map(|(k, _)| k).collect();
    k.sort();
    k
}

const PORT4: Hole = Hole::Port {
    ip: IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 10)),
    port: 20000,
};

fn peer4() -> Hole {
    Hole::Peer {
        remote: ip("198.51.100.20"),
        ip: ip("203.0.113.10"),
        port: 20002,
    }
}

fn peer6() -> Hole {
    Hole::Peer {
        remote: ip("2001:db8:1::20"),
        ip: ip("2001:db8::10"),
        port: 20004,
    }
}

fn port6() -> Hole {
    Hole::Port {
        ip: ip("2001:db8::10"),
        port: 20006,
    }
}

#[test]
fn setup_apply_shutdown_leave_other_tables_alone() {
    netns::run(|| {
        netns::nft_script(
            "table inet other {\n set keep { type ipv4_addr; elements = { 192.0.2.77 } }\n \
             chain c { type filter hook input priority 10; policy accept; }\n}\n",
        );
        let before = netns::nft(&["list", "table", "inet", "other"]);
        let mut fw = Firewall::setup(&common::two_realms()).expect("setup");
        assert!(netns::nft(&["list", "tables"]).contains("table inet sbc"));
        let mut changed = common::two_realms();
        changed.sip[0].peers.push(common::cidr("198.51.100.99"));
        fw.apply(&changed).expect("apply");
        assert!(netns::nft(&["list", "table", "inet", "sbc"]).contains("198.51.100.99"));
        fw.shutdown().expect("shutdown");
        let tables = netns::nft(&["list", "tables"]);
        assert!(
            !tables.contains("table inet sbc"),
            "our table is gone: {tables}"
        );
        assert_eq!(netns::nft(&["list", "table", "inet", "other"]), before);
        // Removing an absent table is fine (a second stop).
        Firewall::remove("sbc").expect("remove absent table");
    });
}

#[test]
fn pinholes_open_refresh_and_close() {
    netns::run(|| {
        let fw = Firewall::setup(&common::two_realms()).expect("setup");
        let mut el = fw.elements().expect("netlink");
        el.open(PORT4, Duration::from_secs(30));
        el.open(peer4(), Duration::from_secs(30));
        el.open(peer6(), Duration::from_secs(30));
        el.open(port6(), Duration::from_secs(30));
        el.flush().expect("open");
        assert_eq!(keys("sbc", "port4"), ["203.0.113.10 . 20000"]);
        assert_eq!(
            keys("sbc", "pin4"),
            ["198.51.100.20 . 203.0.113.10 . 20002"]
        );
        assert_eq!(
            keys("sbc", "pin6"),
            ["2001:db8:1::20 . 2001:db8::10 . 20004"]
        );
        assert_eq!(keys("sbc", "port6"), ["2001:db8::10 . 20006"]);
        let short = elements("sbc", "pin4")[0].1;
        assert!(short <= 30, "expires in {short} s after a 30 s open");

        // Re-open with a longer ttl: the kernel timeout is refreshed, still one element.
        el.open(peer4(), Duration::from_secs(600));
        el.flush().expect("refresh");
        let after = elements("sbc", "pin4");
        assert_eq!(after.len(), 1);
        assert!(after[0].1 > 30, "refresh raised expiry to {} s", after[0].1);

        el.close(PORT4);
        el.close(peer4());
        el.close(peer6());
        el.close(port6());
        el.flush().expect("close");
        for set in ["port4", "pin4", "pin6", "port6"] {
            assert!(keys("sbc", set).is_empty(), "{set} empty after close");
        }
        // Closing what is not there is not an error.
        el.close(peer4());
        el.unban(ip("192.0.2.1"));
        el.flush().expect("close of absent elements");
    });
}

/// The path for kernels that keep an element's old timeout on re-add: every add is sent
/// as add, delete, add in one transaction. Forced here, so it is tested on any kernel.
#[test]
fn refresh_by_recreation_opens_refreshes_and_closes() {
    netns::run(|| {
        let fw = Firewall::setup(&common::two_realms()).expect("setup");
        let mut probed = fw.elements().expect("netlink");
        // The probe (run by every new writer) leaves nothing behind.
        assert!(keys("sbc", "port4").is_empty(), "probe element removed");
        let mut el = fw.elements().expect("netlink");
        el.recreate_on_refresh();
        assert!(!el.refreshes_in_place());
        el.open(peer4(), Duration::from_secs(30));
        el.open(PORT4, Duration::from_secs(30));
        el.ban(ip("192.0.2.66"), Duration::from_secs(30));
        el.flush().expect("open absent elements");
        assert_eq!(
            keys("sbc", "pin4"),
            ["198.51.100.20 . 203.0.113.10 . 20002"]
        );
        assert_eq!(keys("sbc", "port4"), ["203.0.113.10 . 20000"]);
        el.open(peer4(), Duration::from_secs(600));
        el.ban(ip("192.0.2.66"), Duration::from_secs(600));
        el.flush().expect("refresh present elements");
        let pin = elements("sbc", "pin4");
        assert_eq!(pin.len(), 1);
        assert!(
            pin[0].1 > 30,
            "recreated with 600 s, expires in {} s",
            pin[0].1
        );
        let ban = elements("sbc", "ban4");
        assert!(ban.len() == 1 && ban[0].1 > 30, "ban refreshed: {ban:?}");
        // A failing add is reported once, not once per message.
        let bad = Hole::Port {
            ip: ip("203.0.113.10"),
            port: 20010,
        };
        netns::nft(&["flush", "chain", "inet", "sbc", "media"]);
        netns::nft(&["delete", "set", "inet", "sbc", "port4"]);
        el.open(bad, Duration::from_secs(30));
        el.close(peer4());
        let err = el.flush().expect_err("port4 is gone");
        assert_eq!(err.failed.len(), 1, "{err}");
        assert_eq!(
            err.failed[0].op,
            ElementOp::Open {
                hole: bad,
                ttl: Duration::from_secs(30)
            }
        );
        assert!(keys("sbc", "pin4").is_empty(), "the close went through");
        probed.close(peer4());
        probed.flush().expect("close of an absent hole");
    });
}

#[test]
fn kernel_timeouts_expire_pinholes() {
    netns::run(|| {
        let fw = Firewall::setup(&common::two_realms()).expect("setup");
        let mut el = fw.elements().expect("netlink");
        el.open(PORT4, Duration::from_millis(300));
        el.open(peer4(), Duration::from_secs(600));
        el.flush().expect("open");
        assert_eq!(keys("sbc", "port4").len(), 1);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !keys("sbc", "port4").is_empty() {
            assert!(Instant::now() < deadline, "port4 element never expired");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(keys("sbc", "pin4").len(), 1, "the long-lived hole stays");
    });
}

#[test]
fn apply_keeps_pinholes_and_bans() {
    netns::run(|| {
        let mut fw = Firewall::setup(&common::two_realms()).expect("setup");
        let mut el = fw.elements().expect("netlink");
        el.open(peer4(), Duration::from_secs(60));
        el.ban(ip("192.0.2.66"), Duration::from_secs(60));
        el.flush().expect("open + ban");
        let mut changed = common::two_realms();
        changed.media[0].last = 24999;
        changed.sip.remove(1);
        fw.apply(&changed).expect("apply");
        assert!(netns::nft(&["list", "table", "inet", "sbc"]).contains("20000-24999"));
        assert_eq!(keys("sbc", "pin4").len(), 1);
        assert_eq!(keys("sbc", "ban4"), ["192.0.2.66"]);
        // The writer keeps working across apply.
        el.close(peer4());
        el.flush().expect("close after apply");
        assert!(keys("sbc", "pin4").is_empty());
    });
}

#[test]
fn setup_after_a_crash_starts_with_empty_sets() {
    netns::run(|| {
        let fw = Firewall::setup(&common::two_realms()).expect("setup");
        let mut el = fw.elements().expect("netlink");
        el.open(peer4(), Duration::from_secs(600));
        el.open(PORT4, Duration::from_secs(600));
        el.ban(ip("192.0.2.66"), Duration::from_secs(600));
        el.flush().expect("open");
        drop(el);
        drop(fw); // the "crash": no shutdown, the table stays behind
        let _fw = Firewall::setup(&common::two_realms()).expect("setup again");
        for set in ["pin4", "port4", "ban4"] {
            assert!(keys("sbc", set).is_empty(), "{set} empty after reconcile");
        }
    });
}

#[test]
fn bans_list_and_unban() {
    netns::run(|| {
        let fw = Firewall::setup(&common::dual_stack()).expect("setup");
        let mut el = fw.elements().expect("netlink");
        el.ban(ip("198.51.100.66"), Duration::from_secs(120));
        el.ban(ip("2001:db8:bad::1"), Duration::from_secs(60));
        el.flush().expect("ban");
        let mut bans = el.bans().expect("list bans");
        bans.sort();
        assert_eq!(bans.len(), 2, "{bans:?}");
        assert_eq!(bans[0].0, ip("198.51.100.66"));
        assert!(bans[0].1 <= Duration::from_secs(120) && bans[0].1 > Duration::ZERO);
        assert_eq!(bans[1].0, ip("2001:db8:bad::1"));
        assert!(bans[1].1 <= Duration::from_secs(60));
        assert_eq!(keys("edge_fw", "ban6"), ["2001:db8:bad::1"]);
        el.unban(ip("198.51.100.66"));
        el.flush().expect("unban");
        assert_eq!(el.bans().expect("list").len(), 1);
    });
}

#[test]
fn vanished_set_fails_only_its_operations() {
    netns::run(|| {
        let fw = Firewall::setup(&common::two_realms()).expect("setup");
        // Someone removes pin6 behind our back (rules first, then the set).
        netns::nft(&["flush", "chain", "inet", "sbc", "media"]);
        netns::nft(&["delete", "set", "inet", "sbc", "pin6"]);
        let mut el = fw.elements().expect("netlink");
        el.open(PORT4, Duration::from_secs(60));
        el.open(peer6(), Duration::from_secs(60));
        el.close(peer6()); // absent either way: fine
        el.open(peer4(), Duration::from_secs(60));
        let err = el.flush().expect_err("the pin6 open fails");
        assert_eq!(err.failed.len(), 1, "{err}");
        assert!(matches!(err.failed[0].op, ElementOp::Open { hole, .. } if hole == peer6()));
        assert_eq!(err.failed[0].source.raw_os_error(), Some(libc::ENOENT));
        assert_eq!(
            keys("sbc", "port4").len(),
            1,
            "the other operations committed"
        );
        assert_eq!(keys("sbc", "pin4").len(), 1);
        // A whole table gone: every open fails, closes still succeed.
        Firewall::remove("sbc").expect("remove");
        el.open(PORT4, Duration::from_secs(60));
        el.close(peer4());
        let err = el.flush().expect_err("table gone");
        assert_eq!(err.failed.len(), 1);
    });
}

#[test]
fn mixed_family_hole_is_rejected_without_touching_the_kernel() {
    netns::run(|| {
        let fw = Firewall::setup(&common::two_realms()).expect("setup");
        let mut el = fw.elements().expect("netlink");
        let bad = Hole::Peer {
            remote: ip("2001:db8::1"),
            ip: ip("203.0.113.10"),
            port: 20000,
        };
        el.open(bad, Duration::from_secs(5));
        el.open(PORT4, Duration::from_secs(5));
        let err = el.flush().expect_err("mixed family");
        assert_eq!(err.failed.len(), 1);
        assert_eq!(keys("sbc", "port4").len(), 1);
    });
}

#[test]
fn large_flush_spans_several_transactions() {
    netns::run(|| {
        let fw = Firewall::setup(&common::two_realms()).expect("setup");
        let mut el = Elements::for_table(fw.table()).expect("netlink");
        for port in 20000..25000u16 {
            el.open(
                Hole::Port {
                    ip: ip("203.0.113.10"),
                    port,
                },
                Duration::from_secs(60),
            );
        }
        el.flush().expect("5000 opens");
        assert_eq!(keys("sbc", "port4").len(), 5000);
        for port in 20000..25000u16 {
            el.close(Hole::Port {
                ip: ip("203.0.113.10"),
                port,
            });
        }
        el.flush().expect("5000 closes");
        assert!(keys("sbc", "port4").is_empty());
    });
}

#[test]
fn apply_creates_new_rate_meters_and_resets_existing_ones() {
    netns::run(|| {
        let mut fw = Firewall::setup(&common::minimal()).expect("setup without meters");
        let listed = netns::nft(&["list", "table", "inet", "sbc"]);
        assert!(
            !listed.contains("sip_rate4"),
            "no meter without an open service"
        );
        fw.apply(&common::two_realms())
            .expect("apply adds an open realm");
        let listed = netns::nft(&["list", "table", "inet", "sbc"]);
        assert!(
            listed.contains("flags dynamic,timeout"),
            "meter is dynamic:\n{listed}"
        );
        assert!(listed.contains("limit rate over 50/second burst 100 packets"));
        let mut slower = common::two_realms();
        slower.sip_rate.packets_per_second = 5;
        slower.sip_rate.burst = 10;
        fw.apply(&slower).expect("apply with the meter in place");
        fw.apply(&slower).expect("the same state again");
        let listed = netns::nft(&["list", "table", "inet", "sbc"]);
        assert!(
            listed.contains("limit rate over 5/second burst 10 packets"),
            "{listed}"
        );
        let mut renamed = slower.clone();
        renamed.table = "other".to_owned();
        assert!(fw.apply(&renamed).is_err(), "a table rename is refused");
    });
}
