//! The config lifecycle: one writer at a time edits the file's text, the result is
//! validated by the config crate ([`Store::prepare`]), applied to the daemon by the
//! caller, and only when that succeeded written atomically, kept as a numbered version
//! and made the current config ([`Prepared::save`]). A change the daemon refuses leaves
//! the file as it was.
//!
//! The version number is the ETag of every config resource. A write names the version
//! it was based on (`If-Match`); any other version is a conflict (409). A change made to
//! the file by hand is noticed on the next read or write: it becomes a new version
//! saved "by file", so a client holding the old version gets a 409 instead of silently
//! overwriting the operator's edit.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use sbc_config::{Config, PersistError, VersionInfo, Versions, write_atomic};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::ApiError;

/// Versions kept for rollback.
pub const KEEP_VERSIONS: usize = 10;
/// Directory under `state_dir` holding them.
pub const VERSIONS_DIR: &str = "config-versions";

/// The result of a successful write.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The new version (unchanged when the text did not change).
    pub version: u64,
    pub config: Arc<Config>,
    /// What changed, `-`/`+` lines.
    pub diff: String,
    /// Whether the text changed at all.
    pub changed: bool,
    /// Saved keys that wait for a restart ([`crate::restart::pending`]).
    pub restart: Vec<String>,
}

#[derive(Debug)]
struct Current {
    text: String,
    version: u64,
}

/// The config file, its versions and the current valid config.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    base_dir: PathBuf,
    versions: Versions,
    writer: Mutex<Current>,
    current: RwLock<(Arc<Config>, u64)>,
}

impl Store {
    /// Opens the store for the file at `path`, whose valid content `config` is running.
    /// Versions live in `state_dir/config-versions`; the running text becomes the
    /// newest version unless it already is.
    pub fn open(path: &Path, config: Arc<Config>) -> Result<Store, PersistError> {
        sbc_config::remove_stale_temps(path);
        let text = std::fs::read_to_string(path).map_err(|source| PersistError::Read {
            path: path.to_owned(),
            source,
        })?;
        let versions = Versions::new(config.system().state_dir.join(VERSIONS_DIR), KEEP_VERSIONS);
        let version = match versions.latest()? {
            Some(v) if versions.load(v).ok().as_deref() == Some(text.as_str()) => v,
            latest => {
                let v = latest.unwrap_or(0) + 1;
                versions.save(v, &text, "file")?;
                v
            }
        };
        Ok(Store {
            path: path.to_owned(),
            base_dir: config.base_dir().to_owned(),
            versions,
            writer: Mutex::new(Current { text, version }),
            current: RwLock::new((config, version)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current valid config and its version.
    pub fn current(&self) -> (Arc<Config>, u64) {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The file's text and version (noticing a change made by hand).
    pub async fn text(&self) -> Result<(String, u64), ApiError> {
        let mut cur = self.writer.lock().await;
        self.resync(&mut cur)?;
        Ok((cur.text.clone(), cur.version))
    }

    /// Every kept version, newest first.
    pub fn versions(&self) -> Result<Vec<VersionInfo>, ApiError> {
        let mut v = self.versions.list()?;
        v.reverse();
        Ok(v)
    }

    /// The text of a kept version.
    pub fn version_text(&self, version: u64) -> Result<String, ApiError> {
        Ok(self.versions.load(version)?)
    }

    /// Builds the next version: what `make` makes of the current text, if `if_match` is
    /// the current version and the result is valid. Nothing is written yet: the caller
    /// applies [`Prepared::config`] to the daemon and then [`Prepared::save`]s it (or
    /// drops it, leaving the file as it was). Holds the writer lock until then, so
    /// changes are applied and saved one at a time, in order.
    pub async fn prepare(
        &self,
        if_match: u64,
        make: impl FnOnce(&str) -> Result<String, ApiError>,
    ) -> Result<Prepared<'_>, ApiError> {
        let mut cur = self.writer.lock().await;
        self.resync(&mut cur)?;
        if if_match != cur.version {
            return Err(ApiError::conflict(cur.version));
        }
        let new_text = make(&cur.text)?;
        // Interface names resolve as they did when the daemon loaded the running config.
        let interfaces = self.current().0.interfaces().clone();
        let config = Arc::new(Config::from_toml_str_with(
            &new_text,
            &self.base_dir,
            &interfaces,
        )?);
        Ok(Prepared {
            store: self,
            cur,
            new_text,
            config,
        })
    }

    /// Adopts a change made to the file outside the API as a new version.
    fn resync(&self, cur: &mut Current) -> Result<(), ApiError> {
        let disk = std::fs::read_to_string(&self.path).map_err(|source| PersistError::Read {
            path: self.path.clone(),
            source,
        })?;
        if disk == cur.text {
            return Ok(());
        }
        let version = cur.version + 1;
        tracing::info!(
            "management: {} changed on disk; it is version {version} now",
            self.path.display()
        );
        if let Err(e) = self.versions.save(version, &disk, "file") {
            tracing::error!("management: keeping config version {version}: {e}");
        }
        let interfaces = self.current().0.interfaces().clone();
        match Config::from_toml_str_with(&disk, &self.base_dir, &interfaces) {
            Ok(config) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) =
                    (Arc::new(config), version);
            }
            Err(errors) => {
                tracing::warn!(
                    "management: the file on disk is not valid ({} error(s)); edits start from it",
                    errors.len()
                );
                let mut w = self.current.write().unwrap_or_else(|p| p.into_inner());
                w.1 = version;
            }
        }
        cur.text = disk;
        cur.version = version;
        Ok(())
    }
}

/// A validated next version of the file, not written yet (see [`Store::prepare`]).
#[derive(Debug)]
pub struct Prepared<'a> {
    store: &'a Store,
    cur: MutexGuard<'a, Current>,
    new_text: String,
    config: Arc<Config>,
}

impl Prepared<'_> {
    /// The configuration the new text describes.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// Whether the text differs from the current file.
    pub fn changes(&self) -> bool {
        self.new_text != self.cur.text
    }

    /// Writes the file atomically, keeps the version and makes the config current. An
    /// unchanged text writes nothing.
    pub fn save(self, user: &str) -> Result<Committed, ApiError> {
        let Prepared {
            store,
            mut cur,
            new_text,
            config,
        } = self;
        if new_text == cur.text {
            return Ok(Committed {
                version: cur.version,
                config,
                diff: String::new(),
                changed: false,
                restart: Vec::new(),
            });
        }
        let mode = std::fs::metadata(&store.path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644);
        write_atomic(&store.path, new_text.as_bytes(), mode)?;
        let version = cur.version + 1;
        if let Err(e) = store.versions.save(version, &new_text, user) {
            // The file is saved; only the rollback copy is missing.
            tracing::error!("management: keeping config version {version}: {e}");
        }
        let diff = crate::audit::diff(&cur.text, &new_text);
        cur.text = new_text;
        cur.version = version;
        *store.current.write().unwrap_or_else(|p| p.into_inner()) = (config.clone(), version);
        Ok(Committed {
            version,
            config,
            diff,
            changed: true,
            restart: Vec::new(),
        })
    }
}
