//! Tokens of RocketMQ's selector grammar (`SelectorParser.jj`), with JavaCC's longest-match
//! rule: keywords are case-insensitive and win over identifiers of the same length;
//! identifiers are `[A-Za-z_$][A-Za-z0-9_$]*` and case-sensitive; numbers are decimal longs
//! (`0` or `[1-9][0-9]*`, optional `L`) and floats (`1.`, `.5`, `1.5e-3`, `5E10`); strings are
//! `'…'` with `''` for a quote. Whitespace is space, tab, CR, LF and form feed; `--` comments
//! need a line end and `/* */` comments must be closed.

use crate::error::CompileError;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Not,
    And,
    Or,
    Between,
    In,
    True,
    False,
    Null,
    Is,
    Contains,
    StartsWith,
    EndsWith,
    /// A decimal integer literal, text still undecoded.
    Decimal,
    /// A floating point literal, text still undecoded.
    Float,
    /// A quoted string literal, text still quoted.
    Str,
    Id,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    LParen,
    Comma,
    RParen,
    Plus,
    Minus,
    Eof,
}

impl TokenKind {
    /// How the token is named in error messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            TokenKind::Not => "NOT",
            TokenKind::And => "AND",
            TokenKind::Or => "OR",
            TokenKind::Between => "BETWEEN",
            TokenKind::In => "IN",
            TokenKind::True => "TRUE",
            TokenKind::False => "FALSE",
            TokenKind::Null => "NULL",
            TokenKind::Is => "IS",
            TokenKind::Contains => "CONTAINS",
            TokenKind::StartsWith => "STARTSWITH",
            TokenKind::EndsWith => "ENDSWITH",
            TokenKind::Decimal => "an integer",
            TokenKind::Float => "a number",
            TokenKind::Str => "a string",
            TokenKind::Id => "a property name",
            TokenKind::Eq => "\"=\"",
            TokenKind::Ne => "\"<>\"",
            TokenKind::Gt => "\">\"",
            TokenKind::Ge => "\">=\"",
            TokenKind::Lt => "\"<\"",
            TokenKind::Le => "\"<=\"",
            TokenKind::LParen => "\"(\"",
            TokenKind::Comma => "\",\"",
            TokenKind::RParen => "\")\"",
            TokenKind::Plus => "\"+\"",
            TokenKind::Minus => "\"-\"",
            TokenKind::Eof => "end of expression",
        }
    }
}

/// One token: its kind, its source text and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'s> {
    pub kind: TokenKind,
    pub text: &'s str,
    pub offset: usize,
}

const KEYWORDS: [(&str, TokenKind); 12] = [
    ("NOT", TokenKind::Not),
    ("AND", TokenKind::And),
    ("OR", TokenKind::Or),
    ("BETWEEN", TokenKind::Between),
    ("IN", TokenKind::In),
    ("TRUE", TokenKind::True),
    ("FALSE", TokenKind::False),
    ("NULL", TokenKind::Null),
    ("IS", TokenKind::Is),
    ("CONTAINS", TokenKind::Contains),
    ("STARTSWITH", TokenKind::StartsWith),
    ("ENDSWITH", TokenKind::EndsWith),
];

/// Whether `word` is a reserved word (and so can never name a property).
#[cfg(test)]
pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|(k, _)| k.eq_ignore_ascii_case(word))
}

fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_id_part(b: u8) -> bool {
    is_id_start(b) || b.is_ascii_digit()
}

/// Reads tokens one at a time. Java's generated parser lexes lazily too, so text after the
/// last token the parser looks at is never lexed (and its lexical errors never reported).
#[derive(Debug, Clone)]
pub(crate) struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Lexer<'s> {
    /// A lexer at the start of `src`.
    pub(crate) fn new(src: &'s str) -> Self {
        Lexer { src, pos: 0 }
    }

    /// The next token; [`TokenKind::Eof`] (repeatedly) at the end.
    pub(crate) fn next_token(&mut self) -> Result<Token<'s>, CompileError> {
        let i = skip_blanks(self.src, self.pos)?;
        if i >= self.src.len() {
            self.pos = i;
            return Ok(Token {
                kind: TokenKind::Eof,
                text: "",
                offset: i,
            });
        }
        let (kind, len) = next_token(self.src, i)?;
        self.pos = i + len;
        Ok(Token {
            kind,
            text: &self.src[i..i + len],
            offset: i,
        })
    }
}

