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
