//! DTMF: the digit, how each leg of a stream carries digits, and what the media plane
//! reports when it hears one.
//!
//! Digits can be card numbers and PINs. A [`Digit`] therefore masks itself: `Debug` and
//! `Display` print [`MASK`], never the digit, so ops and events can be logged with
//! `Debug` as every other op is. The digit itself comes out only through
//! [`Digit::reveal`], which the control plane calls where a call's `show_digits` allows it
//! ([`Digit::shown`]).

use std::fmt;

use crate::Side;

/// What a masked digit prints as (not a DTMF symbol: `*` and `#` are digits).
pub const MASK: char = 'x';

/// One DTMF digit: RFC 4733 §3.2 event codes 0..=15 (`0`-`9`, `*`, `#`, `A`-`D`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digit(u8);

const SYMBOLS: &[u8; 16] = b"0123456789*#ABCD";

impl Digit {
    /// The digit of RFC 4733 event code `code` (0..=15); `None` for other events (flash,
    /// tones) and out-of-range codes.
    pub fn from_code(code: u8) -> Option<Digit> {
        (code < 16).then_some(Digit(code))
    }

    /// The digit written as `c` (`0`-`9`, `*`, `#`, `A`-`D`, any case).
    pub fn from_char(c: char) -> Option<Digit> {
        let c = c.to_ascii_uppercase();
        let i = SYMBOLS.iter().position(|&s| char::from(s) == c)?;
        u8::try_from(i).ok().map(Digit)
    }

    /// Its RFC 4733 event code.
    pub fn code(self) -> u8 {
        self.0
    }

    /// The digit itself. Call only where the call's `show_digits` allows it.
    pub fn reveal(self) -> char {
        char::from(SYMBOLS[usize::from(self.0 & 15)])
    }

    /// The digit if `show`, else [`MASK`].
    pub fn shown(self, show: bool) -> char {
        if show { self.reveal() } else { MASK }
    }

    /// The ITU-T Q.23 low-group (row) and high-group (column) frequencies, in Hz.
    pub fn frequencies(self) -> (u16, u16) {
        const ROWS: [u16; 4] = [697, 770, 852, 941];
        const COLS: [u16; 4] = [1209, 1336, 1477, 1633];
        let (row, col) = match self.reveal() {
            '1' => (0, 0),
            '2' => (0, 1),
            '3' => (0, 2),
            'A' => (0, 3),
            '4' => (1, 0),
            '5' => (1, 1),
            '6' => (1, 2),
            'B' => (1, 3),
            '7' => (2, 0),
            '8' => (2, 1),
            '9' => (2, 2),
            'C' => (2, 3),
            '*' => (3, 0),
            '0' => (3, 1),
            '#' => (3, 2),
            _ => (3, 3),
        };
        (ROWS[row], COLS[col])
    }

    /// The digit at `row` (0..4, 697 Hz first) and `col` (0..4, 1209 Hz first).
    pub fn at(row: usize, col: usize) -> Option<Digit> {
        const KEYPAD: [[char; 4]; 4] = [
            ['1', '2', '3', 'A'],
            ['4', '5', '6', 'B'],
            ['7', '8', '9', 'C'],
            ['*', '0', '#', 'D'],
        ];
        Digit::from_char(*KEYPAD.get(row)?.get(col)?)
    }
}

impl fmt::Debug for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digit({MASK})")
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{MASK}")
    }
}

/// How one leg carries digits, as negotiated for a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfWay {
    /// RTP telephone-events (RFC 4733) with the leg's event payload types.
    Events,
    /// Dual tones in its G.711 audio (ITU-T Q.23).
    Inband,
    /// SIP INFO in the leg's dialog; nothing in RTP.
    Info,
    /// No way at all (an `rfc4733` leg whose answer lacks telephone-event and whose codec
    /// is not G.711): digits towards it are dropped and counted.
    None,
}

impl DtmfWay {
    pub fn name(self) -> &'static str {
        match self {
            DtmfWay::Events => "rfc4733",
            DtmfWay::Inband => "inband",
            DtmfWay::Info => "sip-info",
            DtmfWay::None => "none",
        }
    }
}

/// A G.711 companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum G711 {
    /// PCMU, µ-law (payload type 0).
    Ulaw,
    /// PCMA, A-law (payload type 8).
    Alaw,
}

