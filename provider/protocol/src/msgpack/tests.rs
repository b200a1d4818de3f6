use std::collections::BTreeMap;

use super::*;
use crate::error::CodecErrorKind;
use crate::number::Number;
use crate::path::AttributePath;
use crate::value::Refinements;

fn num(s: &str) -> Value {
    Value::Number(s.parse().unwrap())
}

fn obj<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::Object(attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn roundtrip(value: &Value, ty: &Type) -> Vec<u8> {
    let bytes = encode(value, ty).unwrap();
    assert_eq!(&decode(&bytes, ty).unwrap(), value, "bytes {bytes:02x?}");
    bytes
}

#[test]
fn null_is_nil_for_every_type() {
    for ty in [
        Type::String,
        Type::object([("a", Type::Number)]),
        Type::Dynamic,
        Type::list(Type::Bool),
    ] {
        assert_eq!(roundtrip(&Value::Null, &ty), [0xc0]);
    }
}

#[test]
fn wholly_unknown_is_fixext1_type_0() {
    assert_eq!(
        roundtrip(&Value::unknown(), &Type::String),
        [0xd4, 0x00, 0x00]
    );
    assert_eq!(
        roundtrip(&Value::unknown(), &Type::Dynamic),
        [0xd4, 0x00, 0x00]
    );
}

#[test]
fn every_extension_decodes_as_unknown() {
    for bytes in [
        &[0xc7, 0x00, 0x00][..], // ext8, type 0, empty (terraform-plugin-go style)
        &[0xd5, 0x05, 0x01, 0x02][..], // fixext2, type 5
        &[0xc8, 0x00, 0x01, 0x7f, 0xaa][..],
        &[0xd4, 0xff, 0x00][..], // negative ext type
    ] {
        assert_eq!(
            decode(bytes, &Type::Number).unwrap(),
            Value::unknown(),
            "{bytes:02x?}"
        );
    }
}

#[test]
fn refined_unknown_not_null_with_prefix() {
    let value = Value::Unknown(Refinements {
        not_null: true,
        string_prefix: Some("ab".into()),
        ..Refinements::default()
    });
    let expected = [0xc7, 0x07, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa2, b'a', b'b'];
    assert_eq!(roundtrip(&value, &Type::String), expected);
}

#[test]
fn refined_unknown_bounds_and_lengths() {
    let number = Value::Unknown(Refinements {
        not_null: true,
        number_lower: Some((Number::from_i64(0), true)),
        number_upper: Some(("10.5".parse().unwrap(), false)),
        ..Refinements::default()
    });
    roundtrip(&number, &Type::Number);
    let list = Value::Unknown(Refinements {
        length_lower: Some(1),
        length_upper: Some(3),
        ..Refinements::default()
    });
    let bytes = roundtrip(&list, &Type::list(Type::String));
    assert_eq!(bytes, [0xc7, 0x05, 0x0c, 0x82, 0x05, 0x01, 0x06, 0x03]);
}

#[test]
fn refinement_decoding_ignores_unknown_keys_and_nullness_true() {
    // {1: true, 99: [1, {"x": nil}], 2: "p"}
    let payload = [
        0x83, 0x01, 0xc3, 0x63, 0x92, 0x01, 0x81, 0xa1, b'x', 0xc0, 0x02, 0xa1, b'p',
    ];
    let mut bytes = vec![0xc7, payload.len() as u8, 0x0c];
    bytes.extend_from_slice(&payload);
    let expected = Value::Unknown(Refinements {
        string_prefix: Some("p".into()),
        ..Refinements::default()
    });
    assert_eq!(decode(&bytes, &Type::String).unwrap(), expected);
}

#[test]
fn refinement_payload_is_capped_at_1kib() {
    let prefix = "x".repeat(1100);
    let mut payload = vec![0x81, 0x02, 0xda];
    payload.extend_from_slice(&(prefix.len() as u16).to_be_bytes());
    payload.extend_from_slice(prefix.as_bytes());
    let mut bytes = vec![0xc8];
    bytes.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    bytes.push(0x0c);
    bytes.extend_from_slice(&payload);
    let err = decode(&bytes, &Type::String).unwrap_err();
    assert!(
        matches!(err.kind, CodecErrorKind::InvalidRefinements(_)),
        "{err}"
    );
}

#[test]
fn long_prefixes_are_truncated_on_encode() {
    let value = Value::Unknown(Refinements {
        string_prefix: Some("é".repeat(200)),
        ..Refinements::default()
    });
    let bytes = encode(&value, &Type::String).unwrap();
    let Value::Unknown(r) = decode(&bytes, &Type::String).unwrap() else {
        panic!("not unknown")
    };
    let prefix = r.string_prefix.unwrap();
    assert_eq!(prefix, "é".repeat(127));
}

#[test]
fn numbers_use_the_smallest_exact_form() {
    assert_eq!(roundtrip(&num("1"), &Type::Number), [0x01]);
    assert_eq!(roundtrip(&num("-1"), &Type::Number), [0xff]);
    assert_eq!(roundtrip(&num("300"), &Type::Number), [0xcd, 0x01, 0x2c]);
    assert_eq!(roundtrip(&num("1.0"), &Type::Number), [0x01]);
    let mut half = vec![0xcb];
    half.extend_from_slice(&0.5f64.to_be_bytes());
    assert_eq!(roundtrip(&num("0.5"), &Type::Number), half);
    // 2^64 is not an int64 but is an exact float64, as go-cty writes it.
    let mut big = vec![0xcb];
    big.extend_from_slice(&18446744073709551616f64.to_be_bytes());
    assert_eq!(roundtrip(&num("18446744073709551616"), &Type::Number), big);
    let mut inf = vec![0xcb];
    inf.extend_from_slice(&f64::INFINITY.to_be_bytes());
    assert_eq!(
        roundtrip(&Value::Number(Number::PosInfinity), &Type::Number),
        inf
    );
}

#[test]
fn big_numbers_travel_as_decimal_strings() {
    let text = "123456789012345678901234567890.5";
    let mut expected = vec![0xd9, text.len() as u8];
    expected.extend_from_slice(text.as_bytes());
    assert_eq!(roundtrip(&num(text), &Type::Number), expected);
    assert_eq!(roundtrip(&num("0.1"), &Type::Number)[0], 0xa3); // "0.1" is not an exact float
}

#[test]
fn decodes_every_number_format() {
    let cases: &[(&[u8], &str)] = &[
        (&[0x7f], "127"),
        (&[0xe0], "-32"),
        (&[0xcc, 0xff], "255"),
        (&[0xcd, 0xff, 0xff], "65535"),
        (&[0xce, 0xff, 0xff, 0xff, 0xff], "4294967295"),
        (
            &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            "18446744073709551615",
        ),
        (&[0xd0, 0x80], "-128"),
        (&[0xd1, 0x80, 0x00], "-32768"),
        (&[0xd2, 0x80, 0x00, 0x00, 0x00], "-2147483648"),
        (&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], "-9223372036854775808"),
        (&[0xca, 0x3f, 0xc0, 0x00, 0x00], "1.5"),
        (&[0xa4, b'1', b'e', b'2', b'0'], "100000000000000000000"),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            decode(bytes, &Type::Number).unwrap(),
            num(expected),
            "{bytes:02x?}"
        );
    }
    let nan = [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0];
    assert!(matches!(
        decode(&nan, &Type::Number).unwrap_err().kind,
        CodecErrorKind::InvalidNumber(_)
    ));
    assert!(decode(&[0xa3, b'a', b'b', b'c'], &Type::Number).is_err());
}

