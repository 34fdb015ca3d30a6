//! `sbc check-config PATH`: the contract the lab's own configs rely on (no namespaces needed).

use std::path::Path;
use std::process::{Command, Output};

use sbc_lab::sbc::sbc_binary;
use sbc_lab::{StandardConfig, standard_config};

/// Runs `sbc check-config` on `toml` written to a scratch file.
fn check_config(name: &str, toml: &str) -> Output {
    let dir = std::env::temp_dir().join(format!("sbc-lab-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, toml).expect("write config");
    let output = run(&path);
    // Best effort: leftovers in the temp dir are harmless (the dir may still be in use by a
    // parallel test, then remove_dir fails).
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
    output
}

/// `sbc check-config <path>`.
fn run(path: &Path) -> Output {
    let binary = sbc_binary().expect("the sbc binary");
    Command::new(binary)
        .arg("check-config")
        .arg(path)
        .output()
        .expect("run sbc check-config")
}

#[test]
fn the_standard_lab_config_is_valid() {
    let out = check_config("standard.toml", &standard_config());
    assert!(
        out.status.success(),
        "check-config refused the lab's standard config ({}):\n{}\n--- config:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        standard_config()
    );
}

#[test]
fn an_invalid_peer_is_reported_with_its_key_path() {
    let broken = StandardConfig::default()
        .extra("\n[[trunk]]\nname = \"broken\"\nrealm = \"outside\"\npeers = [\"udp:10.0.0.300:5060\"]\n")
        .render();
    let out = check_config("broken.toml", &broken);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "check-config accepted an invalid address"
    );
    assert!(
        stderr.contains("trunk[2].peers[0]") && stderr.contains("10.0.0.300"),
        "the error must name the key path and the value:\n{stderr}"
    );
}
