//! Transcoding handed off (`ShardConfig::transcode_offload`, what the daemon runs): the
//! shard hands each direction's codec work out as a job and sends its outputs when the
//! job comes back. Checked against the inline step: the same bytes leave, numbered the
//! same; packets that arrive while the job is away wait in the step (up to
//! `JOB_INPUTS`), one more is a `transcode-queue` drop, as is every packet of a job the
//! IO layer could not hand off; a job whose step was replaced meanwhile is ignored.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Bench, KEY};
use sbc_codec::Law;
use sbc_codec::transcode::Codec;
use sbc_core::{DropKind, LatchMode, MediaOp, Side};
use sbc_media::transcode::{FLUSH_AFTER, TranscodeSpec};
use sbc_media::transcode_job::{JOB_INPUTS, TranscodeJob};
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";

fn call(offload: bool) -> Bench {
    let config = sbc_media::ShardConfig {
        transcode_offload: offload,
        ..common::config()
    };
    let mut b = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(B), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.shard.set_transcode(KEY, Side::B, Some(spec())).unwrap();
    b
}

fn spec() -> TranscodeSpec {
    TranscodeSpec {
        input_pt: 8,
        input: Codec::Pcma,
        output_pt: 9,
        output: Codec::G722,
        ptime_ms: 20,
        events: Some((101, 96)),
        comfort_noise_pt: None,
        comfort_noise_out_pt: None,
    }
}

/// The `n`th 20 ms packet of a 400 Hz tone in A-law (the last ones: a digit).
fn packet(n: u16) -> Vec<u8> {
    let (pt, payload): (u8, Vec<u8>) = if n >= 20 {
        {
            let d = ((n - 19) * 160).to_be_bytes();
            (101, vec![5, 0, d[0], d[1]])
        }
    } else {
        let tone = (0..160u32).map(|i| {
            let t = f64::from(u32::from(n) * 160 + i) / 8000.0;
            Law::Alaw.encode((8000.0 * (2.0 * std::f64::consts::PI * 400.0 * t).sin()) as i16)
        });
        (8, tone.collect())
    };
    let ts = if n >= 20 {
        5000 + 20 * 160
    } else {
        5000 + u32::from(n) * 160
    };
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&(1000 + n).to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(&payload);
    p
}

/// The RTP the engine queued towards B (RTCP left out).
fn emitted(b: &mut Bench) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut mem = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    while let Some(t) = b.shard.poll_transmit(&mut mem) {
        let p = &mem[t.start..t.start + t.len];
        if !(200..=204).contains(&p[1]) {
            out.push(p.to_vec());
        }
    }
    out
}

/// Runs every job handed out, as a transcoding thread would, and hands it back.
fn run_jobs(b: &mut Bench) -> usize {
    let mut n = 0;
    while let Some(mut job) = b.shard.poll_transcode() {
        job.run();
        b.shard.transcoded(b.now, job);
        n += 1;
    }
    n
}

/// 20 tone packets and 3 of a digit, 20 ms apart; with `offload`, each job is run as soon
/// as it is handed out.
fn play(b: &mut Bench, offload: bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for n in 0..23 {
        b.recv(Side::A, false, A, &packet(n));
        if offload {
            assert_eq!(run_jobs(b), 1, "one job per packet, packet {n}");
        }
        out.extend(emitted(b));
        b.advance(Duration::from_millis(20));
        if offload {
            // The step's flush timer hands out a job of its own.
            run_jobs(b);
        }
        out.extend(emitted(b));
    }
    b.advance(FLUSH_AFTER);
    if offload {
        run_jobs(b);
    }
    out.extend(emitted(b));
    out
}

#[test]
fn handed_off_work_leaves_as_the_inline_step_sends_it() {
    let mut inline = call(false);
    let expected = play(&mut inline, false);
    assert!(inline.shard.poll_transcode().is_none(), "inline: no jobs");
    let mut offload = call(true);
    let got = play(&mut offload, true);
    assert!(expected.len() >= 21, "{} packets", expected.len());
    assert!(
        expected.iter().any(|p| p[1] & 0x7f == 96),
        "the digit crossed"
    );
    assert_eq!(got, expected, "same bytes, same numbering");
}

#[test]
fn packets_wait_while_the_job_is_away_and_one_more_is_dropped() {
    let mut b = call(true);
    b.recv(Side::A, false, A, &packet(0));
    let away: Box<TranscodeJob> = b.shard.poll_transcode().unwrap();
    for n in 1..=JOB_INPUTS as u16 {
        b.recv(Side::A, false, A, &packet(n));
    }
    assert!(b.shard.poll_transcode().is_none(), "one job per direction");
    assert_eq!(b.shard.drops().get(DropKind::TranscodeQueue), 0);
    b.recv(Side::A, false, A, &packet(JOB_INPUTS as u16 + 1));
    assert_eq!(b.shard.drops().get(DropKind::TranscodeQueue), 1);
    // Back: its output leaves, and what waited goes out as the next job at once.
    let mut job = away;
    job.run();
    b.shard.transcoded(b.now, job);
    assert_eq!(emitted(&mut b).len(), 1);
    let mut next = b.shard.poll_transcode().unwrap();
    next.run();
    b.shard.transcoded(b.now, next);
    assert_eq!(emitted(&mut b).len(), JOB_INPUTS);
    assert!(b.shard.poll_transcode().is_none());
}

#[test]
fn a_job_that_could_not_be_handed_off_counts_its_packets_as_drops() {
    let mut b = call(true);
    b.recv(Side::A, false, A, &packet(0));
    let job = b.shard.poll_transcode().unwrap();
    b.recv(Side::A, false, A, &packet(1));
    b.shard.transcode_refused(job);
    assert_eq!(b.shard.drops().get(DropKind::TranscodeQueue), 1);
    // The packet that waited meanwhile is the next job; the direction goes on.
    assert_eq!(run_jobs(&mut b), 0, "the refused job came home with it");
    b.recv(Side::A, false, A, &packet(2));
    assert_eq!(run_jobs(&mut b), 1);
    assert_eq!(emitted(&mut b).len(), 2, "packets 1 and 2");
}

#[test]
fn a_job_of_a_replaced_step_is_ignored() {
    let mut b = call(true);
    b.recv(Side::A, false, A, &packet(0));
    let mut old = b.shard.poll_transcode().unwrap();
    b.shard.set_transcode(KEY, Side::B, Some(spec())).unwrap();
    old.run();
    b.shard.transcoded(b.now, old);
    assert!(
        emitted(&mut b).is_empty(),
        "the old step's output is not sent"
    );
    b.recv(Side::A, false, A, &packet(1));
    assert_eq!(run_jobs(&mut b), 1, "the new step has its own job");
    assert_eq!(emitted(&mut b).len(), 1);
}
