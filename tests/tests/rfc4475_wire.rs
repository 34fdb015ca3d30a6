//! Every RFC 4475 torture message, sent over UDP from the carrier to the real daemon: each
//! gets the answer the RFC describes (or none where none can be formed), and the daemon stays
//! up and keeps serving.
//!
//! The messages are the parser's test data (sbc/sip/tests/data/rfc4475). The carrier is a
//! trunk peer, so requests pass the source check and reach screening and routing; the
//! config has no routes, so what passes everything ends in 404 (no call is relayed to a
//! pbx that is not there).

use std::path::PathBuf;
use std::time::Duration;

use sbc_lab::messages::status_code;
use sbc_lab::{Lab, Ns, StandardConfig};

/// What the daemon must answer, as a final status code, or `None` for silence.
fn expected(file: &str) -> Option<u16> {
    match file {
        // §3.1.2 malformed requests, and §3.3 requests missing or doubling mandatory fields.
        "badinv01.dat" | "clerr.dat" | "ncl.dat" | "scalar02.dat" | "quotbal.dat"
        | "ltgtruri.dat" | "lwsruri.dat" | "lwsstart.dat" | "trws.dat" | "escruri.dat"
        | "baddate.dat" | "regbadct.dat" | "badaspec.dat" | "baddn.dat" | "mismatch01.dat"
        | "mismatch02.dat" | "insuf.dat" | "multi01.dat" | "mcl01.dat" => Some(400),
        "badvers.dat" => Some(505),
        // Responses are never answered (and a malformed one is dropped).
        "scalarlg.dat" | "bigcode.dat" | "unreason.dat" | "noreason.dat" | "bcast.dat" => None,
        "unkscm.dat" | "novelsc.dat" => Some(416),
        "bext01.dat" => Some(420),
        "invut.dat" => Some(415),
        "sdp01.dat" => Some(406),
        "zeromf.dat" => Some(483),
        // A request with a To tag belongs to a dialog the SBC does not have.
        "wsinv.dat" => Some(481),
        // REGISTER on a realm that relays no registrations (no `registrar`).
        "escnull.dat" | "dblreq.dat" | "unksm2.dat" | "regaut01.dat" | "cparam01.dat"
        | "cparam02.dat" | "regescrt.dat" => Some(403),
        // The rest passes screening and finds no route.
        _ => Some(404),
    }
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sbc/sip/tests/data/rfc4475");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("RFC 4475 manifest");
    manifest
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|f| !f.is_empty())
        .map(|f| {
            (
                f.to_owned(),
                std::fs::read(dir.join(f)).expect("message file"),
            )
        })
        .collect()
}

#[test]
fn every_rfc4475_message_gets_the_rfc_answer_and_the_daemon_stays_up() {
    let lab = Lab::new().expect("create lab");
    let mut sbc = lab
        .start_sbc(&StandardConfig::default().without_routes().render())
        .expect("start sbc");
    let mut wrong = Vec::new();
    for (file, bytes) in corpus() {
        let replies = lab
            .send_datagram_and_collect(Ns::Carrier, &bytes, Duration::from_millis(400))
            .expect("send datagram");
        let finals: Vec<u16> = replies
            .iter()
            .filter_map(|d| status_code(&d.bytes))
            .filter(|c| *c >= 200)
            .collect();
        let got = match finals.as_slice() {
            [] => None,
            [one] => Some(*one),
            many => {
                wrong.push(format!("{file}: several final responses {many:?}"));
                continue;
            }
        };
        if got != expected(&file) {
            wrong.push(format!(
                "{file}: expected {:?}, got {got:?}",
                expected(&file)
            ));
        }
        assert!(sbc.is_running(), "sbc died on {file}:\n{}", sbc.log_tail());
    }
    assert!(
        wrong.is_empty(),
        "{}\n--- sbc log:\n{}",
        wrong.join("\n"),
        sbc.log_tail()
    );
    let code = lab
        .options_udp(Ns::Carrier, Duration::from_secs(3))
        .expect("OPTIONS after the torture run");
    assert_eq!(code, Some(200));
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
