//! Recursive-descent parser for the selector grammar, one function per level of
//! `SelectorParser.jj` (loosest first):
//!
//! ```text
//! or       := and (OR and)*
//! and      := equality (AND equality)*
//! equality := compare ( "=" compare | "<>" compare | IS NULL | IS NOT NULL )*
//! compare  := unary ( (">"|">="|"<"|"<=") unary
//!                   | [NOT] (CONTAINS|STARTSWITH|ENDSWITH) string
//!                   | [NOT] BETWEEN unary AND unary
//!                   | [NOT] IN "(" string ("," string)* ")" )*
//! unary    := "+" unary | "-" unary | NOT unary | primary
//! primary  := literal | property | "(" or ")"
//! ```
//!
//! so `NOT` binds tighter than comparisons (`NOT a > 5` is an error in RocketMQ too), and
//! `AND` tighter than `OR`. Each node is checked as Java's constructors check it
//! ([`super::typing`]). Input length and nesting are bounded so a hostile selector cannot
//! exhaust the stack.

use super::ast::{CompareOp, Expr, Literal, StringOp};
use super::lexer::{unquote, Lexer, Token, TokenKind};
use super::typing;
use crate::error::CompileError;

/// Longest selector accepted, in bytes.
pub(crate) const MAX_EXPRESSION_LEN: usize = 64 * 1024;
/// Deepest nesting accepted: of parentheses and prefix operators while parsing, and of the
/// resulting tree.
pub(crate) const MAX_DEPTH: usize = 64;

/// Parses and checks a selector.
pub(crate) fn parse(src: &str) -> Result<Parsed, CompileError> {
    if src.len() > MAX_EXPRESSION_LEN {
        return Err(CompileError::at(
            src,
            MAX_EXPRESSION_LEN,
            format!("expression longer than {MAX_EXPRESSION_LEN} bytes"),
        ));
    }
    let mut p = Parser {
        src,
        lexer: Lexer::new(src),
        lookahead: Vec::new(),
        nesting: 0,
    };
    let start = p.peek()?.offset;
    let node = p.or()?;
    typing::check_boolean(&node.expr).map_err(|m| CompileError::at(src, start, m))?;
    let next = p.peek()?;
    Ok(Parsed {
        expr: node.expr,
        ignored_from: (next.kind != TokenKind::Eof).then_some(next.offset),
    })
}

/// A parsed selector.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    /// The syntax tree.
    pub expr: Expr,
    /// Where unparsed text starts, if there is any. Like Java's parser (whose grammar does
    /// not require the end of input), parsing stops after the longest complete expression
    /// and ignores the rest, so `a = 1)` means `a = 1`. Only the tokens the parser had to
    /// look at are lexed, so `a = 1 x .` compiles while `a = 1 .` does not, as in Java.
    pub ignored_from: Option<usize>,
}

/// An expression and the depth of its tree.
struct Node {
    expr: Expr,
    depth: usize,
}

struct Parser<'s> {
    src: &'s str,
    lexer: Lexer<'s>,
    /// Tokens lexed but not consumed yet (at most two).
    lookahead: Vec<Token<'s>>,
    /// Current recursion through parentheses and prefix operators.
    nesting: usize,
}

