//! Java properties text (`key=value` lines), the body of GET/UPDATE_BROKER_CONFIG and
//! GET/UPDATE_NAMESRV_CONFIG.

use std::collections::BTreeMap;

/// Parses `key=value` lines (also `key:value`); `#`/`!` comments and blank lines are skipped,
/// keys and values trimmed, `\`-escapes of `:`, `=`, `\`, `n`, `t` undone.
pub(super) fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let mut key = String::new();
        let mut chars = line.chars();
        let mut escaped = false;
        for c in chars.by_ref() {
            if escaped {
                key.push(unescape(c));
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '=' || c == ':' {
                break;
            } else {
                key.push(c);
            }
        }
        let mut value = String::new();
        let mut escaped = false;
        for c in chars {
            if escaped {
                value.push(unescape(c));
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else {
                value.push(c);
            }
        }
        out.insert(key.trim().to_string(), value.trim().to_string());
    }
    out
}

fn unescape(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        other => other,
    }
}

/// Renders `key=value` lines (Java's `MixAll.properties2String`), escaping what
/// `Properties.load` would otherwise misread.
pub(super) fn format_properties<'a>(
    props: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> String {
    let mut s = String::new();
    for (k, v) in props {
        for c in k.chars() {
            escape_into(&mut s, c, true);
        }
        s.push('=');
        for c in v.chars() {
            escape_into(&mut s, c, false);
        }
        s.push('\n');
    }
    s
}

fn escape_into(s: &mut String, c: char, key: bool) {
    match c {
        '\\' => s.push_str("\\\\"),
        '\n' => s.push_str("\\n"),
        '\r' => s.push_str("\\r"),
        '=' | ':' if key => {
            s.push('\\');
            s.push(c);
        }
        c => s.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn format_parse_round_trip(map in proptest::collection::btree_map("[a-zA-Z][a-zA-Z0-9.:=_\\\\]{0,12}", "[a-zA-Z0-9 ,;.=:\\\\]{0,20}", 0..8)) {
            let trimmed: BTreeMap<String, String> = map
                .into_iter()
                .map(|(k, v)| (k, v.trim().to_string()))
                .collect();
            prop_assert_eq!(parse_properties(&format_properties(&trimmed)), trimmed);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = parse_properties(&text);
        }
    }

    #[test]
    fn round_trip_and_java_forms() {
        let text = "# comment\nbrokerName=broker-a\n  listenPort : 10911\nmessageDelayLevel=1s 5s\nweird\\=key=a\\:b\n\n";
        let p = parse_properties(text);
        assert_eq!(p["brokerName"], "broker-a");
        assert_eq!(p["listenPort"], "10911");
        assert_eq!(p["messageDelayLevel"], "1s 5s");
        assert_eq!(p["weird=key"], "a:b");
        assert_eq!(parse_properties(&format_properties(&p)), p);
        let mut odd = BTreeMap::new();
        odd.insert("a:b".to_string(), "x\\y\nz".to_string());
        assert_eq!(parse_properties(&format_properties(&odd)), odd);
        assert_eq!(
            format_properties(&BTreeMap::from([("k".to_string(), "v".to_string())])),
            "k=v\n"
        );
    }
}
