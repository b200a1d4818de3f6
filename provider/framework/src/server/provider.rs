//! ValidateProviderConfig, ConfigureProvider and StopProvider, plus the validation walk
//! every Validate* RPC shares.

use std::sync::Arc;

use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::{AttributePath, Diagnostics, Type, Value};

use super::{Configured, Inner};
use crate::codec;
use crate::convert::FromValue;
use crate::model::Plan;
use crate::provider::Provider;
use crate::schema::BlockSchema;
use crate::validators::validate_block;

/// Decodes a configuration and runs the schema's validators, then `hook` (both skip
/// unknown values). Returns proto diagnostics ready for any Validate* response.
pub(super) fn validate(
    block: &BlockSchema,
    ty: &Type,
    config: Option<&pb::DynamicValue>,
    hook: impl FnOnce(&Value, &mut Diagnostics),
) -> Vec<pb::Diagnostic> {
    let mut diags = Diagnostics::new();
    match codec::decode(config, ty, "configuration") {
        Ok(config) => {
            validate_block(block, &config, &AttributePath::root(), &mut diags);
            hook(&config, &mut diags);
        }
        Err(d) => diags.push(d),
    }
    diags.to_proto()
}

impl<P: Provider> Inner<P> {
    pub(super) fn validate_provider_config(
        &self,
        req: pb::validate_provider_config::Request,
    ) -> pb::validate_provider_config::Response {
        let schema = &self.registry().provider_schema;
        let ty = schema.implied_type();
        pb::validate_provider_config::Response {
            diagnostics: validate(schema, &ty, req.config.as_ref(), |c, d| {
                match Plan::<P::Config>::from_value(c, &AttributePath::root()) {
                    Ok(config) => self.provider.validate_config(&config, d),
                    Err(e) => d.push(e),
                }
            }),
        }
    }

    pub(super) async fn configure_provider(
        &self,
        req: pb::configure_provider::Request,
    ) -> pb::configure_provider::Response {
        let ty = self.registry().provider_schema.implied_type();
        let mut diags = Diagnostics::new();
        let next = match codec::decode(req.config.as_ref(), &ty, "provider configuration") {
            Err(d) => {
                diags.push(d);
                None
            }
            Ok(config) if !config.is_wholly_known() => Some(Configured::UnknownConfig),
            Ok(config) => match self.configure(&config, &req.terraform_version).await {
                Ok(data) => Some(Configured::Ready(Arc::new(data))),
                Err(d) => {
                    diags.extend(d);
                    None
                }
            },
        };
        if let Some(next) = next {
            *self.data.write().unwrap_or_else(|e| e.into_inner()) = next;
        }
        pb::configure_provider::Response {
            diagnostics: diags.to_proto(),
        }
    }

    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
    ) -> Result<P::Data, Diagnostics> {
        let config = P::Config::from_value(config, &AttributePath::root())?;
        self.provider
            .configure(&self.context(), &config, terraform_version)
            .await
    }

    /// Cancels in-flight and later work; the process keeps serving until the go-plugin
    /// controller shuts it down.
    pub(super) fn stop_provider(&self) -> pb::stop_provider::Response {
        self.stop.cancel();
        pb::stop_provider::Response {
            error: String::new(),
        }
    }
}
