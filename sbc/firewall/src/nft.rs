//! Running `nft -j -f -`: one atomic transaction per call.
//!
//! The batch is built with the nftables crate's typed schema ([`crate::render::json`]); it
//! is fed to nft here rather than through `nftables::helper`, because the helper does not
//! capture nft's stderr, which is the only place the kernel's reason for a refusal appears.

use std::io::{self, Write};
use std::process::{Command, Stdio};

use crate::error::FirewallError;

/// The nft program, looked up in PATH.
pub(crate) const NFT: &str = "nft";

/// Feeds `json` to `nft -j -f -` (with `--check` when `check`); nft applies it as one
/// transaction or not at all.
pub(crate) fn run(table: &str, json: &str, check: bool) -> Result<(), FirewallError> {
    let args: &[&str] = if check {
        &["--check", "-j", "-f", "-"]
    } else {
        &["-j", "-f", "-"]
    };
    nft(table, args, Some(json)).map(drop)
}

/// Names of the sets in table `inet table` (empty when the table does not exist).
pub(crate) fn sets(table: &str) -> Result<Vec<String>, FirewallError> {
    let out = match nft(table, &["-j", "list", "sets", "inet"], None) {
        Ok(out) => out,
        Err(FirewallError::Rejected { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let v: serde_json::Value = serde_json::from_str(&out).map_err(|e| FirewallError::Rejected {
        table: table.to_owned(),
        error: format!("unreadable nft -j list sets output: {e}"),
    })?;
    Ok(v["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("set"))
        .filter(|s| s["table"] == table && s["family"] == "inet")
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect())
}

/// Runs nft with `args` (and `stdin`), returning its stdout.
fn nft(table: &str, args: &[&str], stdin: Option<&str>) -> Result<String, FirewallError> {
    let exec = |source: io::Error| {
        if source.kind() == io::ErrorKind::NotFound {
            FirewallError::NftMissing {
                program: NFT.to_owned(),
            }
        } else {
            FirewallError::NftExec {
                program: NFT.to_owned(),
                source,
            }
        }
    };
    let mut child = Command::new(NFT)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(exec)?;
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
        // A write error means nft exited early; its status and stderr tell why.
        let _ = pipe.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().map_err(exec)?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text = if stderr.trim().is_empty() {
        stdout
    } else {
        stderr
    };
    Err(FirewallError::Rejected {
        table: table.to_owned(),
        error: format!("{} ({})", text.trim(), out.status),
    })
}

/// Feeds nft text (not JSON) to `nft -f -`: one transaction.
pub(crate) fn run_text(table: &str, text: &str) -> Result<(), FirewallError> {
    nft(table, &["-f", "-"], Some(text)).map(drop)
}
