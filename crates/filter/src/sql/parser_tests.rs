//! Parser tests: precedence, every operator, Java's operand checks, error positions and
//! the bounds on hostile input.

use super::*;

fn p(src: &str) -> Expr {
    let parsed = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
    assert_eq!(parsed.ignored_from, None, "{src:?}");
    parsed.expr
}

fn err(src: &str) -> CompileError {
    match parse(src) {
        Ok(e) => panic!("{src:?} parsed as {e:?}"),
        Err(e) => e,
    }
}

#[test]
fn precedence_is_not_then_and_then_or() {
    assert_eq!(p("a OR b AND c").to_string(), "a OR b AND c");
    assert!(matches!(p("a OR b AND c"), Expr::Or(v) if matches!(v[1], Expr::And(_))));
    assert!(matches!(p("a AND b OR c"), Expr::Or(v) if matches!(v[0], Expr::And(_))));
    assert!(matches!(p("NOT a AND b"), Expr::And(v) if matches!(v[0], Expr::Not(_))));
    assert!(matches!(p("NOT (a AND b)"), Expr::Not(inner) if matches!(*inner, Expr::And(_))));
    assert_eq!(p("(a OR b) AND c").to_string(), "(a OR b) AND c");
    assert_eq!(p("a AND (b AND c)"), p("a AND b AND c"));
    // NOT binds to the operand, so `NOT a > 5` compares a boolean: refused as in Java.
    assert!(err("NOT a > 5").message.contains("cannot be compared"));
    assert_eq!(p("NOT (a > 5)").to_string(), "NOT (a > 5)");
}

#[test]
fn every_operator_parses() {
    let cases = [
        ("a = 'x'", "a = 'x'"),
        ("a<>5", "a <> 5"),
        ("a > 5", "a > 5"),
        ("a >= 5.5", "a >= 5.5"),
        ("a < -5", "a < -5"),
        ("a <= 3000000000", "a <= 3000000000"),
        ("a between 1 and 2", "a BETWEEN 1 AND 2"),
        ("a NOT BETWEEN -1 AND 1", "a NOT BETWEEN -1 AND 1"),
        ("c IN ('x','y')", "c IN ('x', 'y')"),
        ("c not in ('x')", "c NOT IN ('x')"),
        ("d IS NULL", "d IS NULL"),
        ("d is not null", "d IS NOT NULL"),
        ("s CONTAINS 'ab'", "s CONTAINS 'ab'"),
        ("s NOT CONTAINS 'ab'", "s NOT CONTAINS 'ab'"),
        ("s startswith 'a'", "s STARTSWITH 'a'"),
        ("s NOT STARTSWITH 'a'", "s NOT STARTSWITH 'a'"),
        ("s ENDSWITH 'b'", "s ENDSWITH 'b'"),
        ("s NOT ENDSWITH 'b'", "s NOT ENDSWITH 'b'"),
        ("TRUE", "TRUE"),
        ("false OR NULL", "FALSE OR NULL"),
        ("a", "a"),
        ("+a > +5", "a > 5"),
        ("a = 1 = TRUE", "a = 1 = TRUE"),
        ("a > 5 AND b = 'x'", "a > 5 AND b = 'x'"),
        ("a = 'it''s' -- trailing\n", "a = 'it''s'"),
        ("/* c */ a = 1e3", "a = 1000.0"),
        ("a = 5L", "a = 5"),
        ("(a) IN ('x')", "a IN ('x')"),
    ];
    for (src, printed) in cases {
        assert_eq!(p(src).to_string(), printed, "{src:?}");
    }
}

#[test]
fn literals_are_typed_like_java() {
    let right = |src: &str| match p(src) {
        Expr::Compare { right, .. } => *right,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        right("a = 2147483647"),
        Expr::Literal(Literal::Int(i32::MAX))
    );
    assert_eq!(
        right("a = 2147483648"),
        Expr::Literal(Literal::Long(2_147_483_648))
    );
    assert_eq!(
        right("a = -2147483648"),
        Expr::Negate(Box::new(Expr::Literal(Literal::Long(2_147_483_648))))
    );
    assert_eq!(right("a = .5e1"), Expr::Literal(Literal::Double(5.0)));
    assert!(err("a = 9223372036854775808")
        .message
        .contains("out of range"));
    assert!(err("a > 0.0").message.contains("less than"));
    assert!(err("a > 1e999").message.contains("greater than"));
    assert_eq!(
        right("a > 4.9e-324"),
        Expr::Literal(Literal::Double(5e-324))
    );
}

