//! Provider settings: the `provider "hotpatch"` block merged with the ARM_* environment.
//!
//! The precedence is azurerm's, which users already know: a value in the block wins, then the
//! environment variable, then the default. Resolution is a pure function of the block and an
//! environment lookup so it can be tested without touching the process environment.

use std::path::PathBuf;

use armclient::{parse_endpoint, CloudEnvironment, OidcToken, Secret};
use tfframework::{AttributePath, Diagnostics, Model};
use url::Url;

/// Declarative Windows Server hotpatching for Azure Arc-enabled machines and Azure VMs. Every argument falls back to its `ARM_*` environment variable.
#[derive(Model, Clone, Debug, Default)]
pub struct ProviderConfig {
    /// Default subscription for list and fleet reads. Env `ARM_SUBSCRIPTION_ID`.
    #[tf(optional)]
    pub subscription_id: Option<String>,
    /// Entra ID tenant. Env `ARM_TENANT_ID`.
    #[tf(optional)]
    pub tenant_id: Option<String>,
    /// Application (client) id of the service principal or user-assigned identity. Env `ARM_CLIENT_ID`.
    #[tf(optional)]
    pub client_id: Option<String>,
    /// Client secret. Env `ARM_CLIENT_SECRET`.
    #[tf(optional, sensitive)]
    pub client_secret: Option<String>,
    /// Path of a PEM or PKCS#12 client certificate. Env `ARM_CLIENT_CERTIFICATE_PATH`.
    #[tf(optional)]
    pub client_certificate_path: Option<String>,
    /// Password of the certificate file. Env `ARM_CLIENT_CERTIFICATE_PASSWORD`.
    #[tf(optional, sensitive)]
    pub client_certificate_password: Option<String>,
    /// Authenticate with a federated OIDC token. Env `ARM_USE_OIDC`.
    #[tf(optional)]
    pub use_oidc: Option<bool>,
    /// The OIDC token itself. Env `ARM_OIDC_TOKEN`.
    #[tf(optional, sensitive)]
    pub oidc_token: Option<String>,
    /// File holding the OIDC token. Env `ARM_OIDC_TOKEN_FILE_PATH` or `AZURE_FEDERATED_TOKEN_FILE`.
    #[tf(optional)]
    pub oidc_token_file_path: Option<String>,
    /// Authenticate with a managed identity. Env `ARM_USE_MSI`.
    #[tf(optional)]
    pub use_msi: Option<bool>,
    /// Use the Azure CLI login when nothing else is configured. Default `true`. Env `ARM_USE_CLI`.
    #[tf(optional)]
    pub use_cli: Option<bool>,
    /// `public`, `usgovernment` or `china`. Default `public`. Env `ARM_ENVIRONMENT`.
    #[tf(optional)]
    pub environment: Option<String>,
    /// Override of the ARM endpoint (https), e.g. an emulator. Env `ARM_RESOURCE_MANAGER_ENDPOINT`.
    #[tf(optional)]
    pub resource_manager_endpoint: Option<String>,
    /// Override of the Entra ID token endpoint host (https). Env `ARM_AUTHORITY_HOST`.
    #[tf(optional)]
    pub authority_host: Option<String>,
    /// Extra PEM roots trusted for both endpoints. Env `ARM_CA_CERTIFICATE_FILE`.
    #[tf(optional)]
    pub ca_certificate_file: Option<String>,
}

/// Which credential the provider authenticates with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    ClientCertificate {
        path: String,
        password: Option<Secret>,
    },
    ClientSecret(Secret),
    /// Workload identity federation: a token string, or a file re-read when it rotates.
    Oidc(OidcToken),
    ManagedIdentity,
    AzureCli,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub subscription_id: Option<String>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub auth: AuthMethod,
    pub environment: CloudEnvironment,
    pub resource_manager_endpoint: Option<Url>,
    pub authority_host: Option<Url>,
    pub ca_certificate_file: Option<String>,
}

/// The block's values with their environment fallbacks.
struct Source<'a, E: Fn(&str) -> Option<String>> {
    env: &'a E,
}

