//! The broker-side filter of a subscription: TAG subscriptions filter on the ConsumeQueue tag
//! code; SQL92 subscriptions (with `enablePropertyFilter`) are compiled once per group and
//! topic and evaluated over each candidate record's properties.

use std::collections::HashMap;
use std::sync::Arc;

use ferromq_filter::MessageFilter;
use ferromq_model::{ExpressionType, SubscriptionData};
use parking_lot::Mutex;

fn type_name(t: ExpressionType) -> &'static str {
    match t {
        ExpressionType::Tag => "TAG",
        ExpressionType::Sql92 => "SQL92",
    }
}

/// Compiles a subscription's expression.
pub fn compile(sub: &SubscriptionData) -> Result<MessageFilter, String> {
    MessageFilter::build(Some(type_name(sub.expression_type)), &sub.sub_string)
        .map_err(|e| e.to_string())
}

/// A compiled filter and the expression it was compiled from.
type Compiled = (ExpressionType, String, Arc<MessageFilter>);

/// Compiled filters by (group, topic), recompiled when the expression changes.
#[derive(Default)]
pub struct FilterCache {
    compiled: Mutex<HashMap<(String, String), Compiled>>,
}

impl FilterCache {
    /// The compiled filter of `group`'s subscription `sub`.
    pub fn get(&self, group: &str, sub: &SubscriptionData) -> Result<Arc<MessageFilter>, String> {
        let key = (group.to_string(), sub.topic.clone());
        if let Some((t, expr, f)) = self.compiled.lock().get(&key) {
            if *t == sub.expression_type && *expr == sub.sub_string {
                return Ok(f.clone());
            }
        }
        let f = Arc::new(compile(sub)?);
        self.compiled.lock().insert(
            key,
            (sub.expression_type, sub.sub_string.clone(), f.clone()),
        );
        Ok(f)
    }
}

/// Adapts a compiled filter to the store's two-stage pull filter.
pub struct StoreFilter(pub Arc<MessageFilter>);

impl ferromq_store::MessageFilter for StoreFilter {
    fn matches_tag_code(&self, tag_code: i64) -> bool {
        self.0.matches_tag_code(tag_code)
    }
    fn matches_properties(&self, properties: &[u8]) -> bool {
        self.0.matches_properties(properties)
    }
    fn needs_properties(&self) -> bool {
        self.0.needs_properties()
    }
}

impl StoreFilter {
    /// The tag codes a parked pull waits for (`None`: any arrival may match).
    pub fn wake_codes(&self) -> Option<Vec<i32>> {
        match self.0.as_ref() {
            MessageFilter::Tag(t) if !t.is_all() => Some(t.codes().collect()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_recompiles_on_change() {
        let cache = FilterCache::default();
        let mut sub = SubscriptionData::build("T", "a > 5", ExpressionType::Sql92);
        let f1 = cache.get("g", &sub).unwrap();
        assert!(Arc::ptr_eq(&f1, &cache.get("g", &sub).unwrap()));
        sub.sub_string = "a > 6".into();
        let f2 = cache.get("g", &sub).unwrap();
        assert!(!Arc::ptr_eq(&f1, &f2));
        sub.sub_string = "a >".into();
        assert!(cache.get("g", &sub).is_err());
        let tag = SubscriptionData::from_expression("T", "A || B");
        let f = StoreFilter(cache.get("g", &tag).unwrap());
        assert_eq!(f.wake_codes().map(|c| c.len()), Some(2));
    }
}
