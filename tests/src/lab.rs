//! [`Lab`]: one instance of the carrier — sbc — pbx topology, removed on drop.
//!
//! Namespaces are named `sbcl-<pid>-<n>-<role>`: unique per lab in this process (tests run in
//! parallel threads) and per process. Before creating them, the lab removes
//! * namespaces of the same name (left by a crashed earlier process that had the same pid), and
//! * any `sbcl-<pid>-*` namespace whose pid is no longer alive (a crashed earlier run),
//!
//! killing whatever still runs inside. Drop kills every process in the lab's namespaces and
//! deletes them (which deletes the veth pairs); it runs on unwind too, so a failing test cleans up.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::artifacts::{self, Artifacts};
use crate::child::LabChild;
use crate::cmd;
use crate::error::{LabError, Result};
use crate::netns;
use crate::topology::{LINKS, Ns, PREFIX_LEN};

/// Prefix of every lab namespace name.
pub const NS_PREFIX: &str = "sbcl-";

/// Per-process lab counter.
static NEXT_LAB: AtomicU32 = AtomicU32::new(0);

/// One live lab topology.
#[derive(Debug)]
pub struct Lab {
    id: String,
    // Declared before the namespaces are torn down in Drop; the artifacts are dropped after.
    artifacts: Artifacts,
}

impl Lab {
    /// Builds a fresh lab; the artifacts are named after the current test (thread name).
    pub fn new() -> Result<Self> {
        let thread = std::thread::current();
        let n = NEXT_LAB.fetch_add(1, Ordering::Relaxed);
        let id = format!("{NS_PREFIX}{}-{n}", std::process::id());
        let test_name = match thread.name() {
            Some(name) if name != "main" => name.to_owned(),
            _ => id.clone(),
        };
        Self::with_id(id, &test_name)
    }

    /// Builds a lab with the given id (namespace name prefix) and artifacts name.
    fn with_id(id: String, test_name: &str) -> Result<Self> {
        if !cmd::is_root() {
            return Err(LabError::NotRoot);
        }
        cmd::require_tool("ip", "apt-get install iproute2 (or run scripts/setup)")?;
        sweep_stale();
        let lab = Self {
            artifacts: Artifacts::create(&id, test_name)?,
            id,
        };
        // From here on, a failure drops `lab`, which removes whatever was created.
        lab.build()?;
        Ok(lab)
    }

    /// Creates namespaces, links and addresses.
    fn build(&self) -> Result<()> {
        for ns in Ns::ALL {
            let name = self.ns_name(ns);
            netns::delete(&name)?; // a stale one with our name
            netns::add(&name)?;
            self.ip(ns, &["link", "set", "lo", "up"])?;
        }
        for (a, b) in LINKS {
            // Both ends are created directly in their namespaces: no root-namespace names.
            let (a_ns, b_ns) = (self.ns_name(a.ns), self.ns_name(b.ns));
            cmd::run_ok(Command::new("ip").args([
                "link", "add", "name", a.ifname, "netns", &a_ns, "type", "veth", "peer", "name",
                b.ifname, "netns", &b_ns,
            ]))?;
            for end in [a, b] {
                let cidr = format!("{}/{PREFIX_LEN}", end.ip);
                self.ip(end.ns, &["addr", "add", &cidr, "dev", end.ifname])?;
                self.ip(end.ns, &["link", "set", end.ifname, "up"])?;
            }
        }
        self.exec_ok(Ns::Sbc, &["sysctl", "-qw", "net.ipv4.ip_forward=0"])?;
        Ok(())
    }

    /// `ip -n <ns> <args>`.
    fn ip(&self, ns: Ns, args: &[&str]) -> Result<String> {
        let name = self.ns_name(ns);
        cmd::run_ok(Command::new("ip").args(["-n", &name]).args(args))
    }

