//! The standard `process_*` metrics of this process, read from `/proc/self`: CPU time,
//! memory, file descriptors and the start time. CPU ticks are USER_HZ (100 on every
//! Linux architecture the SBC runs on: the kernel exports `/proc` times in it whatever
//! its internal HZ).

use std::fs;

/// `/proc` time unit (clock ticks per second, `USER_HZ`).
const USER_HZ: f64 = 100.0;

/// What was read; a field the kernel did not give stays `None` (and is not exported).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub virtual_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub start_time_seconds: Option<f64>,
}

impl ProcessStats {
    pub fn read() -> Self {
        let stat = fs::read_to_string("/proc/self/stat").ok();
        let status = fs::read_to_string("/proc/self/status").ok();
        let boot = fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| field_after(&s, "btime"));
        let (cpu_seconds, start_ticks) = stat.as_deref().map(parse_stat).unwrap_or_default();
        ProcessStats {
            cpu_seconds,
            resident_bytes: status.as_deref().and_then(|s| kib(s, "VmRSS:")),
            virtual_bytes: status.as_deref().and_then(|s| kib(s, "VmSize:")),
            open_fds: fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as u64),
            max_fds: fs::read_to_string("/proc/self/limits")
                .ok()
                .and_then(|s| max_open_files(&s)),
            start_time_seconds: boot
                .zip(start_ticks)
                .map(|(b, t)| b as f64 + t as f64 / USER_HZ),
        }
    }
}

/// `(utime + stime in seconds, starttime in ticks)` from `/proc/self/stat`: fields 14, 15
/// and 22, counted after the parenthesised command name (which may hold spaces).
fn parse_stat(stat: &str) -> (Option<f64>, Option<u64>) {
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return (None, None);
    };
    // `rest` starts with field 3 (state).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |field: usize| fields.get(field - 3).and_then(|f| f.parse::<u64>().ok());
    let cpu = num(14).zip(num(15)).map(|(u, s)| (u + s) as f64 / USER_HZ);
    (cpu, num(22))
}

fn field_after(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
}

fn kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|k| k * 1024)
}

fn max_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_command_name_with_spaces() {
        let stat = "4242 (sbc (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1234 1000 200";
        assert_eq!(parse_stat(stat), (Some(3.0), Some(1234)));
    }

    #[test]
    fn this_process_is_read() {
        let p = ProcessStats::read();
        assert!(
            p.cpu_seconds.is_some() && p.start_time_seconds.is_some(),
            "{p:?}"
        );
        assert!(p.resident_bytes.is_some_and(|b| b > 0), "{p:?}");
        assert!(p.open_fds.is_some_and(|n| n >= 3), "{p:?}");
        assert!(
            p.max_fds.is_some_and(|n| n >= p.open_fds.unwrap_or(0)),
            "{p:?}"
        );
    }
}
