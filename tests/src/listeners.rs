//! Which SIP sockets a config asks the daemon to open, read from the config text.
//!
//! A deliberately small scan (no TOML parser): every `listen = [ ... ]` array, possibly spanning
//! lines, contributes its `"udp:IP:PORT"` / `"tcp:..."` / `"tls:..."` strings. The management
//! `listen = "..."` is a plain string, not an array, and is ignored. Used by the readiness check.

use std::fmt;
use std::net::SocketAddr;

/// Socket kind as seen by `ss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// A UDP socket.
    Udp,
    /// A listening TCP socket (plain or TLS).
    Tcp,
}

/// One SIP listener of the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// `udp`, `tcp` or `tls`, as written.
    pub scheme: String,
    /// The socket address.
    pub addr: SocketAddr,
}

impl Listener {
    /// The kernel socket kind it needs.
    pub fn proto(&self) -> Proto {
        if self.scheme == "udp" {
            Proto::Udp
        } else {
            Proto::Tcp
        }
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.addr)
    }
}

/// All SIP listeners in `toml` (unparseable entries are skipped).
pub fn sip_listeners(toml: &str) -> Vec<Listener> {
    let mut found = Vec::new();
    let mut rest = toml;
    while let Some(pos) = rest.find("listen") {
        let after = rest[pos + "listen".len()..].trim_start();
        rest = &rest[pos + "listen".len()..];
        let Some(value) = after.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        let Some(array) = value.strip_prefix('[') else {
            continue;
        };
        let Some(end) = array.find(']') else {
            break;
        };
        found.extend(quoted(&array[..end]).filter_map(parse_listener));
    }
    found
}

/// The `"..."` strings in `text`.
fn quoted(text: &str) -> impl Iterator<Item = &str> {
    text.split('"').skip(1).step_by(2)
}

/// `scheme:ip:port` → [`Listener`].
fn parse_listener(entry: &str) -> Option<Listener> {
    let (scheme, addr) = entry.split_once(':')?;
    matches!(scheme, "udp" | "tcp" | "tls").then_some(())?;
    Some(Listener {
        scheme: scheme.to_owned(),
        addr: addr.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_arrays_across_lines_and_skips_plain_strings() {
        let toml = r#"
[management]
listen = "127.0.0.1:8443"
[[realm]]
listen = [
  "udp:10.0.0.1:5060",
  "tls:10.0.0.1:5061", "bogus", "sctp:10.0.0.1:5060",
]
"#;
        let shown: Vec<String> = sip_listeners(toml)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["udp:10.0.0.1:5060", "tls:10.0.0.1:5061"]);
        assert_eq!(sip_listeners(toml)[1].proto(), Proto::Tcp);
    }
}
