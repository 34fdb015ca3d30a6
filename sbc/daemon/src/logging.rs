//! Logs go to stderr through tracing (under systemd: the journal); `RUST_LOG` filters
//! (default `info`). `[log] format` picks the shape of a line:
//!
//! * `"text"` (the default): `2026-12-05T20:57:06.123Z  INFO tx{tx=.. method=INVITE
//!   call_id=..}: relaying from=carrier to=pbx`, coloured on a terminal;
//! * `"json"`: one JSON object per line, `{"timestamp":..,"level":"INFO","fields":
//!   {"message":"call ended","call":7,"a_call_id":..,"result":"answered",..},"spans":[..]}`,
//!   so a log shipper (journald's, Vector, Promtail) filters by call ID, trunk, realm or
//!   result without parsing text.
//!
//! The format is read once at start from the configuration file; a file that does not
//! load gives the text format (and the error is logged by the start-up that follows).
//!
//! Under systemd, when `JOURNAL_STREAM` says stderr is the journal, events go to the
//! journal's socket in its native protocol instead ([`journal`]): the message, its level
//! as `PRIORITY`, and every structured field (call ID, trunk, realm, result, the
//! transaction span's method and Call-ID) as a journal field of its own, so
//! `journalctl -u sbc TRUNK=carrier` finds a trunk's calls. `[log] format` then does not
//! apply (journald keeps fields, not lines). Where the socket cannot be opened the logs
//! stay on stderr.

pub mod journal;

use std::io::IsTerminal;
use std::path::Path;

use sbc_config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Text logs (the tools and the media harness, which have no configuration file).
pub fn init() {
    init_with(LogFormat::Text);
}

/// Logs in the `[log] format` of the file at `config` (text when it does not load).
pub fn init_for(config: &Path) {
    let format = sbc_config::Config::load_with(config, &crate::ifaddrs::read_or_empty())
        .map_or(LogFormat::Text, |c| c.log_format());
    init_with(format);
}

pub fn init_with(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if journal::stderr_is_journal() {
        match journal::JournalLayer::connect(Path::new(journal::SOCKET), "sbc") {
            Ok(layer) => {
                use tracing_subscriber::layer::SubscriberExt as _;
                use tracing_subscriber::util::SubscriberInitExt as _;
                tracing_subscriber::registry()
                    .with(filter)
                    .with(layer)
                    .init();
                return;
            }
            Err(e) => eprintln!(
                "sbc: JOURNAL_STREAM is set but {} cannot be used ({e}): logging to stderr",
                journal::SOCKET
            ),
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .init(),
    }
}
