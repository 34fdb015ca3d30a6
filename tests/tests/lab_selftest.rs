//! The lab itself: topology, isolation, cleanup (also after a panic and after a crash).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use sbc_lab::netns;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP};
use sbc_lab::{Lab, Ns};

/// One ping with a short deadline; true if answered.
fn ping(lab: &Lab, from: Ns, to: impl ToString) -> bool {
    lab.exec(from, &["ping", "-c1", "-W1", "-q", &to.to_string()])
        .expect("run ping (apt-get install iputils-ping, or run scripts/setup)")
        .status
        .success()
}

/// Namespace names of this lab that still exist.
fn surviving(names: &[String]) -> Vec<String> {
    let existing = netns::list().expect("ip netns list");
    names
        .iter()
        .filter(|n| existing.contains(n))
        .cloned()
        .collect()
}

#[test]
fn peers_reach_the_sbc_but_not_each_other() {
    let lab = Lab::new().expect("create lab");

    assert!(
        ping(&lab, Ns::Carrier, SBC_OUTSIDE_IP),
        "carrier -> sbc outside"
    );
    assert!(ping(&lab, Ns::Pbx, SBC_INSIDE_IP), "pbx -> sbc inside");
    assert!(ping(&lab, Ns::Sbc, CARRIER_IP), "sbc -> carrier");
    assert!(ping(&lab, Ns::Sbc, PBX_IP), "sbc -> pbx");

    let forward = lab
        .exec_ok(Ns::Sbc, &["sysctl", "-n", "net.ipv4.ip_forward"])
        .expect("read ip_forward");
    assert_eq!(
        forward.trim(),
        "0",
        "ip_forward must be off in the sbc namespace"
    );

    // Give both peers a route through the SBC: packets now reach it, and only the disabled
    // forwarding keeps them from crossing.
    lab.exec_ok(
        Ns::Carrier,
        &["ip", "route", "add", "10.91.2.0/24", "via", "10.91.1.1"],
    )
    .expect("carrier route via sbc");
    lab.exec_ok(
        Ns::Pbx,
        &["ip", "route", "add", "10.91.1.0/24", "via", "10.91.2.1"],
    )
    .expect("pbx route via sbc");
    assert!(
        !ping(&lab, Ns::Carrier, PBX_IP),
        "carrier must not reach pbx"
    );
    assert!(
        !ping(&lab, Ns::Pbx, CARRIER_IP),
        "pbx must not reach carrier"
    );
    // The SBC's other side is one of its own addresses, so that one answers (local delivery).
    assert!(
        ping(&lab, Ns::Carrier, SBC_INSIDE_IP),
        "local delivery is not forwarding"
    );
}

#[test]
fn interfaces_live_only_inside_the_namespaces() {
    let lab = Lab::new().expect("create lab");
    let links = |ns| lab.exec_ok(ns, &["ip", "-brief", "link"]).expect("ip link");
    assert!(links(Ns::Sbc).contains("out0"), "{}", links(Ns::Sbc));
    assert!(links(Ns::Sbc).contains("in0"), "{}", links(Ns::Sbc));
    assert!(links(Ns::Carrier).contains("eth0"));
    assert!(links(Ns::Pbx).contains("eth0"));
    let root = sbc_lab::cmd::run_ok(std::process::Command::new("ip").args(["-brief", "link"]))
        .expect("ip link in the root namespace");
    assert!(
        !root
            .lines()
            .any(|l| l.starts_with("out0") || l.starts_with("in0")),
        "no lab interface may appear in the root namespace:\n{root}"
    );
}

#[test]
fn everything_is_removed_on_drop() {
    let lab = Lab::new().expect("create lab");
    let names = lab.ns_names();
    let dir = lab.dir().to_path_buf();
    let mut sleeper = lab.spawn(Ns::Sbc, &["sleep", "300"]).expect("spawn sleep");
    let pid = sleeper.pid();
    assert!(sleeper.is_running());
    assert_eq!(
        surviving(&names),
        names,
        "all namespaces exist while the lab lives"
    );

    drop(lab);

    assert!(
        surviving(&names).is_empty(),
        "namespaces left: {:?}",
        surviving(&names)
    );
    assert!(!dir.exists(), "scratch dir {} left", dir.display());
    sleeper
        .wait_timeout(std::time::Duration::from_secs(2))
        .expect("the lab kills processes it started");
    drop(sleeper);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} left"
    );
}

#[test]
fn everything_is_removed_after_a_panic() {
    let mut names = Vec::new();
    let mut kept = None;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let lab = Lab::new().expect("create lab");
        names = lab.ns_names();
        kept = Some(lab.artifacts().kept_dir());
        let _sleeper = lab
            .spawn(Ns::Carrier, &["sleep", "300"])
            .expect("spawn sleep");
        panic!("deliberate panic inside a lab test body");
    }));
    assert!(result.is_err(), "the body panicked");
    assert_eq!(names.len(), 3);
    assert!(
        surviving(&names).is_empty(),
        "namespaces left: {:?}",
        surviving(&names)
    );

    // A failed test keeps its artifacts; this failure was on purpose, so remove them.
    let kept = kept.expect("the body ran");
    assert!(
        kept.is_dir(),
        "artifacts of a failed test are kept in {}",
        kept.display()
    );
    sbc_lab::artifacts::remove_if_present(&kept).expect("remove deliberate artifacts");
}

#[test]
fn stale_labs_of_dead_processes_are_swept() {
    // A lab "left by" pid 4194305: above the kernel's pid_max limit, so surely dead.
    let stale = "sbcl-4194305-0-carrier";
    netns::delete(stale).expect("clear leftovers of an earlier run of this test");
    netns::add(stale).expect("create the stale namespace");

    let _lab = Lab::new().expect("create lab");

    assert!(
        !netns::exists(stale),
        "stale namespace {stale} was not swept"
    );
}
