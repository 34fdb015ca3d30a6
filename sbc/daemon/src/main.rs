//! `sbc`: the Edge SBC daemon's command line (the daemon is the `sbc_daemon` library).

use std::process::ExitCode;

use sbc_daemon::{check, cli, logging, run};

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sbc: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        cli::Command::CheckConfig { config } => check::run(&config),
        cli::Command::Health { config } => sbc_daemon::health::run(&config),
        cli::Command::Network { action } => sbc_daemon::netconf::run(&action),
        cli::Command::Run { config } => {
            logging::init_for(&config);
            match run::run(&config) {
                Ok(()) if sbc_daemon::restart_requested() => {
                    tracing::error!("{:#}", sbc_daemon::exec_self());
                    ExitCode::FAILURE
                }
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        cli::Command::Version => {
            eprintln!("sbc {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        cli::Command::Help => {
            eprintln!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
    }
}
