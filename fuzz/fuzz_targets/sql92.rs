//! Fuzzes the SQL92 selector: compiling arbitrary text must not panic; whatever compiles
//! must print to SQL that compiles to the same tree, and must evaluate without panicking,
//! also against the input itself read as an encoded property string.

#![no_main]

use ferromq_filter::{EncodedProperties, MessageFilter, SqlFilter};
use libfuzzer_sys::fuzz_target;

const PROPERTY_SETS: [&[(&str, &str)]; 4] = [
    &[],
    &[("a", "10"), ("b", "x"), ("c", "y"), ("TAGS", "TagA")],
    &[("a", "abc"), ("b", "5"), ("s", "hello world")],
    &[
        ("a", "NaN"),
        ("b", " 7 "),
        ("c", "3000000000"),
        ("d", "true"),
    ],
];

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = SqlFilter::compile(src) else {
        return;
    };
    let printed = filter.expr().to_string();
    match SqlFilter::compile(&printed) {
        Ok(again) => assert_eq!(
            again.expr(),
            filter.expr(),
            "{src:?} printed as {printed:?}"
        ),
        Err(e) => panic!("{src:?} printed as {printed:?}, which does not compile: {e}"),
    }
    for props in PROPERTY_SETS {
        let _ = filter.matches(props);
    }
    let _ = filter.matches(&EncodedProperties(src));
    if let Ok(message) = MessageFilter::build(Some("SQL92"), src) {
        let _ = message.matches_properties(data);
    }
});
