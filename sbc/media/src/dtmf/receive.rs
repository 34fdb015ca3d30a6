//! Receiving RFC 4733 events (§2.5.2): packets fold into digits.
//!
//! An event is keyed by its RTP timestamp (the event's start): every packet of one event
//! carries the same timestamp with a growing duration, so "55" is two events with two
//! timestamps, and the three end packets (E bit) of one event fold into one digit. A digit
//! is complete at its first end packet. One whose end packets were all lost is completed
//! by the next event, by a new SSRC, or [`EVENT_TIMEOUT`] after its last packet. An event
//! longer than the 16-bit duration field continues in segments with new timestamps and no
//! marker (§2.5.1.3): those extend it. Late packets of an older event are ignored.

use std::time::{Duration, Instant};

use sbc_core::Digit;

use super::payload::EventPayload;

/// How long after its last packet an event without end packets counts as ended.
pub const EVENT_TIMEOUT: Duration = Duration::from_millis(500);

/// A digit that started (its first packet arrived).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    pub digit: Digit,
    /// The event's RTP timestamp.
    pub timestamp: u32,
}

/// A digit that ended, with its duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    pub digit: Digit,
    pub duration_ms: u32,
}

/// What one packet meant: at most one start, and up to two ends (an event whose end was
/// lost, completed by a packet that is itself a whole event).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub started: Option<Started>,
    pub ended: [Option<Ended>; 2],
}

