//! Crash test for the atomic save: a child process rewrites the config file as fast as
//! it can, alternating two versions of about a megabyte; the parent kills it (SIGKILL) at
//! varying moments. After every kill the file must be exactly one of the two versions,
//! never a torn mix or an empty file.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "SBC_ATOMIC_SAVE_CHILD";

fn version(tag: char) -> String {
    let mut s = format!("# version {tag}\n[system]\nname = \"edge-{tag}\"\n");
    let line = format!("# {}\n", tag.to_string().repeat(100));
    while s.len() < 1_000_000 {
        s.push_str(&line);
    }
    s
}

/// The writer, run in a child process by the test below (ignored when run directly).
#[test]
#[ignore = "helper: run as a child process by atomic_save_survives_kill"]
fn atomic_save_child() {
    let Some(path) = std::env::var_os(CHILD_ENV).map(PathBuf::from) else {
        return;
    };
    let (a, b) = (version('a'), version('b'));
    let started = path.with_extension("started");
    let mut n = 0u64;
    loop {
        let text = if n % 2 == 0 { &b } else { &a };
        sbc_config::write_atomic(&path, text.as_bytes(), 0o644).expect("write");
        if n == 0 {
            std::fs::write(&started, b"1").expect("marker");
        }
        n += 1;
    }
}

#[test]
fn atomic_save_survives_kill() {
    let dir = std::env::temp_dir().join(format!("sbc-atomic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("sbc.toml");
    let (a, b) = (version('a'), version('b'));
    std::fs::write(&path, &a).expect("initial");
    let exe = std::env::current_exe().expect("test binary");
    let mut seen = [0u32; 2];
    for round in 0..25u64 {
        let started = path.with_extension("started");
        let _ = std::fs::remove_file(&started);
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "atomic_save_child",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the writer");
        while !started.exists() {
            assert!(
                child.try_wait().expect("wait").is_none(),
                "the writer died on its own"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        // Kill at a varying point of a write cycle.
        std::thread::sleep(Duration::from_micros(300 + (round * 7919) % 20_000));
        child.kill().expect("kill");
        child.wait().expect("reap");
        let text = std::fs::read_to_string(&path).expect("the file exists");
        if text == a {
            seen[0] += 1;
        } else if text == b {
            seen[1] += 1;
        } else {
            panic!(
                "round {round}: torn file of {} bytes starting {:?}",
                text.len(),
                text.get(..20)
            );
        }
    }
    eprintln!(
        "after 25 kills: version a {} times, version b {} times",
        seen[0], seen[1]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