impl<E: Fn(&str) -> Option<String>> Source<'_, E> {
    /// The block's value unless empty, else the first set variable of `vars`.
    fn string(&self, value: &Option<String>, vars: &[&str]) -> Option<String> {
        match value {
            Some(s) if !s.is_empty() => Some(s.clone()),
            _ => vars
                .iter()
                .find_map(|v| (self.env)(v).filter(|s| !s.is_empty())),
        }
    }

    fn bool(
        &self,
        value: Option<bool>,
        attr: &str,
        var: &str,
        default: bool,
        diags: &mut Diagnostics,
    ) -> bool {
        if let Some(b) = value {
            return b;
        }
        match (self.env)(var) {
            None => default,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" => true,
                "0" | "false" | "" => false,
                other => {
                    diags.error_at(
                        AttributePath::attr(attr),
                        format!("Invalid {var}"),
                        format!("{var} must be true or false, got {other:?}."),
                    );
                    default
                }
            },
        }
    }
}

/// Resolves the provider block against the environment.
///
/// Credential choice, first match wins: client certificate, client secret, OIDC, managed
/// identity, Azure CLI (when `use_cli` is true, the default).
pub fn resolve(
    block: &ProviderConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Settings, Diagnostics> {
    type C = ProviderConfig;
    let src = Source { env: &env };
    let mut diags = Diagnostics::new();

    let environment = match src.string(&block.environment, &["ARM_ENVIRONMENT"]) {
        None => CloudEnvironment::Public,
        Some(e) => e.parse().unwrap_or_else(|err| {
            diags.error_at(
                AttributePath::attr(C::ENVIRONMENT),
                "Unknown cloud environment",
                format!("environment: {err}."),
            );
            CloudEnvironment::Public
        }),
    };

    let mut endpoint = |value: &Option<String>, attr: &str, var: &str| {
        let raw = src.string(value, &[var])?;
        parse_endpoint(attr, &raw)
            .map_err(|e| {
                diags.error_at(
                    AttributePath::attr(attr),
                    "Invalid endpoint",
                    format!("{e} (from {attr} or {var})."),
                )
            })
            .ok()
    };
    let resource_manager_endpoint = endpoint(
        &block.resource_manager_endpoint,
        C::RESOURCE_MANAGER_ENDPOINT,
        "ARM_RESOURCE_MANAGER_ENDPOINT",
    );
    let authority_host = endpoint(
        &block.authority_host,
        C::AUTHORITY_HOST,
        "ARM_AUTHORITY_HOST",
    );

    let secret = |value: &Option<String>, var: &str| src.string(value, &[var]).map(Secret::new);
    let use_oidc = src.bool(
        block.use_oidc,
        C::USE_OIDC,
        "ARM_USE_OIDC",
        false,
        &mut diags,
    );
    let use_msi = src.bool(block.use_msi, C::USE_MSI, "ARM_USE_MSI", false, &mut diags);
    let use_cli = src.bool(block.use_cli, C::USE_CLI, "ARM_USE_CLI", true, &mut diags);

    let auth = if let Some(path) = src.string(
        &block.client_certificate_path,
        &["ARM_CLIENT_CERTIFICATE_PATH"],
    ) {
        AuthMethod::ClientCertificate {
            path,
            password: secret(
                &block.client_certificate_password,
                "ARM_CLIENT_CERTIFICATE_PASSWORD",
            ),
        }
    } else if let Some(s) = secret(&block.client_secret, "ARM_CLIENT_SECRET") {
        AuthMethod::ClientSecret(s)
    } else if use_oidc {
        let token_file = || {
            src.string(
                &block.oidc_token_file_path,
                &["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"],
            )
        };
        match (secret(&block.oidc_token, "ARM_OIDC_TOKEN"), token_file()) {
            (Some(token), _) => AuthMethod::Oidc(OidcToken::Token(token)),
            (None, Some(file)) => AuthMethod::Oidc(OidcToken::File(PathBuf::from(file))),
            (None, None) => {
                diags.error_at(
                    AttributePath::attr(C::USE_OIDC),
                    "No OIDC token",
                    "use_oidc is true but no token was given: set oidc_token, oidc_token_file_path, ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH or AZURE_FEDERATED_TOKEN_FILE.",
                );
                AuthMethod::AzureCli
            }
        }
    } else if use_msi {
        AuthMethod::ManagedIdentity
    } else if use_cli {
        AuthMethod::AzureCli
    } else {
        diags.error(
            "No credentials configured",
            "Set client_secret, client_certificate_path, use_oidc or use_msi (or their ARM_* environment variables), or leave use_cli true to use the Azure CLI login.",
        );
        AuthMethod::AzureCli
    };

    let tenant_id = src.string(&block.tenant_id, &["ARM_TENANT_ID"]);
    let client_id = src.string(&block.client_id, &["ARM_CLIENT_ID"]);
    let needs_app = matches!(
        auth,
        AuthMethod::ClientCertificate { .. } | AuthMethod::ClientSecret(_) | AuthMethod::Oidc(_)
    );
    if needs_app {
        for (attr, var, value) in [
            (C::TENANT_ID, "ARM_TENANT_ID", &tenant_id),
            (C::CLIENT_ID, "ARM_CLIENT_ID", &client_id),
        ] {
            if value.is_none() {
                diags.error_at(
                    AttributePath::attr(attr),
                    format!("Missing {attr}"),
                    format!("Service principal authentication needs {attr} (or {var})."),
                );
            }
        }
    }

    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Settings {
        subscription_id: src.string(&block.subscription_id, &["ARM_SUBSCRIPTION_ID"]),
        tenant_id,
        client_id,
        auth,
        environment,
        resource_manager_endpoint,
        authority_host,
        ca_certificate_file: src.string(&block.ca_certificate_file, &["ARM_CA_CERTIFICATE_FILE"]),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use tfframework::{FromValue, Value};

    use super::*;

    fn block(pairs: &[(&str, Value)]) -> ProviderConfig {
        let mut m: BTreeMap<String, Value> = BTreeMap::new();
        for (k, v) in pairs {
            m.insert((*k).to_owned(), v.clone());
        }
        ProviderConfig::from_value(&Value::Object(m), &AttributePath::root()).unwrap()
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn block_wins_over_environment() {
        let b = block(&[
            ("tenant_id", Value::string("from-block")),
            ("client_id", Value::string("c")),
            ("client_secret", Value::string("s")),
        ]);
        let s = resolve(&b, env(&[("ARM_TENANT_ID", "from-env")])).unwrap();
        assert_eq!(s.tenant_id.as_deref(), Some("from-block"));
        assert_eq!(s.auth, AuthMethod::ClientSecret(Secret::new("s")));
    }

    #[test]
    fn environment_fills_missing_attributes() {
        let s = resolve(
            &block(&[]),
            env(&[
                ("ARM_TENANT_ID", "t"),
                ("ARM_CLIENT_ID", "c"),
                ("ARM_CLIENT_SECRET", "s"),
                ("ARM_SUBSCRIPTION_ID", "sub"),
            ]),
        )
        .unwrap();
        assert_eq!(s.subscription_id.as_deref(), Some("sub"));
        assert!(matches!(s.auth, AuthMethod::ClientSecret(_)));
    }

    #[test]
    fn certificate_beats_secret_and_cli_is_the_fallback() {
        let s = resolve(
            &block(&[]),
            env(&[
                ("ARM_TENANT_ID", "t"),
                ("ARM_CLIENT_ID", "c"),
                ("ARM_CLIENT_SECRET", "s"),
                ("ARM_CLIENT_CERTIFICATE_PATH", "/c.pem"),
            ]),
        )
        .unwrap();
        assert!(matches!(s.auth, AuthMethod::ClientCertificate { .. }));
        assert_eq!(
            resolve(&block(&[]), env(&[])).unwrap().auth,
            AuthMethod::AzureCli
        );
    }

    #[test]
    fn oidc_reads_the_federated_token_file() {
        let s = resolve(
            &block(&[("use_oidc", Value::Bool(true))]),
            env(&[
                ("ARM_TENANT_ID", "t"),
                ("ARM_CLIENT_ID", "c"),
                ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
            ]),
        )
        .unwrap();
        assert_eq!(
            s.auth,
            AuthMethod::Oidc(OidcToken::File(PathBuf::from("/var/run/token")))
        );
    }

    #[test]
    fn errors_name_the_attribute() {
        let err = resolve(
            &block(&[("authority_host", Value::string("http://insecure"))]),
            env(&[]),
        )
        .unwrap_err();
        assert_eq!(
            err.0[0].attribute,
            Some(AttributePath::attr(ProviderConfig::AUTHORITY_HOST))
        );
        let err = resolve(&block(&[("client_secret", Value::string("s"))]), env(&[])).unwrap_err();
        assert!(err
            .iter()
            .any(|d| d.attribute == Some(AttributePath::attr(ProviderConfig::TENANT_ID))));
        let err = resolve(&block(&[]), env(&[("ARM_USE_MSI", "maybe")])).unwrap_err();
        assert_eq!(
            err.0[0].attribute,
            Some(AttributePath::attr(ProviderConfig::USE_MSI))
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let s = resolve(
            &block(&[]),
            env(&[
                ("ARM_TENANT_ID", "t"),
                ("ARM_CLIENT_ID", "c"),
                ("ARM_CLIENT_SECRET", "hunter2"),
            ]),
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
