//! The selector's syntax tree, kept close to what was written (`<>`, `BETWEEN`, `IS NOT NULL`
//! are nodes of their own) so it prints back as SQL; `Display` re-parses to an equal tree.
//! `AND`/`OR` chains are flattened: with left-to-right short-circuiting, grouping does not
//! change their result.

use std::fmt;

#[cfg(test)]
use super::lexer::is_keyword;

/// A literal value. Integer literals become `Int` when they fit Java's `int`, else `Long`, as
/// Java types them; this matters when a property value is converted for a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    String(String),
}

/// `=`, `<>` and the ordered comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        }
    }

    /// `=` and `<>` bind looser than the ordered comparisons.
    pub fn is_equality(self) -> bool {
        matches!(self, CompareOp::Eq | CompareOp::Ne)
    }
}

/// The 5.x string predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringOp {
    Contains,
    StartsWith,
    EndsWith,
}

impl StringOp {
    /// The keyword as written.
    pub fn keyword(self) -> &'static str {
        match self {
            StringOp::Contains => "CONTAINS",
            StringOp::StartsWith => "STARTSWITH",
            StringOp::EndsWith => "ENDSWITH",
        }
    }
}

/// A selector expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Literal),
    /// A message property, by case-sensitive name.
    Property(String),
    /// Unary minus.
    Negate(Box<Expr>),
    Not(Box<Expr>),
    /// Two or more operands, none of them an `And`.
    And(Vec<Expr>),
    /// Two or more operands, none of them an `Or`.
    Or(Vec<Expr>),
    Compare {
        op: CompareOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `x IS NULL`, or `x IS NOT NULL` when `negated`.
    IsNull {
        operand: Box<Expr>,
        negated: bool,
    },
    /// `x [NOT] BETWEEN low AND high`.
    Between {
        operand: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `property [NOT] IN ('a', ...)`: Java only allows a property on the left.
    In {
        property: String,
        values: Vec<String>,
        negated: bool,
    },
    /// `x [NOT] CONTAINS|STARTSWITH|ENDSWITH 'pattern'`.
    StringMatch {
        op: StringOp,
        operand: Box<Expr>,
        pattern: String,
        negated: bool,
    },
}

impl Expr {
    /// `left AND right`, flattening nested `And`s.
    pub fn and(left: Expr, right: Expr) -> Expr {
        Expr::And(flatten(left, right, |e| match e {
            Expr::And(v) => Ok(v),
            other => Err(other),
        }))
    }

    /// `left OR right`, flattening nested `Or`s.
    pub fn or(left: Expr, right: Expr) -> Expr {
        Expr::Or(flatten(left, right, |e| match e {
            Expr::Or(v) => Ok(v),
            other => Err(other),
        }))
    }

    /// Whether Java types this node as a boolean expression (`BooleanExpression`): logic,
    /// comparisons, predicates and the `TRUE`/`FALSE`/`NULL` constants. Properties are not,
    /// but are cast where a boolean is required.
    pub fn is_boolean(&self) -> bool {
        match self {
            Expr::Literal(l) => matches!(l, Literal::Bool(_) | Literal::Null),
            Expr::Property(_) | Expr::Negate(_) => false,
            _ => true,
        }
    }

    /// Binding strength, loosest first: OR 1, AND 2, `=`/`<>`/IS 3, `>`/BETWEEN/IN/CONTAINS 4,
    /// unary 5, atoms 6.
    fn precedence(&self) -> u8 {
        match self {
            Expr::Or(_) => 1,
            Expr::And(_) => 2,
            Expr::Compare { op, .. } if op.is_equality() => 3,
            Expr::IsNull { .. } => 3,
            Expr::Compare { .. } | Expr::Between { .. } | Expr::In { .. } => 4,
            Expr::StringMatch { .. } => 4,
            Expr::Negate(_) | Expr::Not(_) => 5,
            Expr::Literal(_) | Expr::Property(_) => 6,
        }
    }
}

fn flatten(left: Expr, right: Expr, split: impl Fn(Expr) -> Result<Vec<Expr>, Expr>) -> Vec<Expr> {
    let mut out = Vec::new();
    for e in [left, right] {
        match split(e) {
            Ok(v) => out.extend(v),
            Err(single) => out.push(single),
        }
    }
    out
}

/// Writes `s` as a SQL string literal.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether `name` can be written as a property reference.
#[cfg(test)]
pub(crate) fn is_valid_property_name(name: &str) -> bool {
    let b = name.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'$' => {}
        _ => return false,
    }
    b.iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
        && !is_keyword(name)
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Bool(true) => f.write_str("TRUE"),
            Literal::Bool(false) => f.write_str("FALSE"),
            Literal::Int(v) => write!(f, "{v}"),
            Literal::Long(v) => write!(f, "{v}"),
            // Debug is the shortest text that reads back to the same value, and uses an
            // exponent or a point so it lexes as a float again.
            Literal::Double(v) => write!(f, "{v:?}"),
            Literal::String(s) => f.write_str(&quote(s)),
        }
    }
}

