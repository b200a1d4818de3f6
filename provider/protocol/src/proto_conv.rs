//! Conversions between these types and the generated tfplugin6 protobuf messages.
//!
//! The server layer speaks prost types; everything above it speaks `tfprotocol` types. Keeping
//! the mapping here means only this file changes when the protocol grows a field.

use tfplugin_proto::tfplugin6 as proto;
use thiserror::Error;

use proto::attribute_path::step::Selector;

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::error::CodecError;
use crate::path::{AttributePath, PathStep};
use crate::schema::{Attribute, Block, NestedBlock, NestedObject, Nesting, Schema};
use crate::types::Type;
use crate::value::Value;
use crate::{json, msgpack};

/// A protobuf message Terraform sent did not make sense.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ProtoError {
    #[error("attribute path step {0} has no selector")]
    EmptyPathStep(usize),
}

impl Value {
    /// Encodes as msgpack, the encoding Terraform expects in every response.
    pub fn to_dynamic_value(&self, ty: &Type) -> Result<proto::DynamicValue, CodecError> {
        Ok(proto::DynamicValue {
            msgpack: msgpack::encode(self, ty)?,
            json: Vec::new(),
        })
    }

    /// Decodes a request's DynamicValue: msgpack when present, else JSON (as Terraform's own
    /// `decodeDynamicValue` does). An absent or empty DynamicValue is null.
    pub fn from_dynamic_value(
        value: Option<&proto::DynamicValue>,
        ty: &Type,
    ) -> Result<Value, CodecError> {
        match value {
            Some(v) if !v.msgpack.is_empty() => msgpack::decode(&v.msgpack, ty),
            Some(v) if !v.json.is_empty() => json::decode(&v.json, ty),
            _ => Ok(Value::Null),
        }
    }
}

impl AttributePath {
    pub fn to_proto(&self) -> proto::AttributePath {
        let steps = self
            .0
            .iter()
            .map(|step| proto::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect();
        proto::AttributePath { steps }
    }

    pub fn from_proto(path: &proto::AttributePath) -> Result<AttributePath, ProtoError> {
        path.steps
            .iter()
            .enumerate()
            .map(|(i, step)| match &step.selector {
                Some(Selector::AttributeName(name)) => Ok(PathStep::Attribute(name.clone())),
                Some(Selector::ElementKeyString(key)) => {
                    Ok(PathStep::ElementKeyString(key.clone()))
                }
                Some(Selector::ElementKeyInt(index)) => Ok(PathStep::ElementKeyInt(*index)),
                None => Err(ProtoError::EmptyPathStep(i)),
            })
            .collect::<Result<_, _>>()
            .map(AttributePath)
    }
}

impl Diagnostic {
    pub fn to_proto(&self) -> proto::Diagnostic {
        let severity = match self.severity {
            Severity::Error => proto::diagnostic::Severity::Error,
            Severity::Warning => proto::diagnostic::Severity::Warning,
        };
        proto::Diagnostic {
            severity: severity as i32,
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self.attribute.as_ref().map(AttributePath::to_proto),
        }
    }
}

impl Diagnostics {
    pub fn to_proto(&self) -> Vec<proto::Diagnostic> {
        self.iter().map(Diagnostic::to_proto).collect()
    }
}

impl Schema {
    /// Descriptions are declared Markdown.
    pub fn to_proto(&self) -> proto::Schema {
        proto::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }
}

impl Block {
    /// `version` is the schema version on the root block and 0 on nested ones, as
    /// terraform-plugin-framework sends them (Terraform ignores it).
    fn to_proto(&self, version: i64) -> proto::schema::Block {
        proto::schema::Block {
            version,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self.block_types.iter().map(NestedBlock::to_proto).collect(),
            description: self.description.clone(),
            description_kind: proto::StringKind::Markdown as i32,
            deprecated: self.deprecated,
            deprecation_message: String::new(),
        }
    }
}

impl Attribute {
    fn to_proto(&self) -> proto::schema::Attribute {
        proto::schema::Attribute {
            name: self.name.clone(),
            // Nested attributes describe their type through `nested_type` only.
            r#type: if self.nested.is_some() {
                Vec::new()
            } else {
                self.ty.to_json_bytes()
            },
            nested_type: self.nested.as_ref().map(NestedObject::to_proto),
            description: self.description.clone(),
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            description_kind: proto::StringKind::Markdown as i32,
            deprecated: self.deprecated,
            write_only: self.write_only,
            deprecation_message: String::new(),
        }
    }
}

impl NestedBlock {
    fn to_proto(&self) -> proto::schema::NestedBlock {
        use proto::schema::nested_block::NestingMode;
        let nesting = match self.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::Group => NestingMode::Group,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        };
        proto::schema::NestedBlock {
            type_name: self.type_name.clone(),
            block: Some(self.block.to_proto(0)),
            nesting: nesting as i32,
            min_items: self.min_items,
            max_items: self.max_items,
        }
    }
}

impl NestedObject {
    fn to_proto(&self) -> proto::schema::Object {
        use proto::schema::object::NestingMode;
        let nesting = match self.nesting {
            // GROUP does not exist for nested attributes; it means the same as SINGLE here
            // (see `NestedObject::implied_type`).
            Nesting::Single | Nesting::Group => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        };
        proto::schema::Object {
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            nesting: nesting as i32,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests;
