//! `[media]`: timers and workers, each an integer in its range.

use std::time::Duration;

use super::Validator;
use crate::media::{self as m, MediaSection, MediaSettings};
use crate::model::MediaIo;

pub(super) fn media(
    v: &mut Validator<'_>,
    s: Option<&MediaSection>,
    firewall_enabled: bool,
) -> Option<MediaSettings> {
    let s = s.cloned().unwrap_or_default();
    let inactivity = v.int(
        "media.inactivity_seconds",
        s.inactivity_seconds,
        m::INACTIVITY_SECONDS_RANGE,
        m::DEFAULT_INACTIVITY_SECONDS,
    );
    let hold = v.int(
        "media.hold_inactivity_seconds",
        s.hold_inactivity_seconds,
        m::INACTIVITY_SECONDS_RANGE,
        m::DEFAULT_HOLD_INACTIVITY_SECONDS,
    );
    let latch = v.int(
        "media.latch_window_ms",
        s.latch_window_ms,
        m::LATCH_WINDOW_MS_RANGE,
        m::DEFAULT_LATCH_WINDOW_MS,
    );
    // Each present key is checked (and reported) even when another one failed; the default
    // (0) is never used: these keys are only read when present.
    let workers = s
        .workers
        .map(|w| v.int("media.workers", Some(w), m::WORKERS_RANGE, 0));
    let transcode_threads = s.transcode_threads.map(|t| {
        v.int(
            "media.transcode_threads",
            Some(t),
            m::TRANSCODE_THREADS_RANGE,
            0,
        )
    });
    let transcode_priority = s.transcode_priority.map(|p| {
        v.int(
            "media.transcode_priority",
            Some(p),
            m::REALTIME_PRIORITY_RANGE,
            0,
        )
    });
    let realtime = s.realtime_priority.map(|p| {
        v.int(
            "media.realtime_priority",
            Some(p),
            m::REALTIME_PRIORITY_RANGE,
            0,
        )
    });
    let max_transcoded = v.int(
        "media.max_transcoded",
        s.max_transcoded,
        m::MAX_TRANSCODED_RANGE,
        m::DEFAULT_MAX_TRANSCODED,
    );
    let io = match s.io.as_deref() {
        None => Some(MediaIo::Epoll),
        Some(name) => {
            let parsed = MediaIo::from_name(name).ok_or_else(|| super::K::InvalidChoice {
                value: name.to_owned(),
                expected: MediaIo::NAMES,
            });
            v.check("media.io".to_owned(), parsed)
        }
    };
    // Transcoders at or above the workers' priority would keep them from relaying.
    if let Some(Some(t)) = transcode_priority {
        match realtime {
            Some(Some(w)) if t >= w => {
                v.err(
                    "media.transcode_priority",
                    super::K::NotBelowWorkers {
                        value: t as i64,
                        workers: w as i64,
                    },
                );
                return None;
            }
            None => {
                v.err("media.transcode_priority", super::K::RequiresRealtime);
                return None;
            }
            _ => {}
        }
    }
    let kernel_forwarding = s.kernel_forwarding.unwrap_or(false);
    if kernel_forwarding && !firewall_enabled {
        v.err("media.kernel_forwarding", super::K::RequiresFirewall);
        return None;
    }
    Some(MediaSettings {
        kernel_forwarding,
        max_transcoded: max_transcoded?,
        io: io?,
        inactivity: Duration::from_secs(inactivity? as u64),
        hold_inactivity: Duration::from_secs(hold? as u64),
        latch_window: Duration::from_millis(latch? as u64),
        workers: present(workers)?,
        transcode_threads: present(transcode_threads)?,
        // In 1..=99 (checked above), so it fits.
        transcode_priority: present(transcode_priority)?.and_then(|p| u8::try_from(p).ok()),
        // In 1..=99 (checked above), so it fits.
        realtime_priority: present(realtime)?.and_then(|p| u8::try_from(p).ok()),
    })
}

