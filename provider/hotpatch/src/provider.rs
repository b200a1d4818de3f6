//! The `hotpatch` provider: its block, its configuration into an ARM client, and the
//! registry of everything it offers.

use std::path::PathBuf;
use std::sync::Arc;

use armclient::{user_agent, ArmClient, ArmConfig, Credentials};
use async_trait::async_trait;
use tfframework::{
    AttributeSchema, BlockSchema, Context, DataSource, Diagnostics, Provider, Resource, Value,
};
use url::Url;

use crate::enrollment::EnrollmentResource;
use crate::machine_setting::MachineSettingResource;
use crate::machines_data_source::MachinesDataSource;
use crate::settings::{self, AuthMethod, Settings};
use crate::status_data_source::StatusDataSource;

/// The registry address users write in `required_providers`.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/seedlabs/hotpatch";

/// What every resource gets once the provider is configured.
pub struct HotpatchData {
    pub arm: ArmClient,
    /// Default scope for list and fleet reads.
    pub subscription_id: Option<String>,
}

#[derive(Default)]
pub struct HotpatchProvider;

impl HotpatchProvider {
    pub fn new() -> Self {
        HotpatchProvider
    }
}

fn optional_string(name: &str, description: &str) -> AttributeSchema {
    AttributeSchema::string(name)
        .optional()
        .description(description)
}

fn optional_bool(name: &str, description: &str) -> AttributeSchema {
    AttributeSchema::bool(name)
        .optional()
        .description(description)
}

#[async_trait]
impl Provider for HotpatchProvider {
    type Data = HotpatchData;

    fn type_name(&self) -> &str {
        "hotpatch"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .description("Declarative Windows Server hotpatching for Azure Arc-enabled machines and Azure VMs. Every argument falls back to its `ARM_*` environment variable.")
            .attribute(optional_string("subscription_id", "Default subscription for list and fleet reads. Env `ARM_SUBSCRIPTION_ID`."))
            .attribute(optional_string("tenant_id", "Entra ID tenant. Env `ARM_TENANT_ID`."))
            .attribute(optional_string("client_id", "Application (client) id of the service principal or user-assigned identity. Env `ARM_CLIENT_ID`."))
            .attribute(optional_string("client_secret", "Client secret. Env `ARM_CLIENT_SECRET`.").sensitive())
            .attribute(optional_string("client_certificate_path", "Path of a PEM or PKCS#12 client certificate. Env `ARM_CLIENT_CERTIFICATE_PATH`."))
            .attribute(optional_string("client_certificate_password", "Password of the certificate file. Env `ARM_CLIENT_CERTIFICATE_PASSWORD`.").sensitive())
            .attribute(optional_bool("use_oidc", "Authenticate with a federated OIDC token. Env `ARM_USE_OIDC`."))
            .attribute(optional_string("oidc_token", "The OIDC token itself. Env `ARM_OIDC_TOKEN`.").sensitive())
            .attribute(optional_string("oidc_token_file_path", "File holding the OIDC token. Env `ARM_OIDC_TOKEN_FILE_PATH` or `AZURE_FEDERATED_TOKEN_FILE`."))
            .attribute(optional_bool("use_msi", "Authenticate with a managed identity. Env `ARM_USE_MSI`."))
            .attribute(optional_bool("use_cli", "Use the Azure CLI login when nothing else is configured. Default `true`. Env `ARM_USE_CLI`."))
            .attribute(optional_string("environment", "`public`, `usgovernment` or `china`. Default `public`. Env `ARM_ENVIRONMENT`."))
            .attribute(optional_string("resource_manager_endpoint", "Override of the ARM endpoint (https), e.g. an emulator. Env `ARM_RESOURCE_MANAGER_ENDPOINT`."))
            .attribute(optional_string("authority_host", "Override of the Entra ID token endpoint host (https). Env `ARM_AUTHORITY_HOST`."))
            .attribute(optional_string("ca_certificate_file", "Extra PEM roots trusted for both endpoints. Env `ARM_CA_CERTIFICATE_FILE`."))
    }

    async fn configure(
        &self,
        ctx: &Context,
        config: &Value,
        _terraform_version: &str,
    ) -> Result<HotpatchData, Diagnostics> {
        let settings = settings::resolve(config, |k| std::env::var(k).ok())?;
        let subscription_id = settings.subscription_id.clone();
        let arm_config = arm_config(settings)?;
        let arm = ArmClient::new(arm_config, ctx.stop.clone()).map_err(|e| {
            let mut d = Diagnostics::new();
            d.error("Could not configure the ARM client", e.to_string());
            d
        })?;
        Ok(HotpatchData {
            arm,
            subscription_id,
        })
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<HotpatchData>>> {
        vec![
            Arc::new(EnrollmentResource),
            Arc::new(MachineSettingResource),
            Arc::new(crate::maintenance::MaintenanceScheduleResource),
            Arc::new(crate::maintenance::ScheduleAssignmentResource),
            Arc::new(crate::maintenance::DynamicScopeResource),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<HotpatchData>>> {
        vec![
            Arc::new(StatusDataSource),
            Arc::new(MachinesDataSource),
            Arc::new(crate::available_updates::AvailableUpdatesDataSource),
            Arc::new(crate::update_history::UpdateHistoryDataSource),
        ]
    }

    fn actions(&self) -> Vec<Arc<dyn tfframework::Action<HotpatchData>>> {
        vec![
            Arc::new(crate::assess_action::AssessAction),
            Arc::new(crate::install_action::InstallAction),
        ]
    }

    fn list_resources(&self) -> Vec<Arc<dyn tfframework::ListResource<HotpatchData>>> {
        vec![
            Arc::new(crate::enrollment_list::EnrollmentList),
            Arc::new(crate::machine_setting_list::MachineSettingList),
        ]
    }
}

fn parse_url(attr: &str, raw: Option<String>, diags: &mut Diagnostics) -> Option<Url> {
    let raw = raw?;
    match Url::parse(&raw) {
        Ok(u) => Some(u),
        Err(e) => {
            diags.error_at(
                tfframework::AttributePath::attr(attr),
                format!("Invalid {attr}"),
                format!("{raw:?} is not a URL: {e}."),
            );
            None
        }
    }
}

/// Turns resolved settings into the ARM client's configuration.
fn arm_config(s: Settings) -> Result<ArmConfig, Diagnostics> {
    let mut diags = Diagnostics::new();
    let resource_manager_endpoint = parse_url(
        "resource_manager_endpoint",
        s.resource_manager_endpoint,
        &mut diags,
    );
    let authority_host = parse_url("authority_host", s.authority_host, &mut diags);
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
    if diags.has_errors() {
        return Err(diags);
    }
    let mut config = ArmConfig::new(
        credentials,
        user_agent("terraform-provider-hotpatch", env!("CARGO_PKG_VERSION")),
    );
    config.environment = s.environment;
    config.resource_manager_endpoint = resource_manager_endpoint;
    config.authority_host = authority_host;
    config.ca_certificate_file = s.ca_certificate_file.map(PathBuf::from);
    Ok(config)
}
