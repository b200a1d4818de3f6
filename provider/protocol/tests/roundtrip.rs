//! Property tests: random types and conforming values survive the codecs, and no input,
//! however malformed, panics a decoder.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use tfprotocol::{json, msgpack, Number, Refinements, Type, Value};

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::Object),
            vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number(infinities: bool) -> BoxedStrategy<Number> {
    let finite = prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<f64>().prop_filter_map("finite", |f| f
            .is_finite()
            .then(|| Number::from_f64(f))
            .flatten()),
        "-?[1-9][0-9]{0,40}(\\.[0-9]{1,25})?".prop_map(|s| s.parse().unwrap()),
    ];
    if infinities {
        prop_oneof![8 => finite, 1 => Just(Number::PosInfinity), 1 => Just(Number::NegInfinity)]
            .boxed()
    } else {
        finite.boxed()
    }
}

fn arb_refinements(ty: &Type) -> BoxedStrategy<Refinements> {
    let base = any::<bool>().prop_map(|not_null| Refinements {
        not_null,
        ..Refinements::default()
    });
    match ty {
        Type::String => (base, proptest::option::of("\\PC{0,10}"))
            .prop_map(|(r, string_prefix)| Refinements { string_prefix, ..r })
            .boxed(),
        Type::Number => (
            base,
            proptest::option::of((arb_number(false), any::<bool>())),
            proptest::option::of((arb_number(false), any::<bool>())),
        )
            .prop_map(|(r, number_lower, number_upper)| Refinements {
                number_lower,
                number_upper,
                ..r
            })
            .boxed(),
        Type::List(_) | Type::Set(_) | Type::Map(_) => (
            base,
            proptest::option::of(0u64..10),
            proptest::option::of(any::<u64>()),
        )
            .prop_map(|(r, length_lower, length_upper)| Refinements {
                length_lower,
                length_upper,
                ..r
            })
            .boxed(),
        _ => base.boxed(),
    }
}

/// A value conforming to `ty`. `unknowns` allows unknown values (msgpack only) and infinities
/// (not representable in JSON); `budget` bounds dynamic-inside-dynamic nesting.
fn arb_value(ty: &Type, unknowns: bool, budget: u32) -> BoxedStrategy<Value> {
    let known = arb_known(ty, unknowns, budget);
    if unknowns {
        prop_oneof![
            1 => Just(Value::Null),
            1 => arb_refinements(ty).prop_map(Value::Unknown),
            6 => known,
        ]
        .boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

fn arb_known(ty: &Type, unknowns: bool, budget: u32) -> BoxedStrategy<Value> {
    match ty {
        Type::String => "\\PC{0,12}".prop_map(Value::String).boxed(),
        Type::Number => arb_number(unknowns).prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Dynamic if budget == 0 => Just(Value::Null).boxed(),
        Type::Dynamic => arb_type()
            .prop_filter("concrete", |t| *t != Type::Dynamic)
            .prop_flat_map(move |t| {
                arb_value(&t, unknowns, budget - 1)
                    .prop_map(move |v| Value::Dynamic(t.clone(), Box::new(v)))
            })
            .boxed(),
        Type::List(e) => vec(arb_value(e, unknowns, budget), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(e) => vec(arb_value(e, unknowns, budget), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(e) => btree_map("\\PC{0,5}", arb_value(e, unknowns, budget), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(types) => types
            .iter()
            .map(|t| arb_value(t, unknowns, budget))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object(attrs) => attrs
            .iter()
            .map(|(name, t)| {
                let name = name.clone();
                arb_value(t, unknowns, budget).prop_map(move |v| (name.clone(), v))
            })
            .collect::<Vec<_>>()
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<BTreeMap<_, _>>()))
            .boxed(),
    }
}

fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |ty| {
        let value = arb_value(&ty, unknowns, 2);
        (Just(ty), value)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn msgpack_roundtrips((ty, value) in typed_value(true)) {
        let bytes = msgpack::encode(&value, &ty).unwrap();
        let decoded = msgpack::decode(&bytes, &ty).unwrap();
        prop_assert_eq!(&decoded, &value);
        prop_assert!(decoded.semantic_eq(&value, &ty));
    }

    #[test]
    fn json_roundtrips_known_values((ty, value) in typed_value(false)) {
        prop_assert!(value.is_wholly_known());
        let bytes = json::encode(&value, &ty).unwrap();
        let decoded = json::decode(&bytes, &ty).unwrap();
        prop_assert_eq!(&decoded, &value);
    }

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..256), ty in arb_type()) {
        let _ = msgpack::decode(&bytes, &ty);
        let _ = json::decode(&bytes, &ty);
    }

    #[test]
    fn corrupted_encodings_never_panic(
        (ty, value) in typed_value(true),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = msgpack::encode(&value, &ty).unwrap();
        for (at, byte) in &flips {
            let i = at.index(bytes.len());
            bytes[i] = *byte;
        }
        let _ = msgpack::decode(&bytes, &ty);
        let _ = msgpack::decode(&bytes[..cut.index(bytes.len() + 1)], &ty);

        if let Ok(text) = json::encode(&value, &ty) {
            let _ = json::decode(&text[..cut.index(text.len() + 1)], &ty);
        }
    }
}
