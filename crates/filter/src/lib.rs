//! FerroMQ message filtering, as the RocketMQ broker applies it when serving a pull.
//!
//! - [`message_filter`]: [`MessageFilter`], built from `(expressionType, expression)`; the two
//!   pull stages (ConsumeQueue tag code, then record properties).
//! - [`tag`]: [`TagFilter`], `TagA || TagB` subscriptions (hash `codeSet` on the broker, exact
//!   `tagsSet` on the client).
//! - [`sql`]: the SQL92 selector — lexer, parser, syntax tree, evaluator with Java's
//!   three-valued logic and value conversions; [`SqlFilter`] is the compiled form.
//! - [`lookup`]: [`PropertyLookup`], where the selector reads properties from.
//! - [`error`]: [`FilterError`], [`CompileError`] (with line/column), [`EvalError`].

pub mod error;
pub mod lookup;
pub mod message_filter;
pub mod sql;
pub mod tag;

pub use error::{CompileError, EvalError, FilterError};
pub use lookup::{EncodedProperties, PropertyLookup};
pub use message_filter::{ExpressionType, MessageFilter};
pub use sql::SqlFilter;
pub use tag::TagFilter;