/// A telephone-event payload type of a leg and its clock rate (`a=rtpmap:101
/// telephone-event/8000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventPt {
    pub pt: u8,
    pub clock_rate: u32,
}

/// An audio payload type of a leg: its clock rate, and its law if it is G.711.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioPt {
    pub pt: u8,
    pub clock_rate: u32,
    pub g711: Option<G711>,
}

/// What the media plane needs to know about one leg of a stream to carry DTMF across
/// ([`MediaOp::Dtmf`](crate::MediaOp::Dtmf)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DtmfLeg {
    pub way: DtmfWay,
    /// telephone-event payload types the leg's peer receives (from its own SDP): packets
    /// towards it use these.
    pub receive: Vec<EventPt>,
    /// telephone-event payload types the peer may send with (from the SDP the SBC sent
    /// it); usually the same numbers as `receive`.
    pub send: Vec<EventPt>,
    /// The audio payload types of the leg.
    pub audio: Vec<AudioPt>,
}

impl DtmfLeg {
    /// The event payload type (and rate) that `pt` is on this leg, sent or received.
    pub fn event(&self, pt: u8) -> Option<EventPt> {
        self.send
            .iter()
            .chain(self.receive.iter())
            .find(|e| e.pt == pt)
            .copied()
    }

    /// The audio payload type `pt`.
    pub fn audio(&self, pt: u8) -> Option<AudioPt> {
        self.audio.iter().find(|a| a.pt == pt).copied()
    }

    /// The event payload type the peer receives at `clock_rate`.
    pub fn receive_at(&self, clock_rate: u32) -> Option<EventPt> {
        self.receive
            .iter()
            .find(|e| e.clock_rate == clock_rate)
            .copied()
    }
}

/// How the media plane heard a digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Heard {
    /// RFC 4733 telephone-events.
    Events,
    /// Dual tones in G.711 audio (Goertzel detection).
    Tone,
}

/// Where a digit the media plane heard went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// The other leg wants SIP INFO: the control plane sends it.
    Info,
    /// Played as RFC 4733 events on the other leg.
    Events,
    /// Played as dual tones on the other leg.
    Tone,
    /// The other leg has no way to carry it: dropped (counted by whoever reads this).
    Dropped,
}

impl Delivery {
    pub fn name(self) -> &'static str {
        match self {
            Delivery::Info => "sip-info",
            Delivery::Events => "rfc4733",
            Delivery::Tone => "inband",
            Delivery::Dropped => "dropped",
        }
    }
}

/// A digit the media plane heard on one side of a stream
/// ([`MediaEvent::Digit`](crate::MediaEvent::Digit)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeardDigit {
    /// The side whose peer sent it.
    pub from: Side,
    pub digit: Digit,
    /// How long it lasted, in milliseconds (as measured).
    pub duration_ms: u32,
    pub heard: Heard,
    pub delivery: Delivery,
    /// With [`Delivery::Info`] towards B before the answer: the early dialog (To tag) whose
    /// media is relayed, the one the INFO goes in.
    pub fork: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_by_code_char_and_keypad_and_masked_in_print() {
        for code in 0..16u8 {
            let d = Digit::from_code(code).unwrap_or_else(|| panic!("{code}"));
            assert_eq!(Digit::from_char(d.reveal()), Some(d));
            let (low, high) = d.frequencies();
            let row = [697, 770, 852, 941].iter().position(|&f| f == low);
            let col = [1209, 1336, 1477, 1633].iter().position(|&f| f == high);
            assert_eq!(Digit::at(row.unwrap_or(9), col.unwrap_or(9)), Some(d));
            assert_eq!(format!("{d} {d:?}"), "x Digit(x)", "masked");
        }
        assert_eq!(Digit::from_code(16), None, "flash is no digit");
        assert_eq!(Digit::from_char('b').map(Digit::code), Some(13));
        assert_eq!(Digit::from_char('#').map(Digit::code), Some(11));
        assert_eq!(Digit::from_char('E'), None);
        let five = Digit::from_char('5').unwrap_or_else(|| panic!("5"));
        assert_eq!((five.shown(false), five.shown(true)), ('x', '5'));
        assert_eq!(five.frequencies(), (770, 1336));
    }
}
