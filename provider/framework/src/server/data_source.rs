//! ValidateDataResourceConfig and ReadDataSource.

use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::{AttributePath, Diagnostic, Diagnostics, Nesting, Value};

use super::provider::validate;
use super::{unknown_type, Inner};
use crate::codec;
use crate::provider::Provider;
use crate::schema::BlockSchema;
use crate::values::{conform, describe, first_unknown, raw_equal};

impl<P: Provider> Inner<P> {
    pub(super) fn validate_data_resource_config(
        &self,
        req: pb::validate_data_resource_config::Request,
    ) -> pb::validate_data_resource_config::Response {
        let diagnostics = match self.registry().data_sources.get(&req.type_name) {
            Some(e) => validate(&e.schema, &e.ty, req.config.as_ref(), |c, d| {
                e.handler.validate(c, d)
            }),
            None => Diagnostics::from(unknown_type("data source", &req.type_name)).to_proto(),
        };
        pb::validate_data_resource_config::Response { diagnostics }
    }

    pub(super) async fn read_data_source(
        &self,
        req: pb::read_data_source::Request,
    ) -> pb::read_data_source::Response {
        let mut diags = Diagnostics::new();
        let state = match self.read_data(&req, &mut diags).await {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                None
            }
        };
        pb::read_data_source::Response {
            state,
            diagnostics: diags.to_proto(),
            deferred: None,
        }
    }

    async fn read_data(
        &self,
        req: &pb::read_data_source::Request,
        diags: &mut Diagnostics,
    ) -> Result<Option<pb::DynamicValue>, Diagnostic> {
        let e = self
            .registry()
            .data_sources
            .get(&req.type_name)
            .ok_or_else(|| unknown_type("data source", &req.type_name))?;
        let config = codec::decode(req.config.as_ref(), &e.ty, "configuration")?;
        let data = self.data()?;
        let (state, d) = e.handler.read(&self.context(), &data, &config).await;
        let failed = d.has_errors();
        diags.extend(d);
        let state = match state {
            Some(s) if !s.is_null() => conform(&e.schema, s),
            _ if failed => return Ok(None),
            _ => {
                return Err(Diagnostic::error(
                    "Data source returned no result",
                    format!(
                        "Reading {} returned no object. This is a bug in the provider.",
                        req.type_name
                    ),
                ))
            }
        };
        let mut bugs = Vec::new();
        if let Some(path) = first_unknown(&state, AttributePath::root()) {
            bugs.push((
                path,
                "is unknown; data source results must be wholly known".to_string(),
            ));
        }
        config_kept(
            &e.schema,
            &config,
            &state,
            &AttributePath::root(),
            &mut bugs,
        );
        for (path, message) in bugs {
            diags.push(
                Diagnostic::error(
                    "Provider produced invalid data source result",
                    format!(
                        "Reading {}: {path} {message}. This is a bug in the provider.",
                        req.type_name
                    ),
                )
                .at(path),
            );
        }
        if diags.has_errors() {
            return Ok(None);
        }
        codec::encode(&state, &e.ty, "data source result").map(Some)
    }
}

/// Non-computed attributes must come back exactly as configured.
fn config_kept(
    block: &BlockSchema,
    config: &Value,
    result: &Value,
    path: &AttributePath,
    out: &mut Vec<(AttributePath, String)>,
) {
    let get = |v: &Value, n: &str| v.attr(n).cloned().unwrap_or(Value::Null);
    for a in block.attributes.iter().filter(|a| !a.computed) {
        let (c, r) = (get(config, &a.name), get(result, &a.name));
        if !raw_equal(&c, &r) {
            let show = |v: &Value| {
                if a.sensitive {
                    "(sensitive value)".to_string()
                } else {
                    describe(v)
                }
            };
            out.push((
                path.clone().attribute(&a.name),
                format!(
                    "was configured as {} but the result has {}",
                    show(&c),
                    show(&r)
                ),
            ));
        }
    }
    for b in &block.blocks {
        let p = path.clone().attribute(&b.name);
        let (c, r) = (get(config, &b.name), get(result, &b.name));
        match (b.nesting, &c, &r) {
            (Nesting::Single | Nesting::Group, _, _) => config_kept(&b.block, &c, &r, &p, out),
            (Nesting::List, Value::List(cl), Value::List(rl)) if cl.len() == rl.len() => {
                for (i, (ce, re)) in cl.iter().zip(rl).enumerate() {
                    config_kept(&b.block, ce, re, &p.clone().index(i as i64), out);
                }
            }
            (Nesting::Set, _, _) if raw_equal(&c, &r) => {}
            _ if c.as_elements().map(<[Value]>::len) != r.as_elements().map(<[Value]>::len) => {
                out.push((
                    p,
                    "has a different number of blocks than the configuration".to_string(),
                ));
            }
            _ => {}
        }
    }
}
