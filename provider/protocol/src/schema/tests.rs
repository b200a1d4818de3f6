use std::collections::BTreeMap;

use super::*;

fn vm_block() -> Block {
    Block::new()
        .attribute(Attribute::string("machine_id").required())
        .attribute(Attribute::string("id").computed())
        .attribute(
            Attribute::nested(
                "disks",
                NestedObject::new(Nesting::List)
                    .attribute(Attribute::string("name").required())
                    .attribute(Attribute::number("size").optional().computed()),
            )
            .optional(),
        )
        .block(NestedBlock::new(
            "windows",
            Nesting::Single,
            Block::new().attribute(Attribute::new("kbs", Type::list(Type::String)).optional()),
        ))
        .block(NestedBlock::new(
            "rule",
            Nesting::Set,
            Block::new().attribute(Attribute::string("name").required()),
        ))
        .block(NestedBlock::new(
            "timeouts",
            Nesting::Group,
            Block::new().attribute(Attribute::string("create").optional()),
        ))
        .block(NestedBlock::new(
            "labels",
            Nesting::Map,
            Block::new().attribute(Attribute::bool("on").optional()),
        ))
        .block(NestedBlock::new(
            "steps",
            Nesting::List,
            Block::new().attribute(Attribute::number("n").optional()),
        ))
}

#[test]
fn implied_type_of_blocks_and_nested_attributes() {
    let expected = Type::object([
        ("machine_id", Type::String),
        ("id", Type::String),
        (
            "disks",
            Type::list(Type::object([
                ("name", Type::String),
                ("size", Type::Number),
            ])),
        ),
        ("windows", Type::object([("kbs", Type::list(Type::String))])),
        ("rule", Type::set(Type::object([("name", Type::String)]))),
        ("timeouts", Type::object([("create", Type::String)])),
        ("labels", Type::map(Type::object([("on", Type::Bool)]))),
        ("steps", Type::list(Type::object([("n", Type::Number)]))),
    ]);
    assert_eq!(vm_block().implied_type(), expected);
    assert_eq!(Schema::new(1, vm_block()).implied_type(), expected);
}

#[test]
fn nested_attribute_nesting_modes() {
    let object = |nesting| {
        NestedObject::new(nesting)
            .attribute(Attribute::string("a").optional())
            .implied_type()
    };
    let inner = Type::object([("a", Type::String)]);
    assert_eq!(object(Nesting::Single), inner);
    assert_eq!(object(Nesting::Set), Type::set(inner.clone()));
    assert_eq!(object(Nesting::Map), Type::map(inner));
}

#[test]
fn blocks_containing_dynamic_are_dynamic_when_list_or_map() {
    let dynamic = Block::new().attribute(Attribute::new("v", Type::Dynamic).optional());
    let block = |nesting| NestedBlock::new("b", nesting, dynamic.clone());
    assert_eq!(block(Nesting::List).implied_type(), Type::Dynamic);
    assert_eq!(block(Nesting::Map).implied_type(), Type::Dynamic);
    assert_eq!(
        block(Nesting::Set).implied_type(),
        Type::set(Type::object([("v", Type::Dynamic)]))
    );
    assert_eq!(
        block(Nesting::Single).implied_type(),
        Type::object([("v", Type::Dynamic)])
    );
    assert_eq!(
        block(Nesting::List).empty_value(),
        Value::Dynamic(Type::Tuple(vec![]), Box::new(Value::Tuple(vec![])))
    );
    let schema = Block::new()
        .block(block(Nesting::List))
        .block(block(Nesting::Map));
    let bytes = crate::msgpack::encode(&schema.empty_value(), &schema.implied_type()).unwrap();
    assert_eq!(
        crate::msgpack::decode(&bytes, &schema.implied_type()).unwrap(),
        schema.empty_value()
    );
}

#[test]
fn empty_value_has_every_key_in_terraform_shape() {
    let empty = vm_block().empty_value();
    let expected = Value::Object(BTreeMap::from([
        ("machine_id".into(), Value::Null),
        ("id".into(), Value::Null),
        ("disks".into(), Value::Null),
        ("windows".into(), Value::Null),
        ("rule".into(), Value::Set(vec![])),
        (
            "timeouts".into(),
            Value::Object(BTreeMap::from([("create".into(), Value::Null)])),
        ),
        ("labels".into(), Value::Map(BTreeMap::new())),
        ("steps".into(), Value::List(vec![])),
    ]));
    assert_eq!(empty, expected);
    // It must encode against the implied type without complaint.
    crate::msgpack::encode(&empty, &vm_block().implied_type()).unwrap();
}

#[test]
fn builder_sets_flags_and_lookup_works() {
    let block = vm_block().description("A **VM**.").deprecated();
    let id = block.find_attribute("id").unwrap();
    assert!(id.computed && !id.optional && !id.required);
    let secret = Attribute::string("s")
        .optional()
        .sensitive()
        .write_only()
        .deprecated()
        .description("d");
    assert!(secret.optional && secret.sensitive && secret.write_only && secret.deprecated);
    assert_eq!(secret.description, "d");
    assert_eq!(block.find_block("rule").unwrap().nesting, Nesting::Set);
    assert!(block.find_block("nope").is_none());
    assert_eq!(
        NestedBlock::new("x", Nesting::List, Block::new())
            .min_items(1)
            .max_items(2)
            .max_items,
        2
    );
    assert!(block.deprecated);
}
