//! Runtime values and Java's mixed-type comparison (`ComparisonExpression.__compare` with
//! string conversion on): an `int` meets a `long` as a `long`, any number meets a `double` as a
//! `double`, a string meets a number by being parsed as that number's type (failing like
//! `NumberFormatException`), a string meets a boolean through `Boolean.valueOf`, and
//! incomparable pairs compare as "less".

use std::cmp::Ordering;

use super::ast::Literal;
use super::java_number::{
    compare_doubles, compare_strings, parse_boolean, parse_double, parse_int, parse_long,
};
use crate::error::EvalError;

/// A value during evaluation. Property values are always strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Str(&'a str),
}

impl<'a> From<&'a Literal> for Value<'a> {
    fn from(l: &'a Literal) -> Self {
        match l {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(v) => Value::Int(*v),
            Literal::Long(v) => Value::Long(*v),
            Literal::Double(v) => Value::Double(*v),
            Literal::String(s) => Value::Str(s),
        }
    }
}

impl From<Option<bool>> for Value<'_> {
    fn from(b: Option<bool>) -> Self {
        b.map_or(Value::Null, Value::Bool)
    }
}

fn as_int(s: &str) -> Result<i32, EvalError> {
    parse_int(s).ok_or_else(|| not_a_number(s, "int"))
}

fn as_long(s: &str) -> Result<i64, EvalError> {
    parse_long(s).ok_or_else(|| not_a_number(s, "long"))
}

/// `Double.valueOf` of a property value.
pub(crate) fn as_double(s: &str) -> Result<f64, EvalError> {
    parse_double(s).ok_or_else(|| not_a_number(s, "double"))
}

fn not_a_number(s: &str, target: &'static str) -> EvalError {
    EvalError::NotANumber {
        value: s.to_string(),
        target,
    }
}

/// Orders two non-null values the way Java's selector does. `Err` where Java throws.
pub(crate) fn compare(lv: &Value<'_>, rv: &Value<'_>) -> Result<Ordering, EvalError> {
    use Value::*;
    Ok(match (*lv, *rv) {
        (Bool(a), Bool(b)) => a.cmp(&b),
        (Int(a), Int(b)) => a.cmp(&b),
        (Long(a), Long(b)) => a.cmp(&b),
        (Double(a), Double(b)) => compare_doubles(a, b),
        (Str(a), Str(b)) => compare_strings(a, b),
        // Java casts the boolean itself to String here and fails.
        (Bool(_), Str(_)) => {
            return Err(EvalError::IncompatibleTypes(
                "a boolean cannot be compared with a string",
            ))
        }
        (Int(a), Long(b)) => i64::from(a).cmp(&b),
        (Int(a), Double(b)) => compare_doubles(f64::from(a), b),
        (Int(a), Str(b)) => a.cmp(&as_int(b)?),
        (Long(a), Int(b)) => a.cmp(&i64::from(b)),
        (Long(a), Double(b)) => compare_doubles(a as f64, b),
        (Long(a), Str(b)) => a.cmp(&as_long(b)?),
        (Double(a), Int(b)) => compare_doubles(a, f64::from(b)),
        (Double(a), Long(b)) => compare_doubles(a, b as f64),
        (Double(a), Str(b)) => compare_doubles(a, as_double(b)?),
        (Str(a), Bool(b)) => parse_boolean(a).cmp(&b),
        (Str(a), Int(b)) => as_int(a)?.cmp(&b),
        (Str(a), Long(b)) => as_long(a)?.cmp(&b),
        (Str(a), Double(b)) => compare_doubles(as_double(a)?, b),
        // Remaining pairs (a boolean with a number, or NULL, which callers rule out first) are
        // incomparable: Java answers -1.
        _ => Ordering::Less,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::*;

    #[test]
    fn conversions_follow_the_left_or_right_type() {
        assert_eq!(compare(&Str("10"), &Int(5)), Ok(Ordering::Greater));
        assert_eq!(compare(&Str("05"), &Int(5)), Ok(Ordering::Equal));
        assert!(compare(&Str("10.5"), &Int(5)).is_err());
        assert!(compare(&Str("3000000000"), &Int(5)).is_err());
        assert_eq!(
            compare(&Str("3000000000"), &Long(3_000_000_001)),
            Ok(Ordering::Less)
        );
        assert_eq!(compare(&Str(" 10.5 "), &Double(5.0)), Ok(Ordering::Greater));
        assert_eq!(compare(&Int(1), &Double(1.0)), Ok(Ordering::Equal));
        assert_eq!(
            compare(&Long(3_000_000_000), &Int(1)),
            Ok(Ordering::Greater)
        );
        assert_eq!(compare(&Str("TRUE"), &Bool(true)), Ok(Ordering::Equal));
        assert_eq!(compare(&Str("yes"), &Bool(false)), Ok(Ordering::Equal));
        assert!(compare(&Bool(true), &Str("true")).is_err());
        assert_eq!(compare(&Bool(true), &Int(1)), Ok(Ordering::Less));
        assert_eq!(compare(&Int(1), &Bool(true)), Ok(Ordering::Less));
        assert_eq!(compare(&Str("NaN"), &Double(1.0)), Ok(Ordering::Greater));
    }
}
