//! Golden rulesets: the nft text of fixed desired states, byte-exact, each accepted by
//! `nft -c -f` (in a throwaway network namespace), and the JSON batch that `setup` applies
//! loads to exactly the same table as the golden text does.
//! `UPDATE_GOLDEN=1 cargo test -p sbc-firewall --test golden` rewrites the files.

#[path = "support/common.rs"]
mod common;
#[path = "support/netns.rs"]
mod netns;

use std::path::PathBuf;

use sbc_firewall::{Desired, Firewall, render_text};

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.nft"))
}

fn fixtures() -> Vec<(&'static str, Desired)> {
    vec![
        ("two_realms", common::two_realms()),
        ("dual_stack", common::dual_stack()),
        ("minimal", common::minimal()),
    ]
}

#[test]
fn rendered_text_matches_goldens() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (name, desired) in fixtures() {
        let text = render_text(&desired).expect("fixture renders");
        let path = golden_path(name);
        if update {
            std::fs::write(&path, &text).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
        assert_eq!(
            text,
            want,
            "{name}: rendered text differs from {}",
            path.display()
        );
    }
}

#[test]
fn goldens_are_valid_nft_rulesets() {
    for (name, _) in fixtures() {
        let path = golden_path(name);
        let path = path.to_string_lossy().into_owned();
        netns::run(move || {
            netns::nft(&["-c", "-f", &path]);
        });
    }
}

#[test]
fn json_batch_loads_the_same_table_as_the_golden_text() {
    for (name, desired) in fixtures() {
        let table = desired.table.clone();
        let from_json = {
            let (d, t) = (desired.clone(), table.clone());
            netns::run(move || {
                Firewall::setup(&d).expect("setup");
                netns::nft(&["list", "table", "inet", &t])
            })
        };
        let text = render_text(&desired).expect("renders");
        let from_text = netns::run(move || {
            netns::nft_script(&text);
            netns::nft(&["list", "table", "inet", &table])
        });
        assert_eq!(
            from_json, from_text,
            "{name}: JSON and text forms differ in the kernel"
        );
    }
}

#[test]
fn check_accepts_fixtures_and_rejects_bad_state() {
    for (_, desired) in fixtures() {
        netns::run(move || Firewall::check(&desired).expect("check passes"));
    }
    let bad = Desired {
        table: "no spaces".to_owned(),
        ..common::minimal()
    };
    assert!(Firewall::check(&bad).is_err());
}
