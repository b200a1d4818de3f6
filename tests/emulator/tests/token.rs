//! Entra ID token endpoint: secret and assertion flows, wrong secret, wrong scope, and the real
//! `azure_identity` ClientSecretCredential pointed at the emulator.

mod common;

use std::sync::Arc;

use arm_emulator::{Config, Emulator};
use azure_core::credentials::TokenCredential;
use base64::Engine;
use serde_json::{json, Value};

async fn post_form(http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http.post(url).form(form).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn client_secret_flow_and_wrong_secret() {
    let emu = Emulator::start(Config::default()).await.unwrap();
    let http = common::client(&emu);
    let url = emu.token_url();

    let (s, body) = post_form(
        &http,
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
            ("scope", "https://management.azure.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);

    let (s, body) = post_form(
        &http,
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", "wrong"),
            ("scope", "https://management.azure.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215: Invalid client secret provided"));
    assert_eq!(body["error_codes"], json!([7000215]));

    // The emulator's own base URL is an accepted audience; others are not.
    let own = format!("{}/.default", emu.base_url());
    let (s, _) = post_form(
        &http,
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
            ("scope", own.as_str()),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let (s, body) = post_form(
        &http,
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(body["error"], "invalid_scope");

    // Unknown tenant / unknown client.
    let other_tenant = format!("{}/someone-else/oauth2/v2.0/token", emu.base_url());
    let (s, _) = post_form(
        &http,
        &other_tenant,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 400);
    let (s, body) = post_form(
        &http,
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
            ("scope", "https://management.azure.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(body["error"], "unauthorized_client");

    // The secret is not kept in the request log.
    let logged = emu.requests();
    assert!(logged.iter().all(|r| !r.body.contains(emu.client_secret())));
}

#[tokio::test]
async fn client_assertion_flow() {
    let emu = Emulator::start(Config::default()).await.unwrap();
    let http = common::client(&emu);
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let jwt = format!(
        "{}.{}.c2ln",
        b64(&json!({"alg": "RS256", "typ": "JWT"})),
        b64(&json!({"sub": emu.client_id(), "iss": emu.client_id(), "aud": "x", "exp": exp}))
    );
    let form = |assertion: &str| {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", emu.client_id().to_string()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string(),
            ),
            ("client_assertion", assertion.to_string()),
            ("scope", "https://management.azure.com/.default".to_string()),
        ]
    };
    let r = http
        .post(emu.token_url())
        .form(&form(&jwt))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(emu.token_url())
        .form(&form("not-a-jwt"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn azure_identity_client_secret_credential_works_against_the_emulator() {
    let emu = Emulator::start(Config::default()).await.unwrap();
    let http = common::client(&emu);
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    cloud.authority_host = emu.base_url().to_string();
    let mut options = azure_identity::ClientSecretCredentialOptions::default();
    options.client_options.cloud = Some(Arc::new(cloud.into()));
    options.client_options.transport =
        Some(azure_core::http::Transport::new(Arc::new(http.clone())));
    let cred = azure_identity::ClientSecretCredential::new(
        emu.tenant_id(),
        emu.client_id().to_string(),
        emu.client_secret().to_string().into(),
        Some(options),
    )
    .unwrap();
    let token = cred
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .expect("token from emulator");
    let r = http
        .get(format!(
            "{}/subscriptions/{}/providers/Microsoft.HybridCompute/machines?api-version=2025-01-13",
            emu.base_url(),
            emu.subscription_id()
        ))
        .bearer_auth(token.token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Wrong secret surfaces AADSTS7000215 through azure_identity.
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    cloud.authority_host = emu.base_url().to_string();
    let mut options = azure_identity::ClientSecretCredentialOptions::default();
    options.client_options.cloud = Some(Arc::new(cloud.into()));
    options.client_options.transport = Some(azure_core::http::Transport::new(Arc::new(http)));
    let bad = azure_identity::ClientSecretCredential::new(
        emu.tenant_id(),
        emu.client_id().to_string(),
        "nope".to_string().into(),
        Some(options),
    )
    .unwrap();
    let err = bad
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .expect_err("wrong secret fails");
    assert!(format!("{err:?}").contains("7000215"), "{err:?}");
}