    /// This lab's id, the prefix of its namespace names (`sbcl-<pid>-<n>`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The real name of a namespace of this lab, e.g. `sbcl-4242-0-carrier`.
    pub fn ns_name(&self, ns: Ns) -> String {
        format!("{}-{}", self.id, ns.role())
    }

    /// The names of all three namespaces.
    pub fn ns_names(&self) -> Vec<String> {
        Ns::ALL.iter().map(|&ns| self.ns_name(ns)).collect()
    }

    /// The scratch directory / artifacts of this lab.
    pub fn artifacts(&self) -> &Artifacts {
        &self.artifacts
    }

    /// The scratch directory (kept under `tests/artifacts/<test>/` on failure).
    pub fn dir(&self) -> &Path {
        self.artifacts.dir()
    }

    /// A [`Command`] running `argv` inside `ns` (`ip netns exec <name> argv...`), to be
    /// customized (env, cwd) before running.
    pub fn command<S: AsRef<OsStr>>(&self, ns: Ns, argv: &[S]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec"]).arg(self.ns_name(ns)).args(argv);
        cmd
    }

    /// Runs `argv` inside `ns` to completion; returns its output whatever the exit status.
    pub fn exec<S: AsRef<OsStr>>(&self, ns: Ns, argv: &[S]) -> Result<Output> {
        cmd::output(&mut self.command(ns, argv))
    }

    /// Runs `argv` inside `ns`; a non-zero exit is an error. Returns stdout.
    pub fn exec_ok<S: AsRef<OsStr>>(&self, ns: Ns, argv: &[S]) -> Result<String> {
        cmd::run_ok(&mut self.command(ns, argv))
    }

    /// Starts `argv` inside `ns` in the background; it is killed when the handle is dropped
    /// (and in any case when the lab is). Output goes to files in the lab directory.
    pub fn spawn<S: AsRef<OsStr>>(&self, ns: Ns, argv: &[S]) -> Result<LabChild> {
        self.spawn_command(self.command(ns, argv), "spawn")
    }

    /// Starts a prepared [`Lab::command`]; `stem` names its output files.
    pub fn spawn_command(&self, cmd: Command, stem: &str) -> Result<LabChild> {
        let stem = self.artifacts.unique_path(stem, "");
        LabChild::spawn(cmd, &stem)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for name in self.ns_names() {
            if let Err(e) = netns::delete(&name) {
                eprintln!("sbc-lab: could not remove namespace {name}: {e}");
            }
        }
        // `self.artifacts` drops after this body: kept on failure, then removed.
    }
}

/// Removes labs of processes that no longer exist (a crashed or killed earlier run), with
/// their scratch directories. Best effort: errors are printed, not returned.
pub fn sweep_stale() {
    let Ok(names) = netns::list() else {
        return;
    };
    for name in names.iter().filter(|name| is_stale(name)) {
        if let Err(e) = netns::delete(name) {
            eprintln!("sbc-lab: could not remove stale namespace {name}: {e}");
        }
    }
    if let Ok(entries) = std::fs::read_dir(artifacts::scratch_root()) {
        for entry in entries.flatten() {
            if is_stale(&entry.file_name().to_string_lossy()) {
                let _ = artifacts::remove_if_present(&entry.path());
            }
        }
    }
}

/// True for `sbcl-<pid>-...` names whose pid is not a live process.
fn is_stale(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(NS_PREFIX) else {
        return false;
    };
    let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::is_stale;

    #[test]
    fn stale_names_are_those_of_dead_pids() {
        // Above the kernel's maximum pid (2^22), so never alive.
        assert!(is_stale("sbcl-4194305-0-carrier"));
        assert!(!is_stale(&format!("sbcl-{}-0-sbc", std::process::id())));
        assert!(!is_stale("sbcl-1-0-sbc"), "pid 1 is alive");
        assert!(!is_stale("other-4194305"));
        assert!(!is_stale("sbcl-notapid"));
    }
}
