//! Managed resource RPCs: ValidateResourceConfig, PlanResourceChange, ApplyResourceChange,
//! ReadResource, ImportResourceState and GenerateResourceConfig.
//!
//! Every state a resource hook returns passes through [`Inner::finish_state`]: filled out to
//! the schema's shape, write-only attributes nulled, and unknowns reported (and nulled) so
//! Terraform never receives a state it would reject.

use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::{AttributePath, Diagnostic, Diagnostics, Value};

use super::provider::validate;
use super::{Inner, ResourceEntry};
use crate::apply::assert_object_compatible;
use crate::codec;
use crate::plan::{plan, PlanInput};
use crate::provider::Provider;
use crate::raw::{ApplyRequest, ImportRequest};
use crate::schema::{AttributeSchema, BlockSchema};
use crate::values::{
    conform, describe_path, first_unknown, map_elements, null_unknowns, nullify_write_only,
    raw_equal,
};

fn identity_data(d: &Option<pb::ResourceIdentityData>) -> Option<&pb::DynamicValue> {
    d.as_ref().and_then(|i| i.identity_data.as_ref())
}

impl<P: Provider> Inner<P> {
    pub(super) fn validate_resource_config(
        &self,
        req: pb::validate_resource_config::Request,
    ) -> pb::validate_resource_config::Response {
        let diagnostics = match self.resource(&req.type_name) {
            Ok(e) => validate(&e.schema.block, &e.ty, req.config.as_ref(), |c, d| {
                e.resource.validate(c, d)
            }),
            Err(d) => Diagnostics::from(d).to_proto(),
        };
        pb::validate_resource_config::Response { diagnostics }
    }