/// Splits all of `src` into tokens, ending with one [`TokenKind::Eof`].
#[cfg(test)]
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token<'_>>, CompileError> {
    let mut lexer = Lexer::new(src);
    let mut tokens = Vec::new();
    loop {
        let t = lexer.next_token()?;
        tokens.push(t);
        if t.kind == TokenKind::Eof {
            return Ok(tokens);
        }
    }
}

/// Skips whitespace and complete comments; an unclosed `/*` is an error (`/` is no token).
fn skip_blanks(src: &str, mut i: usize) -> Result<usize, CompileError> {
    let b = src.as_bytes();
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0C => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                // A line comment only exists with its line end; otherwise these are two minus
                // signs.
                match b[i + 2..].iter().position(|&c| c == b'\n' || c == b'\r') {
                    Some(end) => i += 2 + end + 1,
                    None => return Ok(i),
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match src[i + 2..].find("*/") {
                Some(end) => i += 2 + end + 2,
                None => return Err(CompileError::at(src, i, "unclosed comment")),
            },
            _ => return Ok(i),
        }
    }
    Ok(i)
}

fn next_token(src: &str, i: usize) -> Result<(TokenKind, usize), CompileError> {
    let b = src.as_bytes();
    let c = b[i];
    let two = |second: u8| b.get(i + 1) == Some(&second);
    let simple = match c {
        b'=' => Some((TokenKind::Eq, 1)),
        b'<' if two(b'>') => Some((TokenKind::Ne, 2)),
        b'<' if two(b'=') => Some((TokenKind::Le, 2)),
        b'<' => Some((TokenKind::Lt, 1)),
        b'>' if two(b'=') => Some((TokenKind::Ge, 2)),
        b'>' => Some((TokenKind::Gt, 1)),
        b'(' => Some((TokenKind::LParen, 1)),
        b')' => Some((TokenKind::RParen, 1)),
        b',' => Some((TokenKind::Comma, 1)),
        b'+' => Some((TokenKind::Plus, 1)),
        b'-' => Some((TokenKind::Minus, 1)),
        _ => None,
    };
    if let Some(t) = simple {
        return Ok(t);
    }
    if is_id_start(c) {
        let len = b[i..].iter().take_while(|&&c| is_id_part(c)).count();
        let word = &src[i..i + len];
        let kind = KEYWORDS
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(word))
            .map_or(TokenKind::Id, |(_, kind)| *kind);
        return Ok((kind, len));
    }
    if c.is_ascii_digit() || c == b'.' {
        return number(src, i);
    }
    if c == b'\'' {
        return string(src, i);
    }
    let ch = src[i..].chars().next().unwrap_or('\u{FFFD}');
    Err(CompileError::at(
        src,
        i,
        format!("unexpected character {ch:?}"),
    ))
}

