//! Low-level network-namespace operations through `ip netns`.

use std::process::Command;

use crate::cmd;
use crate::error::Result;

/// Names of all existing network namespaces (`ip netns list`).
pub fn list() -> Result<Vec<String>> {
    let out = cmd::run_ok(Command::new("ip").args(["netns", "list"]))?;
    // Lines look like "name" or "name (id: 3)".
    Ok(out
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// True when the namespace `name` exists.
pub fn exists(name: &str) -> bool {
    std::path::Path::new("/run/netns").join(name).exists()
}

/// Creates the namespace `name`.
pub fn add(name: &str) -> Result<()> {
    cmd::run_ok(Command::new("ip").args(["netns", "add", name]))?;
    Ok(())
}

/// Kills every process inside `name`, then deletes it (which removes its veth ends).
/// A namespace that does not exist is not an error.
pub fn delete(name: &str) -> Result<()> {
    if !exists(name) {
        return Ok(());
    }
    kill_all(name);
    let result = cmd::run_ok(Command::new("ip").args(["netns", "delete", name]));
    match result {
        // Lost a race with another cleaner: fine, it is gone.
        Err(_) if !exists(name) => Ok(()),
        other => other.map(drop),
    }
}

/// SIGKILLs every process in `name` (best effort: processes may exit meanwhile).
pub fn kill_all(name: &str) {
    let Ok(pids) = cmd::run_ok(Command::new("ip").args(["netns", "pids", name])) else {
        return;
    };
    let pids: Vec<&str> = pids.split_whitespace().collect();
    if !pids.is_empty() {
        // Best effort; failures mean the process is already gone.
        let _ = cmd::output(Command::new("kill").arg("-KILL").args(&pids));
    }
}
