//! Lenient decoding of stored state JSON against the current schema's type.
//!
//! `RawState.json` was written by whichever provider version last saved the state, so an
//! object may lack attributes added since (read as null) or keep attributes removed since
//! (dropped). Everything else must match the type.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use tfprotocol::{AttributePath, Number, Type, Value};

pub(crate) fn json_to_value(json: &Json, ty: &Type, path: &AttributePath) -> Result<Value, String> {
    let at = || {
        if path.0.is_empty() {
            String::new()
        } else {
            format!(" at {path}")
        }
    };
    let mismatch = || format!("expected {}{}, found {json}", ty.friendly_name(), at());
    if json.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            // cty converts primitives to string on decode; stored state may rely on it.
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(mismatch()),
        },
        Type::Number => {
            let text = match json {
                Json::Number(n) => n.to_string(),
                Json::String(s) => s.clone(),
                _ => return Err(mismatch()),
            };
            Number::parse_wire(&text)
                .map(Value::Number)
                .ok_or_else(mismatch)
        }
        Type::Bool => match json {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(mismatch()),
        },
        Type::List(e) | Type::Set(e) => {
            let Json::Array(items) = json else {
                return Err(mismatch());
            };
            let values = items
                .iter()
                .enumerate()
                .map(|(i, j)| json_to_value(j, e, &path.clone().index(i as i64)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(values)
            } else {
                Value::Set(values)
            })
        }
        Type::Tuple(types) => {
            let Json::Array(items) = json else {
                return Err(mismatch());
            };
            if items.len() != types.len() {
                return Err(mismatch());
            }
            let values = items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (j, t))| json_to_value(j, t, &path.clone().index(i as i64)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(values))
        }
        Type::Map(e) => {
            let Json::Object(m) = json else {
                return Err(mismatch());
            };
            let values = m
                .iter()
                .map(|(k, j)| {
                    Ok((
                        k.clone(),
                        json_to_value(j, e, &path.clone().key(k.clone()))?,
                    ))
                })
                .collect::<Result<BTreeMap<_, _>, String>>()?;
            Ok(Value::Map(values))
        }
        Type::Object(attrs) => {
            let Json::Object(m) = json else {
                return Err(mismatch());
            };
            let values = attrs
                .iter()
                .map(|(name, t)| {
                    let v = match m.get(name) {
                        Some(j) => json_to_value(j, t, &path.clone().attribute(name.clone()))?,
                        None => Value::Null,
                    };
                    Ok((name.clone(), v))
                })
                .collect::<Result<BTreeMap<_, _>, String>>()?;
            Ok(Value::Object(values))
        }
        Type::Dynamic => {
            // `{"value": ..., "type": <type JSON>}`.
            let (Some(v), Some(t)) = (json.get("value"), json.get("type")) else {
                return Err(mismatch());
            };
            let concrete =
                Type::from_json(t).map_err(|e| format!("invalid dynamic type{}: {e}", at()))?;
            match json_to_value(v, &concrete, path)? {
                Value::Null => Ok(Value::Null),
                known => Ok(Value::Dynamic(concrete, Box::new(known))),
            }
        }
    }
}
