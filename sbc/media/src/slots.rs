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

/// Whether any side of `stream` has a transform (and so may have a deadline).
#[inline]
fn has_transform(stream: &Stream) -> bool {
    stream
        .sides
        .iter()
        .any(|side| side.egress.transform.is_some())
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
    #[inline]
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

    /// The slot for a packet's phases: marked only when one of its sides has a transform.
    /// A packet can move an existing transform's deadline but never adds or removes one
    /// (ops do, through [`get_mut`](Self::get_mut) and [`put`](Self::put)), so a stream
    /// without transforms pays two flag tests here instead of the marking.
    #[inline]
    pub(crate) fn get_mut_for_packet(&mut self, slot: usize) -> Option<&mut Option<Stream>> {
        let entry = self.streams.get_mut(slot)?;
        if entry.as_ref().is_some_and(has_transform) {
            self.marks.get_mut().touch(slot);
        }
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use sbc_core::{LatchMode, StreamKey};

    use super::*;
    use crate::transform::{Action, Transform, TransformCtx};
    use crate::{StepError, transmit::Emit};

    /// A transform whose deadline is whatever the test sets.
    #[derive(Debug)]
    struct Alarm(Option<Instant>);

    impl Transform for Alarm {
        fn name(&self) -> &'static str {
            "alarm"
        }

        fn packet(&mut self, _: &mut TransformCtx<'_, '_>) -> Result<Action, StepError> {
            Ok(Action::Forward)
        }

        fn poll_timeout(&self) -> Option<Instant> {
            self.0
        }

        fn on_timeout(&mut self, _: Instant, _: &mut Emit<'_>) -> Result<(), StepError> {
            Ok(())
        }

        fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
            Some(self)
        }
    }

    fn stream(slot: usize) -> Stream {
        let key = StreamKey {
            call: 1,
            index: slot as u16,
        };
        let local = [
            "10.0.0.1:20000".parse().expect("address"),
            "10.1.0.1:30000".parse().expect("address"),
        ];
        Stream::new(key, slot, 0, local, [LatchMode::Always; 2], 8000)
    }

    fn set_alarm(slots: &mut Slots, slot: usize, side: usize, at: Option<Instant>) {
        let s = slots
            .get_mut(slot)
            .and_then(Option::as_mut)
            .expect("stream");
        s.sides[side].egress.transform = Some(Box::new(Alarm(at)));
    }

    #[test]
    fn deadlines_follow_every_mutable_access_and_only_those_are_asked_again() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut slots = Slots::with_capacity(4);
        slots.put(0, stream(0));
        slots.put(1, stream(1));
        slots.put(3, stream(3)); // slot 2 stays free
        assert_eq!(slots.len(), 4);
        assert!(slots.get(2).is_some_and(Option::is_none));
        assert_eq!(slots.next_deadline(&[0, 1, 3]), None);

        set_alarm(&mut slots, 0, 0, Some(ms(50)));
        set_alarm(&mut slots, 1, 1, Some(ms(30)));
        set_alarm(&mut slots, 3, 0, Some(ms(90)));
        set_alarm(&mut slots, 3, 1, Some(ms(70)));
        assert_eq!(slots.next_deadline(&[0, 1, 3]), Some(ms(30)));
        // Only the slots asked about count.
        assert_eq!(slots.next_deadline(&[0, 3]), Some(ms(50)));
        assert_eq!(
            slots.next_deadline(&[3]),
            Some(ms(70)),
            "a stream's earliest side"
        );
        assert!(slots.is_due(1, ms(30)) && !slots.is_due(1, ms(29)));
        assert!(!slots.is_due(2, ms(1000)), "a free slot is never due");

        // A deadline moved through get_mut is seen; one moved earlier too.
        let s = slots.get_mut(1).and_then(Option::as_mut).expect("stream");
        let alarm = s.sides[1].egress.transform.as_mut().expect("transform");
        let alarm = alarm.as_any_mut().expect("any").downcast_mut::<Alarm>();
        alarm.expect("alarm").0 = Some(ms(10));
        assert_eq!(slots.next_deadline(&[0, 1, 3]), Some(ms(10)));

        // Removing the transform, or the stream, removes its deadline.
        set_alarm(&mut slots, 1, 1, None);
        assert_eq!(slots.next_deadline(&[0, 1, 3]), Some(ms(50)));
        if let Some(entry) = slots.get_mut(0) {
            entry.take();
        }
        assert_eq!(slots.next_deadline(&[0, 1, 3]), Some(ms(70)));
        // A new stream in a freed slot starts without one.
        slots.put(0, stream(0));
        assert_eq!(slots.next_deadline(&[0, 1, 3]), Some(ms(70)));
    }
}
