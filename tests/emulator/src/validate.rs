//! Request-body validation against official OpenAPI (swagger 2.0) files, so the emulator rejects
//! what the real service's schema rejects instead of silently accepting a malformed client body.
//!
//! The subset handled is what the ARM specs use: `type`, `required`, `enum` (with `x-ms-enum`
//! `modelAsString` open vs closed), `readOnly` (rejected in requests), local `$ref`
//! (`#/definitions/...`, `#/parameters/...`), `allOf`, `items`, `additionalProperties`.
//! References to other files (common-types) are not available and are treated as permissive:
//! anything is accepted where they apply, and objects inheriting from them accept unknown keys.
//!
//! Open enums: clients must tolerate unknown values in responses, but a service only accepts the
//! values it knows, so unknown values are rejected in requests unless
//! `Config::strict_open_enums` is false. Open enums compare case-insensitively, closed ones
//! exactly.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

/// A schema violation at a JSON path such as `properties.productProfile.enrollmentDate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

#[derive(Clone, Debug)]
enum Seg {
    Lit(String),
    Param,
}

#[derive(Clone, Debug)]
struct SpecOperation {
    method: String,
    template: Vec<Seg>,
    operation_id: String,
    doc: Arc<Value>,
    body_schema: Option<Value>,
}

/// The operations of every spec file in a folder.
#[derive(Clone, Debug, Default)]
pub struct SpecSet {
    ops: Vec<SpecOperation>,
    strict_open_enums: bool,
}

const METHODS: &[&str] = &["get", "put", "patch", "post", "delete", "head"];

impl SpecSet {
    /// Loads every `*.json` swagger file in `dir` (not recursive).
    pub fn load(dir: &Path, strict_open_enums: bool) -> anyhow::Result<Self> {
        let mut set = SpecSet {
            ops: Vec::new(),
            strict_open_enums,
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading specs folder {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        entries.sort();
        for path in entries {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let doc: Value = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?;
            set.add_document(doc);
        }
        Ok(set)
    }

    /// Adds one parsed swagger document.
    pub fn add_document(&mut self, doc: Value) {
        let doc = Arc::new(doc);
        let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
            return;
        };
        for (template, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            let segs: Vec<Seg> = template
                .split('?')
                .next()
                .unwrap_or("")
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    if s.starts_with('{') && s.ends_with('}') {
                        Seg::Param
                    } else {
                        Seg::Lit(s.to_lowercase())
                    }
                })
                .collect();
            for (method, op) in item {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let body_schema = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| resolve_local(&doc, p))
                    .find(|p| p.get("in").and_then(Value::as_str) == Some("body"))
                    .and_then(|p| p.get("schema").cloned());
                self.ops.push(SpecOperation {
                    method: method.to_uppercase(),
                    template: segs.clone(),
                    operation_id: op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    doc: doc.clone(),
                    body_schema,
                });
            }
        }
    }

    pub fn operation_count(&self) -> usize {
        self.ops.len()
    }

    fn find(&self, method: &str, path: &str) -> Option<&SpecOperation> {
        let segs: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
            .collect();
        self.ops
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method) && op.template.len() == segs.len())
            .filter(|op| {
                op.template.iter().zip(&segs).all(|(t, s)| match t {
                    Seg::Lit(l) => l == s,
                    Seg::Param => true,
                })
            })
            .max_by_key(|op| {
                op.template
                    .iter()
                    .filter(|s| matches!(s, Seg::Lit(_)))
                    .count()
            })
    }

    /// The operationId the request maps to, if any.
    pub fn operation_id(&self, method: &str, path: &str) -> Option<&str> {
        self.find(method, path).map(|o| o.operation_id.as_str())
    }

    /// Validates a request body. `None` when no operation with a body schema matches.
    pub fn validate_request(
        &self,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Option<Vec<Violation>> {
        let op = self.find(method, path)?;
        let schema = op.body_schema.as_ref()?;
        let v = Validator {
            doc: &op.doc,
            strict_open_enums: self.strict_open_enums,
        };
        let mut out = Vec::new();
        v.validate(schema, body, "", &mut out, 0);
        Some(out)
    }
}

