//! The producer side: routes, sends, transactions, recall.

pub mod recall;
pub mod route;
pub mod send;
pub mod transaction;
