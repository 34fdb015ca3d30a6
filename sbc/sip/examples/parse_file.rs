//! Parses SIP messages from files and prints what the parser makes of each:
//! `cargo run -p sbc-sip --example parse_file -- FILE...`.

use sbc_sip::{Framing, Limits, Message, reject_response};

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        match Message::parse_or_return(bytes, Framing::Datagram, &Limits::default()) {
            Ok(m) => eprintln!(
                "{path}: ok {} {} headers, body {} bytes",
                m.method()
                    .map_or_else(|| m.status().unwrap_or(0).to_string(), |x| x.to_string()),
                m.headers().count(),
                m.body().len()
            ),
            Err((e, bytes)) => {
                let code = reject_response(&bytes, &e, "sbc")
                    .map(|r| String::from_utf8_lossy(&r[..12]).into_owned())
                    .unwrap_or_else(|| "no response".into());
                eprintln!("{path}: REFUSED ({code}): {e}");
            }
        }
    }
}
