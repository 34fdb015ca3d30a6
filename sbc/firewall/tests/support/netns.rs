//! Throwaway network namespaces for kernel tests: each test body runs on a fresh thread
//! moved into a new, empty network namespace, so the host's ruleset is never touched and
//! the namespace disappears with the thread. `nft` spawned from that thread inherits it.
#![allow(unsafe_code)]
#![allow(dead_code)] // each test binary uses a different subset

use std::process::Command;

/// Runs `f` in a new network namespace (needs root); panics from `f` propagate.
pub fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::spawn(move || {
        // SAFETY: unshare(2) with CLONE_NEWNET only changes this thread's network namespace
        // (the thread is ours and dies after `f`); it takes no pointers.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(
            rc,
            0,
            "unshare(CLONE_NEWNET) failed (kernel tests need root): {}",
            std::io::Error::last_os_error()
        );
        let up = Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status();
        assert!(up.is_ok_and(|s| s.success()), "ip link set lo up failed");
        f()
    });
    match handle.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Runs `nft ARGS` (in the caller's namespace), returning stdout; panics with stderr on failure.
pub fn nft(args: &[&str]) -> String {
    let out = Command::new("nft").args(args).output().expect("nft runs");
    assert!(
        out.status.success(),
        "nft {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `nft -f -` with `script` on stdin.
pub fn nft_script(script: &str) {
    use std::io::Write;
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("nft runs");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(script.as_bytes())
        .expect("write to nft");
    let status = child.wait().expect("nft exits");
    assert!(status.success(), "nft -f - failed for:\n{script}");
}

/// The elements of set `set` in table `inet table` as nft's JSON values.
pub fn set_elements(table: &str, set: &str) -> Vec<serde_json::Value> {
    let out = nft(&["-j", "list", "set", "inet", table, set]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("nft -j prints json");
    v["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("set"))
        .flat_map(|s| s["elem"].as_array().cloned().unwrap_or_default())
        .collect()
}
