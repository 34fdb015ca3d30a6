//! Per-lab working directory, kept as test artifacts when the test fails.
//!
//! Everything a lab produces (sbc configs and logs, sipp traces, helper payloads and outputs)
//! goes into a scratch directory under the system temp dir. When the lab is dropped while its
//! thread panics (the test failed), the directory is copied to
//! `tests/artifacts/<test-name>/` first; otherwise it simply disappears.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{LabError, Result};

/// Root of all scratch directories: `<tmp>/sbc-lab/`.
pub fn scratch_root() -> PathBuf {
    std::env::temp_dir().join("sbc-lab")
}

/// Root of kept artifacts: `<crate>/artifacts/` (git-ignored).
pub fn artifacts_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts")
}

/// A lab's scratch directory, copied to the artifacts on failure.
#[derive(Debug)]
pub struct Artifacts {
    dir: PathBuf,
    test_name: String,
    next_file: AtomicU32,
}

impl Artifacts {
    /// Creates an empty scratch directory `<tmp>/sbc-lab/<lab_id>/` for the test `test_name`.
    pub fn create(lab_id: &str, test_name: &str) -> Result<Self> {
        let dir = scratch_root().join(lab_id);
        remove_if_present(&dir)
            .map_err(|e| LabError::io(format!("remove stale {}", dir.display()), e))?;
        fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        Ok(Self {
            dir,
            test_name: sanitize(test_name),
            next_file: AtomicU32::new(0),
        })
    }

    /// The scratch directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The sanitized test name, i.e. the artifacts subdirectory name.
    pub fn test_name(&self) -> &str {
        &self.test_name
    }

    /// Where the artifacts go if the test fails: `tests/artifacts/<test-name>/`.
    pub fn kept_dir(&self) -> PathBuf {
        artifacts_root().join(&self.test_name)
    }

    /// A fresh path `<dir>/<stem>-<n><ext>` that no other caller of this lab gets.
    pub fn unique_path(&self, stem: &str, ext: &str) -> PathBuf {
        let n = self.next_file.fetch_add(1, Ordering::Relaxed);
        self.dir.join(format!("{stem}-{n}{ext}"))
    }

    /// Writes `contents` to `path`.
    pub fn write(&self, path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
        fs::write(path, contents).map_err(|e| LabError::io(format!("write {}", path.display()), e))
    }

    /// Copies the scratch directory to [`Self::kept_dir`], replacing an older copy.
    pub fn keep(&self) -> io::Result<PathBuf> {
        let kept = self.kept_dir();
        remove_if_present(&kept)?;
        copy_dir(&self.dir, &kept)?;
        Ok(kept)
    }
}

impl Drop for Artifacts {
    fn drop(&mut self) {
        if std::thread::panicking() {
            match self.keep() {
                Ok(kept) => eprintln!("sbc-lab: test failed; artifacts kept in {}", kept.display()),
                Err(e) => eprintln!(
                    "sbc-lab: could not keep artifacts of {}: {e}",
                    self.test_name
                ),
            }
        }
        if let Err(e) = remove_if_present(&self.dir) {
            eprintln!("sbc-lab: could not remove {}: {e}", self.dir.display());
        }
    }
}

/// Removes a directory tree; absent is fine.
pub fn remove_if_present(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Recursive copy of regular files and directories (symlinks and sockets are skipped).
fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// A file-name-safe version of a test name (`mod::test` → `mod-test`).
fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.trim_matches('-').replace("--", "-")
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn sanitize_makes_paths_of_test_names() {
        assert_eq!(sanitize("options::udp_answered"), "options-udp_answered");
        assert_eq!(sanitize("plain"), "plain");
    }
}
