//! Shared helpers for the emulator's own tests: start an emulator, build a client that trusts
//! its CA, fetch a token, and locate the official spec folder beside the repository.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use arm_emulator::{Config, Emulator, EmulatorHandle};
use serde_json::Value;

pub const API: &str = "2025-01-13";

pub struct Env {
    pub emu: EmulatorHandle,
    pub http: reqwest::Client,
    pub token: String,
}

pub fn client(emu: &EmulatorHandle) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(emu.ca_pem().as_bytes()).expect("CA PEM");
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub fn fast_config() -> Config {
    let mut c = Config::default();
    c.lro.polls = 2;
    c.lro.duration = Duration::from_secs(60);
    c.hotpatch_evaluation.polls = 2;
    c.hotpatch_evaluation.duration = Duration::from_secs(60);
    c.lro_retry_after_secs = 0;
    c
}

pub async fn start(config: Config) -> Env {
    let emu = Emulator::start(config).await.expect("emulator starts");
    let http = client(&emu);
    let token = fetch_token(&emu, &http).await;
    Env { emu, http, token }
}

pub async fn fetch_token(emu: &EmulatorHandle, http: &reqwest::Client) -> String {
    let resp = http
        .post(emu.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}api-version={API}", self.emu.base_url())
    }

    pub fn machine_path(&self, name: &str) -> String {
        self.emu.machine_id(name)
    }

    pub fn lp_path(&self, name: &str) -> String {
        format!("{}/licenseProfiles/default", self.emu.machine_id(name))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        self.try_send(method, url, body).await.expect("request")
    }

    /// Like `send`, but a connection reset (no answer) is an `Err`.
    pub async fn try_send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(u16, reqwest::header::HeaderMap, Value), reqwest::Error> {
        let mut rb = self.http.request(method, url).bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, headers, json))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let (s, _, b) = self.send(reqwest::Method::GET, &self.url(path), None).await;
        (s, b)
    }

    pub async fn put(&self, path: &str, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
        self.send(reqwest::Method::PUT, &self.url(path), Some(body))
            .await
    }

    pub async fn patch(
        &self,
        path: &str,
        body: &Value,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        self.send(reqwest::Method::PATCH, &self.url(path), Some(body))
            .await
    }
}

pub fn header(h: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The official ARM folder beside the repository (`<repo>/../shared/arm`), for `test`; when
/// it is missing, `test_support::cannot_run` fails under CI and announces the skip otherwise.
pub fn shared_arm_dir(test: &str) -> Option<PathBuf> {
    test_support::shared_arm_dir_or_skip(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), test)
}
