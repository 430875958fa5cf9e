//! Evaluation with Java's three-valued logic and its exact order of evaluation, so a selector
//! answers TRUE, FALSE, NULL (unknown) or fails for the same messages as the Java broker:
//!
//! * `AND`/`OR` short-circuit left to right; NULL only wins when no operand decides.
//! * `x > y` (and `>=`, `<`, `<=`): NULL if either side is NULL; two strings are both read as
//!   doubles; otherwise [`compare`] converts.
//! * `x = y`: TRUE if both are NULL, NULL if only the left is, FALSE if only the right is.
//!   `<>` is `NOT (=)`, so a missing property gives NULL on the left and TRUE on the right.
//! * `BETWEEN` is `>= AND <=`; `NOT BETWEEN` is `< OR >`.
//! * `IN`: NULL for a missing property. `CONTAINS` and friends: FALSE (never NULL) for a
//!   missing property, a non-string or an empty pattern, also when negated.
//! * A bare property in boolean position is NULL when missing and FALSE otherwise.
//! * Unary minus of anything but a number is NULL.

use super::ast::{CompareOp, Expr, StringOp};
use super::java_number::compare_doubles;
use super::value::{as_double, compare, Value};
use crate::error::EvalError;
use crate::lookup::PropertyLookup;
use std::cmp::Ordering;

/// Evaluates `expr` in boolean position: `Some(true)`, `Some(false)` or `None` for unknown.
pub(crate) fn eval_bool<P: PropertyLookup + ?Sized>(
    expr: &Expr,
    props: &P,
) -> Result<Option<bool>, EvalError> {
    if let Expr::Property(name) = expr {
        return Ok(props.property(name).map(|_| false));
    }
    match eval(expr, props)? {
        Value::Bool(b) => Ok(Some(b)),
        Value::Null => Ok(None),
        _ => Err(EvalError::IncompatibleTypes("expected a boolean value")),
    }
}

/// Evaluates `expr` to a value.
pub(crate) fn eval<'a, P: PropertyLookup + ?Sized>(
    expr: &'a Expr,
    props: &'a P,
) -> Result<Value<'a>, EvalError> {
    Ok(match expr {
        Expr::Literal(l) => Value::from(l),
        Expr::Property(name) => props.property(name).map_or(Value::Null, Value::Str),
        Expr::Negate(inner) => match eval(inner, props)? {
            Value::Int(v) => Value::Int(v.wrapping_neg()),
            Value::Long(v) => Value::Long(v.wrapping_neg()),
            Value::Double(v) => Value::Double(-v),
            _ => Value::Null,
        },
        Expr::Not(inner) => eval_bool(inner, props)?.map(|b| !b).into(),
        Expr::And(items) => logic(items, props, false)?.into(),
        Expr::Or(items) => logic(items, props, true)?.into(),
        Expr::Compare { op, left, right } => match op {
            CompareOp::Eq => equal(left, right, props)?.into(),
            CompareOp::Ne => equal(left, right, props)?.map(|b| !b).into(),
            _ => {
                let lv = eval(left, props)?;
                ordered(*op, lv, right, props)?.into()
            }
        },
        Expr::IsNull { operand, negated } => {
            Value::Bool((eval(operand, props)? == Value::Null) != *negated)
        }
        Expr::Between {
            operand,
            low,
            high,
            negated,
        } => between(operand, low, high, *negated, props)?.into(),
        Expr::In {
            property,
            values,
            negated,
        } => match props.property(property) {
            None => Value::Null,
            Some(v) => Value::Bool(values.iter().any(|x| x == v) != *negated),
        },
        Expr::StringMatch {
            op,
            operand,
            pattern,
            negated,
        } => {
            if pattern.is_empty() {
                return Ok(Value::Bool(false));
            }
            match eval(operand, props)? {
                Value::Str(s) => {
                    let found = match op {
                        StringOp::Contains => s.contains(pattern.as_str()),
                        StringOp::StartsWith => s.starts_with(pattern.as_str()),
                        StringOp::EndsWith => s.ends_with(pattern.as_str()),
                    };
                    Value::Bool(found != *negated)
                }
                _ => Value::Bool(false),
            }
        }
    })
}

/// AND (`decisive == false`) or OR (`decisive == true`) over `items`, left to right.
fn logic<P: PropertyLookup + ?Sized>(
    items: &[Expr],
    props: &P,
    decisive: bool,
) -> Result<Option<bool>, EvalError> {
    let mut unknown = false;
    for item in items {
        match eval_bool(item, props)? {
            Some(b) if b == decisive => return Ok(Some(decisive)),
            Some(_) => {}
            None => unknown = true,
        }
    }
    Ok(if unknown { None } else { Some(!decisive) })
}

