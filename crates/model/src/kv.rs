//! Key/value tables: the `KVTable` body (KV-config namespaces, `GET_BROKER_RUNTIME_INFO`) and
//! the NameServer's `kvConfig.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lenient;

/// `{"table":{"k":"v",…}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KVTable {
    /// The entries.
    #[serde(deserialize_with = "lenient::null_default")]
    pub table: BTreeMap<String, String>,
}

impl KVTable {
    /// Sets `key` to `value`, e.g. a runtime-info figure.
    pub fn put(&mut self, key: impl Into<String>, value: impl ToString) {
        self.table.insert(key.into(), value.to_string());
    }
}

/// NameServer `kvConfig.json`: `{"configTable":{"ORDER_TOPIC_CONFIG":{"T":"broker-a:4"}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KvConfigSerializeWrapper {
    /// Namespace → key → value.
    #[serde(deserialize_with = "lenient::null_default")]
    pub config_table: BTreeMap<String, BTreeMap<String, String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use proptest::prelude::*;

    #[test]
    fn shapes() {
        let mut kv = KVTable::default();
        kv.put("putTps", "1.0 2.0 3.0");
        kv.put("brokerActive", true);
        assert_eq!(
            serde_json::to_string(&kv).unwrap(),
            r#"{"table":{"brokerActive":"true","putTps":"1.0 2.0 3.0"}}"#
        );
        let file: KvConfigSerializeWrapper =
            from_fastjson("{\n\t\"configTable\":{\n\t\t\"ORDER_TOPIC_CONFIG\":{\n\t\t\t\"T\":\"broker-a:4\"\n\t\t}\n\t}\n}").unwrap();
        assert_eq!(file.config_table["ORDER_TOPIC_CONFIG"]["T"], "broker-a:4");
    }

    proptest! {
        #[test]
        fn round_trips(table in prop::collection::btree_map(".{0,8}", ".{0,8}", 0..5),
                       ns in prop::collection::btree_map("[A-Z_]{1,8}", prop::collection::btree_map(".{0,8}", ".{0,8}", 0..3), 0..3)) {
            let kv = KVTable { table };
            prop_assert_eq!(from_fastjson::<KVTable>(&serde_json::to_string(&kv).unwrap()).unwrap(), kv);
            let file = KvConfigSerializeWrapper { config_table: ns };
            prop_assert_eq!(from_fastjson::<KvConfigSerializeWrapper>(&serde_json::to_string_pretty(&file).unwrap()).unwrap(), file);
        }
    }
}
