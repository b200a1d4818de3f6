use super::*;

#[test]
fn dynamic_values_prefer_msgpack_then_json_then_null() {
    let ty = Type::object([("a", Type::String)]);
    let value = Value::Object([("a".to_owned(), Value::string("x"))].into());
    let dv = value.to_dynamic_value(&ty).unwrap();
    assert!(dv.json.is_empty());
    assert_eq!(Value::from_dynamic_value(Some(&dv), &ty).unwrap(), value);

    let json_only = proto::DynamicValue {
        msgpack: Vec::new(),
        json: br#"{"a":"x"}"#.to_vec(),
    };
    assert_eq!(
        Value::from_dynamic_value(Some(&json_only), &ty).unwrap(),
        value
    );
    assert_eq!(Value::from_dynamic_value(None, &ty).unwrap(), Value::Null);
    let empty = proto::DynamicValue::default();
    assert_eq!(
        Value::from_dynamic_value(Some(&empty), &ty).unwrap(),
        Value::Null
    );
    let null = Value::Null.to_dynamic_value(&ty).unwrap();
    assert_eq!(null.msgpack, [0xc0]);
}

#[test]
fn attribute_paths_roundtrip() {
    let path = AttributePath::attr("windows")
        .attribute("kbs")
        .index(2)
        .key("k");
    let proto_path = path.to_proto();
    assert_eq!(proto_path.steps.len(), 4);
    assert_eq!(
        proto_path.steps[2].selector,
        Some(Selector::ElementKeyInt(2))
    );
    assert_eq!(AttributePath::from_proto(&proto_path).unwrap(), path);
    let broken = proto::AttributePath {
        steps: vec![proto::attribute_path::Step { selector: None }],
    };
    assert_eq!(
        AttributePath::from_proto(&broken),
        Err(ProtoError::EmptyPathStep(0))
    );
}

#[test]
fn diagnostics_convert() {
    let mut diags = Diagnostics::new();
    diags.error_at(AttributePath::attr("machine_id"), "Bad id", "It is wrong.");
    diags.warning("Careful", "");
    let out = diags.to_proto();
    assert_eq!(out[0].severity, proto::diagnostic::Severity::Error as i32);
    assert_eq!(out[0].summary, "Bad id");
    assert_eq!(
        out[0].attribute,
        Some(AttributePath::attr("machine_id").to_proto())
    );
    assert_eq!(out[1].severity, proto::diagnostic::Severity::Warning as i32);
    assert_eq!(out[1].attribute, None);
}

#[test]
fn schemas_convert_with_markdown_and_type_json() {
    let schema = Schema::new(
        2,
        Block::new()
            .description("A *thing*.")
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional())
            .attribute(
                Attribute::nested(
                    "disks",
                    NestedObject::new(Nesting::Set).attribute(Attribute::string("name").required()),
                )
                .computed()
                .write_only(),
            )
            .block(
                NestedBlock::new(
                    "t",
                    Nesting::Group,
                    Block::new().attribute(Attribute::string("c").optional()),
                )
                .max_items(1),
            ),
    );
    let out = schema.to_proto();
    assert_eq!(out.version, 2);
    let block = out.block.unwrap();
    assert_eq!(block.version, 2);
    assert_eq!(block.description, "A *thing*.");
    assert_eq!(block.description_kind, proto::StringKind::Markdown as i32);
    assert_eq!(block.attributes[0].r#type, br#"["map","string"]"#);
    assert!(block.attributes[0].optional);
    let disks = &block.attributes[1];
    assert!(disks.r#type.is_empty() && disks.computed && disks.write_only);
    let nested = disks.nested_type.as_ref().unwrap();
    assert_eq!(
        nested.nesting,
        proto::schema::object::NestingMode::Set as i32
    );
    assert_eq!(nested.attributes[0].r#type, br#""string""#);
    assert!(nested.attributes[0].required);
    let group = &block.block_types[0];
    assert_eq!(
        group.nesting,
        proto::schema::nested_block::NestingMode::Group as i32
    );
    assert_eq!(group.max_items, 1);
    assert_eq!(group.block.as_ref().unwrap().version, 0);
}