#[test]
fn dynamic_values_carry_their_type_as_bin() {
    let value = Value::Dynamic(Type::String, Box::new(Value::string("hi")));
    let mut expected = vec![0x92, 0xc4, 0x08];
    expected.extend_from_slice(br#""string""#);
    expected.extend_from_slice(&[0xa2, b'h', b'i']);
    assert_eq!(roundtrip(&value, &Type::Dynamic), expected);

    let unknown_list = Value::Dynamic(Type::list(Type::Number), Box::new(Value::unknown()));
    let bytes = roundtrip(&unknown_list, &Type::Dynamic);
    assert_eq!(&bytes[bytes.len() - 3..], [0xd4, 0x00, 0x00]);
    roundtrip(
        &Value::Dynamic(Type::Bool, Box::new(Value::Null)),
        &Type::Dynamic,
    );
}

#[test]
fn dynamic_type_may_be_a_str_and_must_be_concrete() {
    let mut bytes = vec![0x92, 0xa8];
    bytes.extend_from_slice(br#""number""#);
    bytes.push(0x05);
    assert_eq!(
        decode(&bytes, &Type::Dynamic).unwrap(),
        Value::Dynamic(Type::Number, Box::new(num("5")))
    );
    let mut nested = vec![0x92, 0xc4, 0x09];
    nested.extend_from_slice(br#""dynamic""#);
    nested.push(0xc0);
    assert!(matches!(
        decode(&nested, &Type::Dynamic).unwrap_err().kind,
        CodecErrorKind::InvalidDynamic(_)
    ));
    assert!(decode(&[0x91, 0xc0], &Type::Dynamic).is_err());
    assert!(encode(&Value::string("bare"), &Type::Dynamic).is_err());
}

#[test]
fn collections_roundtrip() {
    let list = Value::List(vec![Value::string("a"), Value::Null, Value::unknown()]);
    assert_eq!(roundtrip(&list, &Type::list(Type::String))[0], 0x93);
    roundtrip(
        &Value::Set(vec![num("1"), num("2")]),
        &Type::set(Type::Number),
    );
    let map = Value::Map(BTreeMap::from([("k".into(), Value::Bool(true))]));
    assert_eq!(
        roundtrip(&map, &Type::map(Type::Bool)),
        [0x81, 0xa1, b'k', 0xc3]
    );
    let tuple = Value::Tuple(vec![Value::string("x"), num("1")]);
    roundtrip(&tuple, &Type::tuple([Type::String, Type::Number]));
    roundtrip(&Value::List(vec![]), &Type::list(Type::String));
}

#[test]
fn objects_are_written_sorted_with_every_attribute() {
    let ty = Type::object([("b", Type::String), ("a", Type::Number)]);
    let value = obj([("b", Value::Null), ("a", num("1"))]);
    assert_eq!(
        roundtrip(&value, &ty),
        [0x82, 0xa1, b'a', 0x01, 0xa1, b'b', 0xc0]
    );
    // Attribute order on the wire does not matter when decoding.
    assert_eq!(
        decode(&[0x82, 0xa1, b'b', 0xc0, 0xa1, b'a', 0x01], &ty).unwrap(),
        value
    );
}

#[test]
fn objects_must_carry_exactly_their_attributes() {
    let ty = Type::object([("a", Type::Number), ("b", Type::String)]);
    let err = decode(&[0x81, 0xa1, b'a', 0x01], &ty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "an object with 2 attributes is required (1 given)"
    );
    let err = decode(&[0x82, 0xa1, b'a', 0x01, 0xa1, b'c', 0xc0], &ty).unwrap_err();
    assert_eq!(err.kind, CodecErrorKind::UnsupportedAttribute("c".into()));
    let err = decode(&[0x82, 0xa1, b'a', 0x01, 0xa1, b'a', 0xc0], &ty).unwrap_err();
    assert_eq!(err.kind, CodecErrorKind::DuplicateAttribute("a".into()));

    let err = encode(&obj([("a", num("1"))]), &ty).unwrap_err();
    assert_eq!(err.kind, CodecErrorKind::MissingAttribute("b".into()));
    let err = encode(
        &obj([("a", num("1")), ("b", Value::Null), ("c", Value::Null)]),
        &ty,
    )
    .unwrap_err();
    assert_eq!(err.kind, CodecErrorKind::UnsupportedAttribute("c".into()));
}

#[test]
fn errors_carry_the_attribute_path() {
    let ty = Type::object([("windows", Type::object([("kbs", Type::list(Type::Number))]))]);
    // {"windows": {"kbs": [1, "x"]}}
    let mut bytes = vec![0x81, 0xa7];
    bytes.extend_from_slice(b"windows");
    bytes.extend_from_slice(&[0x81, 0xa3, b'k', b'b', b's', 0x92, 0x01, 0xa1, b'x']);
    let err = decode(&bytes, &ty).unwrap_err();
    assert_eq!(
        err.path,
        AttributePath::attr("windows").attribute("kbs").index(1)
    );
    assert_eq!(err.to_string(), "invalid number \"x\" (at windows.kbs[1])");

    let bad = obj([(
        "windows",
        obj([("kbs", Value::List(vec![Value::string("no")]))]),
    )]);
    let err = encode(&bad, &ty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "number required, but found string (at windows.kbs[0])"
    );
}

#[test]
fn type_mismatches_and_truncation_are_errors() {
    assert!(decode(&[0xa1, b'x'], &Type::Bool).is_err());
    assert!(decode(&[0x92, 0x01], &Type::list(Type::Number)).is_err());
    assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::Number)).is_err());
    assert!(decode(&[0x91, 0x01], &Type::tuple([Type::Number, Type::Number])).is_err());
    assert!(decode(&[], &Type::String).is_err());
    assert!(decode(&[0xc1], &Type::String).is_err());
    assert!(decode(&[0xa2, 0xff, 0xfe], &Type::String).is_err());
    let err = decode(&[0x01, 0x02], &Type::Number).unwrap_err();
    assert_eq!(err.kind, CodecErrorKind::TrailingBytes(1));
    assert!(encode(&Value::Tuple(vec![]), &Type::tuple([Type::String])).is_err());
    assert!(encode(&Value::List(vec![]), &Type::set(Type::String)).is_err());
}

#[test]
fn nesting_is_bounded() {
    let ty = (0..300).fold(Type::String, |t, _| Type::list(t));
    let mut bytes = vec![0x91; 300];
    bytes.push(0xa0);
    let err = decode(&bytes, &ty).unwrap_err();
    assert!(matches!(err.kind, CodecErrorKind::TooDeep(_)), "{err}");
}
