//! Navigating and rewriting values by [`AttributePath`].
//!
//! The framework addresses attributes the way Terraform does (diagnostics, `requires_replace`,
//! plan modifiers), so values and types can be read, written and walked by path. Dynamic
//! wrappers are transparent. Set elements have no path step in protocol 6, so a walk reports
//! them at the path of their set.

use thiserror::Error;

use crate::path::{AttributePath, PathStep};
use crate::types::Type;
use crate::value::Value;

/// A path did not lead to a value that can be written.
#[derive(Clone, Debug, PartialEq, Error)]
#[error("cannot set {path}: {reason}")]
pub struct PathError {
    pub path: AttributePath,
    pub reason: String,
}

fn step_into<'v>(value: &'v Value, step: &PathStep) -> Option<&'v Value> {
    match (value, step) {
        (Value::Dynamic(_, inner), _) => step_into(inner, step),
        (Value::Object(attrs), PathStep::Attribute(name)) => attrs.get(name),
        (Value::Map(entries), PathStep::ElementKeyString(key)) => entries.get(key),
        (Value::List(items) | Value::Tuple(items), PathStep::ElementKeyInt(i)) => {
            usize::try_from(*i).ok().and_then(|i| items.get(i))
        }
        _ => None,
    }
}

fn step_into_mut<'v>(value: &'v mut Value, step: &PathStep) -> Option<&'v mut Value> {
    match (value, step) {
        (Value::Dynamic(_, inner), _) => step_into_mut(inner, step),
        (Value::Object(attrs), PathStep::Attribute(name)) => attrs.get_mut(name),
        (Value::Map(entries), PathStep::ElementKeyString(key)) => entries.get_mut(key),
        (Value::List(items) | Value::Tuple(items), PathStep::ElementKeyInt(i)) => {
            usize::try_from(*i).ok().and_then(|i| items.get_mut(i))
        }
        _ => None,
    }
}

impl Value {
    /// The value at `path`, or None when the path leaves the value (through a null, an
    /// unknown, a missing key or an index out of range).
    pub fn get_path(&self, path: &AttributePath) -> Option<&Value> {
        path.0.iter().try_fold(self, step_into)
    }

    pub fn get_path_mut(&mut self, path: &AttributePath) -> Option<&mut Value> {
        path.0.iter().try_fold(self, step_into_mut)
    }

    /// Replaces the value at `path`. Object attributes and list/tuple elements must already
    /// exist (objects always carry all their attributes); map entries are inserted.
    pub fn set_path(&mut self, path: &AttributePath, new: Value) -> Result<(), PathError> {
        let Some((last, parent_steps)) = path.0.split_last() else {
            *self = new;
            return Ok(());
        };
        let parent_path = AttributePath(parent_steps.to_vec());
        let error = |reason: String| PathError {
            path: path.clone(),
            reason,
        };
        let mut parent = self
            .get_path_mut(&parent_path)
            .ok_or_else(|| error(format!("{parent_path} does not exist")))?;
        while let Value::Dynamic(_, inner) = parent {
            parent = inner;
        }
        let kind = parent.kind_name();
        match (parent, last) {
            (Value::Map(entries), PathStep::ElementKeyString(key)) => {
                entries.insert(key.clone(), new);
                Ok(())
            }
            (parent, step) => match step_into_mut(parent, step) {
                Some(slot) => {
                    *slot = new;
                    Ok(())
                }
                None => Err(error(format!("no such element in a {kind}"))),
            },
        }
    }

    /// Visits every value, parents before children, with its path and type.
    pub fn walk(&self, ty: &Type, visit: &mut impl FnMut(&AttributePath, &Value, &Type)) {
        fn go(
            value: &Value,
            ty: &Type,
            path: &mut AttributePath,
            visit: &mut impl FnMut(&AttributePath, &Value, &Type),
        ) {
            visit(path, value, ty);
            let (value, ty) = match value {
                Value::Dynamic(concrete, inner) => (&**inner, concrete),
                _ => (value, ty),
            };
            for_each_child(value, ty, |step, child, child_ty| {
                if let Some(step) = step.clone() {
                    path.0.push(step);
                }
                go(child, child_ty, path, visit);
                if step.is_some() {
                    path.0.pop();
                }
            });
        }
        go(self, ty, &mut AttributePath::root(), visit);
    }

