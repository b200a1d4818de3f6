//! The `arm-emulator` binary prints its ready line, writes the CA and ready files, and serves.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

#[tokio::test]
async fn binary_prints_ready_line_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let ready = dir.path().join("ready.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_arm-emulator"))
        .args(["--fleet", "3", "--ca-out"])
        .arg(&ca)
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let from_file: Value = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    assert_eq!(info, from_file);
    assert_eq!(info["ca_file"], ca.display().to_string());
    assert_eq!(info["tenant_id"], arm_emulator::seed::TENANT_ID);

    let pem = std::fs::read(&ca).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let base = info["base_url"].as_str().unwrap();
    let token: Value = http
        .post(format!(
            "{base}/{}/oauth2/v2.0/token",
            info["tenant_id"].as_str().unwrap()
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", info["client_id"].as_str().unwrap()),
            ("client_secret", info["client_secret"].as_str().unwrap()),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list: Value = http
        .get(format!(
            "{base}/subscriptions/{}/providers/Microsoft.HybridCompute/machines?api-version=2025-01-13",
            info["subscription_id"].as_str().unwrap()
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 9);
    child.kill().unwrap();
    let _ = child.wait();
}
