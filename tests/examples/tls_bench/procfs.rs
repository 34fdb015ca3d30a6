//! What the kernel says about a server's processes: CPU time and proportional set size,
//! summed over a process and its descendants (Kamailio forks its workers).

use std::thread::sleep;
use std::time::Duration;

/// The server's processes: `root` and every descendant.
pub fn process_tree(root: u32) -> Result<Vec<u32>, String> {
    let mut parents = Vec::new();
    let dir = std::fs::read_dir("/proc").map_err(|e| format!("/proc: {e}"))?;
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1)?.parse::<u32>().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    Ok(tree)
}

/// Fields of `/proc/<pid>/stat` after the command name: state, ppid, ...
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    Some(after.split_whitespace().map(str::to_owned).collect())
}

/// User + system CPU seconds of the server's processes (all their threads).
pub fn cpu_seconds(root: u32) -> Result<f64, String> {
    // Clock ticks per second: 100 on every Linux this runs on (USER_HZ).
    const TICKS: f64 = 100.0;
    let mut ticks = 0u64;
    for pid in process_tree(root)? {
        // After the name: state(0) ppid(1) ... utime(11) stime(12).
        if let Some(f) = stat_fields(pid) {
            let utime: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
            let stime: u64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
            ticks += utime + stime;
        }
    }
    Ok(ticks as f64 / TICKS)
}

pub fn cpu_seconds_of(pid: u32) -> f64 {
    stat_fields(pid).map_or(0.0, |f| {
        let t = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        (t(11) + t(12)) as f64 / 100.0
    })
}

/// Proportional set size of the server's processes, in kB.
fn pss_kb(root: u32) -> Result<u64, String> {
    let mut total = 0;
    for pid in process_tree(root)? {
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        total += rollup
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    if total == 0 {
        return Err(format!("no PSS readable for pid {root}"));
    }
    Ok(total)
}

/// PSS once two readings 1 s apart agree within 1% (at most 30 s).
pub fn stable_pss(root: u32) -> Result<u64, String> {
    let mut last = pss_kb(root)?;
    for _ in 0..30 {
        sleep(Duration::from_secs(1));
        let now = pss_kb(root)?;
        if now.abs_diff(last) * 100 <= last {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

/// "running", "exited" (a zombie not reaped yet, or gone).
pub fn state(pid: u32) -> &'static str {
    match stat_fields(pid)
        .as_ref()
        .and_then(|f| f.first())
        .map(String::as_str)
    {
        Some("Z") | Some("X") | None => "exited",
        Some(_) => "running",
    }
}
