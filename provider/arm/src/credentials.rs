//! How the provider authenticates, and the bearer-token source the client draws from.
//!
//! Each variant maps onto an `azure_identity` credential. All of them receive the same reqwest
//! client as their transport (through azure_core's `ClientOptions::transport`), so an extra CA
//! file and the https-only rule apply to the token endpoint exactly as to ARM. The authority host
//! is always passed explicitly (as a custom cloud) so ambient `AZURE_AUTHORITY_HOST` settings do
//! not silently redirect token requests.
//!
//! Secrets are wrapped in [`Secret`], whose `Debug` prints `<redacted>`.

use crate::error::ArmError;
use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{AccessToken, SecretBytes, TokenCredential};
use azure_core::http::{
    ClientMethodOptions, ClientOptions, ExponentialRetryOptions, RetryOptions, Transport,
};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientCertificateCredential,
    ClientCertificateCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use url::Url;

/// A secret string; never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret value; only for handing to the code that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

/// Where an OIDC (federated) token comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OidcToken {
    /// The token itself (e.g. `ARM_OIDC_TOKEN`).
    Token(Secret),
    /// A file holding the token, re-read as it rotates (e.g. `AZURE_FEDERATED_TOKEN_FILE`).
    File(PathBuf),
}

/// The credential to use.
#[derive(Clone)]
pub enum Credentials {
    /// Service principal with a client secret.
    ClientSecret {
        tenant_id: String,
        client_id: String,
        client_secret: Secret,
    },
    /// Service principal with a certificate: a PFX/PKCS#12 file, or a PEM file holding the
    /// certificate and its RSA private key. `password` decrypts the PFX or the PEM key.
    ClientCertificate {
        tenant_id: String,
        client_id: String,
        certificate_path: PathBuf,
        password: Option<Secret>,
    },
    /// Workload identity federation: an OIDC token exchanged as a client assertion.
    Oidc {
        tenant_id: String,
        client_id: String,
        token: OidcToken,
    },
    /// Managed identity of the host (system-assigned, or user-assigned by client id).
    ManagedIdentity { client_id: Option<String> },
    /// The identity logged in to the Azure CLI.
    AzureCli {
        tenant_id: Option<String>,
        subscription_id: Option<String>,
    },
    /// Any other azure_core credential (tests, embedding).
    Custom(Arc<dyn TokenCredential>),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ClientSecret {
                tenant_id,
                client_id,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .finish(),
            Credentials::ClientCertificate {
                tenant_id,
                client_id,
                certificate_path,
                password,
            } => f
                .debug_struct("ClientCertificate")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("certificate_path", certificate_path)
                .field("password", password)
                .finish(),
            Credentials::Oidc {
                tenant_id,
                client_id,
                token,
            } => f
                .debug_struct("Oidc")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("token", token)
                .finish(),
            Credentials::ManagedIdentity { client_id } => f
                .debug_struct("ManagedIdentity")
                .field("client_id", client_id)
                .finish(),
            Credentials::AzureCli {
                tenant_id,
                subscription_id,
            } => f
                .debug_struct("AzureCli")
                .field("tenant_id", tenant_id)
                .field("subscription_id", subscription_id)
                .finish(),
            Credentials::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl Credentials {
    /// A short name for logs and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::ClientSecret { .. } => "client secret",
            Credentials::ClientCertificate { .. } => "client certificate",
            Credentials::Oidc { .. } => "OIDC",
            Credentials::ManagedIdentity { .. } => "managed identity",
            Credentials::AzureCli { .. } => "Azure CLI",
            Credentials::Custom(_) => "custom",
        }
    }

