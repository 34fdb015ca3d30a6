//! The file and system work of `sbc network`: rendering into networkd's runtime folder,
//! the pending/saved settings, the revert timer, host name and time zone.

use std::path::{Path, PathBuf};
use std::process::Command;

use sbc_config::network::NetworkSettings;

/// How long a change waits for its confirmation.
pub const CONFIRM_SECONDS: u64 = 60;
/// The transient unit that reverts an unconfirmed change.
const REVERT_UNIT: &str = "sbc-network-revert";

/// Where the helper reads and writes.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Shared with management (`state_dir/network`): request.json, confirm, status.json.
    pub requests: PathBuf,
    /// Root's part of /data: network.json (saved), network.pending.json, localtime.
    pub system: PathBuf,
    /// systemd-networkd's runtime folder (`/run/systemd/network`).
    pub runtime: PathBuf,
}

impl Paths {
    fn saved(&self) -> PathBuf {
        self.system.join("network.json")
    }
    fn pending(&self) -> PathBuf {
        self.system.join("network.pending.json")
    }
}

fn read(path: &Path) -> Result<Option<NetworkSettings>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let s: NetworkSettings =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            s.validate().map_err(|errors| {
                let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                format!("{}: {}", path.display(), list.join("; "))
            })?;
            Ok(Some(s))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    sbc_config::write_atomic(path, text.as_bytes(), 0o644).map_err(|e| e.to_string())
}

fn json(s: &NetworkSettings) -> Result<String, String> {
    serde_json::to_string_pretty(s).map_err(|e| e.to_string())
}

/// Replaces our files in the runtime folder with those of `s` (none: the image's DHCP
/// default applies). Returns the file names written.
pub fn render(runtime: &Path, s: Option<&NetworkSettings>) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(runtime).map_err(|e| format!("{}: {e}", runtime.display()))?;
    let entries = std::fs::read_dir(runtime).map_err(|e| format!("{}: {e}", runtime.display()))?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("10-sbc-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let mut names = Vec::new();
    for f in s.map(NetworkSettings::networkd_files).unwrap_or_default() {
        write(&runtime.join(&f.name), &f.text)?;
        names.push(f.name);
    }
    Ok(names)
}

