//! systemd's service notification protocol (`sd_notify(3)`), written here rather than
//! taken from a crate: one datagram of `KEY=VALUE` lines to the unix socket named by
//! `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace).
//!
//! Outside systemd (no `$NOTIFY_SOCKET`) every call is a no-op.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// The connection to systemd's notification socket.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    addr: SocketAddr,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET`; `None` when the daemon does not run under systemd
    /// (`Type=notify`) or the variable is unusable (logged).
    pub fn from_env() -> Option<Notifier> {
        let path = std::env::var_os("NOTIFY_SOCKET")?;
        match Notifier::connect(path.as_encoded_bytes()) {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!("NOTIFY_SOCKET={}: {e}", path.to_string_lossy());
                None
            }
        }
    }

    fn connect(path: &[u8]) -> io::Result<Notifier> {
        let addr = match path.strip_prefix(b"@") {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name)?
            }
            None if path.starts_with(b"/") => {
                use std::os::unix::ffi::OsStrExt;
                SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(path))?
            }
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "neither an absolute path nor @abstract",
                ));
            }
        };
        Ok(Notifier {
            socket: UnixDatagram::unbound()?,
            addr,
        })
    }

    /// Sends `state` (newline-separated `KEY=VALUE` assignments).
    pub fn send(&self, state: &str) -> io::Result<()> {
        self.socket.send_to_addr(state.as_bytes(), &self.addr)?;
        Ok(())
    }
}

/// The watchdog interval systemd expects pings within (`WatchdogSec=`), when it is
/// enabled for this process: `$WATCHDOG_USEC`, and `$WATCHDOG_PID` unset or ours.
pub fn watchdog_interval() -> Option<Duration> {
    if let Some(pid) = std::env::var_os("WATCHDOG_PID") {
        if pid.to_str()?.parse::<u32>().ok()? != std::process::id() {
            return None;
        }
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_reach_a_path_socket() {
        let dir = std::env::temp_dir().join(format!("sbc-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).expect("bind");
        let n = Notifier::connect(path.as_os_str().as_encoded_bytes()).expect("connect");
        n.send("READY=1\nSTATUS=up").expect("send");
        let mut buf = [0u8; 64];
        let len = server.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..len], b"READY=1\nSTATUS=up");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn datagrams_reach_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("sbc-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("addr");
        let server = UnixDatagram::bind_addr(&addr).expect("bind");
        let n = Notifier::connect(format!("@{name}").as_bytes()).expect("connect");
        n.send("WATCHDOG=1").expect("send");
        let mut buf = [0u8; 64];
        let len = server.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..len], b"WATCHDOG=1");
    }

    #[test]
    fn relative_paths_are_refused() {
        assert!(Notifier::connect(b"notify.sock").is_err());
    }
}