/// Writes `e`, in parentheses if it binds looser than `min`.
fn operand(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if e.precedence() < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = |negated: bool| if negated { "NOT " } else { "" };
        match self {
            Expr::Literal(l) => write!(f, "{l}"),
            Expr::Property(name) => f.write_str(name),
            Expr::Negate(inner) => {
                // "- -x", never "--x", which would open a comment.
                f.write_str(if matches!(**inner, Expr::Negate(_)) {
                    "- "
                } else {
                    "-"
                })?;
                operand(f, inner, 5)
            }
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                operand(f, inner, 5)
            }
            Expr::And(items) | Expr::Or(items) => {
                let (sep, min) = match self {
                    Expr::And(_) => (" AND ", 3),
                    _ => (" OR ", 2),
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    operand(f, item, min)?;
                }
                Ok(())
            }
            Expr::Compare { op, left, right } => {
                let level = if op.is_equality() { 3 } else { 4 };
                operand(f, left, level)?;
                write!(f, " {} ", op.symbol())?;
                operand(f, right, level + 1)
            }
            Expr::IsNull {
                operand: e,
                negated,
            } => {
                operand(f, e, 3)?;
                write!(f, " IS {}NULL", not(*negated))
            }
            Expr::Between {
                operand: e,
                low,
                high,
                negated,
            } => {
                operand(f, e, 4)?;
                write!(f, " {}BETWEEN ", not(*negated))?;
                operand(f, low, 5)?;
                f.write_str(" AND ")?;
                operand(f, high, 5)
            }
            Expr::In {
                property,
                values,
                negated,
            } => {
                write!(f, "{property} {}IN (", not(*negated))?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&quote(v))?;
                }
                f.write_str(")")
            }
            Expr::StringMatch {
                op,
                operand: e,
                pattern,
                negated,
            } => {
                operand(f, e, 4)?;
                write!(f, " {}{} {}", not(*negated), op.keyword(), quote(pattern))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(n: &str) -> Expr {
        Expr::Property(n.into())
    }

    fn int(v: i32) -> Expr {
        Expr::Literal(Literal::Int(v))
    }

    #[test]
    fn and_or_flatten() {
        let e = Expr::and(
            Expr::and(prop("a"), prop("b")),
            Expr::and(prop("c"), prop("d")),
        );
        assert_eq!(
            e,
            Expr::And(vec![prop("a"), prop("b"), prop("c"), prop("d")])
        );
        let o = Expr::or(prop("a"), Expr::and(prop("b"), prop("c")));
        assert_eq!(o.to_string(), "a OR b AND c");
        let a = Expr::and(Expr::or(prop("a"), prop("b")), prop("c"));
        assert_eq!(a.to_string(), "(a OR b) AND c");
    }

    #[test]
    fn prints_minimal_parentheses() {
        let eq = Expr::Compare {
            op: CompareOp::Eq,
            left: Box::new(Expr::Compare {
                op: CompareOp::Eq,
                left: Box::new(prop("a")),
                right: Box::new(int(1)),
            }),
            right: Box::new(Expr::Compare {
                op: CompareOp::Eq,
                left: Box::new(prop("b")),
                right: Box::new(int(2)),
            }),
        };
        assert_eq!(eq.to_string(), "a = 1 = (b = 2)");
        let neg = Expr::Negate(Box::new(Expr::Negate(Box::new(int(5)))));
        assert_eq!(neg.to_string(), "- -5");
        let not = Expr::Not(Box::new(Expr::IsNull {
            operand: Box::new(prop("a")),
            negated: true,
        }));
        assert_eq!(not.to_string(), "NOT (a IS NOT NULL)");
        let s = Expr::StringMatch {
            op: StringOp::EndsWith,
            operand: Box::new(prop("a")),
            pattern: "it's".into(),
            negated: true,
        };
        assert_eq!(s.to_string(), "a NOT ENDSWITH 'it''s'");
        assert_eq!(Literal::Double(1e300).to_string(), "1e300");
        assert_eq!(Literal::Double(2.0).to_string(), "2.0");
    }

    #[test]
    fn property_names() {
        assert!(is_valid_property_name("$a_1"));
        assert!(!is_valid_property_name("1a"));
        assert!(!is_valid_property_name("a.b"));
        assert!(!is_valid_property_name("between"));
        assert!(!is_valid_property_name(""));
    }
}
