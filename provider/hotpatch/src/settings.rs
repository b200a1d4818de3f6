//! Provider settings: the `provider "hotpatch"` block merged with the ARM_* environment.
//!
//! The precedence is azurerm's, which users already know: a value in the block wins, then the
//! environment variable, then the default. Resolution is a pure function of the block and an
//! environment lookup so it can be tested without touching the process environment.

use std::path::PathBuf;

use armclient::{CloudEnvironment, OidcToken, Secret};
use tfframework::{AttributePath, Diagnostics, Value};

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
    pub resource_manager_endpoint: Option<String>,
    pub authority_host: Option<String>,
    pub ca_certificate_file: Option<String>,
}

/// One provider attribute with its environment fallback.
struct Source<'a, E: Fn(&str) -> Option<String>> {
    block: &'a Value,
    env: &'a E,
}

impl<E: Fn(&str) -> Option<String>> Source<'_, E> {
    fn string(&self, attr: &str, var: &str) -> Option<String> {
        match self.block.attr(attr) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => (self.env)(var).filter(|s| !s.is_empty()),
        }
    }

    fn string_any(&self, attr: &str, vars: &[&str]) -> Option<String> {
        vars.iter().find_map(|v| self.string(attr, v))
    }

    fn bool(&self, attr: &str, var: &str, default: bool, diags: &mut Diagnostics) -> bool {
        match self.block.attr(attr) {
            Some(Value::Bool(b)) => *b,
            _ => match (self.env)(var) {
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
            },
        }
    }
}

/// Resolves the provider block against the environment.
///
/// Credential choice, first match wins: client certificate, client secret, OIDC, managed
/// identity, Azure CLI (when `use_cli` is true, the default).
pub fn resolve(
    block: &Value,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Settings, Diagnostics> {
    let src = Source { block, env: &env };
    let mut diags = Diagnostics::new();

    let environment = match src
        .string("environment", "ARM_ENVIRONMENT")
        .as_deref()
        .map(str::to_ascii_lowercase)
    {
        None => CloudEnvironment::Public,
        Some(e) => {
            match e.as_str() {
                "public" | "azurecloud" => CloudEnvironment::Public,
                "usgovernment" | "azureusgovernment" | "azureusgovernmentcloud" => {
                    CloudEnvironment::UsGovernment
                }
                "china" | "azurechina" | "azurechinacloud" => CloudEnvironment::China,
                other => {
                    diags.error_at(
                    AttributePath::attr("environment"),
                    "Unknown cloud environment",
                    format!("environment must be one of public, usgovernment or china, got {other:?}."),
                );
                    CloudEnvironment::Public
                }
            }
        }
    };

    for (attr, var) in [
        ("resource_manager_endpoint", "ARM_RESOURCE_MANAGER_ENDPOINT"),
        ("authority_host", "ARM_AUTHORITY_HOST"),
    ] {
        if let Some(url) = src.string(attr, var) {
            if !url.to_ascii_lowercase().starts_with("https://") {
                diags.error_at(
                    AttributePath::attr(attr),
                    "Endpoint must use https",
                    format!("{attr} (or {var}) must be an https:// URL, got {url:?}."),
                );
            }
        }
    }

    let secret = |attr: &str, var: &str| src.string(attr, var).map(Secret::new);
    let use_oidc = src.bool("use_oidc", "ARM_USE_OIDC", false, &mut diags);
    let use_msi = src.bool("use_msi", "ARM_USE_MSI", false, &mut diags);
    let use_cli = src.bool("use_cli", "ARM_USE_CLI", true, &mut diags);

    let auth = if let Some(path) =
        src.string("client_certificate_path", "ARM_CLIENT_CERTIFICATE_PATH")
    {
        AuthMethod::ClientCertificate {
            path,
            password: secret(
                "client_certificate_password",
                "ARM_CLIENT_CERTIFICATE_PASSWORD",
            ),
        }
    } else if let Some(s) = secret("client_secret", "ARM_CLIENT_SECRET") {
        AuthMethod::ClientSecret(s)
    } else if use_oidc {
        let token_file = || {
            src.string_any(
                "oidc_token_file_path",
                &["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"],
            )
        };
        match (secret("oidc_token", "ARM_OIDC_TOKEN"), token_file()) {
            (Some(token), _) => AuthMethod::Oidc(OidcToken::Token(token)),
            (None, Some(file)) => AuthMethod::Oidc(OidcToken::File(PathBuf::from(file))),
            (None, None) => {
                diags.error_at(
                    AttributePath::attr("use_oidc"),
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

    let tenant_id = src.string("tenant_id", "ARM_TENANT_ID");
    let client_id = src.string("client_id", "ARM_CLIENT_ID");
    let needs_app = matches!(
        auth,
        AuthMethod::ClientCertificate { .. } | AuthMethod::ClientSecret(_) | AuthMethod::Oidc(_)
    );
    if needs_app {
        for (attr, var, value) in [
            ("tenant_id", "ARM_TENANT_ID", &tenant_id),
            ("client_id", "ARM_CLIENT_ID", &client_id),
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
        subscription_id: src.string("subscription_id", "ARM_SUBSCRIPTION_ID"),
        tenant_id,
        client_id,
        auth,
        environment,
        resource_manager_endpoint: src
            .string("resource_manager_endpoint", "ARM_RESOURCE_MANAGER_ENDPOINT"),
        authority_host: src.string("authority_host", "ARM_AUTHORITY_HOST"),
        ca_certificate_file: src.string("ca_certificate_file", "ARM_CA_CERTIFICATE_FILE"),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    fn block(pairs: &[(&str, Value)]) -> Value {
        let mut m: BTreeMap<String, Value> = BTreeMap::new();
        for (k, v) in pairs {
            m.insert((*k).to_owned(), v.clone());
        }
        Value::Object(m)
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
            Some(AttributePath::attr("authority_host"))
        );
        let err = resolve(&block(&[("client_secret", Value::string("s"))]), env(&[])).unwrap_err();
        assert!(err
            .iter()
            .any(|d| d.attribute == Some(AttributePath::attr("tenant_id"))));
        let err = resolve(&block(&[]), env(&[("ARM_USE_MSI", "maybe")])).unwrap_err();
        assert_eq!(err.0[0].attribute, Some(AttributePath::attr("use_msi")));
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