    /// Builds the azure_identity credential. `https` carries the extra CA roots and is https-only;
    /// `imds` is the same client without the https-only rule, used only for the managed identity
    /// endpoint, which is plain http on a link-local address by design.
    pub(crate) fn build(
        &self,
        authority_host: &Url,
        https: reqwest::Client,
        imds: reqwest::Client,
    ) -> Result<Arc<dyn TokenCredential>, ArmError> {
        let options = || client_options(authority_host, https.clone());
        let cred: Arc<dyn TokenCredential> = match self {
            Credentials::ClientSecret {
                tenant_id,
                client_id,
                client_secret,
            } => ClientSecretCredential::new(
                tenant_id,
                client_id.clone(),
                client_secret.expose().to_string().into(),
                Some(ClientSecretCredentialOptions {
                    client_options: options(),
                }),
            )
            .map_err(config_error)?,
            Credentials::ClientCertificate {
                tenant_id,
                client_id,
                certificate_path,
                password,
            } => {
                let pkcs12 = load_certificate(certificate_path, password.as_ref())?;
                ClientCertificateCredential::new(
                    tenant_id.clone(),
                    client_id.clone(),
                    SecretBytes::from(pkcs12),
                    Some(ClientCertificateCredentialOptions {
                        client_options: options(),
                        password: password.as_ref().map(|p| p.expose().to_string().into()),
                    }),
                )
                .map_err(config_error)?
            }
            Credentials::Oidc {
                tenant_id,
                client_id,
                token: OidcToken::Token(token),
            } => ClientAssertionCredential::new(
                tenant_id.clone(),
                client_id.clone(),
                StaticAssertion(token.clone()),
                Some(ClientAssertionCredentialOptions {
                    client_options: options(),
                }),
            )
            .map_err(config_error)?,
            Credentials::Oidc {
                tenant_id,
                client_id,
                token: OidcToken::File(path),
            } => WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: options(),
                },
                client_id: Some(client_id.clone()),
                tenant_id: Some(tenant_id.clone()),
                token_file_path: Some(path.clone()),
            }))
            .map_err(config_error)?,
            Credentials::ManagedIdentity { client_id } => {
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                    client_options: ClientOptions {
                        transport: Some(Transport::new(Arc::new(imds))),
                        retry: token_retry(),
                        ..Default::default()
                    },
                }))
                .map_err(config_error)?
            }
            Credentials::AzureCli {
                tenant_id,
                subscription_id,
            } => AzureCliCredential::new(Some(AzureCliCredentialOptions {
                tenant_id: tenant_id.clone(),
                subscription: subscription_id.clone(),
                ..Default::default()
            }))
            .map_err(config_error)?,
            Credentials::Custom(c) => c.clone(),
        };
        Ok(cred)
    }
}

fn client_options(authority_host: &Url, http: reqwest::Client) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = authority_host.as_str().trim_end_matches('/').to_string();
    ClientOptions {
        transport: Some(Transport::new(Arc::new(http))),
        cloud: Some(Arc::new(CloudConfiguration::from(cloud))),
        retry: token_retry(),
        ..Default::default()
    }
}

/// azure_core's default (8 retries, up to a minute) would stall a misconfigured provider — a
/// wrong CA file or authority host — for over a minute before reporting; a few quick retries
/// still ride out a transient Entra ID hiccup.
fn token_retry() -> RetryOptions {
    RetryOptions::exponential(ExponentialRetryOptions {
        initial_delay: azure_core::time::Duration::milliseconds(250),
        max_retries: 3,
        max_total_elapsed: azure_core::time::Duration::seconds(20),
        max_delay: azure_core::time::Duration::seconds(5),
    })
}

fn config_error(e: azure_core::Error) -> ArmError {
    ArmError::Config(error_chain(&e))
}

/// `e` and its sources, joined, skipping repeats (azure_core often nests the same text).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !msg.is_empty() && !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = s.source();
    }
    out
}

/// Supplies a fixed OIDC token as the client assertion.
struct StaticAssertion(Secret);

impl fmt::Debug for StaticAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticAssertion(<redacted>)")
    }
}

#[async_trait]
impl ClientAssertion for StaticAssertion {
    async fn secret(&self, _: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        Ok(self.0.expose().to_string())
    }
}

/// Reads a certificate file and returns PKCS#12 bytes for azure_identity: a PFX is passed
/// through; a PEM bundle (certificate chain + private key) is converted.
fn load_certificate(path: &Path, password: Option<&Secret>) -> Result<Vec<u8>, ArmError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ArmError::Config(format!(
            "cannot read client certificate {}: {e}",
            path.display()
        ))
    })?;
    let is_pem = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| bytes[i..].starts_with(b"-----BEGIN"));
    if !is_pem {
        return Ok(bytes);
    }
    pem_to_pkcs12(&bytes, password).map_err(|e| {
        ArmError::Config(format!(
            "cannot use PEM client certificate {}: {e}",
            path.display()
        ))
    })
}

