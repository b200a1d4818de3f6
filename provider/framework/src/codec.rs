//! Decoding and encoding of DynamicValues with diagnostics (tfprotocol's proto conversions
//! plus context), and the identity-schema message tfprotocol does not cover.
//!
//! Every RPC handler decodes its DynamicValues against a schema's implied type and encodes
//! its results the same way; failures become error diagnostics naming the value, because a
//! codec failure here means the provider and Terraform disagree about a schema.

use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::{Diagnostic, Type, Value};

use crate::schema::IdentitySchema;

/// Decodes a DynamicValue (msgpack, or JSON when msgpack is empty); an absent value is null.
pub(crate) fn decode(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostic> {
    Value::from_dynamic_value(dv, ty).map_err(|e| {
        Diagnostic::error(
            "Invalid value from Terraform",
            format!("Could not decode the {what}: {e}. The provider schema may not match what Terraform expects."),
        )
    })
}

/// Encodes a value as msgpack.
pub(crate) fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    value.to_dynamic_value(ty).map_err(|e| {
        Diagnostic::error(
            "Provider produced an invalid value",
            format!("Could not encode the {what}: {e}. This is a bug in the provider."),
        )
    })
}

/// Encodes an identity object as ResourceIdentityData.
pub(crate) fn encode_identity(
    value: &Value,
    schema: &IdentitySchema,
) -> Result<pb::ResourceIdentityData, Diagnostic> {
    encode(value, &schema.implied_type(), "resource identity").map(|dv| pb::ResourceIdentityData {
        identity_data: Some(dv),
    })
}

pub(crate) fn identity_schema(s: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: a.optional_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}