fn equal<P: PropertyLookup + ?Sized>(
    left: &Expr,
    right: &Expr,
    props: &P,
) -> Result<Option<bool>, EvalError> {
    let lv = eval(left, props)?;
    let rv = eval(right, props)?;
    Ok(match (lv, rv) {
        (Value::Null, Value::Null) => Some(true),
        (Value::Null, _) => None,
        (_, Value::Null) => Some(false),
        _ => Some(compare(&lv, &rv)? == Ordering::Equal),
    })
}

/// `lv op right` for the ordered operators; `lv` is already evaluated so `BETWEEN` reads its
/// operand once (Java reads it twice, with the same result).
fn ordered<P: PropertyLookup + ?Sized>(
    op: CompareOp,
    lv: Value<'_>,
    right: &Expr,
    props: &P,
) -> Result<Option<bool>, EvalError> {
    if lv == Value::Null {
        return Ok(None);
    }
    let rv = eval(right, props)?;
    let ord = match (lv, rv) {
        (_, Value::Null) => return Ok(None),
        (Value::Str(a), Value::Str(b)) => compare_doubles(as_double(a)?, as_double(b)?),
        _ => compare(&lv, &rv)?,
    };
    Ok(Some(match op {
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
    }))
}

fn between<P: PropertyLookup + ?Sized>(
    operand: &Expr,
    low: &Expr,
    high: &Expr,
    negated: bool,
    props: &P,
) -> Result<Option<bool>, EvalError> {
    let v = eval(operand, props)?;
    // BETWEEN: (v >= low) AND (v <= high); NOT BETWEEN: (v < low) OR (v > high).
    let (first_op, second_op, decisive) = if negated {
        (CompareOp::Lt, CompareOp::Gt, true)
    } else {
        (CompareOp::Ge, CompareOp::Le, false)
    };
    let first = ordered(first_op, v, low, props)?;
    if first == Some(decisive) {
        return Ok(first);
    }
    let second = ordered(second_op, v, high, props)?;
    if second == Some(decisive) {
        return Ok(second);
    }
    Ok(if first.is_none() || second.is_none() {
        None
    } else {
        Some(!decisive)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parser::parse;

    /// Evaluates `src` against `props`: 'T', 'F', 'N' (unknown) or 'E' (Java would throw).
    fn run(src: &str, props: &[(&str, &str)]) -> char {
        let expr = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}")).expr;
        match eval_bool(&expr, props) {
            Ok(Some(true)) => 'T',
            Ok(Some(false)) => 'F',
            Ok(None) => 'N',
            Err(_) => 'E',
        }
    }

    #[test]
    fn the_issue_examples() {
        let f = "a > 5 AND b = 'x'";
        assert_eq!(run(f, &[("a", "6"), ("b", "x")]), 'T');
        assert_eq!(run(f, &[("a", "5"), ("b", "x")]), 'F');
        assert_eq!(run(f, &[("a", "6"), ("b", "y")]), 'F');
        assert_eq!(run(f, &[("b", "x")]), 'N');
        assert_eq!(run(f, &[("a", "6.5"), ("b", "x")]), 'E', "6.5 is no int");
        let f = "c IN ('x','y')";
        assert_eq!(run(f, &[("c", "y")]), 'T');
        assert_eq!(run(f, &[("c", "z")]), 'F');
        assert_eq!(run(f, &[]), 'N');
        assert_eq!(run("c NOT IN ('x','y')", &[("c", "z")]), 'T');
        assert_eq!(run("d IS NULL", &[]), 'T');
        assert_eq!(run("d IS NULL", &[("d", "")]), 'F');
        assert_eq!(run("d IS NOT NULL", &[("d", "v")]), 'T');
    }

    #[test]
    fn every_comparison_operator() {
        let p = [("a", "10")];
        for (src, want) in [
            ("a = 10", 'T'),
            ("a <> 10", 'F'),
            ("a > 9", 'T'),
            ("a >= 10", 'T'),
            ("a < 10", 'F'),
            ("a <= 10", 'T'),
            ("a BETWEEN 10 AND 11", 'T'),
            ("a NOT BETWEEN 10 AND 11", 'F'),
            ("a BETWEEN 11 AND 12", 'F'),
            ("a NOT BETWEEN 11 AND 12", 'T'),
            ("a CONTAINS '0'", 'T'),
            ("a NOT CONTAINS '0'", 'F'),
            ("a STARTSWITH '1'", 'T'),
            ("a NOT STARTSWITH '1'", 'F'),
            ("a ENDSWITH '1'", 'F'),
            ("a NOT ENDSWITH '1'", 'T'),
        ] {
            assert_eq!(run(src, &p), want, "{src}");
        }
    }

    #[test]
    fn three_valued_logic() {
        let none: &[(&str, &str)] = &[];
        for (src, want) in [
            ("NULL AND TRUE", 'N'),
            ("NULL AND FALSE", 'F'),
            ("NULL OR TRUE", 'T'),
            ("NULL OR FALSE", 'N'),
            ("NOT NULL", 'N'),
            ("NOT (x > 1)", 'N'),
            ("x > 1 OR TRUE", 'T'),
            ("x > 1 AND FALSE", 'F'),
            ("TRUE OR FALSE AND NULL", 'T'),
            ("(TRUE OR FALSE) AND NULL", 'N'),
            ("NOT FALSE AND FALSE", 'F'),
        ] {
            assert_eq!(run(src, none), want, "{src}");
        }
    }

    #[test]
    fn short_circuit_hides_errors_as_in_java() {
        let p = [("a", "abc")];
        assert_eq!(run("a > 5", &p), 'E');
        assert_eq!(run("TRUE OR a > 5", &p), 'T');
        assert_eq!(run("a > 5 OR TRUE", &p), 'E');
        assert_eq!(run("FALSE AND a > 5", &p), 'F');
        assert_eq!(run("NOT (a > 5) IS NULL", &p), 'E');
    }

    #[test]
    fn missing_properties_are_asymmetric_like_java() {
        let none: &[(&str, &str)] = &[];
        assert_eq!(run("x = 5", none), 'N');
        assert_eq!(run("5 = x", none), 'F');
        assert_eq!(run("x <> 5", none), 'N');
        assert_eq!(run("5 <> x", none), 'T');
        assert_eq!(run("x = y", none), 'T', "NULL = NULL is TRUE here");
        assert_eq!(run("x CONTAINS 'a'", none), 'F');
        assert_eq!(run("x NOT CONTAINS 'a'", none), 'F');
        assert_eq!(run("x", none), 'N');
        assert_eq!(run("x BETWEEN 1 AND 2", none), 'N');
        assert_eq!(run("-x > 1", &[("x", "5")]), 'N', "only numbers negate");
    }

    #[test]
    fn numeric_and_string_comparisons() {
        // The literal's type decides how the property is read.
        assert_eq!(run("a = 5", &[("a", "05")]), 'T');
        assert_eq!(run("a = 5", &[("a", "+5")]), 'T');
        assert_eq!(
            run("a = 5", &[("a", " 5")]),
            'E',
            "int parsing keeps spaces"
        );
        assert_eq!(run("a = 5.0", &[("a", " 5")]), 'T', "double parsing trims");
        assert_eq!(run("a > 5", &[("a", "3000000000")]), 'E', "not an int");
        assert_eq!(
            run("a > 2147483648", &[("a", "3000000000")]),
            'T',
            "a long literal"
        );
        assert_eq!(run("a > 1.5", &[("a", "NaN")]), 'T', "NaN sorts last");
        assert_eq!(run("a = '10'", &[("a", "10")]), 'T');
        assert_eq!(
            run("a = '10'", &[("a", "10.0")]),
            'F',
            "strings compare as strings"
        );
        assert_eq!(run("a = 10", &[("a", "10.0")]), 'E');
        // Two properties under > are both read as doubles; under = as strings.
        assert_eq!(run("a > b", &[("a", "10"), ("b", "9.5")]), 'T');
        assert_eq!(run("a > b", &[("a", "x"), ("b", "9.5")]), 'E');
        assert_eq!(run("a = b", &[("a", "1"), ("b", "1.0")]), 'F');
        // Booleans.
        assert_eq!(run("a = TRUE", &[("a", "True")]), 'T');
        assert_eq!(run("a = FALSE", &[("a", "yes")]), 'T');
        assert_eq!(
            run("TRUE = a", &[("a", "true")]),
            'E',
            "Java's ClassCastException"
        );
        assert_eq!(run("a", &[("a", "true")]), 'F', "a string is not a boolean");
    }
}
