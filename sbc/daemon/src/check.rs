//! `sbc check-config PATH`: every error on stderr, one per line, each naming its key path.
//! Interface names in the file are looked up among this host's interfaces.

use std::path::Path;
use std::process::ExitCode;

use sbc_config::Config;

pub fn run(path: &Path) -> ExitCode {
    match Config::load_with(path, &crate::ifaddrs::read_or_empty()) {
        Ok(config) => {
            eprintln!(
                "{}: valid ({} realms, {} trunks, {} routes)",
                path.display(),
                config.realms().len(),
                config.trunks().len(),
                config.routes().len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors.iter() {
                eprintln!("{}: {e}", path.display());
            }
            eprintln!("{}: {} error(s)", path.display(), errors.len());
            ExitCode::FAILURE
        }
    }
}
