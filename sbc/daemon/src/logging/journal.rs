//! Logs to the systemd journal in its native protocol, with every structured field as a
//! journal field of its own (`journalctl -u sbc CALL_ID=...`, `TRUNK=carrier`).
//!
//! Under systemd with `StandardError=journal`, a line on stderr becomes a journal entry
//! whose only field is its `MESSAGE`: the call ID, trunk or realm inside it can be found
//! by a text search only. systemd tells a service its stderr is the journal with
//! `JOURNAL_STREAM=<device>:<inode>` ([`stderr_is_journal`] checks that the variable
//! names the stderr the daemon actually has, as sd-journal's documentation asks); the
//! daemon then writes each event as one datagram to `/run/systemd/journal/socket`:
//!
//! ```text
//! MESSAGE=call ended\n PRIORITY=6\n SYSLOG_IDENTIFIER=sbc\n TARGET=sbc_daemon::observe\n
//! CALL=7\n A_CALL_ID=...\n TRUNK=carrier\n ...
//! ```
//!
//! (systemd's "Native Journal Protocol": `NAME=value\n`, or for a value holding a newline
//! `NAME\n`, its length as 64-bit little endian, the value and `\n`.) Field names are the
//! tracing field names upper-cased, anything but `A-Z`, `0-9` and `_` made `_`, a name
//! starting with a digit or `_` prefixed with `F` (names starting with `_` are the
//! journal's own). The fields of the spans the event is in come after its own, outermost
//! span first (the transaction span's `METHOD`, `CALL_ID`, `FROM`, `TRANSPORT`).
//!
//! The socket is written without blocking: a journal that cannot keep up loses entries
//! (counted in [`JournalLayer::lost`]) rather than stalling a core. An entry the kernel
//! refuses as too large (a datagram over the socket's buffer) is sent again with its
//! `MESSAGE`, priority and identifier only, truncated to [`FALLBACK_MESSAGE`] bytes.
//! No dependency: the protocol is the few lines below.

use std::fmt::Write as _;
use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// Where journald reads native entries.
pub const SOCKET: &str = "/run/systemd/journal/socket";

/// Bytes of `MESSAGE` kept when a whole entry is too large for one datagram.
pub const FALLBACK_MESSAGE: usize = 4096;

/// Whether `JOURNAL_STREAM` (`<device>:<inode>`, decimal) names the stderr this process
/// has: its output was connected to the journal by systemd and was not redirected since.
pub fn stderr_is_journal() -> bool {
    names_stderr(std::env::var_os("JOURNAL_STREAM").as_deref())
}

/// Whether a `JOURNAL_STREAM` value names this process's stderr.
fn names_stderr(value: Option<&std::ffi::OsStr>) -> bool {
    let Some((dev, ino)) = value
        .and_then(|v| v.to_str())
        .and_then(|v| v.split_once(':'))
    else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self/fd/2").is_ok_and(|m| m.dev() == dev && m.ino() == ino)
}

/// A tracing layer writing every event to the journal socket.
#[derive(Debug)]
pub struct JournalLayer {
    socket: UnixDatagram,
    identifier: String,
    lost: AtomicU64,
}

impl JournalLayer {
    /// A layer writing to the datagram socket at `path` (journald's: [`SOCKET`]), each
    /// entry with `SYSLOG_IDENTIFIER=identifier`.
    pub fn connect(path: &Path, identifier: &str) -> io::Result<Self> {
        let socket = UnixDatagram::unbound()?;
        socket.connect(path)?;
        socket.set_nonblocking(true)?;
        Ok(JournalLayer {
            socket,
            identifier: identifier.to_owned(),
            lost: AtomicU64::new(0),
        })
    }

    /// Entries the socket did not take (journald behind, or gone).
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    fn send(&self, entry: &[u8], fallback: impl FnOnce() -> Vec<u8>) {
        let sent = match self.socket.send(entry) {
            Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => self.socket.send(&fallback()),
            other => other,
        };
        if sent.is_err() {
            self.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The journal's priority (syslog levels) of a tracing level.
fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// A tracing field name as a journal field name.
pub fn field_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    if name.starts_with(|c: char| c.is_ascii_digit() || c == '_') || name.is_empty() {
        out.push('F');
    }
    out.extend(name.chars().map(|c| match c.to_ascii_uppercase() {
        c @ ('A'..='Z' | '0'..='9' | '_') => c,
        _ => '_',
    }));
    out
}

/// Appends one `NAME=value` to an entry, in the binary form when `value` has a newline.
pub fn push_field(entry: &mut Vec<u8>, name: &str, value: &[u8]) {
    entry.extend_from_slice(name.as_bytes());
    if value.contains(&b'\n') {
        entry.push(b'\n');
        entry.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        entry.push(b'=');
    }
    entry.extend_from_slice(value);
    entry.push(b'\n');
}

/// The fields of an event or span, as journal fields (the message apart).
#[derive(Debug, Default)]
struct Fields {
    message: Option<String>,
    pairs: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.put(field, text);
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = Some(value);
        } else {
            self.pairs.push((field_name(field.name()), value));
        }
    }
}

impl<S> tracing_subscriber::Layer<S> for JournalLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(fields) = ext.get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let message = fields.message.take().unwrap_or_default();
        let mut head = Vec::with_capacity(256);
        push_field(
            &mut head,
            "PRIORITY",
            priority(meta.level()).to_string().as_bytes(),
        );
        push_field(&mut head, "SYSLOG_IDENTIFIER", self.identifier.as_bytes());
        let mut entry = head.clone();
        push_field(&mut entry, "MESSAGE", message.as_bytes());
        push_field(&mut entry, "TARGET", meta.target().as_bytes());
        for (name, value) in &fields.pairs {
            push_field(&mut entry, name, value.as_bytes());
        }
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<Fields>() {
                    for (name, value) in &f.pairs {
                        push_field(&mut entry, name, value.as_bytes());
                    }
                }
            }
        }
        self.send(&entry, || {
            let mut cut = message.len().min(FALLBACK_MESSAGE);
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            push_field(&mut head, "MESSAGE", &message.as_bytes()[..cut]);
            head
        });
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
