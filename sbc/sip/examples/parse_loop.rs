//! Parses and prints the reference INVITE N times: a deterministic workload for
//! `valgrind --tool=callgrind` (instruction counts do not depend on machine load).
//! `cargo run --release -p sbc-sip --example parse_loop -- 100000`

use sbc_sip::{Framing, Limits, Message};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let invite = include_bytes!("../tests/data/invite_906.sip");
    let limits = Limits::default();
    let mut out = Vec::with_capacity(2048);
    let mut total = 0usize;
    for _ in 0..n {
        let m = Message::parse(invite.to_vec(), Framing::Datagram, &limits)
            .expect("the reference INVITE is valid");
        out.clear();
        m.write_to(&mut out);
        total += out.len();
    }
    eprintln!("{n} messages, {total} bytes printed");
}