/// An optional key's checked value: `None` (failed) when it was present and refused.
fn present<T>(checked: Option<Option<T>>) -> Option<Option<T>> {
    match checked {
        Some(None) => None,
        Some(Some(value)) => Some(Some(value)),
        None => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{Config, MediaIo};

    const BASE: &str = r#"
[system]
name = "edge-1"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "outside"
listen = ["udp:192.0.2.10:5060"]
media_ip = "192.0.2.10"
media_ports = "20000-29999"
"#;

    #[test]
    fn defaults_when_absent() {
        let c = Config::from_toml_str(BASE, "/etc/sbc").expect("valid");
        let m = c.media();
        assert_eq!(m.inactivity, Duration::from_secs(60));
        assert_eq!(m.hold_inactivity, Duration::from_secs(3600));
        assert_eq!(m.latch_window, Duration::from_millis(3000));
        assert_eq!(m.workers, None);
        assert_eq!(m.realtime_priority, None);
        assert_eq!(m.max_transcoded, 200);
        assert_eq!(m.transcode_threads, None);
        assert_eq!(m.transcode_priority, None);
        assert_eq!(m.io, MediaIo::Epoll);
    }

    #[test]
    fn values_are_read() {
        let text = format!(
            "{BASE}[media]\ninactivity_seconds = 2\nhold_inactivity_seconds = 30\n\
             latch_window_ms = 500\nworkers = 3\nrealtime_priority = 40\nmax_transcoded = 0\n\
             transcode_threads = 0\ntranscode_priority = 39\nio = \"io_uring\"\n"
        );
        let c = Config::from_toml_str(&text, "/etc/sbc").expect("valid");
        let m = c.media();
        assert_eq!(m.inactivity, Duration::from_secs(2));
        assert_eq!(m.hold_inactivity, Duration::from_secs(30));
        assert_eq!(m.latch_window, Duration::from_millis(500));
        assert_eq!(m.workers, Some(3));
        assert_eq!(m.realtime_priority, Some(40));
        assert_eq!(m.max_transcoded, 0);
        assert_eq!(m.transcode_threads, Some(0));
        assert_eq!(m.transcode_priority, Some(39));
        assert_eq!(m.io, MediaIo::IoUring);
    }

    #[test]
    fn every_bad_value_is_reported_with_its_key() {
        let text = format!(
            "{BASE}[media]\ninactivity_seconds = 0\nhold_inactivity_seconds = 100000\n\
             latch_window_ms = 5\nworkers = 0\nrealtime_priority = 100\nmax_transcoded = -1\n\
             transcode_threads = 257\ntranscode_priority = 0\nio = \"uring\"\n"
        );
        let e = Config::from_toml_str(&text, "/etc/sbc")
            .expect_err("invalid")
            .to_string();
        for key in [
            "media.inactivity_seconds: ",
            "media.hold_inactivity_seconds: ",
            "media.latch_window_ms: ",
            "media.workers: ",
            "media.realtime_priority: ",
            "media.max_transcoded: ",
            "media.transcode_threads: ",
            "media.transcode_priority: ",
            "media.io: ",
        ] {
            assert!(e.contains(key), "{key} missing in:\n{e}");
        }
    }

    #[test]
    fn transcoding_threads_run_realtime_only_below_the_workers() {
        for (keys, why) in [
            (
                "realtime_priority = 50\ntranscode_priority = 50\n",
                "media.transcode_priority: 50 is not below media.realtime_priority = 50",
            ),
            (
                "transcode_priority = 40\n",
                "media.transcode_priority: requires media.realtime_priority",
            ),
        ] {
            let text = format!("{BASE}[media]\n{keys}");
            let e = Config::from_toml_str(&text, "/etc/sbc")
                .expect_err("invalid")
                .to_string();
            assert!(e.contains(why), "{keys}: {e}");
        }
    }

    #[test]
    fn kernel_forwarding_needs_the_firewall() {
        let on = format!("{BASE}[media]\nkernel_forwarding = true\n");
        let c = Config::from_toml_str(&on, "/etc/sbc").expect("valid");
        assert!(c.media().kernel_forwarding);
        let off = Config::from_toml_str(BASE, "/etc/sbc").expect("valid");
        assert!(!off.media().kernel_forwarding, "off by default");
        let text = format!("[firewall]\nenabled = false\n{on}");
        let e = Config::from_toml_str(&text, "/etc/sbc")
            .expect_err("invalid")
            .to_string();
        assert!(
            e.contains("media.kernel_forwarding: requires [firewall] enabled = true"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_is_refused() {
        let text = format!("{BASE}[media]\ninactivity = 2\n");
        let e = Config::from_toml_str(&text, "/etc/sbc")
            .expect_err("invalid")
            .to_string();
        assert!(e.contains("media.inactivity"), "{e}");
    }
}
