//! Property tests for the SQL92 selector: random well-typed syntax trees print to SQL that
//! parses back to the same tree; the parser and evaluator never panic on arbitrary input, and
//! whatever parses also survives a print/parse round trip.

use std::collections::HashMap;

use proptest::prelude::*;

use super::ast::{CompareOp, Expr, Literal, StringOp};
use super::{eval, parser, typing, SqlFilter};

const NAMES: [&str; 9] = ["a", "b", "c", "d", "s", "x", "TAGS", "$p", "_q1"];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(&NAMES[..]).prop_map(str::to_string)
}

fn number() -> impl Strategy<Value = Literal> {
    prop_oneof![
        (0..=i32::MAX).prop_map(Literal::Int),
        (i64::from(i32::MAX) + 1..=i64::MAX).prop_map(Literal::Long),
        (prop::num::f64::POSITIVE | prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL)
            .prop_filter("a positive finite literal", |v| v.is_finite() && *v > 0.0)
            .prop_map(Literal::Double),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&["", "x", "it's", "''", "10", "é😀", "a\nb"][..])
            .prop_map(str::to_string),
        "\\PC{0,8}",
    ]
}

/// Operands of `>`/`<`/BETWEEN: properties, numbers and negations of them.
fn ordered_operand() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        name().prop_map(Expr::Property),
        number().prop_map(Expr::Literal)
    ];
    leaf.prop_recursive(3, 8, 1, |inner| {
        inner.prop_map(|e| Expr::Negate(Box::new(e)))
    })
}

fn boolean_leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        prop_oneof![
            Just(Literal::Bool(true)),
            Just(Literal::Bool(false)),
            Just(Literal::Null)
        ]
        .prop_map(Expr::Literal),
        (name(), prop::collection::vec(text(), 1..4), any::<bool>()).prop_map(
            |(property, values, negated)| Expr::In {
                property,
                values,
                negated
            }
        ),
        (name(), any::<bool>()).prop_map(|(n, negated)| Expr::IsNull {
            operand: Box::new(Expr::Property(n)),
            negated
        }),
        (ordered_operand(), ordered_operand(), 2..6usize).prop_map(|(l, r, op)| Expr::Compare {
            op: [
                CompareOp::Eq,
                CompareOp::Ne,
                CompareOp::Gt,
                CompareOp::Ge,
                CompareOp::Lt,
                CompareOp::Le
            ][op],
            left: Box::new(l),
            right: Box::new(r),
        }),
    ]
}

/// Well-typed boolean expressions, as Java's parser would accept them.
fn boolean_expr() -> impl Strategy<Value = Expr> {
    boolean_leaf().prop_recursive(5, 48, 4, |inner| {
        let in_boolean_position = prop_oneof![inner.clone(), name().prop_map(Expr::Property)];
        let any_operand = prop_oneof![
            inner.clone(),
            ordered_operand(),
            text().prop_map(|s| Expr::Literal(Literal::String(s))),
        ];
        prop_oneof![
            prop::collection::vec(in_boolean_position.clone(), 2..4).prop_map(|v| v
                .into_iter()
                .reduce(Expr::and)
                .unwrap_or(Expr::Literal(Literal::Null))),
            prop::collection::vec(in_boolean_position.clone(), 2..4).prop_map(|v| v
                .into_iter()
                .reduce(Expr::or)
                .unwrap_or(Expr::Literal(Literal::Null))),
            in_boolean_position.prop_map(|e| Expr::Not(Box::new(e))),
            (any_operand.clone(), any_operand.clone(), any::<bool>())
                .prop_filter("Java's = operand checks", |(l, r, _)| {
                    typing::check_equality(l, r).is_ok()
                })
                .prop_map(|(l, r, eq)| Expr::Compare {
                    op: if eq { CompareOp::Eq } else { CompareOp::Ne },
                    left: Box::new(l),
                    right: Box::new(r),
                }),
            (any_operand.clone(), any::<bool>()).prop_map(|(e, negated)| Expr::IsNull {
                operand: Box::new(e),
                negated
            }),
            (any_operand, text(), 0..3usize, any::<bool>()).prop_map(
                |(e, pattern, op, negated)| {
                    Expr::StringMatch {
                        op: [StringOp::Contains, StringOp::StartsWith, StringOp::EndsWith][op],
                        operand: Box::new(e),
                        pattern,
                        negated,
                    }
                }
            ),
            (
                ordered_operand(),
                ordered_operand(),
                ordered_operand(),
                any::<bool>()
            )
                .prop_filter("BETWEEN bounds in order", |(_, lo, hi, negated)| {
                    *negated || typing::check_between_bounds(lo, hi).is_ok()
                })
                .prop_map(|(e, low, high, negated)| Expr::Between {
                    operand: Box::new(e),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated,
                }),
        ]
    })
}

