//! `sbc network apply|confirm|revert|boot`: the privileged helper that applies the
//! appliance's network settings (run as root by systemd units of the image, never by the
//! daemon, which runs unprivileged).
//!
//! Management validates the operator's settings and writes them to
//! `state_dir/network/request.json`; a path unit runs `sbc network apply`, which
//!
//! 1. renders them for systemd-networkd into `/run/systemd/network/10-sbc-*`
//!    ([`sbc_config::network`]), sets the host name and the time zone, and has networkd
//!    reload and reconfigure the links;
//! 2. keeps them as pending and arms a 60 s transient timer running `sbc network revert`;
//! 3. reports in `state_dir/network/status.json` (`pending` with the deadline).
//!
//! `sbc network confirm` (management writes `state_dir/network/confirm`, which only a
//! browser that reached the box at its new address can do) makes the pending settings the
//! saved ones (`/data/system/network.json`) and disarms the timer. `revert` puts the saved
//! ones (or the image's DHCP default) back. `boot` renders the saved settings before
//! networkd starts; a change still pending at a reboot is thereby reverted too.

mod apply;

use std::path::PathBuf;
use std::process::ExitCode;

pub use apply::Paths;

/// The appliance's locations.
pub fn appliance_paths() -> Paths {
    Paths {
        requests: PathBuf::from("/data/sbc/state/network"),
        system: PathBuf::from("/data/system"),
        runtime: PathBuf::from("/run/systemd/network"),
    }
}

/// Runs one action; one line on stderr says what happened.
pub fn run(action: &str) -> ExitCode {
    let paths = appliance_paths();
    let done = match action {
        "apply" => apply::apply(&paths),
        "confirm" => apply::confirm(&paths),
        "revert" => apply::revert(&paths),
        "boot" => apply::boot(&paths),
        other => Err(format!(
            "unknown action \"{other}\" (apply, confirm, revert, boot)"
        )),
    };
    match done {
        Ok(what) => {
            eprintln!("sbc network {action}: {what}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("sbc network {action}: {why}");
            ExitCode::FAILURE
        }
    }
}
