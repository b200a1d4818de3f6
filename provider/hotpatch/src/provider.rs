//! The `hotpatch` provider: its block, its configuration into an ARM client, and the
//! registry of everything it offers.

use std::path::PathBuf;
use std::sync::Arc;

use armclient::{user_agent, ArmClient, ArmConfig, Credentials};
use async_trait::async_trait;
use tfframework::{
    action, data_source, list_resource, raw, resource, Context, Diagnostics, Provider,
};

use crate::assess_action::AssessAction;
use crate::available_updates_data_source::AvailableUpdatesDataSource;
use crate::enrollment_resource::EnrollmentResource;
use crate::install_action::InstallAction;
use crate::machine_setting_resource::MachineSettingResource;
use crate::machines_data_source::MachinesDataSource;
use crate::provider_data::HotpatchData;
use crate::settings::{self, AuthMethod, ProviderConfig, Settings};
use crate::status_data_source::StatusDataSource;
use crate::update_history_data_source::UpdateHistoryDataSource;

// Re-exported for the objects that still import it from here; its home is `provider_data`.

/// The registry address users write in `required_providers`.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/seedlabs/hotpatch";

#[derive(Default)]
pub struct HotpatchProvider;

impl HotpatchProvider {
    pub fn new() -> Self {
        HotpatchProvider
    }
}

#[async_trait]
impl Provider for HotpatchProvider {
    type Config = ProviderConfig;
    type Data = HotpatchData;

    fn type_name(&self) -> &str {
        "hotpatch"
    }

    async fn configure(
        &self,
        ctx: &Context,
        config: &ProviderConfig,
        _terraform_version: &str,
    ) -> Result<HotpatchData, Diagnostics> {
        let settings = settings::resolve(config, |k| std::env::var(k).ok())?;
        let subscription_id = settings.subscription_id.clone();
        let arm_config = arm_config(settings);
        let arm = ArmClient::new(arm_config, ctx.stop.clone()).map_err(|e| {
            let mut d = Diagnostics::new();
            d.error("Could not configure the ARM client", e.to_string());
            d
        })?;
        Ok(HotpatchData::new(arm, subscription_id))
    }

    fn resources(&self) -> Vec<Arc<dyn raw::Resource<HotpatchData>>> {
        vec![
            resource(EnrollmentResource),
            resource(MachineSettingResource),
            resource(crate::maintenance::MaintenanceScheduleResource),
            resource(crate::maintenance::ScheduleAssignmentResource),
            resource(crate::maintenance::DynamicScopeResource),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn raw::DataSource<HotpatchData>>> {
        vec![
            data_source(StatusDataSource),
            data_source(MachinesDataSource),
            data_source(AvailableUpdatesDataSource),
            data_source(UpdateHistoryDataSource),
            data_source(crate::maintenance::MaintenanceScheduleDataSource),
        ]
    }

    fn actions(&self) -> Vec<Arc<dyn raw::Action<HotpatchData>>> {
        vec![action(AssessAction), action(InstallAction)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn raw::ListResource<HotpatchData>>> {
        vec![
            list_resource(crate::enrollment_list::EnrollmentList),
            list_resource(crate::machine_setting_list::MachineSettingList),
            list_resource(crate::maintenance::ScheduleList),
            list_resource(crate::maintenance::AssignmentList),
        ]
    }
}

/// Turns resolved settings into the ARM client's configuration.
fn arm_config(s: Settings) -> ArmConfig {
    let tenant = s.tenant_id.clone().unwrap_or_default();
    let client = s.client_id.clone().unwrap_or_default();
    let credentials = match s.auth {
        AuthMethod::ClientSecret(secret) => Credentials::ClientSecret {
            tenant_id: tenant,
            client_id: client,
            client_secret: secret,
        },
        AuthMethod::ClientCertificate { path, password } => Credentials::ClientCertificate {
            tenant_id: tenant,
            client_id: client,
            certificate_path: PathBuf::from(path),
            password,
        },
        AuthMethod::Oidc(token) => Credentials::Oidc {
            tenant_id: tenant,
            client_id: client,
            token,
        },
        AuthMethod::ManagedIdentity => Credentials::ManagedIdentity {
            client_id: s.client_id.clone(),
        },
        AuthMethod::AzureCli => Credentials::AzureCli {
            tenant_id: s.tenant_id.clone(),
            subscription_id: s.subscription_id.clone(),
        },
    };
    let mut config = ArmConfig::new(
        credentials,
        user_agent("terraform-provider-hotpatch", env!("CARGO_PKG_VERSION")),
    );
    config.environment = s.environment;
    config.resource_manager_endpoint = s.resource_manager_endpoint;
    config.authority_host = s.authority_host;
    config.ca_certificate_file = s.ca_certificate_file.map(PathBuf::from);
    config
}
