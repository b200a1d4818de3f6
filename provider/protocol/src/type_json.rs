//! cty "type JSON": the compact type encoding in schema `type` fields and dynamic values.
//!
//! `"string"`, `["list","string"]`, `["object",{"a":"number"}]`, `["tuple",["bool"]]`,
//! `"dynamic"`. Objects may carry a third element listing optional attributes; that only
//! matters for type constraints, never for the values a provider sees, so it is accepted on
//! decode and dropped.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use thiserror::Error;

use crate::types::Type;

#[derive(Clone, Debug, PartialEq, Error)]
pub enum TypeJsonError {
    #[error("type JSON is not valid JSON: {0}")]
    Syntax(String),
    #[error("invalid type JSON {0}")]
    Invalid(String),
    #[error("unknown type {0:?}")]
    UnknownType(String),
}

impl Type {
    /// The type JSON, as Terraform expects in `Schema.Attribute.type`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(e) => Json::Array(vec!["list".into(), e.to_json()]),
            Type::Set(e) => Json::Array(vec!["set".into(), e.to_json()]),
            Type::Map(e) => Json::Array(vec!["map".into(), e.to_json()]),
            Type::Object(attrs) => {
                let attrs = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                Json::Array(vec!["object".into(), Json::Object(attrs)])
            }
            Type::Tuple(elems) => Json::Array(vec![
                "tuple".into(),
                Json::Array(elems.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// The type JSON as bytes (object keys sorted, no whitespace).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, TypeJsonError> {
        let json: Json =
            serde_json::from_slice(bytes).map_err(|e| TypeJsonError::Syntax(e.to_string()))?;
        Type::from_json(&json)
    }

    pub fn from_json(json: &Json) -> Result<Type, TypeJsonError> {
        let invalid = || TypeJsonError::Invalid(truncated(json));
        match json {
            Json::String(name) => match name.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(TypeJsonError::UnknownType(other.to_owned())),
            },
            Json::Array(parts) => {
                let (kind, rest) = parts.split_first().ok_or_else(invalid)?;
                let kind = kind.as_str().ok_or_else(invalid)?;
                match (kind, rest) {
                    ("list", [e]) => Ok(Type::list(Type::from_json(e)?)),
                    ("set", [e]) => Ok(Type::set(Type::from_json(e)?)),
                    ("map", [e]) => Ok(Type::map(Type::from_json(e)?)),
                    ("object", [Json::Object(attrs)])
                    | ("object", [Json::Object(attrs), Json::Array(_)]) => attrs
                        .iter()
                        .map(|(k, t)| Ok((k.clone(), Type::from_json(t)?)))
                        .collect::<Result<BTreeMap<_, _>, _>>()
                        .map(Type::Object),
                    ("tuple", [Json::Array(elems)]) => elems
                        .iter()
                        .map(Type::from_json)
                        .collect::<Result<Vec<_>, _>>()
                        .map(Type::Tuple),
                    ("list" | "set" | "map" | "object" | "tuple", _) => Err(invalid()),
                    (other, _) => Err(TypeJsonError::UnknownType(other.to_owned())),
                }
            }
            _ => Err(invalid()),
        }
    }
}

/// Error messages quote the offending JSON, but not an unbounded amount of it.
fn truncated(json: &Json) -> String {
    let text = json.to_string();
    match text.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str, ty: Type) {
        assert_eq!(String::from_utf8(ty.to_json_bytes()).unwrap(), text);
        assert_eq!(Type::from_json_bytes(text.as_bytes()).unwrap(), ty);
    }

    #[test]
    fn primitives() {
        roundtrip(r#""string""#, Type::String);
        roundtrip(r#""number""#, Type::Number);
        roundtrip(r#""bool""#, Type::Bool);
        roundtrip(r#""dynamic""#, Type::Dynamic);
    }

    #[test]
    fn collections_objects_tuples() {
        roundtrip(r#"["list","string"]"#, Type::list(Type::String));
        roundtrip(
            r#"["set",["map","number"]]"#,
            Type::set(Type::map(Type::Number)),
        );
        roundtrip(
            r#"["object",{"a":"string","b":["list","number"]}]"#,
            Type::object([("b", Type::list(Type::Number)), ("a", Type::String)]),
        );
        roundtrip(
            r#"["tuple",["string","number"]]"#,
            Type::tuple([Type::String, Type::Number]),
        );
        roundtrip(r#"["object",{}]"#, Type::object::<String>([]));
    }

    #[test]
    fn optional_attribute_list_is_accepted_and_dropped() {
        let ty = Type::from_json_bytes(br#"["object",{"a":"string","b":"number"},["b"]]"#).unwrap();
        assert_eq!(ty, Type::object([("a", Type::String), ("b", Type::Number)]));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            r#""str""#,
            r#"["list"]"#,
            r#"["list","string","x"]"#,
            r#"["object",["a"]]"#,
            r#"["tuple","string"]"#,
            r#"[]"#,
            r#"42"#,
            r#"["frob","string"]"#,
            "not json",
        ] {
            assert!(Type::from_json_bytes(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            "{}\"string\"{}",
            "[\"list\",".repeat(5000),
            "]".repeat(5000)
        );
        assert!(Type::from_json_bytes(deep.as_bytes()).is_err());
    }
}