fn selector() -> impl Strategy<Value = Expr> {
    prop_oneof![4 => boolean_expr(), 1 => name().prop_map(Expr::Property)]
}

fn properties() -> impl Strategy<Value = HashMap<String, String>> {
    let value = prop_oneof![
        prop::sample::select(
            &[
                "10",
                "5",
                "-5",
                "abc",
                "10.5",
                "",
                "true",
                "NaN",
                " 7 ",
                "3000000000",
                "x",
                "it's"
            ][..]
        )
        .prop_map(str::to_string),
        "\\PC{0,6}",
    ];
    prop::collection::hash_map(name(), value, 0..6)
}

/// Random sequences of the grammar's tokens (and a few near misses).
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(
        &[
            "a",
            "b",
            "TAGS",
            "5",
            "0",
            "10.5",
            ".5",
            "1e3",
            "5L",
            "2147483648",
            "'x'",
            "''",
            "'it''s'",
            "=",
            "<>",
            ">",
            ">=",
            "<",
            "<=",
            "(",
            ")",
            ",",
            "+",
            "-",
            "AND",
            "or",
            "NOT",
            "BETWEEN",
            "IN",
            "IS",
            "NULL",
            "TRUE",
            "false",
            "CONTAINS",
            "STARTSWITH",
            "ENDSWITH",
            "--",
            "\n",
            "/*",
            "*/",
            ".",
            "'",
            "é",
        ][..],
    );
    prop::collection::vec(token, 0..16).prop_map(|t| t.join(" "))
}

/// Whatever parses prints to SQL that parses to the same tree, with nothing left over.
fn assert_round_trip(src: &str) -> Result<(), TestCaseError> {
    if let Ok(parsed) = parser::parse(src) {
        let printed = parsed.expr.to_string();
        let again = parser::parse(&printed)
            .map_err(|e| TestCaseError::fail(format!("{src:?} printed as {printed:?}: {e}")))?;
        prop_assert_eq!(
            &again.expr,
            &parsed.expr,
            "{:?} printed as {:?}",
            src,
            printed
        );
        prop_assert_eq!(again.ignored_from, None);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_selectors_round_trip(expr in selector()) {
        let printed = expr.to_string();
        let parsed = parser::parse(&printed)
            .map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
        prop_assert_eq!(&parsed.expr, &expr, "printed as {:?}", printed);
        prop_assert_eq!(parsed.ignored_from, None);
    }

    #[test]
    fn evaluation_is_total_and_not_negates(expr in selector(), props in properties()) {
        let printed = expr.to_string();
        let filter = SqlFilter::compile(&printed).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let result = filter.evaluate(&props);
        prop_assert_eq!(filter.matches(&props), matches!(result, Ok(Some(true))));
        let negated = eval::eval_bool(&Expr::Not(Box::new(expr.clone())), &props);
        prop_assert_eq!(negated, result.map(|r| r.map(|b| !b)));
    }

    #[test]
    fn parser_never_panics_on_any_string(src in "\\PC{0,64}") {
        assert_round_trip(&src)?;
    }

    #[test]
    fn parser_never_panics_on_token_soup(src in token_soup(), props in properties()) {
        assert_round_trip(&src)?;
        if let Ok(filter) = SqlFilter::compile(&src) {
            let _ = filter.matches(&props);
        }
    }
}