/// Runs a command; its stderr as the error.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Host name, time zone, then networkd: what `s` says (or the defaults).
fn activate(paths: &Paths, s: Option<&NetworkSettings>) -> Result<(), String> {
    let hostname = s.and_then(|s| s.hostname.as_deref()).unwrap_or("edge-sbc");
    run("hostname", &[hostname])?;
    // /etc/localtime points at /data/system/localtime, which points at the zone.
    let zone = s.and_then(|s| s.timezone.as_deref()).unwrap_or("UTC");
    let target = Path::new("/usr/share/zoneinfo").join(zone);
    if !target.exists() {
        return Err(format!("unknown time zone {zone}"));
    }
    let link = paths.system.join("localtime");
    let tmp = paths.system.join("localtime.new");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&target, &tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &link).map_err(|e| format!("{}: {e}", link.display()))?;
    run("networkctl", &["reload"])?;
    // Existing links take the new files only when reconfigured.
    let links: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map_err(|e| format!("/sys/class/net: {e}"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lo")
        .collect();
    if !links.is_empty() {
        let args: Vec<&str> = std::iter::once("reconfigure")
            .chain(links.iter().map(String::as_str))
            .collect();
        run("networkctl", &args)?;
    }
    Ok(())
}

fn status(paths: &Paths, state: &str, message: &str) -> Result<(), String> {
    let text = serde_json::json!({ "state": state, "message": message }).to_string();
    write(&paths.requests.join("status.json"), &text)
}

/// `apply`: the request becomes pending, with the revert timer armed.
pub fn apply(paths: &Paths) -> Result<String, String> {
    let request = paths.requests.join("request.json");
    let Some(new) = read(&request)? else {
        return Ok("no request".to_owned());
    };
    let _ = std::fs::remove_file(&request);
    write(&paths.pending(), &json(&new)?)?;
    let files = render(&paths.runtime, Some(&new))?;
    if let Err(e) = activate(paths, Some(&new)) {
        let _ = revert(paths);
        status(paths, "failed", &e)?;
        return Err(e);
    }
    // A timer from an earlier change is replaced.
    let _ = run("systemctl", &["stop", &format!("{REVERT_UNIT}.timer")]);
    run(
        "systemd-run",
        &[
            &format!("--unit={REVERT_UNIT}"),
            &format!("--on-active={CONFIRM_SECONDS}"),
            "--timer-property=AccuracySec=1s",
            "/usr/bin/sbc",
            "network",
            "revert",
        ],
    )?;
    let message = format!(
        "applied ({}); confirm within {CONFIRM_SECONDS} s from the new address or it is reverted",
        files.join(", ")
    );
    status(paths, "pending", &message)?;
    Ok(message)
}

/// `confirm`: the pending settings are saved; the timer is disarmed.
pub fn confirm(paths: &Paths) -> Result<String, String> {
    let _ = std::fs::remove_file(paths.requests.join("confirm"));
    let Some(pending) = read(&paths.pending())? else {
        return Ok("nothing pending".to_owned());
    };
    let _ = run("systemctl", &["stop", &format!("{REVERT_UNIT}.timer")]);
    write(&paths.saved(), &json(&pending)?)?;
    // Management shows the saved settings from its own folder.
    write(&paths.requests.join("saved.json"), &json(&pending)?)?;
    let _ = std::fs::remove_file(paths.pending());
    status(paths, "confirmed", "the new settings are saved")?;
    Ok("confirmed".to_owned())
}

/// `revert`: an unconfirmed change is undone (the saved settings, or the DHCP default).
pub fn revert(paths: &Paths) -> Result<String, String> {
    if !paths.pending().exists() {
        return Ok("nothing pending".to_owned());
    }
    let saved = read(&paths.saved())?;
    render(&paths.runtime, saved.as_ref())?;
    activate(paths, saved.as_ref())?;
    let _ = std::fs::remove_file(paths.pending());
    status(
        paths,
        "reverted",
        "not confirmed in time: the previous settings are back",
    )?;
    Ok("reverted".to_owned())
}

/// `boot`: the saved settings, before networkd starts (a pending change is dropped).
pub fn boot(paths: &Paths) -> Result<String, String> {
    let _ = std::fs::remove_file(paths.pending());
    let saved = read(&paths.saved())?;
    let files = render(&paths.runtime, saved.as_ref())?;
    std::fs::create_dir_all(&paths.requests)
        .map_err(|e| format!("{}: {e}", paths.requests.display()))?;
    match &saved {
        Some(s) => write(&paths.requests.join("saved.json"), &json(s)?)?,
        None => {
            let _ = std::fs::remove_file(paths.requests.join("saved.json"));
        }
    }
    if let Some(h) = saved.as_ref().and_then(|s| s.hostname.as_deref()) {
        run("hostname", &[h])?;
    }
    Ok(format!("{} file(s) for networkd", files.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_replaces_only_our_files() {
        let dir = std::env::temp_dir().join(format!("sbc-netconf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("50-other.network"), "x").expect("other");
        std::fs::write(dir.join("10-sbc-eth9.network"), "stale").expect("stale");
        let s: NetworkSettings = serde_json::from_str(
            r#"{"interfaces":[{"name":"eth0","mode":"static","addresses":["192.0.2.5/24"],"gateway":"192.0.2.1"}]}"#,
        )
        .expect("json");
        let names = render(&dir, Some(&s)).expect("render");
        assert_eq!(names, ["10-sbc-eth0.network"]);
        assert!(!dir.join("10-sbc-eth9.network").exists());
        assert!(dir.join("50-other.network").exists());
        let text = std::fs::read_to_string(dir.join("10-sbc-eth0.network")).expect("file");
        assert!(
            text.contains("Address=192.0.2.5/24\nGateway=192.0.2.1\n"),
            "{text}"
        );
        assert_eq!(render(&dir, None).expect("render"), Vec::<String>::new());
        assert!(!dir.join("10-sbc-eth0.network").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