#[test]
fn java_operand_checks() {
    for (src, needle) in [
        ("a = NULL", "NULL cannot be compared"),
        ("NULL <> a", "NULL cannot be compared"),
        ("TRUE = 'x'", "cannot be compared with"),
        ("a > 'x'", "cannot be compared"),
        ("a < TRUE", "cannot be compared"),
        ("a > b > c", "cannot be compared"),
        ("a BETWEEN 5 AND 1", "must not be greater"),
        ("a BETWEEN NULL AND 1", "cannot be NULL"),
        ("a BETWEEN 'a' AND 'b'", "cannot be compared"),
        ("a BETWEEN 1 AND 'x'", "invalid bounds"),
        ("'x' IN ('x')", "expected a property"),
        ("5", "will not result in a boolean"),
        ("-a", "will not result in a boolean"),
        ("'x' OR a", "will not result in a boolean"),
        ("NOT 5", "will not result in a boolean"),
    ] {
        let e = err(src);
        assert!(e.message.contains(needle), "{src:?}: {e}");
    }
    // Accepted by Java too.
    for src in [
        "'x' = TRUE",
        "TRUE = FALSE",
        "1 = TRUE",
        "a BETWEEN -5 AND -10",
        "a IS NULL = TRUE",
    ] {
        p(src);
    }
}

#[test]
fn syntax_errors_say_where() {
    let e = err("a > 5 AND");
    assert_eq!(
        e.to_string(),
        "expected a value, a property or \"(\" but found end of expression at line 1, column 10"
    );
    let e = err("c IN ('x',)");
    assert_eq!(
        (e.column, e.message.as_str()),
        (11, "expected a string but found \")\"")
    );
    let e = err("(a = 1");
    assert_eq!(e.message, "expected \")\" but found end of expression");
    let e = err("a IS 5");
    assert_eq!(e.message, "expected NULL but found \"5\"");
    let e = err("a BETWEEN 1 OR 2");
    assert_eq!(e.message, "expected AND but found \"OR\"");
    let e = err("a = 1\n  AND b >");
    assert_eq!((e.line, e.column), (2, 10));
    assert!(err("").message.contains("end of expression"));
    assert!(err("a = 1 .").message.contains("unexpected character '.'"));
}

#[test]
fn trailing_text_is_ignored_like_java() {
    for (src, printed, rest) in [
        ("a = 1 b = 2", "a = 1", "b = 2"),
        ("a = 1)", "a = 1", ")"),
        ("a = 05", "a = 0", "5"),
        ("a > 5d", "a > 5", "d"),
        ("a = 1 --no newline", "a = 1", "--no newline"),
        ("a b .", "a", "b ."),
    ] {
        let parsed = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        assert_eq!(parsed.expr.to_string(), printed);
        assert_eq!(parsed.ignored_from.map(|i| &src[i..]), Some(rest));
    }
    // Only the tokens the parser looks at are lexed: the one after the expression, and
    // one more after a NOT.
    assert!(err("a = 1 'open").message.contains("unterminated"));
    assert!(err("a = 1 NOT .").message.contains("unexpected character"));
    let e = err("a NOT 5");
    assert_eq!(
        e.message,
        "expected CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN after NOT but found \"5\""
    );
    assert_eq!(e.column, 7);
}

#[test]
fn hostile_input_is_bounded() {
    let deep = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    p(&deep);
    let deeper = format!(
        "{}a{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert!(err(&deeper).message.contains("nested deeper"));
    assert!(err(&format!("{}a", "NOT ".repeat(10_000)))
        .message
        .contains("nested deeper"));
    assert!(err(&format!("{}5 > a", "-".repeat(1000)))
        .message
        .contains("nested deeper"));
    let chain = format!("a{}", " = 1".repeat(MAX_DEPTH + 1));
    assert!(err(&chain).message.contains("nested deeper"));
    let long_or = vec!["a = '1'"; 2000].join(" OR ");
    assert!(matches!(p(&long_or), Expr::Or(v) if v.len() == 2000));
    let too_long = format!("a IN ('{}')", "x".repeat(MAX_EXPRESSION_LEN));
    assert!(err(&too_long).message.contains("longer than"));
    // The limit may fall inside a multi-byte character.
    let too_long = format!("a IN ('{}')", "é".repeat(MAX_EXPRESSION_LEN));
    assert!(err(&too_long).message.contains("longer than"));
}
