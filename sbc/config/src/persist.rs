//! Saving the file: atomic writes and the numbered versions kept for rollback.
//!
//! [`write_atomic`] never leaves a torn file behind: the new text goes to a temporary
//! file in the same directory, is fsynced, renamed over the target (atomic on POSIX),
//! and the directory is fsynced so the rename itself survives a power cut. A crash at
//! any point leaves either the old or the new file at `path`, never a mix.
//!
//! [`Versions`] keeps the last N saved texts as `<dir>/<version>.toml` with a small
//! `<version>.meta` beside each (`saved_at` in Unix seconds and who saved it), written
//! with the same atomic write; older ones are pruned after each save.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Failure to save a file or a version.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("no saved version {version}")]
    NoSuchVersion { version: u64 },
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename,
/// fsync of the directory. `mode` is the new file's permission bits (e.g. `0o600`).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PersistError> {
    let err = |source| PersistError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| err(io::Error::other("no file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Removes temporary files [`write_atomic`] left beside `path` when a process writing it
/// was killed. Call it only while no other process writes `path`.
pub fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// One saved version, as listed by [`Versions::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: u64,
    /// Unix seconds.
    pub saved_at: u64,
    /// Who saved it (a user name, or `"file"` for a change found on disk).
    pub by: String,
}

/// The numbered copies of the config file kept in a directory (newest last).
#[derive(Debug, Clone)]
pub struct Versions {
    dir: PathBuf,
    keep: usize,
}

impl Versions {
    /// Versions in `dir` (created on first save), keeping the newest `keep` (at least 1).
    pub fn new(dir: impl Into<PathBuf>, keep: usize) -> Versions {
        Versions {
            dir: dir.into(),
            keep: keep.max(1),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves `text` as `version`, then prunes all but the newest `keep` versions.
    pub fn save(&self, version: u64, text: &str, by: &str) -> Result<(), PersistError> {
        fs::create_dir_all(&self.dir).map_err(|source| PersistError::Write {
            path: self.dir.clone(),
            source,
        })?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let by: String = by.chars().filter(|c| !c.is_control()).take(64).collect();
        write_atomic(&self.text_path(version), text.as_bytes(), 0o600)?;
        write_atomic(
            &self.dir.join(format!("{version}.meta")),
            format!("{now}\n{by}\n").as_bytes(),
            0o600,
        )?;
        let all = self.numbers()?;
        if all.len() > self.keep {
            for old in &all[..all.len() - self.keep] {
                let _ = fs::remove_file(self.text_path(*old));
                let _ = fs::remove_file(self.dir.join(format!("{old}.meta")));
            }
        }
        Ok(())
    }

    /// The saved text of `version`.
    pub fn load(&self, version: u64) -> Result<String, PersistError> {
        let path = self.text_path(version);
        fs::read_to_string(&path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => PersistError::NoSuchVersion { version },
            _ => PersistError::Read { path, source },
        })
    }

    /// Every kept version, oldest first.
    pub fn list(&self) -> Result<Vec<VersionInfo>, PersistError> {
        let mut out = Vec::new();
        for version in self.numbers()? {
            let meta =
                fs::read_to_string(self.dir.join(format!("{version}.meta"))).unwrap_or_default();
            let mut lines = meta.lines();
            let saved_at = lines.next().and_then(|l| l.parse().ok()).unwrap_or(0);
            let by = lines.next().unwrap_or("").to_owned();
            out.push(VersionInfo {
                version,
                saved_at,
                by,
            });
        }
        Ok(out)
    }

    /// The newest kept version number, if any.
    pub fn latest(&self) -> Result<Option<u64>, PersistError> {
        Ok(self.numbers()?.last().copied())
    }

    fn text_path(&self, version: u64) -> PathBuf {
        self.dir.join(format!("{version}.toml"))
    }

    fn numbers(&self) -> Result<Vec<u64>, PersistError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(PersistError::Read {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut v: Vec<u64> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name();
                name.to_str()?.strip_suffix(".toml")?.parse().ok()
            })
            .collect();
        v.sort_unstable();
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sbc-persist-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn write_atomic_replaces_and_sets_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tmpdir("atomic");
        let p = d.join("f.toml");
        write_atomic(&p, b"one", 0o600).expect("write");
        write_atomic(&p, b"two", 0o600).expect("write");
        assert_eq!(fs::read_to_string(&p).expect("read"), "two");
        let mode = fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&d).expect("dir").count(), 1);
        // One a killed writer left is removed.
        fs::write(d.join(".f.toml.tmp999"), b"half").expect("stale");
        remove_stale_temps(&p);
        assert_eq!(fs::read_dir(&d).expect("dir").count(), 1);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn versions_keep_the_newest() {
        let d = tmpdir("versions");
        let v = Versions::new(d.join("v"), 3);
        for n in 1..=5 {
            v.save(n, &format!("text {n}"), "admin").expect("save");
        }
        let list = v.list().expect("list");
        let nums: Vec<u64> = list.iter().map(|i| i.version).collect();
        assert_eq!(nums, vec![3, 4, 5]);
        assert_eq!(list[2].by, "admin");
        assert_eq!(v.load(4).expect("load"), "text 4");
        assert!(matches!(
            v.load(1),
            Err(PersistError::NoSuchVersion { version: 1 })
        ));
        assert_eq!(v.latest().expect("latest"), Some(5));
        let _ = fs::remove_dir_all(&d);
    }
}
