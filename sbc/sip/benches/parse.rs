//! Parse + serialize of a 900-byte INVITE with SDP, the figure the README reports.
//!
//! `cargo bench -p sbc-sip --bench parse`. Criterion prints time per iteration and the
//! throughput in messages per second (one element = one message).

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use sbc_sip::{Framing, Limits, Message};

/// The reference message: 906 bytes, 14 header fields, a 271-byte SDP body.
pub const INVITE: &[u8] = include_bytes!("../tests/data/invite_906.sip");

fn parse_and_serialize(c: &mut Criterion) {
    let limits = Limits::default();
    let bytes = INVITE.to_vec();
    assert!(
        bytes.len() >= 900,
        "the reference INVITE is {} bytes",
        bytes.len()
    );
    let mut group = c.benchmark_group("sip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_900B_invite", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(bytes.clone()), Framing::Datagram, &limits);
            black_box(m.map(|m| m.body().len()).unwrap_or(0))
        })
    });
    let mut out = Vec::with_capacity(2048);
    group.bench_function("parse_and_serialize_900B_invite", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(bytes.clone()), Framing::Datagram, &limits)
                .expect("the reference INVITE is valid");
            out.clear();
            m.write_to(&mut out);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, parse_and_serialize);
criterion_main!(benches);
