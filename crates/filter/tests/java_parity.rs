//! Checks the filter against results recorded from the real Java implementation
//! (`org.apache.rocketmq:rocketmq-filter`, `-broker`, `-remoting` 5.3.3 from Maven Central,
//! run on Java 17 outside this repository). `tests/data/java_parity.json` holds, per SQL92
//! expression, whether Java compiles it and, per property set, the raw result of
//! `evaluate(MessageEvaluationContext)`: `T`, `F`, `N` (null) or `E` (exception); Java's
//! `ExpressionMessageFilter.isMatchedByCommitLog` delivers exactly the `T`s. Expressions are
//! a hand-written list of edge cases, ~1500 random well-formed selectors and ~700 random
//! token sequences. Tag subscriptions carry Java's `tagsSet`/`codeSet` and the
//! `isMatchedByConsumeQueue` answers for a list of tag codes.

use std::collections::{BTreeMap, HashMap};

use ferromq_filter::{EncodedProperties, MessageFilter, PropertyLookup, SqlFilter, TagFilter};
use serde::Deserialize;

#[derive(Deserialize)]
struct Recorded {
    prop_sets: Vec<HashMap<String, String>>,
    sql: Vec<SqlCase>,
    tag_codes: Vec<i64>,
    tags: Vec<TagCase>,
    decode: Vec<DecodeCase>,
}

#[derive(Deserialize)]
struct SqlCase {
    expr: String,
    compiles: bool,
    #[serde(default)]
    results: String,
}

#[derive(Deserialize)]
struct TagCase {
    sub: String,
    error: bool,
    #[serde(default)]
    sub_string: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    codes: Vec<i32>,
    #[serde(default)]
    code_matches: String,
}

#[derive(Deserialize)]
struct DecodeCase {
    encoded: String,
    map: BTreeMap<String, String>,
}

fn recorded() -> Recorded {
    serde_json::from_str(include_str!("data/java_parity.json")).expect("valid test data")
}

fn encode(props: &HashMap<String, String>) -> Vec<u8> {
    let mut s = String::new();
    for (k, v) in props {
        s.push_str(k);
        s.push('\u{1}');
        s.push_str(v);
        s.push('\u{2}');
    }
    s.into_bytes()
}

#[test]
fn sql92_matches_java() {
    let data = recorded();
    assert!(data.sql.len() > 2000, "the table is complete");
    let mut mismatches = Vec::new();
    let mut compiled = 0;
    for case in &data.sql {
        let filter = match (SqlFilter::compile(&case.expr), case.compiles) {
            (Ok(f), true) => f,
            (Err(_), false) => continue,
            (Ok(f), false) => {
                mismatches.push(format!(
                    "{:?}: Java rejects it, we parsed {}",
                    case.expr,
                    f.expr()
                ));
                continue;
            }
            (Err(e), true) => {
                mismatches.push(format!("{:?}: Java compiles it, we fail: {e}", case.expr));
                continue;
            }
        };
        compiled += 1;
        // Printing and re-parsing must give the same tree.
        let printed = filter.expr().to_string();
        match SqlFilter::compile(&printed) {
            Ok(again) if again.expr() == filter.expr() => {}
            other => mismatches.push(format!(
                "{:?} printed as {printed:?}, reparsed {other:?}",
                case.expr
            )),
        }
        let message = MessageFilter::build(Some("SQL92"), &case.expr).expect("compiles");
        for (props, want) in data.prop_sets.iter().zip(case.results.chars()) {
            let got = match filter.evaluate(props) {
                Ok(Some(true)) => 'T',
                Ok(Some(false)) => 'F',
                Ok(None) => 'N',
                Err(_) => 'E',
            };
            if got != want {
                mismatches.push(format!(
                    "{:?} with {props:?}: Java {want}, we {got}",
                    case.expr
                ));
            }
            assert_eq!(message.matches_lookup(props), want == 'T');
            // The encoded form drops empty values, as Java's decoder does.
            if props.values().all(|v| !v.is_empty()) {
                assert_eq!(message.matches_properties(&encode(props)), want == 'T');
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(compiled > 1500, "most expressions compile ({compiled})");
}

#[test]
fn tag_subscriptions_match_java() {
    let data = recorded();
    for case in &data.tags {
        let parsed = TagFilter::parse(&case.sub);
        assert_eq!(parsed.is_err(), case.error, "{:?}", case.sub);
        let Ok(filter) = parsed else { continue };
        assert_eq!(filter.sub_string(), case.sub_string, "{:?}", case.sub);
        assert_eq!(
            filter.tags().collect::<Vec<_>>(),
            case.tags,
            "{:?}",
            case.sub
        );
        assert_eq!(
            filter.codes().collect::<Vec<_>>(),
            case.codes,
            "{:?}",
            case.sub
        );
        let message = MessageFilter::build(Some("TAG"), &case.sub).expect("compiles");
        for (code, want) in data.tag_codes.iter().zip(case.code_matches.chars()) {
            assert_eq!(
                filter.matches_tag_code(*code),
                want == 'T',
                "{:?} with tag code {code}",
                case.sub
            );
            assert_eq!(message.matches_tag_code(*code), want == 'T');
        }
    }
}

#[test]
fn encoded_properties_decode_like_java() {
    let data = recorded();
    for case in &data.decode {
        let lookup = EncodedProperties(&case.encoded);
        let mut names: Vec<&str> = case.encoded.split(['\u{1}', '\u{2}']).collect();
        names.extend(case.map.keys().map(String::as_str));
        for name in names {
            assert_eq!(
                lookup.property(name),
                case.map.get(name).map(String::as_str),
                "{:?} / {name:?}",
                case.encoded
            );
        }
    }
}