    pub(super) async fn plan_resource_change(
        &self,
        req: pb::plan_resource_change::Request,
    ) -> pb::plan_resource_change::Response {
        let mut resp = pb::plan_resource_change::Response {
            planned_private: req.prior_private.clone(),
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        if let Err(d) = self.plan_into(&req, &mut resp, &mut diags).await {
            diags.push(d);
        }
        resp.diagnostics = diags.to_proto();
        resp
    }

    async fn plan_into(
        &self,
        req: &pb::plan_resource_change::Request,
        resp: &mut pb::plan_resource_change::Response,
        diags: &mut Diagnostics,
    ) -> Result<(), Diagnostic> {
        let e = self.resource(&req.type_name)?;
        let prior = codec::decode(req.prior_state.as_ref(), &e.ty, "prior state")?;
        let proposed = codec::decode(req.proposed_new_state.as_ref(), &e.ty, "proposed new state")?;
        let config = codec::decode(req.config.as_ref(), &e.ty, "configuration")?;
        let data = self.data_opt();
        let input = PlanInput {
            prior: &prior,
            proposed: &proposed,
            config: &config,
        };
        let planned = plan(
            e.resource.as_ref(),
            &e.schema,
            &self.context(),
            data.as_deref(),
            input,
        )
        .await;
        diags.extend(planned.diagnostics);
        resp.planned_state = Some(codec::encode(&planned.state, &e.ty, "planned state")?);
        resp.requires_replace = planned
            .requires_replace
            .iter()
            .map(AttributePath::to_proto)
            .collect();
        if diags.has_errors() {
            return Ok(());
        }
        resp.planned_identity =
            self.identity_for(e, &planned.state, !prior.is_null(), &req.prior_identity)?;
        Ok(())
    }

    /// The identity to report for `state`. Falls back to `earlier` (the identity Terraform
    /// sent) for a destroyed object, or when an existing object's identity would not be
    /// wholly known; identity never changes for an existing object.
    fn identity_for(
        &self,
        e: &ResourceEntry<P::Data>,
        state: &Value,
        exists: bool,
        earlier: &Option<pb::ResourceIdentityData>,
    ) -> Result<Option<pb::ResourceIdentityData>, Diagnostic> {
        let Some(schema) = &e.identity else {
            return Ok(None);
        };
        if state.is_null() {
            return Ok(earlier.clone());
        }
        let identity = e.resource.identity(state);
        if identity.is_null() || (exists && !identity.is_wholly_known() && earlier.is_some()) {
            return Ok(earlier.clone());
        }
        codec::encode_identity(&identity, schema).map(Some)
    }

    pub(super) async fn apply_resource_change(
        &self,
        req: pb::apply_resource_change::Request,
    ) -> pb::apply_resource_change::Response {
        let mut resp = pb::apply_resource_change::Response {
            private: req.planned_private.clone(),
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        if let Err(d) = self.apply_into(&req, &mut resp, &mut diags).await {
            diags.push(d);
        }
        resp.diagnostics = diags.to_proto();
        resp
    }

    async fn apply_into(
        &self,
        req: &pb::apply_resource_change::Request,
        resp: &mut pb::apply_resource_change::Response,
        diags: &mut Diagnostics,
    ) -> Result<(), Diagnostic> {
        let e = self.resource(&req.type_name)?;
        let prior = codec::decode(req.prior_state.as_ref(), &e.ty, "prior state")?;
        let planned = codec::decode(req.planned_state.as_ref(), &e.ty, "planned state")?;
        let config = codec::decode(req.config.as_ref(), &e.ty, "configuration")?;
        // Until the hook says otherwise, the object is as it was.
        resp.new_state = Some(codec::encode(&prior, &e.ty, "prior state")?);
        let data = self.data()?;
        let ctx = self.context();
        let block = &e.schema.block;

        if planned.is_null() {
            let d = e.resource.delete(&ctx, &data, &prior).await;
            let gone = !d.has_errors();
            diags.extend(d);
            if gone {
                resp.new_state = Some(codec::encode(&Value::Null, &e.ty, "new state")?);
            }
            return Ok(());
        }

        let apply = ApplyRequest {
            prior: &prior,
            planned: &planned,
            config: &config,
        };
        let (operation, (state, d)) = if prior.is_null() {
            ("create", e.resource.create(&ctx, &data, &apply).await)
        } else {
            ("update", e.resource.update(&ctx, &data, &apply).await)
        };
        let failed = d.has_errors();
        diags.extend(d);
        let Some(state) = state else {
            if !failed {
                diags.error(
                    "Provider returned no state after apply",
                    format!(
                        "The {operation} of {} succeeded without returning the new state. This is a bug in the provider.",
                        req.type_name
                    ),
                );
            }
            return Ok(());
        };
        let state = self.finish_state(block, state, &req.type_name, operation, diags);
        if !failed {
            for p in assert_object_compatible(block, &planned, &state) {
                diags.push(
                    Diagnostic::error(
                        "Provider produced inconsistent result after apply",
                        format!(
                            "The {operation} of {} returned a state that contradicts the plan at {}: {}. This is a bug in the provider; the new state was saved as returned.",
                            req.type_name,
                            describe_path(&p.path),
                            p.message
                        ),
                    )
                    .at(p.path),
                );
            }
        }
        resp.new_state = Some(codec::encode(&state, &e.ty, "new state")?);
        resp.new_identity = self.identity_for(e, &state, true, &req.planned_identity)?;
        Ok(())
    }

    /// Shapes a state returned by a hook for Terraform: missing attributes filled in,
    /// write-only attributes nulled, unknown values reported as a provider bug and nulled.
    fn finish_state(
        &self,
        block: &BlockSchema,
        state: Value,
        type_name: &str,
        operation: &str,
        diags: &mut Diagnostics,
    ) -> Value {
        let state = nullify_write_only(block, conform(block, state));
        match first_unknown(&state, AttributePath::root()) {
            None => state,
            Some(path) => {
                diags.push(
                    Diagnostic::error(
                        "Provider returned an unknown value",
                        format!(
                            "The {operation} of {type_name} left {} unknown; every value must be known after {operation}. This is a bug in the provider.",
                            describe_path(&path)
                        ),
                    )
                    .at(path),
                );
                null_unknowns(state)
            }
        }
    }

    pub(super) async fn read_resource(
        &self,
        req: pb::read_resource::Request,
    ) -> pb::read_resource::Response {
        let mut resp = pb::read_resource::Response {
            new_state: req.current_state.clone(),
            private: req.private.clone(),
            new_identity: req.current_identity.clone(),
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        if let Err(d) = self.read_into(&req, &mut resp, &mut diags).await {
            diags.push(d);
        }
        resp.diagnostics = diags.to_proto();
        resp
    }

    async fn read_into(
        &self,
        req: &pb::read_resource::Request,
        resp: &mut pb::read_resource::Response,
        diags: &mut Diagnostics,
    ) -> Result<(), Diagnostic> {
        let e = self.resource(&req.type_name)?;
        let current = codec::decode(req.current_state.as_ref(), &e.ty, "current state")?;
        let data = self.data()?;
        let (state, d) = e.resource.read(&self.context(), &data, &current).await;
        let failed = d.has_errors();
        diags.extend(d);
        let state = match state {
            // Gone. With errors, the object's fate is unknown: keep the current state.
            None if failed => return Ok(()),
            None => Value::Null,
            Some(s) => self.finish_state(&e.schema.block, s, &req.type_name, "read", diags),
        };
        resp.new_state = Some(codec::encode(&state, &e.ty, "new state")?);
        resp.new_identity = if state.is_null() {
            None
        } else {
            self.identity_for(e, &state, true, &req.current_identity)?
        };
        Ok(())
    }

    pub(super) async fn import_resource_state(
        &self,
        req: pb::import_resource_state::Request,
    ) -> pb::import_resource_state::Response {
        let mut diags = Diagnostics::new();
        let imported = match self.import(&req, &mut diags).await {
            Ok(r) => r,
            Err(d) => {
                diags.push(d);
                None
            }
        };
        pb::import_resource_state::Response {
            imported_resources: imported.into_iter().collect(),
            diagnostics: diags.to_proto(),
            deferred: None,
        }
    }

    async fn import(
        &self,
        req: &pb::import_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Result<Option<pb::import_resource_state::ImportedResource>, Diagnostic> {
        let e = self.resource(&req.type_name)?;
        let identity = match (&e.identity, identity_data(&req.identity)) {
            (Some(schema), Some(dv)) => Some(codec::decode(
                Some(dv),
                &schema.implied_type(),
                "import identity",
            )?),
            (None, Some(_)) => {
                return Err(Diagnostic::error(
                    "Import by identity not supported",
                    format!(
                        "The resource type {} has no identity; import it by ID instead.",
                        req.type_name
                    ),
                ))
            }
            _ => None,
        };
        let data = self.data()?;
        let import = ImportRequest {
            id: &req.id,
            identity: identity.as_ref().filter(|v| !v.is_null()),
        };
        let (state, d) = e.resource.import(&self.context(), &data, &import).await;
        let failed = d.has_errors();
        diags.extend(d);
        let state = match state {
            Some(s) if !s.is_null() => s,
            _ if failed => return Ok(None),
            _ => {
                return Err(Diagnostic::error(
                    "Import returned no resources",
                    format!(
                        "The import of {} found nothing to import. This is a bug in the provider.",
                        req.type_name
                    ),
                ))
            }
        };
        let state = self.finish_state(&e.schema.block, state, &req.type_name, "import", diags);
        let identity = match &req.identity {
            Some(given) if given.identity_data.is_some() => Some(given.clone()),
            _ => self.identity_for(e, &state, false, &None)?,
        };
        Ok(Some(pb::import_resource_state::ImportedResource {
            type_name: req.type_name.clone(),
            state: Some(codec::encode(&state, &e.ty, "imported state")?),
            private: Vec::new(),
            identity,
        }))
    }

    /// Config for `terraform plan -generate-config-out`: the state's configurable values,
    /// dropping computed-only attributes and values equal to their defaults.
    pub(super) fn generate_resource_config(
        &self,
        req: pb::generate_resource_config::Request,
    ) -> pb::generate_resource_config::Response {
        let result = self.resource(&req.type_name).and_then(|e| {
            let state = codec::decode(req.state.as_ref(), &e.ty, "state")?;
            let config = config_from_state(&e.schema.block, state);
            codec::encode(&config, &e.ty, "generated configuration")
        });
        match result {
            Ok(config) => pb::generate_resource_config::Response {
                config: Some(config),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::generate_resource_config::Response {
                config: None,
                diagnostics: Diagnostics::from(d).to_proto(),
            },
        }
    }
}

fn config_from_state(block: &BlockSchema, state: Value) -> Value {
    let Value::Object(mut attrs) = state else {
        return state;
    };
    for a in &block.attributes {
        if let Some(v) = attrs.get_mut(&a.name) {
            *v = config_attribute(a, std::mem::replace(v, Value::Null));
        }
    }
    for b in &block.blocks {
        if let Some(v) = attrs.get_mut(&b.name) {
            let taken = std::mem::replace(v, Value::Null);
            *v = map_elements(b.nesting, taken, |e| config_from_state(&b.block, e));
        }
    }
    Value::Object(attrs)
}

fn config_attribute(a: &AttributeSchema, value: Value) -> Value {
    let configurable = a.required || a.optional;
    if !configurable || a.write_only || a.default.as_ref().is_some_and(|d| raw_equal(d, &value)) {
        return Value::Null;
    }
    let Some(n) = &a.nested else { return value };
    map_elements(n.nesting, value, |e| match e {
        Value::Object(mut m) => {
            for na in &n.attributes {
                if let Some(v) = m.get_mut(&na.name) {
                    *v = config_attribute(na, std::mem::replace(v, Value::Null));
                }
            }
            Value::Object(m)
        }
        other => other,
    })
}
