//! DTMF digits the media plane heard: logged (masked unless shown), kept for the views,
//! and sent as SIP INFO when the other leg wants them so.

use super::*;

impl Core {
    /// A digit the media plane heard: logged (masked unless the call shows digits), shown
    /// in the views, and sent as SIP INFO when the other leg wants it so.
    pub(super) fn media_digit(&mut self, number: u64, d: sbc_core::HeardDigit) {
        let Some(id) = self.hook.inner().call_of(number) else {
            return;
        };
        let shown = self.hook.inner().shows_digits(id);
        let note = sbc_session::DigitNote {
            call: number,
            from: d.from,
            digit: d.digit,
            duration_ms: d.duration_ms,
            came: match d.heard {
                sbc_core::dtmf::Heard::Events => "rfc4733",
                sbc_core::dtmf::Heard::Tone => "inband",
            },
            went: d.delivery.name(),
            shown,
        };
        self.digit_note(&note);
        let to = d.from.other();
        if d.delivery != sbc_core::dtmf::Delivery::Info {
            return;
        }
        if let Some(policy) = self.hook.inner().dtmf_policy(id, to) {
            let policy = sbc_config::DtmfPolicy {
                show_digits: shown,
                ..policy
            };
            let now = Instant::now();
            self.dtmf.digit(
                &mut self.engine,
                now,
                id,
                to,
                d.fork,
                policy,
                d.digit,
                d.duration_ms,
            );
        }
    }

    /// Logs a digit (masked unless shown) and keeps it for the views.
    pub(super) fn digit_note(&mut self, note: &sbc_session::DigitNote) {
        info!(
            call = note.call,
            from = %note.from,
            digit = %note.digit.shown(note.shown),
            duration_ms = note.duration_ms,
            came = note.came,
            went = note.went,
            "DTMF digit"
        );
        self.obs.digit(note);
    }
}
