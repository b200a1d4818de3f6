use super::*;

fn num(s: &str) -> Value {
    Value::Number(s.parse().unwrap())
}

fn text(value: &Value, ty: &Type) -> String {
    String::from_utf8(encode(value, ty).unwrap()).unwrap()
}

#[test]
fn big_numbers_keep_full_precision() {
    let value = num("123456789012345678901234567890.5");
    assert_eq!(
        text(&value, &Type::Number),
        "123456789012345678901234567890.5"
    );
    assert_eq!(
        decode(b"123456789012345678901234567890.5", &Type::Number).unwrap(),
        value
    );
    assert_eq!(decode(b"1e2", &Type::Number).unwrap(), num("100"));
    assert_eq!(text(&num("1e2"), &Type::Number), "100");
    assert_eq!(decode(b"\"12.5\"", &Type::Number).unwrap(), num("12.5"));
    assert!(decode(b"1e99999", &Type::Number).is_err());
}

#[test]
fn objects_sorted_and_nested() {
    let ty = Type::object([
        ("name", Type::String),
        ("tags", Type::map(Type::String)),
        ("ports", Type::set(Type::Number)),
        ("pair", Type::tuple([Type::Bool, Type::String])),
    ]);
    let value = Value::Object(BTreeMap::from([
        ("name".into(), Value::string("vm\"1")),
        (
            "tags".into(),
            Value::Map(BTreeMap::from([("env".into(), Value::string("prod"))])),
        ),
        ("ports".into(), Value::Set(vec![num("22"), num("443")])),
        (
            "pair".into(),
            Value::Tuple(vec![Value::Bool(true), Value::Null]),
        ),
    ]));
    let json = text(&value, &ty);
    assert_eq!(
        json,
        r#"{"name":"vm\"1","pair":[true,null],"ports":[22,443],"tags":{"env":"prod"}}"#
    );
    assert_eq!(decode(json.as_bytes(), &ty).unwrap(), value);
}

#[test]
fn dynamic_is_value_and_type() {
    let value = Value::Dynamic(
        Type::list(Type::String),
        Box::new(Value::List(vec![Value::string("a")])),
    );
    let json = text(&value, &Type::Dynamic);
    assert_eq!(json, r#"{"value":["a"],"type":["list","string"]}"#);
    assert_eq!(decode(json.as_bytes(), &Type::Dynamic).unwrap(), value);
    assert_eq!(
        decode(br#"{"type":"number","value":1}"#, &Type::Dynamic).unwrap(),
        Value::Dynamic(Type::Number, Box::new(num("1")))
    );
    assert_eq!(decode(b"null", &Type::Dynamic).unwrap(), Value::Null);
    assert!(decode(br#"{"value":1}"#, &Type::Dynamic).is_err());
    assert!(decode(br#""bare""#, &Type::Dynamic).is_err());
}

#[test]
fn decode_is_lenient_about_object_attributes() {
    let ty = Type::object([("id", Type::String), ("added_later", Type::Number)]);
    let value = decode(br#"{"id":"x","removed":{"deep":[1,2]}}"#, &ty).unwrap();
    assert_eq!(
        value,
        Value::Object(BTreeMap::from([
            ("id".into(), Value::string("x")),
            ("added_later".into(), Value::Null),
        ]))
    );
}

#[test]
fn primitives_accept_each_others_text() {
    assert_eq!(decode(b"12", &Type::String).unwrap(), Value::string("12"));
    assert_eq!(
        decode(b"true", &Type::String).unwrap(),
        Value::string("true")
    );
    assert_eq!(
        decode(br#""false""#, &Type::Bool).unwrap(),
        Value::Bool(false)
    );
    assert!(decode(br#""yes""#, &Type::Bool).is_err());
}

#[test]
fn unknowns_and_infinities_cannot_be_encoded() {
    let err = encode(&Value::unknown(), &Type::String).unwrap_err();
    assert_eq!(err.kind, CodecErrorKind::UnknownInJson);
    let ty = Type::object([("n", Type::Number)]);
    let inf = Value::Object(BTreeMap::from([(
        "n".into(),
        Value::Number(Number::PosInfinity),
    )]));
    let err = encode(&inf, &ty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "infinity cannot be represented in JSON (at n)"
    );
}

#[test]
fn errors_carry_paths() {
    let ty = Type::object([("list", Type::list(Type::Number))]);
    let err = decode(br#"{"list":[1,"x"]}"#, &ty).unwrap_err();
    assert_eq!(err.path, AttributePath::attr("list").index(1));
    let err = decode(br#"{"list":[1,"#, &ty).unwrap_err();
    assert!(
        matches!(err.kind, CodecErrorKind::JsonSyntax { .. }),
        "{err}"
    );
    assert!(decode(b"[1]", &Type::tuple([Type::Number, Type::Number])).is_err());
}
