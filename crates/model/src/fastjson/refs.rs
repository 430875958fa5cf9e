//! fastjson's reference objects. When one Java object instance appears twice in a document,
//! fastjson writes it once and then `{"$ref":"$.path.to\.first"}` (`$[5]` for integer map keys
//! and list indexes; `@` and `..` for cycles). These are replaced by copies of their targets;
//! cycles and unresolvable paths become `null`.

use serde_json::Value;

/// Substitutions nested deeper than this are cut off (a `$ref` to an ancestor is a cycle).
const MAX_EXPANSION_DEPTH: usize = 32;
/// JSON nodes all substitutions together may copy; hostile documents (reference "bombs")
/// get `null`s instead of exhausting memory.
const MAX_COPIED_NODES: usize = 1_000_000;

/// Replaces every `{"$ref": path}` object in `root`.
pub(crate) fn resolve(root: &mut Value) {
    let snapshot = root.clone();
    let mut resolver = Resolver {
        root: &snapshot,
        budget: MAX_COPIED_NODES,
    };
    resolver.expand(root, 0);
}

struct Resolver<'r> {
    root: &'r Value,
    budget: usize,
}

impl Resolver<'_> {
    fn expand(&mut self, value: &mut Value, depth: usize) {
        if let Some(path) = ref_path(value) {
            *value = self.copy_target(&path, depth).unwrap_or(Value::Null);
            if !value.is_null() {
                self.expand(value, depth + 1);
            }
            return;
        }
        match value {
            Value::Object(map) => map.values_mut().for_each(|v| self.expand(v, depth)),
            Value::Array(items) => items.iter_mut().for_each(|v| self.expand(v, depth)),
            _ => {}
        }
    }

    fn copy_target(&mut self, path: &str, depth: usize) -> Option<Value> {
        if depth >= MAX_EXPANSION_DEPTH {
            return None;
        }
        let target = lookup(self.root, path)?;
        self.budget = self.budget.checked_sub(count_nodes(target, self.budget)?)?;
        Some(target.clone())
    }
}

/// Nodes in `value`, or `None` once more than `limit`.
fn count_nodes(value: &Value, limit: usize) -> Option<usize> {
    let mut count = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        count += 1;
        if count > limit {
            return None;
        }
        match v {
            Value::Object(map) => stack.extend(map.values()),
            Value::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    Some(count)
}

fn ref_path(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get("$ref")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// Follows a `$`-rooted fastjson path; relative paths (`@`, `..`) are cycles and give `None`.
fn lookup<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    let mut rest = path.strip_prefix('$')?;
    let mut current = root;
    while !rest.is_empty() {
        let (segment, tail) = if let Some(after) = rest.strip_prefix('.') {
            split_name(after)
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inner = after[..end].trim();
            let name = inner
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(inner)
                .to_owned();
            (name, &after[end + 1..])
        } else {
            return None;
        };
        current = match current {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
        rest = tail;
    }
    Some(current)
}

/// Reads a `.name` segment up to the next unescaped `.` or `[`; `\` escapes one character.
fn split_name(s: &str) -> (String, &str) {
    let mut name = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    name.push(escaped);
                }
            }
            '.' | '[' => return (name, &s[i..]),
            c => name.push(c),
        }
    }
    (name, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resolved(text: &str) -> Value {
        let mut v: Value = serde_json::from_str(text).unwrap();
        resolve(&mut v);
        v
    }

    #[test]
    fn resolves_paths_fastjson_writes() {
        // Printed by fastjson 1.2.83 for one shared map.
        let v = resolved(
            r#"{"t":{"a.b":{"x":1},"c":{"$ref":"$.t.a\\.b"}},"l":[{"$ref":"$.t.a\\.b"}]}"#,
        );
        assert_eq!(
            v,
            json!({"t": {"a.b": {"x": 1}, "c": {"x": 1}}, "l": [{"x": 1}]})
        );
        let v = resolved(
            r#"{"5":{"x":1},"6":{"$ref":"$[5]"},"7":{"$ref":"$.5"},"8":{"$ref":"$[\"5\"]"}}"#,
        );
        assert_eq!(v["6"], json!({"x": 1}));
        assert_eq!(v["7"], v["6"]);
        assert_eq!(v["8"], v["6"]);
        let v = resolved(r#"{"l":[{"y":2},{"$ref":"$.l[0]"}]}"#);
        assert_eq!(v["l"][1], json!({"y": 2}));
    }

    #[test]
    fn cycles_and_dangling_refs_become_null() {
        assert_eq!(resolved(r#"[{"$ref":"@"}]"#), json!([null]));
        assert_eq!(
            resolved(r#"{"child":{"up":{"$ref":".."}}}"#),
            json!({"child": {"up": null}})
        );
        assert_eq!(resolved(r#"{"a":{"$ref":"$.nope"}}"#), json!({"a": null}));
        // A reference to an ancestor expands a bounded number of times, then stops.
        let v = resolved(r#"{"a":{"b":{"$ref":"$.a"}}}"#);
        assert!(v["a"]["b"]["b"].is_object());
        // Two references to an ancestor per level would double at each level: the copy budget
        // stops it.
        let bomb =
            resolved(r#"{"a":{"b":{"$ref":"$.a"},"c":{"$ref":"$.a"},"d":[1,2,3,4,5,6,7,8]}}"#);
        assert!(bomb["a"]["b"].is_object());
        // Objects with more keys than "$ref" are data, not references.
        assert_eq!(
            resolved(r#"{"$ref":"$","k":1}"#),
            json!({"$ref": "$", "k": 1})
        );
    }
}
