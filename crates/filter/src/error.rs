//! Errors: [`FilterError`] when a subscription cannot be compiled (the broker answers
//! `SUBSCRIPTION_PARSE_FAILED`), [`CompileError`] with the position of a bad SQL92 token, and
//! [`EvalError`] for the runtime failures Java raises as exceptions (the message is then
//! simply not delivered).

use thiserror::Error;

/// Why a subscription (expression type + expression) could not be turned into a filter.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FilterError {
    /// The `expressionType` is neither `TAG` nor `SQL92`.
    #[error("unknown expression type {0:?}, expected \"TAG\" or \"SQL92\"")]
    UnknownExpressionType(String),
    /// A tag subscription made only of `||` separators (Java: "subString split error").
    #[error("invalid tag subscription {0:?}: nothing between the `||` separators")]
    EmptyTagSubscription(String),
    /// The SQL92 selector does not compile. The message includes the position, so it can be
    /// sent to the subscriber as the response remark.
    #[error("invalid SQL92 expression: {0}")]
    Sql(#[from] CompileError),
}

/// A SQL92 selector that does not compile, with where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message} at line {line}, column {column}")]
pub struct CompileError {
    /// What is wrong, e.g. `expected ")" but found end of expression`.
    pub message: String,
    /// Byte offset into the expression.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl CompileError {
    /// An error at byte `offset` of `source`; line and column are derived from it.
    pub(crate) fn at(source: &str, offset: usize, message: impl Into<String>) -> Self {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let mut line = 1u32;
        let mut column = 1u32;
        let mut chars = source[..offset].chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' => {
                    line += 1;
                    column = 1;
                }
                // "\r\n" is one line break, a lone "\r" is one too (as JavaCC counts them).
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    column = 1;
                }
                _ => column += 1,
            }
        }
        CompileError {
            message: message.into(),
            offset,
            line,
            column,
        }
    }
}

/// A runtime failure while evaluating a selector against one message. Java throws here
/// (`NumberFormatException`, `ClassCastException`) and the broker then skips the message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvalError {
    /// A property value that had to be read as a number is not one.
    #[error("{value:?} is not a valid {target}")]
    NotANumber {
        /// The offending value.
        value: String,
        /// `int`, `long` or `double`, the Java type the comparison required.
        target: &'static str,
    },
    /// A boolean compared to a string with the boolean on the left (a `ClassCastException`
    /// in Java), or a non-boolean where a boolean was required.
    #[error("incompatible operand types: {0}")]
    IncompatibleTypes(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_chars() {
        let src = "a = 1\r\nAND é = ?";
        let off = src.find('?').unwrap();
        let e = CompileError::at(src, off, "boom");
        assert_eq!((e.line, e.column, e.offset), (2, 9, off));
        assert_eq!(e.to_string(), "boom at line 2, column 9");
        let e = CompileError::at("x\ry", 2, "m");
        assert_eq!((e.line, e.column), (2, 1));
        // Offsets inside a character move back to its start.
        let e = CompileError::at("aé", 2, "m");
        assert_eq!((e.offset, e.column), (1, 2));
    }
}
