//! fastjson's `PrettyFormat` (what `mqadmin topicRoute` prints via `toJson(true)`): Java beans
//! one field per line, tab-indented, keys sorted; lists one item per line; maps with their
//! entries on the opening line and the closing brace on its own line; numeric map keys
//! unquoted (`{0:"127.0.0.1:10911"}`).

use serde_json::Value;

/// Fields whose values are Java maps rather than beans.
const MAP_FIELDS: &[&str] = &[
    "brokerAddrs",
    "filterServerTable",
    "topicQueueMappingByBroker",
    "attributes",
    "table",
];

/// Renders `value` (a bean) like `JSON.toJSONString(obj, true)`.
pub fn fastjson_pretty(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0, false);
    out
}

fn indent(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push('\t');
    }
}

fn write_key(out: &mut String, key: &str, unquote_numbers: bool) {
    if unquote_numbers && !key.is_empty() && key.parse::<i64>().is_ok() {
        out.push_str(key);
    } else {
        out.push_str(&Value::String(key.to_string()).to_string());
    }
}

fn write_value(out: &mut String, value: &Value, level: usize, as_map: bool) {
    match value {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_value(out, item, level + 1, false);
            }
            indent(out, level);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) if as_map => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_key(out, k, true);
                out.push(':');
                write_value(out, v, level + 1, false);
            }
            indent(out, level);
            out.push('}');
        }
        Value::Object(map) => {
            out.push('{');
            let mut keys: Vec<&String> = map.keys().filter(|k| !map[*k].is_null()).collect();
            keys.sort();
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_key(out, k, false);
                out.push(':');
                write_value(out, &map[*k], level + 1, MAP_FIELDS.contains(&k.as_str()));
            }
            indent(out, level);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn route_like_fastjson_1_2_83() {
        // What fastjson 1.2.83 prints for this TopicRouteData (checked with the jar).
        let v = json!({
            "brokerDatas": [{
                "brokerAddrs": {"0": "127.0.0.1:10911", "1": "127.0.0.1:10921"},
                "brokerName": "broker-a",
                "cluster": "DefaultCluster",
                "enableActingMaster": false
            }],
            "filterServerTable": {},
            "queueDatas": [{
                "brokerName": "broker-a", "perm": 6, "readQueueNums": 8,
                "topicSysFlag": 0, "writeQueueNums": 8
            }],
            "orderTopicConf": null
        });
        let expected = "{\n\t\"brokerDatas\":[\n\t\t{\n\t\t\t\"brokerAddrs\":{0:\"127.0.0.1:10911\",1:\"127.0.0.1:10921\"\n\t\t\t},\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"cluster\":\"DefaultCluster\",\n\t\t\t\"enableActingMaster\":false\n\t\t}\n\t],\n\t\"filterServerTable\":{},\n\t\"queueDatas\":[\n\t\t{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"perm\":6,\n\t\t\t\"readQueueNums\":8,\n\t\t\t\"topicSysFlag\":0,\n\t\t\t\"writeQueueNums\":8\n\t\t}\n\t]\n}";
        assert_eq!(fastjson_pretty(&v), expected);
        let empty = json!({"brokerDatas": [], "filterServerTable": {}, "orderTopicConf": "broker-a:8", "queueDatas": []});
        assert_eq!(
            fastjson_pretty(&empty),
            "{\n\t\"brokerDatas\":[],\n\t\"filterServerTable\":{},\n\t\"orderTopicConf\":\"broker-a:8\",\n\t\"queueDatas\":[]\n}"
        );
    }
}
