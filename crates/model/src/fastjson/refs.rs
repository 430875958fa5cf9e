//! fastjson's reference objects. When one Java object instance appears twice in a document,
//! fastjson writes it once and then `{"$ref":"$.path.to\.first"}` (`$[5]` for integer map keys
//! and list indexes; `@` and `..` for cycles). These are replaced by copies of their targets;
//! cycles and unresolvable paths become `null`.

use serde_json::Value;

/// Substitutions nested deeper than this are cut off (a `$ref` to an ancestor is a cycle).
const MAX_EXPANSION_DEPTH: usize = 32;
/// Deepest nesting a resolved document may reach: what serde_json's parser accepts (its
/// recursion limit is 128). Deserializing, cloning and dropping a `Value` recurse once per
/// level, so a document that expands deeper than it could be parsed would trade the parser's
/// stack guard for a stack overflow later.
pub(crate) const MAX_NESTING: usize = 127;
/// Estimated bytes all substitutions of one document together may copy. Counting nodes alone
/// is not enough: a thousand references to one long string copy the string a thousand times.
pub(crate) const MAX_COPIED_BYTES: usize = 16 * 1024 * 1024;

/// Estimated heap cost of one JSON node besides its string contents.
const NODE_COST: usize = std::mem::size_of::<Value>();
/// Estimated cost of one object entry besides the key's bytes (the `String` and map slot).
const ENTRY_COST: usize = 2 * std::mem::size_of::<String>();

/// Replaces every `{"$ref": path}` object in `root`. References that are cycles, dangle, or
/// would break the depth or copy bounds become `null`.
pub(crate) fn resolve(root: &mut Value) {
    let snapshot = root.clone();
    let mut resolver = Resolver {
        root: &snapshot,
        budget: MAX_COPIED_BYTES,
    };
    resolver.expand(root, 0, 0);
}

struct Resolver<'r> {
    root: &'r Value,
    /// Bytes substitutions may still copy.
    budget: usize,
}

impl Resolver<'_> {
    /// Expands references in `value`, which sits below `nesting` containers, `refs` of them
    /// substituted.
    fn expand(&mut self, value: &mut Value, refs: usize, nesting: usize) {
        if let Some(path) = ref_path(value) {
            *value = self
                .copy_target(&path, refs, nesting)
                .unwrap_or(Value::Null);
            if !value.is_null() {
                self.expand(value, refs + 1, nesting);
            }
            return;
        }
        // Never deeper than MAX_NESTING: parsed input is not, and substitutions are checked.
        match value {
            Value::Object(map) => map
                .values_mut()
                .for_each(|v| self.expand(v, refs, nesting + 1)),
            Value::Array(items) => items
                .iter_mut()
                .for_each(|v| self.expand(v, refs, nesting + 1)),
            _ => {}
        }
    }

    fn copy_target(&mut self, path: &str, refs: usize, nesting: usize) -> Option<Value> {
        if refs >= MAX_EXPANSION_DEPTH {
            return None;
        }
        let target = lookup(self.root, path)?;
        let room = MAX_NESTING.checked_sub(nesting)?;
        let cost = measure(target, self.budget, room)?;
        self.budget -= cost;
        Some(target.clone())
    }
}

/// The estimated bytes of `value`, or `None` once they exceed `budget` or `value` nests
/// deeper than `max_height` containers.
fn measure(value: &Value, budget: usize, max_height: usize) -> Option<usize> {
    let mut cost = 0usize;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, height)) = stack.pop() {
        cost = cost.checked_add(NODE_COST)?;
        match v {
            Value::String(s) => cost = cost.checked_add(s.len())?,
            Value::Object(map) if height < max_height => {
                for (k, child) in map {
                    cost = cost.checked_add(ENTRY_COST + k.len())?;
                    stack.push((child, height + 1));
                }
            }
            Value::Array(items) if height < max_height => {
                stack.extend(items.iter().map(|child| (child, height + 1)));
            }
            Value::Object(_) | Value::Array(_) => return None,
            _ => {}
        }
        if cost > budget {
            return None;
        }
    }
    Some(cost)
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
pub(crate) mod tests {
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

    /// Nesting of `value` in containers (a scalar is 0, `[]` is 1), without recursion.
    pub(crate) fn nesting(value: &Value) -> usize {
        let mut max = 0;
        let mut stack = vec![(value, 0)];
        while let Some((v, above)) = stack.pop() {
            let children: Vec<&Value> = match v {
                Value::Object(map) => map.values().collect(),
                Value::Array(items) => items.iter().collect(),
                _ => continue,
            };
            max = max.max(above + 1);
            stack.extend(children.into_iter().map(|c| (c, above + 1)));
        }
        max
    }

    #[test]
    fn expansion_never_nests_deeper_than_the_parser_allows() {
        // A 100-deep list that refers to itself: each substitution would add 100 levels.
        let text = format!(
            r#"{{"a":{}{{"$ref":"$.a"}}{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        let v = resolved(&text);
        assert!(nesting(&v) <= MAX_NESTING, "nesting {}", nesting(&v));
        // A shallow self-reference still expands, up to the bound.
        let v = resolved(r#"{"a":{"b":{"$ref":"$.a"}}}"#);
        let n = nesting(&v);
        assert!(n > 10 && n <= MAX_NESTING, "nesting {n}");
    }

    #[test]
    fn copies_are_bounded_in_bytes_not_just_nodes() {
        let long = "x".repeat(64 * 1024);
        let refs = vec![r#"{"$ref":"$.s"}"#; 1000].join(",");
        let text = format!(r#"{{"s":"{long}","r":[{refs}]}}"#);
        let v = resolved(&text);
        let copies = v["r"].as_array().unwrap();
        let copied: usize = copies.iter().filter_map(Value::as_str).map(str::len).sum();
        assert!(copied <= MAX_COPIED_BYTES, "copied {copied} bytes");
        assert!(copies[0].is_string(), "early references still resolve");
        assert!(copies[999].is_null(), "late ones are cut off");
    }
}
