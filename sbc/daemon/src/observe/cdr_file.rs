//! `<state_dir>/cdr.jsonl`: one line per call, written by a thread of its own so that a
//! slow or full disk never holds up the core task.
//!
//! The core collects lines ([`CdrSink::push`]) and hands them over in batches
//! ([`CdrSink::flush`]: once a second, or every [`BATCH`] lines) on a bounded queue that
//! never blocks (a batch that does not fit is dropped and counted): one wake-up of the
//! writer per batch, not per call. The thread appends each batch through a buffer (one
//! write per batch); when the file would pass [`Rotation::file_bytes`] it is renamed
//! `cdr.jsonl.1` (`.1` to `.2`, ...; the oldest beyond [`Rotation::files`] removed), so the
//! CDRs on disk stay within `file_bytes * (files + 1)`. A failed write (disk full,
//! read-only) loses the rest of that batch, counted; the file is reopened for the next.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// The file's name in `state_dir`.
pub const FILE_NAME: &str = "cdr.jsonl";
/// Batches waiting for the writer at most.
const QUEUE: usize = 64;
/// Lines the core collects before it hands them over without waiting for its tick.
pub const BATCH: usize = 512;

/// When the file rotates and how many old ones are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    pub file_bytes: u64,
    pub files: usize,
}

impl Default for Rotation {
    /// 16 MiB per file, 7 old files: at most 128 MiB of CDRs (some 100,000 calls).
    fn default() -> Self {
        Rotation {
            file_bytes: 16 << 20,
            files: 7,
        }
    }
}

/// Lines lost, by cause (read by the core for its once-a-minute warning and the metrics).
#[derive(Debug, Default)]
pub struct CdrLosses {
    /// The queue was full (the writer fell behind).
    pub queue_full: AtomicU64,
    /// The write failed (disk full, read-only, removed directory).
    pub write_failed: AtomicU64,
    /// Lines written.
    pub written: AtomicU64,
}

/// The core's end: hands lines to the writer.
#[derive(Debug)]
pub struct CdrSink {
    tx: Option<SyncSender<Vec<String>>>,
    pending: Vec<String>,
    pub losses: Arc<CdrLosses>,
    thread: Option<JoinHandle<()>>,
}

impl CdrSink {
    /// Starts the writer of `dir/cdr.jsonl`.
    pub fn start(dir: &Path, rotation: Rotation) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(QUEUE);
        let losses = Arc::new(CdrLosses::default());
        let writer = Writer {
            path: dir.join(FILE_NAME),
            rotation,
            file: None,
            size: 0,
            losses: losses.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("sbc-cdr".to_owned())
            .spawn(move || writer.run(rx))?;
        Ok(CdrSink {
            tx: Some(tx),
            pending: Vec::new(),
            losses,
            thread: Some(thread),
        })
    }

    /// Collects one line (without its newline); hands the batch over when it is full.
    pub fn push(&mut self, line: String) {
        self.pending.push(line);
        if self.pending.len() >= BATCH {
            self.flush();
        }
    }

    /// Hands the collected lines to the writer; never blocks.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.pending);
        let Some(tx) = &self.tx else {
            return;
        };
        match tx.try_send(batch) {
            Ok(()) => {}
            Err(TrySendError::Full(b)) | Err(TrySendError::Disconnected(b)) => {
                self.losses
                    .queue_full
                    .fetch_add(b.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for CdrSink {
    /// Lets the writer finish the queued lines.
    fn drop(&mut self) {
        self.flush();
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Writer {
    path: PathBuf,
    rotation: Rotation,
    file: Option<BufWriter<File>>,
    size: u64,
    losses: Arc<CdrLosses>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Vec<String>>) {
        while let Ok(batch) = rx.recv() {
            let written = self.write_batch(&batch);
            self.losses
                .written
                .fetch_add(written as u64, Ordering::Relaxed);
            self.losses
                .write_failed
                .fetch_add((batch.len() - written) as u64, Ordering::Relaxed);
        }
    }

    /// Lines of `batch` known written (none when the final flush failed).
    fn write_batch(&mut self, batch: &[String]) -> usize {
        let mut written = 0;
        for line in batch {
            if self.append(line.as_bytes()).is_err() {
                // Reopen (and re-measure) for the next batch.
                self.file = None;
                return 0;
            }
            written += 1;
        }
        if let Some(f) = &mut self.file {
            if f.flush().is_err() {
                self.file = None;
                return 0;
            }
        }
        written
    }

    fn append(&mut self, line: &[u8]) -> std::io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.size = f.metadata()?.len();
            self.file = Some(BufWriter::with_capacity(64 << 10, f));
        }
        if self.size > 0 && self.size + len > self.rotation.file_bytes {
            if let Some(mut f) = self.file.take() {
                f.flush()?;
            }
            self.rotate()?;
            return self.append(line);
        }
        if let Some(f) = &mut self.file {
            f.write_all(line)?;
            f.write_all(b"\n")?;
            self.size += len;
        }
        Ok(())
    }

    /// `cdr.jsonl` -> `.1` -> `.2` ...; the oldest beyond `files` removed.
    fn rotate(&self) -> std::io::Result<()> {
        let numbered = |n: usize| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{n}"));
            PathBuf::from(p)
        };
        if self.rotation.files == 0 {
            return std::fs::remove_file(&self.path);
        }
        let _ = std::fs::remove_file(numbered(self.rotation.files));
        for n in (1..self.rotation.files).rev() {
            let from = numbered(n);
            if from.exists() {
                std::fs::rename(&from, numbered(n + 1))?;
            }
        }
        std::fs::rename(&self.path, numbered(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sbc-cdr-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn lines_are_appended_and_rotated_within_the_cap() {
        let dir = scratch("rotate");
        let rotation = Rotation {
            file_bytes: 100,
            files: 2,
        };
        let mut sink = CdrSink::start(&dir, rotation).expect("start");
        for i in 0..20 {
            // 30 bytes with the newline: three lines a file.
            sink.push(format!("{{\"call\":{i:02},\"pad\":\"xxxxxxx\"}}"));
        }
        let losses = sink.losses.clone();
        drop(sink);
        assert_eq!(losses.written.load(Ordering::Relaxed), 20);
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        let current = read("cdr.jsonl");
        assert!(
            current.ends_with("{\"call\":19,\"pad\":\"xxxxxxx\"}\n"),
            "{current}"
        );
        assert_eq!(current.lines().count(), 20 % 3);
        assert_eq!(read("cdr.jsonl.1").lines().count(), 3);
        assert!(read("cdr.jsonl.1").starts_with("{\"call\":15"));
        assert_eq!(read("cdr.jsonl.2").lines().count(), 3);
        assert!(!dir.join("cdr.jsonl.3").exists(), "capped at two old files");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failing_disk_loses_lines_counted_and_blocks_nothing() {
        let dir = scratch("fail");
        let mut sink = CdrSink::start(&dir.join("missing"), Rotation::default()).expect("start");
        for i in 0..10 {
            sink.push(format!("{{\"call\":{i}}}"));
        }
        let losses = sink.losses.clone();
        drop(sink);
        assert_eq!(losses.write_failed.load(Ordering::Relaxed), 10);
        assert_eq!(losses.written.load(Ordering::Relaxed), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