/// The longest of a decimal literal and a floating point literal starting at `i`.
fn number(src: &str, i: usize) -> Result<(TokenKind, usize), CompileError> {
    let b = &src.as_bytes()[i..];
    let digits = |from: usize| {
        b[from.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let exponent = |from: usize| -> usize {
        if !matches!(b.get(from), Some(b'e' | b'E')) {
            return 0;
        }
        let sign = usize::from(matches!(b.get(from + 1), Some(b'+' | b'-')));
        let n = digits(from + 1 + sign);
        if n == 0 {
            0
        } else {
            1 + sign + n
        }
    };
    let int_len = digits(0);
    let float_len = if b.get(int_len) == Some(&b'.') {
        let frac = digits(int_len + 1);
        if int_len == 0 && frac == 0 {
            None
        } else {
            let end = int_len + 1 + frac;
            Some(end + exponent(end))
        }
    } else if int_len > 0 {
        Some(exponent(int_len))
            .filter(|&n| n > 0)
            .map(|n| int_len + n)
    } else {
        None
    };
    let decimal_len = match b.first() {
        Some(b'0') => 1,
        Some(b'1'..=b'9') => int_len + usize::from(matches!(b.get(int_len), Some(b'l' | b'L'))),
        _ => 0,
    };
    match float_len {
        Some(f) if f > decimal_len => Ok((TokenKind::Float, f)),
        _ if decimal_len > 0 => Ok((TokenKind::Decimal, decimal_len)),
        _ => Err(CompileError::at(src, i, "unexpected character '.'")),
    }
}

/// A quoted string; `''` inside stands for one quote.
fn string(src: &str, i: usize) -> Result<(TokenKind, usize), CompileError> {
    let b = src.as_bytes();
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'\'' {
            if b.get(j + 1) == Some(&b'\'') {
                j += 2;
                continue;
            }
            return Ok((TokenKind::Str, j + 1 - i));
        }
        j += 1;
    }
    Err(CompileError::at(src, i, "unterminated string literal"))
}

/// The value of a string token: quotes removed, `''` turned into `'`.
pub(crate) fn unquote(text: &str) -> String {
    let inner = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .unwrap_or(text);
    inner.replace("''", "'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(src: &str) -> Vec<(TokenKind, &str)> {
        tokenize(src)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn keywords_ignore_case_and_lose_to_longer_identifiers() {
        assert_eq!(
            kinds("not And oR isx IS inner $a_1 In"),
            vec![
                (Not, "not"),
                (And, "And"),
                (Or, "oR"),
                (Id, "isx"),
                (Is, "IS"),
                (Id, "inner"),
                (Id, "$a_1"),
                (In, "In"),
                (Eof, "")
            ]
        );
        assert!(is_keyword("startsWith") && !is_keyword("starts"));
    }

    #[test]
    fn numbers_take_the_longest_match() {
        assert_eq!(
            kinds("0 05 5L 0L 1e5 1e 5. .5 5.5e-3 1.e2 5.5L 0x1"),
            vec![
                (Decimal, "0"),
                (Decimal, "0"),
                (Decimal, "5"),
                (Decimal, "5L"),
                (Decimal, "0"),
                (Id, "L"),
                (Float, "1e5"),
                (Decimal, "1"),
                (Id, "e"),
                (Float, "5."),
                (Float, ".5"),
                (Float, "5.5e-3"),
                (Float, "1.e2"),
                (Float, "5.5"),
                (Id, "L"),
                (Decimal, "0"),
                (Id, "x1"),
                (Eof, "")
            ]
        );
        assert_eq!(kinds("05.5"), vec![(Float, "05.5"), (Eof, "")]);
    }

    #[test]
    fn operators_strings_and_comments() {
        assert_eq!(
            kinds("a<>'it''s'<=>=< > -- note\n/* c */(,)+-"),
            vec![
                (Id, "a"),
                (Ne, "<>"),
                (Str, "'it''s'"),
                (Le, "<="),
                (Ge, ">="),
                (Lt, "<"),
                (Gt, ">"),
                (LParen, "("),
                (Comma, ","),
                (RParen, ")"),
                (Plus, "+"),
                (Minus, "-"),
                (Eof, "")
            ]
        );
        assert_eq!(unquote("'it''s'"), "it's");
        // An unterminated line comment is two minus signs.
        assert_eq!(
            kinds("--x"),
            vec![(Minus, "-"), (Minus, "-"), (Id, "x"), (Eof, "")]
        );
    }

    #[test]
    fn lexical_errors_have_positions() {
        let e = tokenize("a = 'x").unwrap_err();
        assert_eq!((e.offset, e.column), (4, 5));
        assert_eq!(e.message, "unterminated string literal");
        let e = tokenize("a.b = 1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected character '.' at line 1, column 2"
        );
        let e = tokenize("a\n = é").unwrap_err();
        assert_eq!((e.line, e.column), (2, 4));
        assert!(tokenize("a /* open").is_err());
        assert!(tokenize("a\u{a0}= 1").is_err());
    }
}
