//! [`FrameworkServer`]: the tonic `tfplugin6.Provider` service over a [`Provider`].
//!
//! Each submodule handles one RPC family; this module holds the registries built once from
//! the provider (schemas are computed a single time, so every RPC sees the same ones), the
//! configured provider data, and the provider-wide stop token.
//!
//! The registries are built on the first RPC that needs them, not when the server is made:
//! Terraform starts the plugin several times per command and waits for its handshake line
//! each time, so nothing that can wait happens before the handshake.

mod action;
mod data_source;
mod list;
mod panic_guard;
mod provider;
mod resource;
mod schema;
mod unsupported;
mod upgrade;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};

use tfplugin_proto::tfplugin6 as pb;
use tfplugin_proto::tfplugin6::provider_server;
use tfprotocol::{Diagnostic, Diagnostics, Type};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::model::Model;
use crate::provider::{Context, Provider};
use crate::raw::{Action, DataSource, ListResource, Resource};
use crate::schema::{BlockSchema, IdentitySchema, ResourceSchema};
use panic_guard::guarded;

/// Serves a [`Provider`] over tfplugin6. Cheap to clone; all clones share one state.
pub struct FrameworkServer<P: Provider> {
    inner: Arc<Inner<P>>,
}

impl<P: Provider> Clone for FrameworkServer<P> {
    fn clone(&self) -> Self {
        FrameworkServer {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P: Provider> FrameworkServer<P> {
    pub fn new(provider: P) -> Self {
        FrameworkServer {
            inner: Arc::new(Inner::new(provider)),
        }
    }

    /// Cancelled by StopProvider; every hook's [`Context::stop`] is this token.
    pub fn stop_token(&self) -> CancellationToken {
        self.inner.stop.clone()
    }
}

struct ResourceEntry<D> {
    resource: Arc<dyn Resource<D>>,
    schema: ResourceSchema,
    ty: Type,
    identity: Option<IdentitySchema>,
}

struct TypedEntry<T: ?Sized> {
    handler: Arc<T>,
    schema: BlockSchema,
    ty: Type,
}

/// What ConfigureProvider left behind.
enum Configured<D> {
    NotYet,
    /// The provider block had values unknown until apply.
    UnknownConfig,
    Ready(Arc<D>),
}

struct Inner<P: Provider> {
    provider: P,
    registry: OnceLock<Registry<P::Data>>,
    data: RwLock<Configured<P::Data>>,
    stop: CancellationToken,
}

/// Everything the provider offers, with schemas computed once.
struct Registry<D> {
    provider_schema: BlockSchema,
    resources: BTreeMap<String, ResourceEntry<D>>,
    data_sources: BTreeMap<String, TypedEntry<dyn DataSource<D>>>,
    actions: BTreeMap<String, TypedEntry<dyn Action<D>>>,
    lists: BTreeMap<String, TypedEntry<dyn ListResource<D>>>,
    /// Provider programming errors found while building the registries; reported by
    /// GetProviderSchema so they surface on the first Terraform command.
    setup_diagnostics: Diagnostics,
}

impl<D: Send + Sync + 'static> Registry<D> {
    fn build<P: Provider<Data = D>>(provider: &P) -> Self {
        let mut setup = Diagnostics::new();
        let mut resources = BTreeMap::new();
        for r in provider.resources() {
            let schema = r.schema();
            check_schema(r.type_name(), &schema.block, &mut setup);
            let entry = ResourceEntry {
                ty: schema.block.implied_type(),
                identity: r.identity_schema(),
                schema,
                resource: Arc::clone(&r),
            };
            insert_unique(&mut resources, r.type_name(), entry, "resource", &mut setup);
        }
        let mut data_sources = BTreeMap::new();
        for d in provider.data_sources() {
            let entry = typed(Arc::clone(&d), d.schema());
            insert_unique(
                &mut data_sources,
                d.type_name(),
                entry,
                "data source",
                &mut setup,
            );
        }
        let mut actions = BTreeMap::new();
        for a in provider.actions() {
            let entry = typed(Arc::clone(&a), a.schema());
            insert_unique(&mut actions, a.type_name(), entry, "action", &mut setup);
        }
        let mut lists = BTreeMap::new();
        for l in provider.list_resources() {
            match resources.get(l.type_name()) {
                Some(r) if r.identity.is_some() => {}
                _ => setup.error(
                    "Invalid list resource",
                    format!(
                        "The list resource {} needs a managed resource of the same type name with an identity schema. This is a bug in the provider.",
                        l.type_name()
                    ),
                ),
            }
            let entry = typed(Arc::clone(&l), l.config_schema());
            insert_unique(
                &mut lists,
                l.type_name(),
                entry,
                "list resource",
                &mut setup,
            );
        }
        Registry {
            provider_schema: P::Config::block(),
            resources,
            data_sources,
            actions,
            lists,
            setup_diagnostics: setup,
        }
    }
}

impl<P: Provider> Inner<P> {
    fn new(provider: P) -> Self {
        Inner {
            provider,
            registry: OnceLock::new(),
            data: RwLock::new(Configured::NotYet),
            stop: CancellationToken::new(),
        }
    }

    /// The registries, built by the first caller.
    fn registry(&self) -> &Registry<P::Data> {
        self.registry
            .get_or_init(|| Registry::build(&self.provider))
    }

    fn context(&self) -> Context {
        Context::new(self.stop.clone())
    }

    fn resource(&self, type_name: &str) -> Result<&ResourceEntry<P::Data>, Diagnostic> {
        self.registry()
            .resources
            .get(type_name)
            .ok_or_else(|| unknown_type("resource", type_name))
    }

    /// The configured data, or why there is none.
    fn data(&self) -> Result<Arc<P::Data>, Diagnostic> {
        let guard = self.data.read().unwrap_or_else(|e| e.into_inner());
        match &*guard {
            Configured::Ready(d) => Ok(Arc::clone(d)),
            Configured::NotYet => Err(Diagnostic::error(
                "Provider not configured",
                "Terraform called the provider before ConfigureProvider. This is a bug in Terraform or the provider.",
            )),
            Configured::UnknownConfig => Err(Diagnostic::error(
                "Provider configuration not known yet",
                format!(
                    "The {} provider block depends on values that are only known after apply, so the provider cannot reach the API yet. Apply the resources the provider configuration depends on first (for example with -target).",
                    self.provider.type_name()
                ),
            )),
        }
    }

    /// The configured data when available (plan-time hooks tolerate its absence).
    fn data_opt(&self) -> Option<Arc<P::Data>> {
        self.data().ok()
    }
}

fn typed<T: ?Sized>(handler: Arc<T>, schema: BlockSchema) -> TypedEntry<T> {
    TypedEntry {
        ty: schema.implied_type(),
        schema,
        handler,
    }
}

fn insert_unique<E>(
    map: &mut BTreeMap<String, E>,
    name: &str,
    entry: E,
    kind: &str,
    setup: &mut Diagnostics,
) {
    if map.insert(name.to_string(), entry).is_some() {
        setup.error(
            "Duplicate type name",
            format!("The provider registers more than one {kind} named {name}. This is a bug in the provider."),
        );
    }
}

/// Framework-rule checks of a resource schema (programming errors, found once at start).
fn check_schema(type_name: &str, block: &BlockSchema, setup: &mut Diagnostics) {
    let mut bug = |attr: &str, rule: &str| {
        setup.error(
            "Invalid resource schema",
            format!("{type_name}.{attr}: {rule}. This is a bug in the provider."),
        )
    };
    for a in &block.attributes {
        if a.write_only && a.computed {
            bug(&a.name, "a write-only attribute cannot be computed");
        }
        if a.use_state_for_unknown && !a.computed {
            bug(&a.name, "use_state_for_unknown needs a computed attribute");
        }
        if [a.required, a.optional, a.computed].iter().all(|f| !f) {
            bug(
                &a.name,
                "an attribute must be required, optional or computed",
            );
        }
        if a.required && (a.optional || a.computed) {
            bug(
                &a.name,
                "a required attribute cannot also be optional or computed",
            );
        }
    }
    for b in &block.blocks {
        check_schema(&format!("{type_name}.{}", b.name), &b.block, setup);
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type named {name:?}."),
    )
}

type ServerResult<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl<P: Provider> provider_server::Provider for FrameworkServer<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> ServerResult<pb::get_metadata::Response> {
        guarded("GetMetadata", async { self.inner.get_metadata() }).await
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> ServerResult<pb::get_provider_schema::Response> {
        guarded("GetProviderSchema", async {
            self.inner.get_provider_schema()
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        r: Request<pb::validate_provider_config::Request>,
    ) -> ServerResult<pb::validate_provider_config::Response> {
        guarded("ValidateProviderConfig", async {
            self.inner.validate_provider_config(r.into_inner())
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        r: Request<pb::validate_resource_config::Request>,
    ) -> ServerResult<pb::validate_resource_config::Response> {
        guarded("ValidateResourceConfig", async {
            self.inner.validate_resource_config(r.into_inner())
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        r: Request<pb::validate_data_resource_config::Request>,
    ) -> ServerResult<pb::validate_data_resource_config::Response> {
        guarded("ValidateDataResourceConfig", async {
            self.inner.validate_data_resource_config(r.into_inner())
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        r: Request<pb::upgrade_resource_state::Request>,
    ) -> ServerResult<pb::upgrade_resource_state::Response> {
        guarded("UpgradeResourceState", async {
            self.inner.upgrade_resource_state(r.into_inner())
        })
        .await
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> ServerResult<pb::get_resource_identity_schemas::Response> {
        guarded("GetResourceIdentitySchemas", async {
            self.inner.get_resource_identity_schemas()
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        r: Request<pb::upgrade_resource_identity::Request>,
    ) -> ServerResult<pb::upgrade_resource_identity::Response> {
        guarded("UpgradeResourceIdentity", async {
            self.inner.upgrade_resource_identity(r.into_inner())
        })
        .await
    }

    async fn configure_provider(
        &self,
        r: Request<pb::configure_provider::Request>,
    ) -> ServerResult<pb::configure_provider::Response> {
        guarded(
            "ConfigureProvider",
            self.inner.configure_provider(r.into_inner()),
        )
        .await
    }

    async fn read_resource(
        &self,
        r: Request<pb::read_resource::Request>,
    ) -> ServerResult<pb::read_resource::Response> {
        guarded("ReadResource", self.inner.read_resource(r.into_inner())).await
    }

    async fn plan_resource_change(
        &self,
        r: Request<pb::plan_resource_change::Request>,
    ) -> ServerResult<pb::plan_resource_change::Response> {
        guarded(
            "PlanResourceChange",
            self.inner.plan_resource_change(r.into_inner()),
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        r: Request<pb::apply_resource_change::Request>,
    ) -> ServerResult<pb::apply_resource_change::Response> {
        guarded(
            "ApplyResourceChange",
            self.inner.apply_resource_change(r.into_inner()),
        )
        .await
    }

    async fn import_resource_state(
        &self,
        r: Request<pb::import_resource_state::Request>,
    ) -> ServerResult<pb::import_resource_state::Response> {
        guarded(
            "ImportResourceState",
            self.inner.import_resource_state(r.into_inner()),
        )
        .await
    }

    async fn move_resource_state(
        &self,
        _: Request<pb::move_resource_state::Request>,
    ) -> ServerResult<pb::move_resource_state::Response> {
        Err(unsupported::unimplemented("MoveResourceState"))
    }

    async fn read_data_source(
        &self,
        r: Request<pb::read_data_source::Request>,
    ) -> ServerResult<pb::read_data_source::Response> {
        guarded(
            "ReadDataSource",
            self.inner.read_data_source(r.into_inner()),
        )
        .await
    }

    async fn generate_resource_config(
        &self,
        r: Request<pb::generate_resource_config::Request>,
    ) -> ServerResult<pb::generate_resource_config::Response> {
        guarded("GenerateResourceConfig", async {
            self.inner.generate_resource_config(r.into_inner())
        })
        .await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        r: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> ServerResult<pb::validate_ephemeral_resource_config::Response> {
        guarded("ValidateEphemeralResourceConfig", async {
            pb::validate_ephemeral_resource_config::Response {
                diagnostics: unsupported::no_ephemeral(&r.into_inner().type_name),
            }
        })
        .await
    }

    async fn open_ephemeral_resource(
        &self,
        r: Request<pb::open_ephemeral_resource::Request>,
    ) -> ServerResult<pb::open_ephemeral_resource::Response> {
        guarded("OpenEphemeralResource", async {
            pb::open_ephemeral_resource::Response {
                diagnostics: unsupported::no_ephemeral(&r.into_inner().type_name),
                ..Default::default()
            }
        })
        .await
    }

    async fn renew_ephemeral_resource(
        &self,
        r: Request<pb::renew_ephemeral_resource::Request>,
    ) -> ServerResult<pb::renew_ephemeral_resource::Response> {
        guarded("RenewEphemeralResource", async {
            pb::renew_ephemeral_resource::Response {
                diagnostics: unsupported::no_ephemeral(&r.into_inner().type_name),
                ..Default::default()
            }
        })
        .await
    }

    async fn close_ephemeral_resource(
        &self,
        r: Request<pb::close_ephemeral_resource::Request>,
    ) -> ServerResult<pb::close_ephemeral_resource::Response> {
        guarded("CloseEphemeralResource", async {
            pb::close_ephemeral_resource::Response {
                diagnostics: unsupported::no_ephemeral(&r.into_inner().type_name),
            }
        })
        .await
    }

    type ListResourceStream = ReceiverStream<Result<pb::list_resource::Event, Status>>;

    async fn list_resource(
        &self,
        r: Request<pb::list_resource::Request>,
    ) -> ServerResult<Self::ListResourceStream> {
        Ok(Response::new(Inner::list_resource(
            &self.inner,
            r.into_inner(),
        )))
    }

    async fn validate_list_resource_config(
        &self,
        r: Request<pb::validate_list_resource_config::Request>,
    ) -> ServerResult<pb::validate_list_resource_config::Response> {
        guarded("ValidateListResourceConfig", async {
            self.inner.validate_list_resource_config(r.into_inner())
        })
        .await
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> ServerResult<pb::get_functions::Response> {
        guarded("GetFunctions", async {
            pb::get_functions::Response::default()
        })
        .await
    }

    async fn call_function(
        &self,
        r: Request<pb::call_function::Request>,
    ) -> ServerResult<pb::call_function::Response> {
        guarded("CallFunction", async {
            unsupported::call_function(&r.into_inner().name)
        })
        .await
    }

    async fn validate_state_store_config(
        &self,
        _: Request<pb::validate_state_store::Request>,
    ) -> ServerResult<pb::validate_state_store::Response> {
        Err(unsupported::unimplemented("ValidateStateStoreConfig"))
    }

    async fn configure_state_store(
        &self,
        _: Request<pb::configure_state_store::Request>,
    ) -> ServerResult<pb::configure_state_store::Response> {
        Err(unsupported::unimplemented("ConfigureStateStore"))
    }

    type ReadStateBytesStream = tokio_stream::Empty<Result<pb::read_state_bytes::Response, Status>>;

    async fn read_state_bytes(
        &self,
        _: Request<pb::read_state_bytes::Request>,
    ) -> ServerResult<Self::ReadStateBytesStream> {
        Err(unsupported::unimplemented("ReadStateBytes"))
    }

    async fn write_state_bytes(
        &self,
        _: Request<tonic::Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> ServerResult<pb::write_state_bytes::Response> {
        Err(unsupported::unimplemented("WriteStateBytes"))
    }

    async fn lock_state(
        &self,
        _: Request<pb::lock_state::Request>,
    ) -> ServerResult<pb::lock_state::Response> {
        Err(unsupported::unimplemented("LockState"))
    }

    async fn unlock_state(
        &self,
        _: Request<pb::unlock_state::Request>,
    ) -> ServerResult<pb::unlock_state::Response> {
        Err(unsupported::unimplemented("UnlockState"))
    }

    async fn get_states(
        &self,
        _: Request<pb::get_states::Request>,
    ) -> ServerResult<pb::get_states::Response> {
        Err(unsupported::unimplemented("GetStates"))
    }

    async fn delete_state(
        &self,
        _: Request<pb::delete_state::Request>,
    ) -> ServerResult<pb::delete_state::Response> {
        Err(unsupported::unimplemented("DeleteState"))
    }

    async fn plan_action(
        &self,
        r: Request<pb::plan_action::Request>,
    ) -> ServerResult<pb::plan_action::Response> {
        guarded("PlanAction", self.inner.plan_action(r.into_inner())).await
    }

    type InvokeActionStream = ReceiverStream<Result<pb::invoke_action::Event, Status>>;

    async fn invoke_action(
        &self,
        r: Request<pb::invoke_action::Request>,
    ) -> ServerResult<Self::InvokeActionStream> {
        Ok(Response::new(Inner::invoke_action(
            &self.inner,
            r.into_inner(),
        )))
    }

    async fn validate_action_config(
        &self,
        r: Request<pb::validate_action_config::Request>,
    ) -> ServerResult<pb::validate_action_config::Response> {
        guarded("ValidateActionConfig", async {
            self.inner.validate_action_config(r.into_inner())
        })
        .await
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> ServerResult<pb::stop_provider::Response> {
        guarded("StopProvider", async { self.inner.stop_provider() }).await
    }
}

#[cfg(test)]
mod tests;
