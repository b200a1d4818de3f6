//! GetMetadata, GetProviderSchema and GetResourceIdentitySchemas.

use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::Schema;

use super::Inner;
use crate::codec;
use crate::provider::Provider;
use crate::schema::BlockSchema;

/// What the framework supports: destroy plans go through the resource (so the framework
/// can answer them), and generated config comes from [`Inner::generate_resource_config`].
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: true,
    }
}

fn unversioned(block: &BlockSchema) -> pb::Schema {
    Schema {
        version: 0,
        block: block.to_protocol(),
    }
    .to_proto()
}

impl<P: Provider> Inner<P> {
    pub(super) fn get_metadata(&self) -> pb::get_metadata::Response {
        use pb::get_metadata::{
            ActionMetadata, DataSourceMetadata, ListResourceMetadata, ResourceMetadata,
        };
        fn names<E, T>(
            m: &std::collections::BTreeMap<String, E>,
            f: impl Fn(String) -> T,
        ) -> Vec<T> {
            m.keys().cloned().map(f).collect()
        }
        pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: self.registry().setup_diagnostics.to_proto(),
            resources: names(&self.registry().resources, |type_name| ResourceMetadata {
                type_name,
            }),
            data_sources: names(&self.registry().data_sources, |type_name| {
                DataSourceMetadata { type_name }
            }),
            list_resources: names(&self.registry().lists, |type_name| ListResourceMetadata {
                type_name,
            }),
            actions: names(&self.registry().actions, |type_name| ActionMetadata {
                type_name,
            }),
            ..Default::default()
        }
    }

    pub(super) fn get_provider_schema(&self) -> pb::get_provider_schema::Response {
        pb::get_provider_schema::Response {
            provider: Some(unversioned(&self.registry().provider_schema)),
            resource_schemas: self
                .registry()
                .resources
                .iter()
                .map(|(name, e)| (name.clone(), e.schema.to_protocol().to_proto()))
                .collect(),
            data_source_schemas: self
                .registry()
                .data_sources
                .iter()
                .map(|(n, e)| (n.clone(), unversioned(&e.schema)))
                .collect(),
            list_resource_schemas: self
                .registry()
                .lists
                .iter()
                .map(|(n, e)| (n.clone(), unversioned(&e.schema)))
                .collect(),
            action_schemas: self
                .registry()
                .actions
                .iter()
                .map(|(n, e)| {
                    let schema = Some(unversioned(&e.schema));
                    (n.clone(), pb::ActionSchema { schema })
                })
                .collect(),
            diagnostics: self.registry().setup_diagnostics.to_proto(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }
    }

    pub(super) fn get_resource_identity_schemas(
        &self,
    ) -> pb::get_resource_identity_schemas::Response {
        pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .registry()
                .resources
                .iter()
                .filter_map(|(n, e)| {
                    e.identity
                        .as_ref()
                        .map(|i| (n.clone(), codec::identity_schema(i)))
                })
                .collect(),
            diagnostics: Vec::new(),
        }
    }
}
