//! Value helpers the plan, apply and read rules share: equality the way core compares,
//! filling an object out to its schema's shape, nulling write-only attributes, and a short
//! rendering of values for diagnostics.

use std::collections::BTreeMap;

use tfprotocol::{AttributePath, Nesting, Value};

use crate::schema::{AttributeSchema, BlockSchema};

/// Equality as core's `RawEquals` after dropping refinements: unknown equals unknown, sets
/// compare as multisets (our sets are unordered vectors), numbers compare numerically.
pub(crate) fn raw_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Unknown(_), Value::Unknown(_)) => true,
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| raw_equal(a, b))
        }
        (Value::Set(x), Value::Set(y)) => set_equal(x, y),
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| raw_equal(a, b)))
        }
        (Value::Dynamic(tx, x), Value::Dynamic(ty, y)) => tx == ty && raw_equal(x, y),
        _ => a == b,
    }
}

fn set_equal(x: &[Value], y: &[Value]) -> bool {
    if x.len() != y.len() {
        return false;
    }
    let mut used = vec![false; y.len()];
    x.iter().all(|a| {
        let found = y
            .iter()
            .enumerate()
            .find(|(i, b)| !used[*i] && raw_equal(a, b));
        match found {
            Some((i, _)) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

/// Fills an object out to the block's shape: missing attributes become null and absent
/// list/set/map blocks become empty collections, as the wire format requires. Lets
/// resource code build objects with only the attributes it knows about.
pub(crate) fn conform(block: &BlockSchema, value: Value) -> Value {
    let Value::Object(mut attrs) = value else {
        return value;
    };
    for a in &block.attributes {
        let v = attrs.remove(&a.name).unwrap_or(Value::Null);
        attrs.insert(a.name.clone(), conform_attribute(a, v));
    }
    for b in &block.blocks {
        let v = attrs.remove(&b.name).unwrap_or(Value::Null);
        let v = match (b.nesting, v) {
            (Nesting::List, Value::Null) => Value::List(Vec::new()),
            (Nesting::Set, Value::Null) => Value::Set(Vec::new()),
            (Nesting::Map, Value::Null) => Value::Map(BTreeMap::new()),
            (Nesting::Group, Value::Null) => conform(&b.block, Value::Object(BTreeMap::new())),
            (_, v) => map_elements(b.nesting, v, |e| conform(&b.block, e)),
        };
        attrs.insert(b.name.clone(), v);
    }
    Value::Object(attrs)
}

fn conform_attribute(a: &AttributeSchema, value: Value) -> Value {
    let Some(n) = &a.nested else { return value };
    map_elements(n.nesting, value, |e| match e {
        Value::Object(mut m) => {
            for na in &n.attributes {
                let v = m.remove(&na.name).unwrap_or(Value::Null);
                m.insert(na.name.clone(), conform_attribute(na, v));
            }
            Value::Object(m)
        }
        other => other,
    })
}

/// Applies `f` to each object of a nested value (the value itself for single nesting).
pub(crate) fn map_elements(
    nesting: Nesting,
    value: Value,
    mut f: impl FnMut(Value) -> Value,
) -> Value {
    match (nesting, value) {
        (_, v @ (Value::Null | Value::Unknown(_))) => v,
        (Nesting::Single | Nesting::Group, v) => f(v),
        (_, Value::List(v)) => Value::List(v.into_iter().map(f).collect()),
        (_, Value::Tuple(v)) => Value::Tuple(v.into_iter().map(f).collect()),
        (_, Value::Set(v)) => Value::Set(v.into_iter().map(f).collect()),
        (_, Value::Map(m)) => Value::Map(m.into_iter().map(|(k, v)| (k, f(v))).collect()),
        (_, Value::Object(m)) => Value::Object(m.into_iter().map(|(k, v)| (k, f(v))).collect()),
        (_, v) => v,
    }
}

/// Sets every write-only attribute to null: they are never planned or stored.
pub(crate) fn nullify_write_only(block: &BlockSchema, value: Value) -> Value {
    let Value::Object(mut attrs) = value else {
        return value;
    };
    for a in &block.attributes {
        if let Some(v) = attrs.get_mut(&a.name) {
            *v = nullify_attribute(a, std::mem::replace(v, Value::Null));
        }
    }
    for b in &block.blocks {
        if let Some(v) = attrs.get_mut(&b.name) {
            let taken = std::mem::replace(v, Value::Null);
            *v = map_elements(b.nesting, taken, |e| nullify_write_only(&b.block, e));
        }
    }
    Value::Object(attrs)
}

fn nullify_attribute(a: &AttributeSchema, value: Value) -> Value {
    if a.write_only {
        return Value::Null;
    }
    let Some(n) = &a.nested else { return value };
    map_elements(n.nesting, value, |e| match e {
        Value::Object(mut m) => {
            for na in &n.attributes {
                if let Some(v) = m.get_mut(&na.name) {
                    *v = nullify_attribute(na, std::mem::replace(v, Value::Null));
                }
            }
            Value::Object(m)
        }
        other => other,
    })
}

/// The path of the first unknown value inside `value`, if any.
pub(crate) fn first_unknown(value: &Value, path: AttributePath) -> Option<AttributePath> {
    match value {
        Value::Unknown(_) => Some(path),
        Value::List(v) | Value::Tuple(v) => v
            .iter()
            .enumerate()
            .find_map(|(i, e)| first_unknown(e, path.clone().index(i as i64))),
        Value::Set(v) => v.iter().find_map(|e| first_unknown(e, path.clone())),
        Value::Map(m) => m
            .iter()
            .find_map(|(k, e)| first_unknown(e, path.clone().key(k.clone()))),
        Value::Object(m) => m
            .iter()
            .find_map(|(k, e)| first_unknown(e, path.clone().attribute(k.clone()))),
        Value::Dynamic(_, v) => first_unknown(v, path),
        _ => None,
    }
}

/// A compact rendering of a value for diagnostics (`"abc"`, `[1, 2]`, `(unknown)`).
pub(crate) fn describe(value: &Value) -> String {
    let join = |items: Vec<String>| items.join(", ");
    match value {
        Value::Null => "null".into(),
        Value::Unknown(_) => "(known after apply)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::List(v) | Value::Tuple(v) | Value::Set(v) => {
            format!("[{}]", join(v.iter().map(describe).collect()))
        }
        Value::Map(m) | Value::Object(m) => {
            format!(
                "{{{}}}",
                join(
                    m.iter()
                        .map(|(k, v)| format!("{k} = {}", describe(v)))
                        .collect()
                )
            )
        }
        Value::Dynamic(_, v) => describe(v),
    }
}

/// A path for messages; the empty path is the whole object.
pub(crate) fn describe_path(path: &AttributePath) -> String {
    if path.0.is_empty() {
        "the root object".to_string()
    } else {
        path.to_string()
    }
}

/// Replaces every unknown value with null (what core itself does before saving).
pub(crate) fn null_unknowns(value: Value) -> Value {
    match value {
        Value::Unknown(_) => Value::Null,
        Value::List(v) => Value::List(v.into_iter().map(null_unknowns).collect()),
        Value::Set(v) => Value::Set(v.into_iter().map(null_unknowns).collect()),
        Value::Tuple(v) => Value::Tuple(v.into_iter().map(null_unknowns).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, null_unknowns(v))).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, null_unknowns(v))).collect())
        }
        Value::Dynamic(t, v) => Value::Dynamic(t, Box::new(null_unknowns(*v))),
        other => other,
    }
}
