//! A DNS server of the lab's own for tests of peers by name: Debian's dnsmasq in a
//! namespace answering for `lab.test` (names it does not know are NXDOMAIN), and the sbc
//! namespace's resolver pointed at it through `/etc/netns/<ns>/resolv.conf`, which
//! `ip netns exec` mounts over /etc/resolv.conf (created here, removed on drop).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{LabError, Result};
use crate::{Lab, LabChild, Ns};

/// `/etc/netns/<ns>/` with a resolv.conf naming one server; removed on drop.
#[derive(Debug)]
pub struct NetnsResolvConf(PathBuf);

impl NetnsResolvConf {
    /// Points namespace `ns`'s resolver at `server` (1 s timeout, 2 attempts).
    pub fn create(ns: &str, server: Ipv4Addr) -> Result<Self> {
        let dir = PathBuf::from("/etc/netns").join(ns);
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let guard = NetnsResolvConf(dir);
        let file = guard.0.join("resolv.conf");
        std::fs::write(
            &file,
            format!("nameserver {server}\noptions timeout:1 attempts:2\n"),
        )
        .map_err(|e| LabError::io(format!("write {}", file.display()), e))?;
        Ok(guard)
    }
}

impl Drop for NetnsResolvConf {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts dnsmasq in `ns` listening on `ip`, authoritative for `lab.test` with TTL 2 s,
/// its A records from `hosts` (a hosts file, re-read on SIGHUP), plus `records` (more
/// dnsmasq options such as `--srv-host=...`). Fails saying what to install when dnsmasq
/// is missing.
pub fn start_dnsmasq(
    lab: &Lab,
    ns: Ns,
    ip: Ipv4Addr,
    hosts: &Path,
    records: &[String],
) -> Result<LabChild> {
    if Command::new("dnsmasq").arg("--version").output().is_err() {
        return Err(LabError::MissingTool {
            tool: "dnsmasq".into(),
            hint: "apt-get install dnsmasq-base (scripts/setup does)".into(),
        });
    }
    let mut argv = vec![
        "dnsmasq".to_owned(),
        "--keep-in-foreground".into(),
        "--log-queries".into(),
        "--log-facility=-".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        "--bind-interfaces".into(),
        format!("--listen-address={ip}"),
        "--local=/lab.test/".into(),
        "--local-ttl=2".into(),
        format!("--addn-hosts={}", hosts.display()),
        "--user=root".into(),
        format!(
            "--pid-file={}",
            lab.dir().join(format!("dnsmasq-{ip}.pid")).display()
        ),
    ];
    argv.extend(records.iter().cloned());
    lab.spawn(ns, &argv)
}
