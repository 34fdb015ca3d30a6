//! `sbc check-config PATH`: every error on stderr, one per line, each naming its key path;
//! for a valid file, each value a trunk profile supplied, also on stderr (`trunk[0].ice =
//! "lite"  # profile "teams"`), the keys the operator did not write.
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
            // What trunk profiles supplied, so that the effective values are visible.
            for v in sbc_config::profile::values(config.file()) {
                eprintln!("{} = {}  # profile \"{}\"", v.path, v.value, v.profile);
            }
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
