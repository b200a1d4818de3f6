//! Where the repository, the built provider and the shared contract data are.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The repository root (this crate lives in `tests/e2e`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The folder holding `terraform-provider-hotpatch`, built once per test process.
///
/// `HOTPATCH_PROVIDER_DIR` overrides it (e.g. a release build; relative to the repo root);
/// otherwise the debug binary is
/// built with cargo, which is a no-op when `make test` already built it.
pub fn provider_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Ok(dir) = std::env::var("HOTPATCH_PROVIDER_DIR") {
            // Cargo runs tests from the crate folder, so relative paths mean the repo root.
            return repo_root().join(dir);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-p",
                "terraform-provider-hotpatch",
                "--bin",
                "terraform-provider-hotpatch",
            ])
            .current_dir(repo_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the provider failed");
        target_dir().join("debug")
    })
    .clone()
}

/// Cargo's target folder (`CARGO_TARGET_DIR`, else `target/` in the repository).
pub fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"))
}

/// The official ARM folder beside the repository (`../shared/arm`), when present. Only tests
/// read it; the product never does.
pub fn shared_arm_dir() -> Option<PathBuf> {
    test_support::shared_arm_dir_from(&repo_root())
}
