//! The release build matrix, `tests/tools/release/targets.json`: one file read both here (to name each
//! Rust target's zip) and by `.github/workflows/release.yml` (to start one build job per entry),
//! so the workflow cannot build a platform the packager would misname, or the reverse.

use anyhow::Context;
use serde::Deserialize;

use crate::names::Platform;

const TARGETS_JSON: &str = include_str!("../targets.json");

/// One release build: a Rust target triple, the Terraform platform it serves and the
/// GitHub-hosted runner that builds it natively.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Target {
    pub target: String,
    pub os: String,
    pub arch: String,
    pub runner: String,
}

impl Target {
    pub fn platform(&self) -> Platform {
        Platform::new(&self.os, &self.arch)
    }
}

#[derive(Deserialize)]
struct TargetsFile {
    targets: Vec<Target>,
}

/// Every target of a release, in the file's order.
pub fn all() -> anyhow::Result<Vec<Target>> {
    let file: TargetsFile = serde_json::from_str(TARGETS_JSON)
        .context("tests/tools/release/targets.json is not valid")?;
    Ok(file.targets)
}

/// The entry for a Rust target triple.
pub fn find(triple: &str) -> anyhow::Result<Target> {
    all()?
        .into_iter()
        .find(|t| t.target == triple)
        .with_context(|| {
            format!("{triple} is not a release target (tests/tools/release/targets.json)")
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_os_and_arch_people_run_terraform_on_is_built_once() {
        let targets = all().unwrap();
        let platforms: BTreeSet<String> =
            targets.iter().map(|t| t.platform().to_string()).collect();
        let wanted: BTreeSet<String> = [
            "darwin_amd64",
            "darwin_arm64",
            "linux_amd64",
            "linux_arm64",
            "windows_amd64",
            "windows_arm64",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(platforms, wanted);
        assert_eq!(targets.len(), wanted.len(), "one build per platform");
    }

    #[test]
    fn triples_agree_with_their_platform() {
        for t in all().unwrap() {
            let arch = if t.target.starts_with("x86_64-") {
                "amd64"
            } else if t.target.starts_with("aarch64-") {
                "arm64"
            } else {
                panic!("unexpected CPU in {}", t.target)
            };
            let os = if t.target.contains("-linux-") {
                "linux"
            } else if t.target.contains("-apple-darwin") {
                "darwin"
            } else if t.target.contains("-windows-") {
                "windows"
            } else {
                panic!("unexpected OS in {}", t.target)
            };
            assert_eq!((t.os.as_str(), t.arch.as_str()), (os, arch), "{t:?}");
            assert_eq!(find(&t.target).unwrap(), t);
        }
        assert!(find("riscv64gc-unknown-linux-gnu").is_err());
    }

    #[test]
    fn the_host_is_a_release_platform() {
        let host = Platform::host().unwrap();
        assert!(
            all().unwrap().iter().any(|t| t.platform() == host),
            "{host} is not built by a release"
        );
    }
}