impl Outcome {
    fn end(&mut self, e: Ended) {
        if self.ended[0].is_none() {
            self.ended[0] = Some(e);
        } else {
            self.ended[1] = Some(e);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Current {
    ssrc: u32,
    timestamp: u32,
    digit: Digit,
    /// Timestamp of the segment being received, and the units of the segments before it.
    segment: u32,
    before: u32,
    /// Units so far.
    units: u32,
    rate: u32,
    last_packet: Instant,
    ended: bool,
}

impl Current {
    fn ended(&self) -> Ended {
        let ms = u64::from(self.units) * 1000 / u64::from(self.rate.max(1));
        Ended {
            digit: self.digit,
            duration_ms: u32::try_from(ms).unwrap_or(u32::MAX),
        }
    }
}

/// The events of one sender.
#[derive(Debug, Default)]
pub struct EventReceiver {
    current: Option<Current>,
}

/// Whether `a` is after `b` in RTP timestamp order (RFC 3550 wrap-around).
fn after(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000_0000
}

impl EventReceiver {
    /// One event packet (already checked to carry a digit) of `ssrc` at `timestamp`.
    #[allow(clippy::too_many_arguments)]
    pub fn packet(
        &mut self,
        now: Instant,
        ssrc: u32,
        timestamp: u32,
        marker: bool,
        event: EventPayload,
        digit: Digit,
        rate: u32,
    ) -> Outcome {
        let mut out = Outcome::default();
        if let Some(c) = self.current.as_mut().filter(|c| c.ssrc == ssrc) {
            if timestamp == c.segment {
                c.last_packet = now;
                c.units = c.units.max(c.before + u32::from(event.duration));
                if event.end && !c.ended {
                    c.ended = true;
                    out.end(c.ended());
                }
                return out;
            }
            if !after(timestamp, c.segment) {
                return out; // a late packet of an older event or segment
            }
            if !c.ended && !marker && c.digit == digit {
                // The next segment of a long event.
                c.before = c.units;
                c.segment = timestamp;
                c.last_packet = now;
                c.units = c.before + u32::from(event.duration);
                if event.end {
                    c.ended = true;
                    out.end(c.ended());
                }
                return out;
            }
        }
        if let Some(c) = self.current.take().filter(|c| !c.ended) {
            out.end(c.ended());
        }
        let c = Current {
            ssrc,
            timestamp,
            digit,
            segment: timestamp,
            before: 0,
            units: u32::from(event.duration),
            rate,
            last_packet: now,
            ended: event.end,
        };
        out.started = Some(Started { digit, timestamp });
        if event.end {
            out.end(c.ended());
        }
        self.current = Some(c);
        out
    }

    /// When an event without end packets times out.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let c = self.current.as_ref().filter(|c| !c.ended)?;
        Some(c.last_packet + EVENT_TIMEOUT)
    }

    /// The event whose end never came, if its time is up.
    pub fn on_timeout(&mut self, now: Instant) -> Option<Ended> {
        let c = self.current.as_mut().filter(|c| !c.ended)?;
        if now < c.last_packet + EVENT_TIMEOUT {
            return None;
        }
        c.ended = true;
        Some(c.ended())
    }

    /// The timestamp of the event being received (ended or not).
    pub fn timestamp(&self) -> Option<u32> {
        self.current.map(|c| c.timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: u8, end: bool, duration: u16) -> EventPayload {
        EventPayload {
            event,
            end,
            volume: 10,
            duration,
        }
    }

    fn d(c: char) -> Digit {
        Digit::from_char(c).unwrap_or_else(|| panic!("{c}"))
    }

    #[test]
    fn fifty_five_is_two_digits_and_end_retransmissions_fold() {
        let t = Instant::now();
        let mut r = EventReceiver::default();
        let mut ends = Vec::new();
        let mut starts = Vec::new();
        for (ts, marker, end, dur) in [
            (1000, true, false, 160),
            (1000, false, false, 320),
            (1000, false, true, 640),
            (1000, false, true, 640),
            (1000, false, true, 640),
            (3000, true, false, 160),
            (3000, false, true, 480),
            (3000, false, true, 480),
            (1000, false, true, 640), // late retransmission of the first
        ] {
            let o = r.packet(t, 7, ts, marker, ev(5, end, dur), d('5'), 8000);
            starts.extend(o.started);
            ends.extend(o.ended.into_iter().flatten());
        }
        assert_eq!(
            starts.iter().map(|s| s.timestamp).collect::<Vec<_>>(),
            [1000, 3000]
        );
        assert_eq!(
            ends,
            [
                Ended {
                    digit: d('5'),
                    duration_ms: 80
                },
                Ended {
                    digit: d('5'),
                    duration_ms: 60
                }
            ]
        );
        assert_eq!(r.poll_timeout(), None);
    }

    #[test]
    fn lost_end_packets_end_at_the_next_digit_or_the_timeout() {
        let t = Instant::now();
        let mut r = EventReceiver::default();
        r.packet(t, 7, 100, true, ev(1, false, 400), d('1'), 8000);
        let o = r.packet(t, 7, 2000, true, ev(2, true, 800), d('2'), 8000);
        assert_eq!(
            o.ended,
            [
                Some(Ended {
                    digit: d('1'),
                    duration_ms: 50
                }),
                Some(Ended {
                    digit: d('2'),
                    duration_ms: 100
                })
            ],
            "the lost one first"
        );
        r.packet(t, 7, 4000, true, ev(3, false, 160), d('3'), 48000);
        let due = r.poll_timeout().unwrap_or_else(|| panic!("a timer"));
        assert_eq!(due, t + EVENT_TIMEOUT);
        assert_eq!(r.on_timeout(due - Duration::from_millis(1)), None);
        assert_eq!(
            r.on_timeout(due),
            Some(Ended {
                digit: d('3'),
                duration_ms: 3
            }),
            "48 kHz units"
        );
        assert_eq!(r.on_timeout(due), None, "once");
    }

    #[test]
    fn long_events_continue_in_segments_and_a_new_ssrc_starts_afresh() {
        let t = Instant::now();
        let mut r = EventReceiver::default();
        r.packet(t, 7, 0, true, ev(9, false, 0xffff), d('9'), 8000);
        let o = r.packet(t, 7, 0xffff, false, ev(9, false, 8000), d('9'), 8000);
        assert_eq!(o, Outcome::default(), "a continuation, no new digit");
        let o = r.packet(t, 7, 0xffff, false, ev(9, true, 16_465), d('9'), 8000);
        assert_eq!(o.ended[0].map(|e| e.duration_ms), Some(10_250));
        // Another source with an older-looking timestamp is still a new digit.
        let o = r.packet(t, 8, 5, true, ev(9, true, 400), d('9'), 8000);
        assert!(o.started.is_some() && o.ended[0].is_some());
    }
}
