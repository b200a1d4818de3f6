//! Semantic equality of values: what Terraform means by "unchanged".
//!
//! Derived `PartialEq` compares sets in order; Terraform does not order sets, so plan logic
//! ("proposed equals prior", "planned equals config") must use [`Value::semantic_eq`].

use crate::types::Type;
use crate::value::Value;

impl Value {
    /// Equality as Terraform judges it: numbers numerically, sets as multisets (element order
    /// ignored), everything else structurally. Unknowns are equal when their refinements are.
    pub fn semantic_eq(&self, other: &Value, ty: &Type) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Unknown(a), Value::Unknown(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && a.semantic_eq(b, ta),
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .enumerate()
                        .all(|(i, (x, y))| x.semantic_eq(y, ty.child(i, None)))
            }
            (Value::Set(a), Value::Set(b)) => {
                let elem = ty.child(0, None);
                let mut matched = vec![false; b.len()];
                a.len() == b.len()
                    && a.iter().all(|x| {
                        let found = b
                            .iter()
                            .enumerate()
                            .find(|(j, y)| !matched[*j] && x.semantic_eq(y, elem));
                        found.map(|(j, _)| matched[j] = true).is_some()
                    })
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, x)| {
                        b.get(k)
                            .is_some_and(|y| x.semantic_eq(y, ty.child(0, Some(k))))
                    })
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::value::Refinements;

    fn num(s: &str) -> Value {
        Value::Number(s.parse().unwrap())
    }

    #[test]
    fn sets_are_multisets() {
        let ty = Type::set(Type::Number);
        let a = Value::Set(vec![num("1"), num("2"), num("2")]);
        assert!(a.semantic_eq(&Value::Set(vec![num("2"), num("1.0"), num("2")]), &ty));
        assert!(!a.semantic_eq(&Value::Set(vec![num("1"), num("1"), num("2")]), &ty));
        assert!(!a.semantic_eq(&Value::Set(vec![num("1"), num("2")]), &ty));
    }

    #[test]
    fn nested_sets_inside_objects_and_lists() {
        let ty = Type::object([("tags", Type::set(Type::String))]);
        let obj = |tags: &[&str]| {
            Value::Object(BTreeMap::from([(
                "tags".to_owned(),
                Value::Set(tags.iter().map(|t| Value::string(*t)).collect()),
            )]))
        };
        assert!(obj(&["a", "b"]).semantic_eq(&obj(&["b", "a"]), &ty));
        assert!(!obj(&["a", "b"]).semantic_eq(&obj(&["a", "c"]), &ty));
        let list = Type::list(ty.clone());
        assert!(Value::List(vec![obj(&["x", "y"])])
            .semantic_eq(&Value::List(vec![obj(&["y", "x"])]), &list));
    }

    #[test]
    fn distinguishes_kinds_nulls_and_unknowns() {
        assert!(!Value::Null.semantic_eq(&Value::string(""), &Type::String));
        assert!(!Value::List(vec![]).semantic_eq(&Value::Set(vec![]), &Type::list(Type::String)));
        assert!(Value::unknown().semantic_eq(&Value::unknown(), &Type::String));
        let refined = Value::Unknown(Refinements {
            not_null: true,
            ..Refinements::default()
        });
        assert!(!refined.semantic_eq(&Value::unknown(), &Type::String));
        let d = |t: Type, v: Value| Value::Dynamic(t, Box::new(v));
        assert!(d(Type::Number, num("1")).semantic_eq(&d(Type::Number, num("1.0")), &Type::Dynamic));
        assert!(!d(Type::Number, num("1"))
            .semantic_eq(&d(Type::String, Value::string("1")), &Type::Dynamic));
    }
}
