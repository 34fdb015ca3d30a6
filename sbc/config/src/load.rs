//! Reading a file: text to [`ConfigFile`] (TOML errors located by key path and line)
//! to [`Config`] (validation).

use std::path::{Path, PathBuf};

use crate::error::{ConfigErrorKind, ConfigErrors, LineCol};
use crate::interfaces::Interfaces;
use crate::locate;
use crate::model::Config;
use crate::schema::ConfigFile;

impl Config {
    /// Read and validate the file at `path`; relative paths inside it are resolved
    /// against its directory.
    /// An interface name in place of an address is an error here; see [`Config::load_with`].
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
        Config::load_with(path, &Interfaces::default())
    }

    /// [`Config::load`], with interface names (`udp:eth0:5060`, `media_ip = "eth0"`)
    /// looked up in `interfaces` ([`crate::Interfaces`]).
    pub fn load_with(
        path: impl AsRef<Path>,
        interfaces: &Interfaces,
    ) -> Result<Config, ConfigErrors> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| read_error(path, &e))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        Config::from_toml_str_with(&text, dir, interfaces)
    }

    /// Parse and validate TOML text; relative paths inside it are resolved against
    /// `base_dir` (made absolute against the current directory if it is relative).
    pub fn from_toml_str(text: &str, base_dir: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
        Config::from_toml_str_with(text, base_dir, &Interfaces::default())
    }

    /// [`Config::from_toml_str`], with interface names looked up in `interfaces`.
    pub fn from_toml_str_with(
        text: &str,
        base_dir: impl AsRef<Path>,
        interfaces: &Interfaces,
    ) -> Result<Config, ConfigErrors> {
        let base_dir = absolute_dir(base_dir.as_ref())?;
        let file = ConfigFile::from_toml_str(text)?;
        crate::validate::validate(file, &base_dir, interfaces)
    }

    /// Validate an already parsed file (the management API edits a [`ConfigFile`] and
    /// validates the result before persisting it).
    pub fn validate(file: ConfigFile, base_dir: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
        let base_dir = absolute_dir(base_dir.as_ref())?;
        crate::validate::validate(file, &base_dir, &Interfaces::default())
    }
}

fn read_error(file: &Path, e: &std::io::Error) -> ConfigErrors {
    let kind = ConfigErrorKind::Read {
        file: file.to_owned(),
        reason: e.to_string(),
    };
    ConfigErrors::single("", kind)
}

fn absolute_dir(dir: &Path) -> Result<PathBuf, ConfigErrors> {
    if dir.is_absolute() {
        return Ok(dir.to_owned());
    }
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    // Fails only when the current directory is unreadable.
    std::path::absolute(dir).map_err(|e| read_error(dir, &e))
}

/// A TOML parse or deserialization error, located by key path and line/column.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> ConfigErrors {
    let message = e.message().trim().lines().collect::<Vec<_>>().join("; ");
    let (path, at) = match e.span() {
        Some(span) => {
            let (line, column) = locate::line_col(text, span.start);
            (
                locate::key_path(text, span.start),
                Some(LineCol { line, column }),
            )
        }
        None => (String::new(), None),
    };
    ConfigErrors::single(path, ConfigErrorKind::Toml { message, at })
}
