//! The operand checks Java's expression constructors make while parsing, which turn some
//! syntactically fine selectors into compile errors: `>`/`<`/`BETWEEN` only take numbers,
//! properties and negations; `= NULL` is rejected (use `IS NULL`); `TRUE = 'x'` is rejected;
//! `IN` needs a property; `AND`/`OR`/`NOT` and the whole selector need something boolean.

use super::ast::{Expr, Literal};
use super::value::{compare, Value};
use std::cmp::Ordering;

/// Operands of `AND`, `OR`, `NOT` and the selector itself: boolean expressions, or a property
/// (which Java casts: a string value is then FALSE, a missing one NULL).
pub(crate) fn check_boolean(e: &Expr) -> Result<(), String> {
    if e.is_boolean() || matches!(e, Expr::Property(_)) {
        Ok(())
    } else {
        Err(format!(
            "expression will not result in a boolean value: {e}"
        ))
    }
}

/// Operands of `>`, `>=`, `<`, `<=` and `BETWEEN`.
pub(crate) fn check_ordered_operand(e: &Expr) -> Result<(), String> {
    let comparable = match e {
        Expr::Literal(l) => matches!(l, Literal::Int(_) | Literal::Long(_) | Literal::Double(_)),
        other => !other.is_boolean(),
    };
    if comparable {
        Ok(())
    } else {
        Err(format!("value {e} cannot be compared with >, >=, < or <="))
    }
}

/// Operands of `=` and `<>`.
pub(crate) fn check_equality(left: &Expr, right: &Expr) -> Result<(), String> {
    for e in [left, right] {
        if matches!(e, Expr::Literal(Literal::Null)) {
            return Err("NULL cannot be compared with = or <>, use IS NULL".into());
        }
    }
    if let (Expr::Literal(_), Expr::Literal(_)) = (left, right) {
        if left.is_boolean() && !right.is_boolean() {
            return Err(format!("{left} cannot be compared with {right}"));
        }
    }
    Ok(())
}

/// `BETWEEN` with two literal bounds requires them non-NULL and in order.
pub(crate) fn check_between_bounds(low: &Expr, high: &Expr) -> Result<(), String> {
    let (Expr::Literal(lo), Expr::Literal(hi)) = (low, high) else {
        return Ok(());
    };
    if matches!(lo, Literal::Null) || matches!(hi, Literal::Null) {
        return Err("the bounds of BETWEEN cannot be NULL".into());
    }
    match compare(&Value::from(hi), &Value::from(lo)) {
        Ok(Ordering::Less) => Err(format!(
            "the lower bound of BETWEEN ({low}) must not be greater than the upper bound ({high})"
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("invalid bounds of BETWEEN: {e}")),
    }
}

/// The left side of `IN`.
pub(crate) fn check_in_operand(e: &Expr) -> Result<(), String> {
    match e {
        Expr::Property(_) => Ok(()),
        other => Err(format!(
            "expected a property on the left of IN, got {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(l: Literal) -> Expr {
        Expr::Literal(l)
    }

    #[test]
    fn ordered_operands() {
        assert!(check_ordered_operand(&lit(Literal::Int(1))).is_ok());
        assert!(check_ordered_operand(&Expr::Property("a".into())).is_ok());
        assert!(check_ordered_operand(&Expr::Negate(Box::new(lit(Literal::Bool(true))))).is_ok());
        assert!(check_ordered_operand(&lit(Literal::String("x".into()))).is_err());
        assert!(check_ordered_operand(&lit(Literal::Bool(true))).is_err());
        assert!(check_ordered_operand(&Expr::Not(Box::new(Expr::Property("a".into())))).is_err());
    }

    #[test]
    fn equality_and_between() {
        let t = lit(Literal::Bool(true));
        let s = lit(Literal::String("x".into()));
        assert!(check_equality(&t, &s).is_err());
        assert!(check_equality(&s, &t).is_ok());
        assert!(check_equality(&t, &lit(Literal::Bool(false))).is_ok());
        assert!(check_equality(&Expr::Property("a".into()), &lit(Literal::Null)).is_err());
        assert!(check_between_bounds(&lit(Literal::Int(5)), &lit(Literal::Int(1))).is_err());
        assert!(check_between_bounds(&lit(Literal::Int(1)), &lit(Literal::Double(1.0))).is_ok());
        assert!(check_between_bounds(&lit(Literal::Int(1)), &s).is_err());
        assert!(check_between_bounds(&lit(Literal::Null), &lit(Literal::Int(1))).is_err());
        let neg = Expr::Negate(Box::new(lit(Literal::Int(1))));
        assert!(check_between_bounds(&lit(Literal::Int(5)), &neg).is_ok());
    }
}
