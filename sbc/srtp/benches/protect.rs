//! Packets protected and unprotected per second per core, 160-byte payloads (20 ms of G.711),
//! for each suite: `cargo bench -p sbc-srtp`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sbc_srtp::{Context, Suite};

fn packet(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend(seq.to_be_bytes());
    p.extend((u32::from(seq) * 160).to_be_bytes());
    p.extend(0xdead_beefu32.to_be_bytes());
    p.extend([0x55u8; 160]);
    p
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("srtp");
    group.throughput(Throughput::Elements(1));
    for suite in Suite::ALL {
        let key = vec![7u8; suite.key_len()];
        let salt = vec![9u8; suite.salt_len()];
        let mut tx = Context::new(suite, &key, &salt, None).expect("context");
        let plain = packet(0);
        let mut buf = vec![0u8; 256];
        let mut seq = 0u16;
        group.bench_function(format!("protect/{}", suite.name()), |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                buf[..plain.len()].copy_from_slice(&plain);
                buf[2..4].copy_from_slice(&seq.to_be_bytes());
                tx.protect_rtp(&mut buf, plain.len()).expect("protect")
            })
        });
        // Unprotect: a fresh receiver per sealed packet would measure key setup; instead
        // seal a run of packets once and unprotect them in order, cycling with new
        // contexts only when the run is used up.
        let mut sealer = Context::new(suite, &key, &salt, None).expect("context");
        let sealed: Vec<Vec<u8>> = (0..4096u16)
            .map(|s| {
                let mut b = vec![0u8; 256];
                let p = packet(s);
                b[..p.len()].copy_from_slice(&p);
                let n = sealer.protect_rtp(&mut b, p.len()).expect("protect");
                b.truncate(n);
                b
            })
            .collect();
        let mut rx = Context::new(suite, &key, &salt, None).expect("context");
        let mut i = 0usize;
        group.bench_function(format!("unprotect/{}", suite.name()), |b| {
            b.iter(|| {
                if i == sealed.len() {
                    i = 0;
                    rx = Context::new(suite, &key, &salt, None).expect("context");
                }
                let p = &sealed[i];
                i += 1;
                buf[..p.len()].copy_from_slice(p);
                rx.unprotect_rtp(&mut buf, p.len()).expect("unprotect")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