    /// Rebuilds the value bottom-up: children are transformed first, then `f` receives each
    /// value (with its already-transformed children), its path and its type.
    pub fn transform(
        self,
        ty: &Type,
        f: &mut impl FnMut(&AttributePath, Value, &Type) -> Value,
    ) -> Value {
        fn go(
            value: Value,
            ty: &Type,
            path: &mut AttributePath,
            f: &mut impl FnMut(&AttributePath, Value, &Type) -> Value,
        ) -> Value {
            let mut at = |step: Option<PathStep>, child: Value, child_ty: &Type| {
                let pushed = step.map(|s| path.0.push(s)).is_some();
                let child = go(child, child_ty, path, f);
                if pushed {
                    path.0.pop();
                }
                child
            };
            let rebuilt = match value {
                Value::Dynamic(concrete, inner) => {
                    let inner = transform_children(*inner, &concrete, &mut at);
                    Value::Dynamic(concrete, Box::new(inner))
                }
                other => transform_children(other, ty, &mut at),
            };
            f(path, rebuilt, ty)
        }
        go(self, ty, &mut AttributePath::root(), f)
    }
}

/// Calls `each(step, child, child_type)` for the direct children of a collection or object.
fn for_each_child<'v, 't>(
    value: &'v Value,
    ty: &'t Type,
    mut each: impl FnMut(&Option<PathStep>, &'v Value, &'t Type),
) {
    match value {
        Value::List(items) | Value::Tuple(items) => {
            for (i, item) in items.iter().enumerate() {
                each(
                    &Some(PathStep::ElementKeyInt(i as i64)),
                    item,
                    ty.child(i, None),
                );
            }
        }
        Value::Set(items) => items
            .iter()
            .for_each(|item| each(&None, item, ty.child(0, None))),
        Value::Map(entries) => {
            for (key, item) in entries {
                each(
                    &Some(PathStep::ElementKeyString(key.clone())),
                    item,
                    ty.child(0, None),
                );
            }
        }
        Value::Object(attrs) => {
            for (name, item) in attrs {
                each(
                    &Some(PathStep::Attribute(name.clone())),
                    item,
                    ty.child(0, Some(name)),
                );
            }
        }
        _ => {}
    }
}

/// Rebuilds a collection or object with each child replaced by `each(step, child, type)`.
fn transform_children(
    value: Value,
    ty: &Type,
    each: &mut impl FnMut(Option<PathStep>, Value, &Type) -> Value,
) -> Value {
    match value {
        Value::List(items) => Value::List(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    each(
                        Some(PathStep::ElementKeyInt(i as i64)),
                        v,
                        ty.child(i, None),
                    )
                })
                .collect(),
        ),
        Value::Tuple(items) => Value::Tuple(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    each(
                        Some(PathStep::ElementKeyInt(i as i64)),
                        v,
                        ty.child(i, None),
                    )
                })
                .collect(),
        ),
        Value::Set(items) => Value::Set(
            items
                .into_iter()
                .map(|v| each(None, v, ty.child(0, None)))
                .collect(),
        ),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let v = each(
                        Some(PathStep::ElementKeyString(k.clone())),
                        v,
                        ty.child(0, None),
                    );
                    (k, v)
                })
                .collect(),
        ),
        Value::Object(attrs) => Value::Object(
            attrs
                .into_iter()
                .map(|(k, v)| {
                    let v = each(
                        Some(PathStep::Attribute(k.clone())),
                        v,
                        ty.child(0, Some(&k)),
                    );
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

impl Type {
    /// The type at `path` (list, map and set element types; object attribute types).
    pub fn get_path(&self, path: &AttributePath) -> Option<&Type> {
        path.0.iter().try_fold(self, |ty, step| match (ty, step) {
            (Type::Object(attrs), PathStep::Attribute(name)) => attrs.get(name),
            (Type::Map(e), PathStep::ElementKeyString(_))
            | (Type::List(e), PathStep::ElementKeyInt(_)) => Some(&**e),
            (Type::Tuple(types), PathStep::ElementKeyInt(i)) => {
                usize::try_from(*i).ok().and_then(|i| types.get(i))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests;
