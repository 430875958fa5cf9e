//! The broker-side filter of a subscription: TAG subscriptions filter on the ConsumeQueue tag
//! code; SQL92 subscriptions (with `enablePropertyFilter`) are compiled once per group and
//! topic and evaluated over each candidate record's properties.

use std::collections::{HashMap, VecDeque};
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
pub(crate) fn compile(sub: &SubscriptionData) -> Result<MessageFilter, String> {
    MessageFilter::build(Some(type_name(sub.expression_type)), &sub.sub_string)
        .map_err(|e| e.to_string())
}

/// A compiled filter and the expression it was compiled from.
type Compiled = (ExpressionType, String, Arc<MessageFilter>);

/// Compiled filters by (group, topic), recompiled when the expression changes. Groups and
/// topics come from clients, so the cache is bounded: past its capacity the oldest entry
/// goes (a later pull of that group compiles it again).
pub struct FilterCache {
    inner: Mutex<Entries>,
    capacity: usize,
}

#[derive(Default)]
struct Entries {
    compiled: HashMap<(String, String), Compiled>,
    /// Keys in insertion order, for eviction.
    order: VecDeque<(String, String)>,
}

impl Default for FilterCache {
    fn default() -> Self {
        Self::with_capacity(crate::limits::MAX_COMPILED_FILTERS)
    }
}

impl FilterCache {
    /// A cache holding at most `capacity` compiled filters.
    pub fn with_capacity(capacity: usize) -> Self {
        FilterCache {
            inner: Mutex::new(Entries::default()),
            capacity: capacity.max(1),
        }
    }

    /// Compiled filters held.
    pub fn len(&self) -> usize {
        self.inner.lock().compiled.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The compiled filter of `group`'s subscription `sub`.
    pub fn get(&self, group: &str, sub: &SubscriptionData) -> Result<Arc<MessageFilter>, String> {
        let key = (group.to_string(), sub.topic.clone());
        if let Some((t, expr, f)) = self.inner.lock().compiled.get(&key) {
            if *t == sub.expression_type && *expr == sub.sub_string {
                return Ok(f.clone());
            }
        }
        let f = Arc::new(compile(sub)?);
        let mut e = self.inner.lock();
        let value = (sub.expression_type, sub.sub_string.clone(), f.clone());
        if e.compiled.insert(key.clone(), value).is_none() {
            e.order.push_back(key);
            while e.compiled.len() > self.capacity {
                let Some(oldest) = e.order.pop_front() else {
                    break;
                };
                e.compiled.remove(&oldest);
            }
        }
        Ok(f)
    }
}

/// Adapts a compiled filter to the store's two-stage pull filter.
pub(crate) struct StoreFilter(pub Arc<MessageFilter>);

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
    pub(crate) fn wake_codes(&self) -> Option<Vec<i32>> {
        match self.0.as_ref() {
            MessageFilter::Tag(t) if !t.is_all() => Some(t.codes().collect()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub_ok() -> SubscriptionData {
        SubscriptionData::build("T", "a > 5", ExpressionType::Sql92)
    }

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
        let small = FilterCache::with_capacity(2);
        for g in ["g1", "g2", "g3", "g1"] {
            small.get(g, &sub_ok()).unwrap();
        }
        assert_eq!(small.len(), 2, "bounded");
        let tag = SubscriptionData::from_expression("T", "A || B");
        let f = StoreFilter(cache.get("g", &tag).unwrap());
        assert_eq!(f.wake_codes().map(|c| c.len()), Some(2));
    }
}
