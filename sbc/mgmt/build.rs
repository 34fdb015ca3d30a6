//! Embeds the web UI: every file under the workspace's `webui/` folder becomes an entry
//! of `ASSETS` (path relative to `webui/`, bytes). Cargo re-runs this when anything in
//! the folder changes, so `cargo build` picks up UI edits (and needs no Node).

#![allow(clippy::print_stdout)] // cargo reads build-script directives from stdout

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let webui = manifest.join("../../webui");
    println!("cargo:rerun-if-changed={}", webui.display());
    let mut files = Vec::new();
    if webui.is_dir() {
        walk(&webui, &webui, &mut files);
    }
    files.sort();
    let mut out = String::from("/// Embedded web UI files: (path relative to webui/, contents).\n");
    out.push_str("pub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        writeln!(
            out,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("assets.rs");
    std::fs::write(dest, out).expect("writing OUT_DIR/assets.rs");
}

/// Regular files below `dir`, skipping hidden entries (editor swap files, .git).
fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            walk(root, &path, files);
        } else if kind.is_file() {
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let Some(rel) = rel.to_str() else { continue };
            let abs = std::fs::canonicalize(&path).unwrap_or(path.clone());
            files.push((rel.replace('\\', "/"), abs));
        }
    }
}