impl<'s> Parser<'s> {
    /// The next token, lexing it if needed.
    fn peek(&mut self) -> Result<Token<'s>, CompileError> {
        self.fill(1)?;
        Ok(self.lookahead[0])
    }

    /// The token after the next one (for `NOT BETWEEN`/`NOT IN`/…).
    fn peek2(&mut self) -> Result<Token<'s>, CompileError> {
        self.fill(2)?;
        Ok(self.lookahead[1])
    }

    fn fill(&mut self, n: usize) -> Result<(), CompileError> {
        while self.lookahead.len() < n {
            let t = self.lexer.next_token()?;
            self.lookahead.push(t);
        }
        Ok(())
    }

    fn bump(&mut self) -> Result<Token<'s>, CompileError> {
        let t = self.peek()?;
        self.lookahead.remove(0);
        Ok(t)
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> CompileError {
        CompileError::at(self.src, offset, message)
    }

    fn unexpected(&self, t: Token<'_>, expected: &str) -> CompileError {
        let found = if t.kind == TokenKind::Eof {
            "end of expression".to_string()
        } else {
            format!("{:?}", t.text)
        };
        self.error(t.offset, format!("expected {expected} but found {found}"))
    }

    fn expect(&mut self, kind: TokenKind) -> Result<Token<'s>, CompileError> {
        let t = self.peek()?;
        if t.kind == kind {
            Ok(self.bump()?)
        } else {
            Err(self.unexpected(t, kind.describe()))
        }
    }

    /// Wraps `expr` built over children of depth `child_depth`, enforcing the depth bound.
    fn node(&self, expr: Expr, child_depth: usize, offset: usize) -> Result<Node, CompileError> {
        let depth = child_depth + 1;
        if depth > MAX_DEPTH {
            return Err(self.error(offset, format!("expression nested deeper than {MAX_DEPTH}")));
        }
        Ok(Node { expr, depth })
    }

    fn enter(&mut self, offset: usize) -> Result<(), CompileError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(self.error(offset, format!("expression nested deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Node, CompileError> {
        let mut left = self.and()?;
        while self.peek()?.kind == TokenKind::Or {
            let op = self.bump()?;
            let right = self.and()?;
            left = self.logic(left, right, op.offset, Expr::or, |e| {
                matches!(e, Expr::Or(_))
            })?;
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, CompileError> {
        let mut left = self.equality()?;
        while self.peek()?.kind == TokenKind::And {
            let op = self.bump()?;
            let right = self.equality()?;
            left = self.logic(left, right, op.offset, Expr::and, |e| {
                matches!(e, Expr::And(_))
            })?;
        }
        Ok(left)
    }

    fn logic(
        &self,
        left: Node,
        right: Node,
        offset: usize,
        join: fn(Expr, Expr) -> Expr,
        is_list: fn(&Expr) -> bool,
    ) -> Result<Node, CompileError> {
        for side in [&left, &right] {
            typing::check_boolean(&side.expr).map_err(|m| self.error(offset, m))?;
        }
        // A side that is already a list of the same kind is spliced in, so its items (one
        // level down) become items of the new list.
        let items_depth = |n: &Node| {
            if is_list(&n.expr) {
                n.depth - 1
            } else {
                n.depth
            }
        };
        let depth = items_depth(&left).max(items_depth(&right));
        self.node(join(left.expr, right.expr), depth, offset)
    }

    fn equality(&mut self) -> Result<Node, CompileError> {
        let mut left = self.compare()?;
        loop {
            let t = self.peek()?;
            let (expr, depth) = match t.kind {
                TokenKind::Eq | TokenKind::Ne => {
                    self.bump()?;
                    let right = self.compare()?;
                    typing::check_equality(&left.expr, &right.expr)
                        .map_err(|m| self.error(t.offset, m))?;
                    let op = if t.kind == TokenKind::Eq {
                        CompareOp::Eq
                    } else {
                        CompareOp::Ne
                    };
                    let depth = left.depth.max(right.depth);
                    let expr = Expr::Compare {
                        op,
                        left: Box::new(left.expr),
                        right: Box::new(right.expr),
                    };
                    (expr, depth)
                }
                TokenKind::Is => {
                    self.bump()?;
                    let negated = self.peek()?.kind == TokenKind::Not;
                    if negated {
                        self.bump()?;
                    }
                    self.expect(TokenKind::Null)?;
                    let expr = Expr::IsNull {
                        operand: Box::new(left.expr),
                        negated,
                    };
                    (expr, left.depth)
                }
                _ => return Ok(left),
            };
            left = self.node(expr, depth, t.offset)?;
        }
    }

    fn compare(&mut self) -> Result<Node, CompileError> {
        let mut left = self.unary()?;
        loop {
            let t = self.peek()?;
            let negated = t.kind == TokenKind::Not;
            // After an operand, NOT can only start NOT CONTAINS/STARTSWITH/ENDSWITH/BETWEEN/IN.
            let after = if negated { self.peek2()? } else { t };
            let kind = after.kind;
            let (expr, depth) = match kind {
                TokenKind::Gt | TokenKind::Ge | TokenKind::Lt | TokenKind::Le if !negated => {
                    self.bump()?;
                    let right = self.unary()?;
                    for side in [&left.expr, &right.expr] {
                        typing::check_ordered_operand(side).map_err(|m| self.error(t.offset, m))?;
                    }
                    let op = match kind {
                        TokenKind::Gt => CompareOp::Gt,
                        TokenKind::Ge => CompareOp::Ge,
                        TokenKind::Lt => CompareOp::Lt,
                        _ => CompareOp::Le,
                    };
                    let depth = left.depth.max(right.depth);
                    let expr = Expr::Compare {
                        op,
                        left: Box::new(left.expr),
                        right: Box::new(right.expr),
                    };
                    (expr, depth)
                }
                TokenKind::Contains | TokenKind::StartsWith | TokenKind::EndsWith => {
                    self.skip_not(negated)?;
                    self.bump()?;
                    let pattern = unquote(self.expect(TokenKind::Str)?.text);
                    let op = match kind {
                        TokenKind::Contains => StringOp::Contains,
                        TokenKind::StartsWith => StringOp::StartsWith,
                        _ => StringOp::EndsWith,
                    };
                    let expr = Expr::StringMatch {
                        op,
                        operand: Box::new(left.expr),
                        pattern,
                        negated,
                    };
                    (expr, left.depth)
                }
                TokenKind::Between => {
                    self.skip_not(negated)?;
                    self.bump()?;
                    let low = self.unary()?;
                    self.expect(TokenKind::And)?;
                    let high = self.unary()?;
                    let check = || -> Result<(), String> {
                        if !negated {
                            typing::check_between_bounds(&low.expr, &high.expr)?;
                        }
                        for e in [&left.expr, &low.expr, &high.expr] {
                            typing::check_ordered_operand(e)?;
                        }
                        Ok(())
                    };
                    check().map_err(|m| self.error(t.offset, m))?;
                    let depth = left.depth.max(low.depth).max(high.depth);
                    let expr = Expr::Between {
                        operand: Box::new(left.expr),
                        low: Box::new(low.expr),
                        high: Box::new(high.expr),
                        negated,
                    };
                    (expr, depth)
                }
                TokenKind::In => {
                    self.skip_not(negated)?;
                    self.bump()?;
                    self.expect(TokenKind::LParen)?;
                    let mut values = vec![unquote(self.expect(TokenKind::Str)?.text)];
                    while self.peek()?.kind == TokenKind::Comma {
                        self.bump()?;
                        values.push(unquote(self.expect(TokenKind::Str)?.text));
                    }
                    self.expect(TokenKind::RParen)?;
                    typing::check_in_operand(&left.expr).map_err(|m| self.error(t.offset, m))?;
                    let Expr::Property(property) = left.expr else {
                        return Err(self.error(t.offset, "expected a property on the left of IN"));
                    };
                    let expr = Expr::In {
                        property,
                        values,
                        negated,
                    };
                    (expr, left.depth)
                }
                // Java enters this loop on any NOT, then finds no alternative.
                _ if negated => {
                    let expected = "CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN after NOT";
                    return Err(self.unexpected(after, expected));
                }
                _ => return Ok(left),
            };
            left = self.node(expr, depth, t.offset)?;
        }
    }

    fn skip_not(&mut self, negated: bool) -> Result<(), CompileError> {
        if negated {
            self.bump()?;
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Node, CompileError> {
        let t = self.peek()?;
        match t.kind {
            TokenKind::Plus | TokenKind::Minus | TokenKind::Not => {
                self.bump()?;
                self.enter(t.offset)?;
                let inner = self.unary()?;
                self.nesting -= 1;
                match t.kind {
                    // Unary plus leaves its operand as it is.
                    TokenKind::Plus => Ok(inner),
                    TokenKind::Minus => {
                        self.node(Expr::Negate(Box::new(inner.expr)), inner.depth, t.offset)
                    }
                    _ => {
                        typing::check_boolean(&inner.expr).map_err(|m| self.error(t.offset, m))?;
                        self.node(Expr::Not(Box::new(inner.expr)), inner.depth, t.offset)
                    }
                }
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Node, CompileError> {
        let t = self.bump()?;
        let literal = match t.kind {
            TokenKind::Str => Literal::String(unquote(t.text)),
            TokenKind::Decimal => self.decimal(t)?,
            TokenKind::Float => self.float(t)?,
            TokenKind::True => Literal::Bool(true),
            TokenKind::False => Literal::Bool(false),
            TokenKind::Null => Literal::Null,
            TokenKind::Id => {
                return Ok(Node {
                    expr: Expr::Property(t.text.to_string()),
                    depth: 1,
                })
            }
            TokenKind::LParen => {
                self.enter(t.offset)?;
                let inner = self.or()?;
                self.expect(TokenKind::RParen)?;
                self.nesting -= 1;
                return Ok(inner);
            }
            _ => return Err(self.unexpected(t, "a value, a property or \"(\"")),
        };
        Ok(Node {
            expr: Expr::Literal(literal),
            depth: 1,
        })
    }

    /// A decimal literal is a Java long (`L` suffix allowed), narrowed to int when it fits.
    fn decimal(&self, t: Token<'_>) -> Result<Literal, CompileError> {
        let digits = t.text.trim_end_matches(['l', 'L']);
        let v: i64 = digits
            .parse()
            .map_err(|_| self.error(t.offset, format!("integer {} is out of range", t.text)))?;
        Ok(match i32::try_from(v) {
            Ok(small) => Literal::Int(small),
            Err(_) => Literal::Long(v),
        })
    }

    /// A float literal must be finite and at least `Double.MIN_VALUE` (so `0.0` is refused,
    /// as in Java).
    fn float(&self, t: Token<'_>) -> Result<Literal, CompileError> {
        let v: f64 = t
            .text
            .parse()
            .map_err(|_| self.error(t.offset, format!("invalid number {}", t.text)))?;
        if v.is_infinite() {
            return Err(self.error(
                t.offset,
                format!("{} is greater than {:e}", t.text, f64::MAX),
            ));
        }
        if v == 0.0 {
            return Err(self.error(
                t.offset,
                format!("{} is less than the smallest double 4.9E-324", t.text),
            ));
        }
        Ok(Literal::Double(v))
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
