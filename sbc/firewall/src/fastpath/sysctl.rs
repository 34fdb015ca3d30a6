//! IPv4 forwarding for the fast path: switched on only while the fast path runs, put back
//! as it was at shutdown; the value it had is kept in a memo file while it is switched on,
//! so a crash in between does not make "on" look like the host's own setting.
//!
//! Enabling `net.ipv4.conf.all.forwarding` turns the host into a router; the fast path's
//! forward chain (policy drop) lets through only the DNATed relays it installed. rp_filter
//! needs nothing: a relayed packet arrives on the interface that routes back to its source.

use std::io;
use std::path::Path;

/// `net.ipv4.conf.all.forwarding` of the calling thread's network namespace.
pub(crate) const FORWARDING: &str = "/proc/sys/net/ipv4/conf/all/forwarding";

/// Reads the flag ("0"/"1").
pub(crate) fn read(path: &str) -> io::Result<bool> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.trim() != "0")
}

/// Writes the flag.
pub(crate) fn write(path: &str, on: bool) -> io::Result<()> {
    std::fs::write(path, if on { "1\n" } else { "0\n" })
}

/// The value a memo file remembers; `None` when there is no memo.
pub(crate) fn read_memo(path: &Path) -> io::Result<Option<bool>> {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.trim() {
            "0" => Ok(Some(false)),
            "1" => Ok(Some(true)),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("expected 0 or 1, found {other:?}"),
            )),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Remembers `was` (written whole: a temporary file renamed into place).
pub(crate) fn write_memo(path: &Path, was: bool) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, if was { "1\n" } else { "0\n" })?;
    std::fs::rename(&tmp, path)
}

/// Forgets the memo (absent is fine).
pub(crate) fn remove_memo(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
