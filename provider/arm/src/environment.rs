//! Azure clouds and the two endpoints the provider talks to: the Entra ID authority (tokens) and
//! Azure Resource Manager. Overrides exist so the provider can be pointed at an emulator; every
//! endpoint must be https because bearer tokens travel to both.

use crate::error::ArmError;
use std::fmt;
use std::str::FromStr;
use url::Url;

/// A sovereign cloud.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CloudEnvironment {
    #[default]
    Public,
    UsGovernment,
    China,
}

impl CloudEnvironment {
    /// Entra ID authority host.
    pub fn authority_host(self) -> &'static str {
        match self {
            CloudEnvironment::Public => "https://login.microsoftonline.com",
            CloudEnvironment::UsGovernment => "https://login.microsoftonline.us",
            CloudEnvironment::China => "https://login.chinacloudapi.cn",
        }
    }

    /// Azure Resource Manager endpoint (also the token audience).
    pub fn resource_manager(self) -> &'static str {
        match self {
            CloudEnvironment::Public => "https://management.azure.com",
            CloudEnvironment::UsGovernment => "https://management.usgovcloudapi.net",
            CloudEnvironment::China => "https://management.chinacloudapi.cn",
        }
    }

    /// The name users write (`public`, `usgovernment`, `china`).
    pub fn as_str(self) -> &'static str {
        match self {
            CloudEnvironment::Public => "public",
            CloudEnvironment::UsGovernment => "usgovernment",
            CloudEnvironment::China => "china",
        }
    }
}

impl fmt::Display for CloudEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Accepts the names users write and the names the Azure CLI and SDKs use (case-insensitive);
/// empty means public.
impl FromStr for CloudEnvironment {
    type Err = ArmError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "public" | "azurecloud" | "azurepubliccloud" => Ok(CloudEnvironment::Public),
            "usgovernment" | "usgov" | "azureusgovernment" | "azureusgovernmentcloud" => {
                Ok(CloudEnvironment::UsGovernment)
            }
            "china" | "azurechina" | "azurechinacloud" => Ok(CloudEnvironment::China),
            other => Err(ArmError::Config(format!(
                "unknown environment {other:?}: expected public, usgovernment or china"
            ))),
        }
    }
}

/// Parses an endpoint override (`what` names it in the error): an https URL with a host,
/// because bearer tokens travel to it.
pub fn parse_endpoint(what: &str, raw: &str) -> Result<Url, ArmError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| ArmError::Config(format!("{what} {raw:?} is not a URL: {e}")))?;
    require_https(what, &url)?;
    Ok(url)
}

/// The endpoints in effect after applying overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// Entra ID authority host, e.g. `https://login.microsoftonline.com/`.
    pub authority_host: Url,
    /// ARM base URL, e.g. `https://management.azure.com/`.
    pub resource_manager: Url,
    /// OAuth2 scope for ARM: `<resource manager audience>/.default`.
    pub scope: String,
}

impl Endpoints {
    /// Resolves the endpoints of `environment`, replaced by any override. Both must be https.
    pub fn resolve(
        environment: CloudEnvironment,
        resource_manager_override: Option<&Url>,
        authority_host_override: Option<&Url>,
    ) -> Result<Self, ArmError> {
        let resource_manager = match resource_manager_override {
            Some(u) => u.clone(),
            None => parse_builtin(environment.resource_manager())?,
        };
        let authority_host = match authority_host_override {
            Some(u) => u.clone(),
            None => parse_builtin(environment.authority_host())?,
        };
        require_https("resource_manager_endpoint", &resource_manager)?;
        require_https("authority_host", &authority_host)?;
        let audience = resource_manager.as_str().trim_end_matches('/');
        let scope = format!("{audience}/.default");
        Ok(Endpoints {
            authority_host,
            resource_manager,
            scope,
        })
    }
}

fn parse_builtin(s: &str) -> Result<Url, ArmError> {
    Url::parse(s).map_err(|e| ArmError::Config(format!("invalid built-in endpoint {s}: {e}")))
}

fn require_https(what: &str, url: &Url) -> Result<(), ArmError> {
    if url.scheme() != "https" {
        return Err(ArmError::Config(format!(
            "{what} must be an https URL, got {url}"
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ArmError::Config(format!("{what} has no host: {url}")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ArmError::Config(format!(
            "{what} must not have a query or fragment: {url}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds() {
        let e = Endpoints::resolve(CloudEnvironment::UsGovernment, None, None).unwrap();
        assert_eq!(
            e.authority_host.as_str(),
            "https://login.microsoftonline.us/"
        );
        assert_eq!(e.scope, "https://management.usgovcloudapi.net/.default");
        let e = Endpoints::resolve("china".parse().unwrap(), None, None).unwrap();
        assert_eq!(
            e.resource_manager.as_str(),
            "https://management.chinacloudapi.cn/"
        );
        assert_eq!(e.scope, "https://management.chinacloudapi.cn/.default");
        let e = Endpoints::resolve(CloudEnvironment::Public, None, None).unwrap();
        assert_eq!(e.scope, "https://management.azure.com/.default");
        assert!("mars".parse::<CloudEnvironment>().is_err());
    }

    #[test]
    fn overrides_must_be_https() {
        let arm = Url::parse("https://localhost:8443/").unwrap();
        let e = Endpoints::resolve(CloudEnvironment::Public, Some(&arm), None).unwrap();
        assert_eq!(e.scope, "https://localhost:8443/.default");
        let http = Url::parse("http://localhost:8080/").unwrap();
        assert!(Endpoints::resolve(CloudEnvironment::Public, Some(&http), None).is_err());
        assert!(Endpoints::resolve(CloudEnvironment::Public, None, Some(&http)).is_err());
    }
}
