//! A test environment: an in-process ARM emulator plus Terraform configured to reach it.
//!
//! The emulator runs on its own tokio runtime so test bodies can block on Terraform
//! subprocesses while it keeps serving. Terraform reaches it the way users reach Azure:
//! through the provider's ARM_* environment variables, including the Entra ID token endpoint
//! and the extra CA file, so the provider's real credential path runs.

use std::path::PathBuf;

use arm_emulator::{Config, Emulator, EmulatorHandle, LoggedRequest};

use crate::terraform::Terraform;

pub struct TestEnv {
    pub emulator: EmulatorHandle,
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
    // Dropped last: it serves the emulator.
    runtime: tokio::runtime::Runtime,
}

impl TestEnv {
    /// The emulator with the official specs beside the repository loaded, so every request
    /// body the provider sends is validated against them; without them the spec checks cannot
    /// run (`test_support::cannot_run`: a failure under CI, announced otherwise).
    pub fn start(mut config: Config) -> Self {
        if config.specs_dir.is_none() {
            config.specs_dir = crate::paths::shared_arm_dir().map(|d| d.join("specs"));
            if config.specs_dir.is_none() {
                test_support::cannot_run(
                    "spec validation of the provider's request bodies",
                    "../shared/arm/specs (beside the repository) is missing",
                );
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let emulator = runtime
            .block_on(Emulator::start(config))
            .expect("start emulator");
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_file = dir.path().join("emulator-ca.pem");
        std::fs::write(&ca_file, emulator.ca_pem()).expect("write CA");
        TestEnv {
            emulator,
            ca_file,
            _dir: dir,
            runtime,
        }
    }

    pub fn start_default() -> Self {
        Self::start(Config::default())
    }

    /// The ARM_* variables a user would set to point the provider at this endpoint.
    pub fn provider_env(&self) -> Vec<(String, String)> {
        let e = &self.emulator;
        [
            ("ARM_RESOURCE_MANAGER_ENDPOINT", e.base_url().to_string()),
            ("ARM_AUTHORITY_HOST", e.base_url().to_string()),
            (
                "ARM_CA_CERTIFICATE_FILE",
                self.ca_file.display().to_string(),
            ),
            ("ARM_TENANT_ID", e.tenant_id().to_string()),
            ("ARM_CLIENT_ID", e.client_id().to_string()),
            ("ARM_CLIENT_SECRET", e.client_secret().to_string()),
            ("ARM_SUBSCRIPTION_ID", e.subscription_id().to_string()),
            ("ARM_USE_CLI", "false".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// A fresh Terraform working directory wired to the provider and this emulator.
    pub fn terraform(&self) -> Terraform {
        Terraform::new(self.provider_env())
    }

    /// The same, with some provider variables replaced (e.g. a wrong secret).
    pub fn terraform_with(&self, overrides: &[(&str, &str)]) -> Terraform {
        let mut env = self.provider_env();
        for (k, v) in overrides {
            env.retain(|(key, _)| key != k);
            env.push((k.to_string(), v.to_string()));
        }
        Terraform::new(env)
    }

    /// ARM requests that change something (PUT/PATCH/POST/DELETE), token requests excluded.
    pub fn arm_writes(&self) -> Vec<LoggedRequest> {
        self.emulator
            .requests()
            .into_iter()
            .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "POST" | "DELETE"))
            .filter(|r| !r.path.contains("/oauth2/") && !r.path.starts_with("/_admin"))
            .collect()
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }
}

/// The provider block every test configuration starts with.
pub const PROVIDER_HCL: &str = r#"
terraform {
  required_providers {
    hotpatch = {
      source = "seedlabs/hotpatch"
    }
  }
}

provider "hotpatch" {}
"#;