/// Resolves a `#/...` JSON pointer in `doc`; `None` for other files.
fn pointer<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let local = reference.strip_prefix('#')?;
    doc.pointer(local)
}

fn resolve_local<'a>(doc: &'a Value, v: &'a Value) -> Option<&'a Value> {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => pointer(doc, r),
        None => Some(v),
    }
}

enum Additional<'a> {
    Unspecified,
    Forbidden,
    Schema(&'a Value),
}

/// A schema with `$ref` and `allOf` folded in.
struct Flat<'a> {
    types: Vec<&'a str>,
    enum_values: Option<(Vec<&'a str>, bool)>,
    read_only: bool,
    properties: BTreeMap<&'a str, &'a Value>,
    required: Vec<&'a str>,
    additional: Additional<'a>,
    items: Option<&'a Value>,
    /// Part of the schema lives in an unavailable file.
    external: bool,
}

struct Validator<'a> {
    doc: &'a Value,
    strict_open_enums: bool,
}

const MAX_DEPTH: usize = 48;

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Validator<'a> {
    fn flatten(&self, schema: &'a Value, depth: usize) -> Flat<'a> {
        let mut f = Flat {
            types: Vec::new(),
            enum_values: None,
            read_only: false,
            properties: BTreeMap::new(),
            required: Vec::new(),
            additional: Additional::Unspecified,
            items: None,
            external: false,
        };
        self.fold(schema, &mut f, depth);
        f
    }

    fn fold(&self, schema: &'a Value, f: &mut Flat<'a>, depth: usize) {
        if depth > MAX_DEPTH {
            f.external = true;
            return;
        }
        let Some(obj) = schema.as_object() else {
            return;
        };
        if obj.get("readOnly").and_then(Value::as_bool) == Some(true) {
            f.read_only = true;
        }
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            match pointer(self.doc, r) {
                Some(target) => self.fold(target, f, depth + 1),
                None => f.external = true,
            }
        }
        if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.fold(s, f, depth + 1);
            }
        }
        if let Some(t) = obj.get("type").and_then(Value::as_str) {
            f.types.push(t);
        }
        if let Some(values) = obj.get("enum").and_then(Value::as_array) {
            let open = obj
                .get("x-ms-enum")
                .and_then(|x| x.get("modelAsString"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            f.enum_values = Some((values.iter().filter_map(Value::as_str).collect(), open));
        }
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                f.properties.insert(k.as_str(), v);
            }
        }
        if let Some(req) = obj.get("required").and_then(Value::as_array) {
            f.required.extend(req.iter().filter_map(Value::as_str));
        }
        match obj.get("additionalProperties") {
            Some(Value::Bool(false)) => f.additional = Additional::Forbidden,
            Some(s @ Value::Object(_)) => f.additional = Additional::Schema(s),
            _ => {}
        }
        if let Some(items) = obj.get("items") {
            f.items = Some(items);
        }
    }

    fn validate(
        &self,
        schema: &'a Value,
        value: &Value,
        path: &str,
        out: &mut Vec<Violation>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH || value.is_null() {
            return;
        }
        let f = self.flatten(schema, 0);
        let shown = if path.is_empty() { "(body)" } else { path };
        for t in &f.types {
            let ok = match *t {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                _ => true,
            };
            if !ok {
                out.push(Violation {
                    path: shown.to_string(),
                    message: format!("expected type '{t}', got {}", type_name(value)),
                });
                return;
            }
        }
        if let (Some((values, open)), Some(s)) = (&f.enum_values, value.as_str()) {
            let known = if *open {
                values.iter().any(|v| v.eq_ignore_ascii_case(s))
            } else {
                values.contains(&s)
            };
            if !known && (!*open || self.strict_open_enums) {
                out.push(Violation {
                    path: shown.to_string(),
                    message: format!(
                        "value '{s}' is not one of the allowed values [{}]",
                        values.join(", ")
                    ),
                });
            }
        }
        if let Some(obj) = value.as_object() {
            for r in &f.required {
                if obj.get(*r).is_none_or(Value::is_null) {
                    out.push(Violation {
                        path: join(path, r),
                        message: "required property is missing".to_string(),
                    });
                }
            }
            for (k, v) in obj {
                let child = join(path, k);
                if let Some(ps) = f.properties.get(k.as_str()) {
                    let pf = self.flatten(ps, 0);
                    if pf.read_only && !v.is_null() {
                        out.push(Violation {
                            path: child,
                            message: "property is read-only and cannot be set in a request"
                                .to_string(),
                        });
                        continue;
                    }
                    self.validate(ps, v, &child, out, depth + 1);
                } else {
                    match f.additional {
                        Additional::Schema(s) => self.validate(s, v, &child, out, depth + 1),
                        Additional::Forbidden if !f.external => out.push(Violation {
                            path: child,
                            message: "property is not allowed".to_string(),
                        }),
                        _ => {}
                    }
                }
            }
        }
        if let (Some(items), Some(arr)) = (f.items, value.as_array()) {
            for (i, v) in arr.iter().enumerate() {
                self.validate(items, v, &format!("{path}[{i}]"), out, depth + 1);
            }
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> SpecSet {
        let mut set = SpecSet {
            ops: Vec::new(),
            strict_open_enums: true,
        };
        set.add_document(json!({
            "paths": { "/things/{name}": { "put": { "operationId": "Things_Put", "parameters": [
                { "$ref": "#/parameters/Body" } ] } } },
            "parameters": { "Body": { "name": "b", "in": "body", "schema": { "$ref": "#/definitions/Thing" } } },
            "definitions": {
                "Thing": {
                    "allOf": [ { "$ref": "#/definitions/Base" } ],
                    "required": ["mode"],
                    "properties": {
                        "mode": { "type": "string", "enum": ["A", "B"], "x-ms-enum": { "modelAsString": false } },
                        "open": { "type": "string", "enum": ["X"], "x-ms-enum": { "modelAsString": true } },
                        "stamp": { "type": "string", "readOnly": true },
                        "tags": { "type": "object", "additionalProperties": { "type": "string" } },
                        "items": { "type": "array", "items": { "type": "integer" } },
                        "ext": { "$ref": "../common.json#/definitions/Whatever" }
                    }
                },
                "Base": { "properties": { "id": { "type": "string", "readOnly": true } } }
            }
        }));
        set
    }

    fn paths(body: Value) -> Vec<String> {
        spec()
            .validate_request("PUT", "/Things/x", &body)
            .expect("operation found")
            .into_iter()
            .map(|v| v.path)
            .collect()
    }

    #[test]
    fn accepts_valid_body_and_external_refs() {
        assert!(
            paths(json!({ "mode": "A", "open": "x", "ext": { "anything": [1] }, "other": 1 }))
                .is_empty()
        );
    }

    #[test]
    fn reports_each_kind_of_violation_by_path() {
        assert_eq!(paths(json!({})), ["mode"]);
        assert_eq!(
            paths(json!({ "mode": "a" })),
            ["mode"],
            "closed enums are exact"
        );
        assert_eq!(paths(json!({ "mode": "A", "open": "Y" })), ["open"]);
        assert_eq!(
            paths(json!({ "mode": "A", "id": "x" })),
            ["id"],
            "readOnly via allOf"
        );
        assert_eq!(paths(json!({ "mode": "A", "stamp": "x" })), ["stamp"]);
        assert_eq!(
            paths(json!({ "mode": "A", "tags": { "k": 1 } })),
            ["tags.k"]
        );
        assert_eq!(
            paths(json!({ "mode": "A", "items": [1, "2"] })),
            ["items[1]"]
        );
    }

    #[test]
    fn open_enums_can_be_relaxed() {
        let mut set = spec();
        set.strict_open_enums = false;
        let v = set
            .validate_request("PUT", "/things/x", &json!({ "mode": "A", "open": "Y" }))
            .unwrap();
        assert!(v.is_empty());
        assert!(set
            .validate_request("PATCH", "/things/x", &json!({}))
            .is_none());
    }
}
