//! CDRs as CSV (RFC 4180): one row per call, the columns an operator filters in a
//! spreadsheet. Cells a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first,
//! unless the cell is a number) are prefixed with `'` (a peer chooses its display name).

use serde_json::Value;

/// The header row's columns; per leg `a_*` then `b_*`.
const CALL_COLUMNS: [&str; 10] = [
    "call",
    "start",
    "answer",
    "end",
    "ring_ms",
    "duration_ms",
    "result",
    "code",
    "reason",
    "hangup",
];
const LEG_COLUMNS: [&str; 9] = [
    "trunk",
    "realm",
    "call_id",
    "from",
    "to",
    "codec",
    "srtp",
    "q850",
    "q850_text",
];

/// The CSV text of `cdrs`, header row first, CRLF line ends.
pub fn render<'a>(cdrs: impl Iterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = CALL_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    for side in ["a", "b"] {
        header.extend(LEG_COLUMNS.iter().map(|c| format!("{side}_{c}")));
    }
    push_row(&mut out, header.iter().map(String::as_str));
    for cdr in cdrs {
        let mut row: Vec<String> = CALL_COLUMNS.iter().map(|c| cell(&cdr[*c])).collect();
        for i in 0..2 {
            let leg = &cdr["legs"][i];
            for c in LEG_COLUMNS {
                let v = match c {
                    "q850" => &leg["q850"]["cause"],
                    "q850_text" => &leg["q850"]["text"],
                    _ => &leg[c],
                };
                row.push(cell(v));
            }
        }
        push_row(&mut out, row.iter().map(String::as_str));
    }
    out
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn push_row<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let formula = c.starts_with(['=', '+', '-', '@']) && c.parse::<f64>().is_err();
        let c = if formula {
            format!("'{c}")
        } else {
            c.to_owned()
        };
        if c.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&c);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoting_and_formulas() {
        let cdr = json!({"call": 7, "result": "busy", "code": 486, "answer": null,
            "legs": [{"trunk": "carrier", "from": "\"Bob, \"the\" caller\" <sip:1@x>",
                      "q850": {"cause": 17, "text": "User busy"}},
                     {"trunk": "pbx", "from": "=HYPERLINK(\"x\")", "to": "-5"}]});
        let csv = render(std::iter::once(&cdr));
        let mut lines = csv.split("\r\n");
        let header = lines.next().expect("header");
        assert!(header.starts_with("call,start,answer,end,ring_ms,duration_ms,result,code"));
        assert!(header.ends_with("b_q850,b_q850_text"));
        let row = lines.next().expect("row");
        assert!(row.starts_with("7,,,,,,busy,486,,,carrier,,,"), "{row}");
        assert!(
            row.contains(r#""""Bob, ""the"" caller"" <sip:1@x>""#),
            "{row}"
        );
        assert!(row.contains(",17,User busy,pbx,"), "{row}");
        assert!(row.contains(r#""'=HYPERLINK(""x"")""#), "{row}");
        assert!(row.contains(",-5,"), "a number stays: {row}");
        assert_eq!(lines.next(), Some(""));
    }
}
