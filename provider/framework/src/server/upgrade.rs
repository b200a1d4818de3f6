//! UpgradeResourceState and UpgradeResourceIdentity.
//!
//! Terraform calls UpgradeResourceState for every stored object on every plan, even when
//! the version is current, to turn stored JSON into msgpack against the current schema.
//! Older versions run through the resource's upgrader chain one version at a time; the
//! final JSON is decoded leniently (attributes added since read as null, removed ones are
//! dropped). Parsing and decoding go through tfprotocol's JSON codec, which keeps every digit
//! of a number: the one decoder for stored state.

use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::json::{self, Json};
use tfprotocol::{Diagnostic, Diagnostics, Type, Value};

use super::Inner;
use crate::codec;
use crate::provider::Provider;
use crate::values::{conform, nullify_write_only};

/// Runs `step(v, json)` from `stored` up to `current`, then decodes against `ty`.
fn upgrade_json(
    raw: Option<&pb::RawState>,
    stored: i64,
    current: i64,
    what: &str,
    ty: &Type,
    mut step: impl FnMut(i64, Json) -> Result<Json, Diagnostics>,
) -> Result<Value, Diagnostics> {
    let raw = raw.map(|r| r.json.as_slice()).unwrap_or_default();
    if raw.is_empty() {
        return Err(Diagnostic::error(
            format!("Unable to upgrade {what}"),
            "Terraform sent no JSON to upgrade (pre-0.12 flatmap state is not supported).",
        )
        .into());
    }
    if stored > current {
        return Err(Diagnostic::error(
            format!("Unable to upgrade {what}"),
            format!(
                "The stored {what} has version {stored}, newer than this provider's version {current}. It was written by a newer version of the provider; use that version or newer."
            ),
        )
        .into());
    }
    let mut document = json::parse(raw).map_err(|e| {
        Diagnostic::error(
            format!("Unable to upgrade {what}"),
            format!("The stored {what} is not valid JSON: {e}."),
        )
    })?;
    for version in stored..current {
        document = step(version, document)?;
    }
    json::decode_parsed(&document, ty).map_err(|e| {
        Diagnostic::error(
            format!("Unable to upgrade {what}"),
            format!("The stored {what} does not match the current schema: {e}."),
        )
        .into()
    })
}

impl<P: Provider> Inner<P> {
    pub(super) fn upgrade_resource_state(
        &self,
        req: pb::upgrade_resource_state::Request,
    ) -> pb::upgrade_resource_state::Response {
        let result = self
            .resource(&req.type_name)
            .map_err(Diagnostics::from)
            .and_then(|e| {
                let block = &e.schema.block;
                let state = upgrade_json(
                    req.raw_state.as_ref(),
                    req.version,
                    e.schema.version,
                    "resource state",
                    &e.ty,
                    |v, json| e.resource.upgrade_state(v, json),
                )?;
                let state = nullify_write_only(block, conform(block, state));
                codec::encode(&state, &e.ty, "upgraded state").map_err(Diagnostics::from)
            });
        match result {
            Ok(state) => pb::upgrade_resource_state::Response {
                upgraded_state: Some(state),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: d.to_proto(),
            },
        }
    }

    pub(super) fn upgrade_resource_identity(
        &self,
        req: pb::upgrade_resource_identity::Request,
    ) -> pb::upgrade_resource_identity::Response {
        let result = self
            .resource(&req.type_name)
            .map_err(Diagnostics::from)
            .and_then(|e| {
                let Some(schema) = &e.identity else {
                    return Err(Diagnostic::error(
                        "Unable to upgrade resource identity",
                        format!("The resource type {} has no identity.", req.type_name),
                    )
                    .into());
                };
                let identity = upgrade_json(
                    req.raw_identity.as_ref(),
                    req.version,
                    schema.version,
                    "resource identity",
                    &schema.implied_type(),
                    |v, json| e.resource.upgrade_identity(v, json),
                )?;
                codec::encode_identity(&identity, schema).map_err(Diagnostics::from)
            });
        match result {
            Ok(identity) => pb::upgrade_resource_identity::Response {
                upgraded_identity: Some(identity),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::upgrade_resource_identity::Response {
                upgraded_identity: None,
                diagnostics: d.to_proto(),
            },
        }
    }
}
