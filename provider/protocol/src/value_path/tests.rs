use std::collections::BTreeMap;

use super::*;

fn sample() -> (Value, Type) {
    let ty = Type::object([
        ("name", Type::String),
        ("tags", Type::map(Type::String)),
        ("disks", Type::list(Type::object([("size", Type::Number)]))),
        ("ports", Type::set(Type::Number)),
        ("extra", Type::Dynamic),
    ]);
    let value = Value::Object(BTreeMap::from([
        ("name".into(), Value::string("vm")),
        (
            "tags".into(),
            Value::Map(BTreeMap::from([("env".into(), Value::string("prod"))])),
        ),
        (
            "disks".into(),
            Value::List(vec![Value::Object(BTreeMap::from([(
                "size".into(),
                Value::Null,
            )]))]),
        ),
        ("ports".into(), Value::Set(vec![Value::Number(22.into())])),
        (
            "extra".into(),
            Value::Dynamic(
                Type::object([("x", Type::Bool)]),
                Box::new(Value::Object(BTreeMap::from([(
                    "x".into(),
                    Value::Bool(true),
                )]))),
            ),
        ),
    ]));
    (value, ty)
}

#[test]
fn get_path_follows_attributes_keys_indexes_and_dynamic() {
    let (value, _) = sample();
    assert_eq!(
        value.get_path(&AttributePath::attr("name")),
        Some(&Value::string("vm"))
    );
    assert_eq!(
        value.get_path(&AttributePath::attr("tags").key("env")),
        Some(&Value::string("prod"))
    );
    assert_eq!(
        value.get_path(&AttributePath::attr("disks").index(0).attribute("size")),
        Some(&Value::Null)
    );
    assert_eq!(
        value.get_path(&AttributePath::attr("extra").attribute("x")),
        Some(&Value::Bool(true))
    );
    assert_eq!(value.get_path(&AttributePath::root()), Some(&value));
    assert!(value
        .get_path(&AttributePath::attr("disks").index(1))
        .is_none());
    assert!(value
        .get_path(&AttributePath::attr("disks").index(-1))
        .is_none());
    assert!(value
        .get_path(&AttributePath::attr("name").attribute("x"))
        .is_none());
    assert!(value.get_path(&AttributePath::attr("nope")).is_none());
}

#[test]
fn set_path_replaces_and_inserts_map_entries() {
    let (mut value, _) = sample();
    let size = AttributePath::attr("disks").index(0).attribute("size");
    value.set_path(&size, Value::Number(128.into())).unwrap();
    assert_eq!(value.get_path(&size), Some(&Value::Number(128.into())));
    value
        .set_path(&AttributePath::attr("tags").key("new"), Value::string("v"))
        .unwrap();
    assert_eq!(
        value.get_path(&AttributePath::attr("tags").key("new")),
        Some(&Value::string("v"))
    );
    value
        .set_path(&AttributePath::attr("extra").attribute("x"), Value::Null)
        .unwrap();
    assert_eq!(
        value.get_path(&AttributePath::attr("extra").attribute("x")),
        Some(&Value::Null)
    );

    let err = value
        .set_path(&AttributePath::attr("missing"), Value::Null)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot set missing: no such element in a object"
    );
    assert!(value
        .set_path(&AttributePath::attr("disks").index(5), Value::Null)
        .is_err());
    assert!(value
        .set_path(&AttributePath::attr("gone").attribute("x"), Value::Null)
        .is_err());

    value.set_path(&AttributePath::root(), Value::Null).unwrap();
    assert!(value.is_null());
}

#[test]
fn walk_visits_everything_with_paths_and_types() {
    let (value, ty) = sample();
    let mut seen = Vec::new();
    value.walk(&ty, &mut |path, v, t| {
        seen.push((path.to_string(), v.kind_name(), t.friendly_name()))
    });
    let expect = |p: &str, k: &'static str, t: &str| (p.to_owned(), k, t.to_owned());
    assert_eq!(seen[0], expect("", "object", "object"));
    assert!(seen.contains(&expect("disks[0].size", "null", "number")));
    assert!(seen.contains(&expect("tags[\"env\"]", "string", "string")));
    assert!(
        seen.contains(&expect("ports", "number", "number")),
        "set elements share the set's path"
    );
    assert!(seen.contains(&expect("extra.x", "bool", "bool")));
    assert_eq!(seen.len(), 11);
}

#[test]
fn transform_rewrites_bottom_up() {
    let (value, ty) = sample();
    // Mark every null number unknown, as a plan would for computed attributes.
    let out = value.transform(&ty, &mut |_path, v, t| match (v, t) {
        (Value::Null, Type::Number) => Value::unknown(),
        (v, _) => v,
    });
    assert_eq!(
        out.get_path(&AttributePath::attr("disks").index(0).attribute("size")),
        Some(&Value::unknown())
    );

    let mut paths = Vec::new();
    out.transform(&ty, &mut |path, v, _| {
        paths.push(path.to_string());
        v
    });
    assert_eq!(
        paths.last().map(String::as_str),
        Some(""),
        "the root comes last"
    );
    assert!(
        paths.iter().position(|p| p == "disks[0].size")
            < paths.iter().position(|p| p == "disks[0]")
    );
}

#[test]
fn type_get_path() {
    let (_, ty) = sample();
    assert_eq!(
        ty.get_path(&AttributePath::attr("disks").index(3).attribute("size")),
        Some(&Type::Number)
    );
    assert_eq!(
        ty.get_path(&AttributePath::attr("tags").key("k")),
        Some(&Type::String)
    );
    assert_eq!(ty.get_path(&AttributePath::attr("nope")), None);
    assert_eq!(
        Type::tuple([Type::Bool]).get_path(&AttributePath::root().index(0)),
        Some(&Type::Bool)
    );
}
