//! The shard's streams by slot, and the deadlines of their transforms.
//!
//! A transform's deadline ([`Transform::poll_timeout`](crate::Transform::poll_timeout))
//! can only change while its stream is held mutably, and [`Slots::get_mut`] (with
//! [`Slots::put`]) is the only way to hold one: each call marks the slot as touched. The
//! timers then ask again only the touched streams' transforms and keep each stream's
//! earliest deadline, instead of asking every transform on every turn of the worker's
//! loop (with 200 transcoded calls that was 400 virtual calls per turn, an eighth of the
//! relay's CPU). Marking costs a flag per mutable access; a stream without a transform
//! has no deadline to ask for.

use std::cell::RefCell;
use std::time::Instant;

use crate::stream::Stream;

/// The earliest deadline of a stream's transforms, if it has any.
fn deadline_of(stream: &Stream) -> Option<Instant> {
    stream
        .sides
        .iter()
        .filter_map(|side| side.egress.transform.as_ref()?.poll_timeout())
        .min()
}

/// Which slots were touched, and the deadlines known of the others.
#[derive(Debug, Default)]
struct Marks {
    touched: Vec<usize>,
    /// By slot: in `touched` already.
    is_touched: Vec<bool>,
    /// By slot: the stream's earliest transform deadline, as of its last touch.
    due: Vec<Option<Instant>>,
}

impl Marks {
    fn touch(&mut self, slot: usize) {
        if slot >= self.is_touched.len() {
            self.is_touched.resize(slot + 1, false);
            self.due.resize(slot + 1, None);
        }
        if !self.is_touched[slot] {
            self.is_touched[slot] = true;
            self.touched.push(slot);
        }
    }

    /// Asks the touched streams again.
    fn refresh(&mut self, streams: &[Option<Stream>]) {
        for slot in self.touched.drain(..) {
            self.is_touched[slot] = false;
            self.due[slot] = streams
                .get(slot)
                .and_then(Option::as_ref)
                .and_then(deadline_of);
        }
    }
}

/// The streams of a shard, indexed by slot (`None`: a free slot).
#[derive(Debug, Default)]
pub(crate) struct Slots {
    streams: Vec<Option<Stream>>,
    /// Behind a `RefCell` so that the timers can bring it up to date from `&Shard`
    /// ([`Shard::poll_timeout`](crate::Shard::poll_timeout) takes `&self`); the shard is
    /// one worker's, never shared between threads.
    marks: RefCell<Marks>,
}

impl Slots {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            streams: Vec::with_capacity(capacity),
            marks: RefCell::new(Marks {
                touched: Vec::with_capacity(capacity),
                is_touched: Vec::with_capacity(capacity),
                due: Vec::with_capacity(capacity),
            }),
        }
    }

    /// Slots in use or free (the next new slot's index).
    pub(crate) fn len(&self) -> usize {
        self.streams.len()
    }

    pub(crate) fn get(&self, slot: usize) -> Option<&Option<Stream>> {
        self.streams.get(slot)
    }

    /// The slot, marked as touched: its transforms' deadlines are asked again.
    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut Option<Stream>> {
        let entry = self.streams.get_mut(slot)?;
        self.marks.get_mut().touch(slot);
        Some(entry)
    }

    /// Puts `stream` in `slot`: a free one, or the next new one ([`len`](Self::len));
    /// slots in between, if any, stay free.
    pub(crate) fn put(&mut self, slot: usize, stream: Stream) {
        if slot >= self.streams.len() {
            self.streams.resize_with(slot + 1, || None);
        }
        self.streams[slot] = Some(stream);
        self.marks.get_mut().touch(slot);
    }

    /// The earliest transform deadline among `slots`.
    pub(crate) fn next_deadline(&self, slots: &[usize]) -> Option<Instant> {
        let mut marks = self.marks.borrow_mut();
        marks.refresh(&self.streams);
        slots
            .iter()
            .filter_map(|&slot| marks.due.get(slot).copied().flatten())
            .min()
    }

    /// Whether the transforms of `slot` have a deadline at or before `now`.
    pub(crate) fn is_due(&self, slot: usize, now: Instant) -> bool {
        let mut marks = self.marks.borrow_mut();
        marks.refresh(&self.streams);
        marks
            .due
            .get(slot)
            .copied()
            .flatten()
            .is_some_and(|due| due <= now)
    }
}
