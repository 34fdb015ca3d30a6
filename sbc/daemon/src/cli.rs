//! Command line: `sbc --config PATH` and `sbc check-config PATH`.

use std::path::PathBuf;

pub const USAGE: &str = "\
usage:
  sbc --config PATH          run the SBC in the foreground (logs to stderr, RUST_LOG filters)
  sbc check-config PATH      validate a config file; exit 0 when valid, errors on stderr
  sbc health --config PATH   is the daemon running on PATH healthy? (SIP OPTIONS to every
                             listener, HTTPS management, nftables table; one line each)
  sbc network apply|confirm|revert|boot
                             the appliance's privileged network helper (root; run by systemd)
  sbc --version | --help";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run { config: PathBuf },
    CheckConfig { config: PathBuf },
    Health { config: PathBuf },
    Network { action: String },
    Version,
    Help,
}

#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n{USAGE}", self.0)
    }
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, UsageError> {
    let args: Vec<String> = args.into_iter().collect();
    let strs: Vec<&str> = args.iter().map(String::as_str).collect();
    match strs.as_slice() {
        ["--config", path] | ["-c", path] => Ok(Command::Run {
            config: PathBuf::from(path),
        }),
        [arg] if arg.starts_with("--config=") => Ok(Command::Run {
            config: PathBuf::from(&arg["--config=".len()..]),
        }),
        ["check-config", path] => Ok(Command::CheckConfig {
            config: PathBuf::from(path),
        }),
        ["health", "--config" | "-c", path] => Ok(Command::Health {
            config: PathBuf::from(path),
        }),
        ["network", action] => Ok(Command::Network {
            action: action.to_string(),
        }),
        ["--version" | "-V"] => Ok(Command::Version),
        ["--help" | "-h" | "help"] => Ok(Command::Help),
        [] => Err(UsageError("missing command".into())),
        _ => Err(UsageError(format!(
            "unrecognised arguments: {}",
            strs.join(" ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn commands() {
        assert_eq!(
            p(&["--config", "a.toml"]),
            Ok(Command::Run {
                config: "a.toml".into()
            })
        );
        assert_eq!(
            p(&["check-config", "b.toml"]),
            Ok(Command::CheckConfig {
                config: "b.toml".into()
            })
        );
        assert!(p(&[]).is_err());
        assert!(p(&["--config"]).is_err());
        assert!(p(&["run", "x"]).is_err());
        // The media harness is a separate developer binary, not a command of `sbc`.
        assert!(p(&["media-harness"]).is_err());
    }
}
