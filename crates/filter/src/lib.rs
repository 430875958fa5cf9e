//! FerroMQ message filtering, as the RocketMQ broker applies it when serving a pull.
//!
//! Everything public is exported here; the modules are private:
//! - `message_filter`: [`MessageFilter`], built from `(expressionType, expression)`; the two
//!   pull stages (ConsumeQueue tag code, then record properties).
//! - `tag`: [`TagFilter`], `TagA || TagB` subscriptions (hash `codeSet` on the broker, exact
//!   `tagsSet` on the client).
//! - `sql`: the SQL92 selector — lexer, parser, syntax tree ([`Expr`]), evaluator with Java's
//!   three-valued logic and value conversions; [`SqlFilter`] is the compiled form.
//! - `lookup`: [`PropertyLookup`], where the selector reads properties from.
//! - `error`: [`FilterError`], [`CompileError`] (with line/column), [`EvalError`].

#![warn(unreachable_pub)]

mod error;
mod lookup;
mod message_filter;
mod sql;
mod tag;

pub use error::{CompileError, EvalError, FilterError};
pub use lookup::{EncodedProperties, PropertyLookup};
pub use message_filter::{ExpressionType, MessageFilter};
pub use sql::ast::{CompareOp, Expr, Literal, StringOp};
pub use sql::SqlFilter;
pub use tag::TagFilter;