fn pem_to_pkcs12(pem: &[u8], password: Option<&Secret>) -> Result<Vec<u8>, String> {
    use openssl::pkcs12::Pkcs12;
    use openssl::pkey::PKey;
    use openssl::stack::Stack;
    use openssl::x509::X509;

    let key = match password {
        Some(p) => PKey::private_key_from_pem_passphrase(pem, p.expose().as_bytes()),
        None => PKey::private_key_from_pem(pem),
    }
    .map_err(|e| format!("no usable private key: {e}"))?;
    let all = X509::stack_from_pem(pem).map_err(|e| format!("invalid certificate: {e}"))?;
    if all.is_empty() {
        return Err("no certificate found".to_string());
    }
    // The leaf is the certificate matching the key; fall back to the first one.
    let leaf_index = all
        .iter()
        .position(|c| c.public_key().is_ok_and(|k| k.public_eq(&key)))
        .unwrap_or(0);
    let mut chain = Stack::new().map_err(|e| e.to_string())?;
    let mut leaf = None;
    for (i, c) in all.into_iter().enumerate() {
        if i == leaf_index {
            leaf = Some(c);
        } else {
            chain.push(c).map_err(|e| e.to_string())?;
        }
    }
    let leaf = leaf.ok_or_else(|| "no certificate found".to_string())?;
    let pass = password.map(Secret::expose).unwrap_or("");
    let mut builder = Pkcs12::builder();
    builder.name("client").pkey(&key).cert(&leaf);
    if !chain.is_empty() {
        builder.ca(chain);
    }
    let p12 = builder.build2(pass).map_err(|e| e.to_string())?;
    p12.to_der().map_err(|e| e.to_string())
}

/// Hands out bearer tokens for one scope, refreshing ahead of expiry. azure_identity caches most
/// credentials itself, but not all (the Azure CLI credential runs `az` on every call), so the
/// client keeps its own copy too.
pub(crate) struct TokenSource {
    credential: Arc<dyn TokenCredential>,
    scope: String,
    cached: tokio::sync::Mutex<Option<CachedToken>>,
}

struct CachedToken {
    token: AccessToken,
    /// When to fetch a new one: five minutes before expiry, or half-way for short-lived tokens.
    refresh_at: time::OffsetDateTime,
}

/// Refresh at most this many seconds before the token expires.
const REFRESH_MARGIN_SECS: i64 = 300;

impl TokenSource {
    pub(crate) fn new(credential: Arc<dyn TokenCredential>, scope: String) -> Self {
        TokenSource {
            credential,
            scope,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// A valid token, from cache or freshly acquired.
    pub(crate) async fn token(&self) -> Result<Secret, ArmError> {
        let mut cached = self.cached.lock().await;
        let now = time::OffsetDateTime::now_utc();
        if let Some(c) = cached.as_ref() {
            if now < c.refresh_at {
                return Ok(Secret::new(c.token.token.secret()));
            }
        }
        tracing::debug!(scope = %self.scope, "acquiring an access token");
        let token = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|e| ArmError::Auth {
                message: error_chain(&e),
            })?;
        let lifetime: time::Duration = token.expires_on - now;
        let max_margin = time::Duration::seconds(REFRESH_MARGIN_SECS);
        let margin = if lifetime / 2 < max_margin {
            lifetime / 2
        } else {
            max_margin
        };
        let secret = Secret::new(token.token.secret());
        *cached = Some(CachedToken {
            refresh_at: token.expires_on - margin,
            token,
        });
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: "hunter2".into(),
        };
        let s = format!("{c:?}");
        assert!(!s.contains("hunter2"), "{s}");
        let c = Credentials::Oidc {
            tenant_id: "t".into(),
            client_id: "c".into(),
            token: OidcToken::Token("eyJsecret".into()),
        };
        assert!(!format!("{c:?}").contains("eyJsecret"));
        let c = Credentials::ClientCertificate {
            tenant_id: "t".into(),
            client_id: "c".into(),
            certificate_path: "/x.pfx".into(),
            password: Some("pw-secret".into()),
        };
        assert!(!format!("{c:?}").contains("pw-secret"));
    }
}
