//! The SQL92 selector (`expressionType=SQL92`): [`lexer`] → [`parser`] (with Java's operand
//! checks in [`typing`]) → [`ast`] → [`eval`] over message properties, using Java's value
//! conversions ([`value`], [`java_number`]). [`SqlFilter`] is the compiled form.

pub(crate) mod ast;
mod eval;
mod java_number;
mod lexer;
mod parser;
mod typing;
mod value;

use crate::error::{CompileError, EvalError};
use crate::lookup::PropertyLookup;
use ast::Expr;

/// A compiled SQL92 selector.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    source: String,
    expr: Expr,
    ignored_from: Option<usize>,
}

impl SqlFilter {
    /// Compiles `source`; an empty selector is an error, as Java refuses it. Text after a
    /// complete expression is ignored, as Java ignores it (see [`SqlFilter::ignored_suffix`]).
    pub fn compile(source: &str) -> Result<Self, CompileError> {
        if source.is_empty() {
            return Err(CompileError::at(source, 0, "empty SQL92 expression"));
        }
        let parsed = parser::parse(source)?;
        if let Some(from) = parsed.ignored_from {
            tracing::debug!(
                selector = source,
                ignored = &source[from..],
                "SQL92 selector has trailing text"
            );
        }
        Ok(SqlFilter {
            source: source.to_string(),
            expr: parsed.expr,
            ignored_from: parsed.ignored_from,
        })
    }

    /// Text after the expression that Java's parser (and so this one) silently ignores, e.g.
    /// `b = 2` in `a = 1 b = 2`. Worth a warning to whoever wrote the selector.
    pub fn ignored_suffix(&self) -> Option<&str> {
        self.ignored_from.map(|from| &self.source[from..])
    }

    /// The selector as the subscriber wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The selector's three-valued result for one message: `Ok(None)` is SQL's unknown.
    /// `Err` is where Java throws (a non-numeric value compared with a number, …).
    pub fn evaluate<P: PropertyLookup + ?Sized>(
        &self,
        props: &P,
    ) -> Result<Option<bool>, EvalError> {
        eval::eval_bool(&self.expr, props)
    }

    /// Whether a message is delivered: only a TRUE result matches; unknown and evaluation
    /// errors do not (the broker logs and skips, as Java does).
    pub fn matches<P: PropertyLookup + ?Sized>(&self, props: &P) -> bool {
        match self.evaluate(props) {
            Ok(result) => result == Some(true),
            Err(error) => {
                tracing::debug!(selector = %self.source, %error, "SQL92 evaluation failed");
                false
            }
        }
    }
}

#[cfg(test)]
mod properties_tests;
