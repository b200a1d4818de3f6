//! Release artifacts for the install tests: the provider under test packed by the release
//! tool's own code into a temporary `dist/` exactly as `make release` does (zip, manifest,
//! `SHA256SUMS`, signature, public key) but signed by a throwaway key, plus the release tool
//! binary for `make install`'s step and the lock file's `h1:` hash computed independently.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine;
use hotpatch_release::dist;
use hotpatch_release::names::{Platform, Release};
use hotpatch_release::signing::Signer;

use crate::paths::{repo_root, target_dir};
use crate::plugin_client::provider_binary;

/// A `dist/` folder for this machine's platform.
pub struct TestDist {
    root: tempfile::TempDir,
    pub release: Release,
    pub platform: Platform,
    /// The throwaway signing key's id (16 hex digits), as Terraform prints it.
    pub key_id: String,
}

impl TestDist {
    /// Packs and signs the provider binary under test.
    pub fn build() -> Self {
        let release = Release::current();
        let platform = Platform::host().expect("host platform");
        let root = tempfile::tempdir().expect("temp dir");
        let binary = root.path().join(release.program());
        slim_copy(&provider_binary(), &binary);
        let dist = root.path().join("dist");
        dist::package(&release, &platform, &binary, &dist).expect("package");
        let signer = Signer::throwaway().expect("throwaway key");
        let Signer::Throwaway(key) = &signer else {
            unreachable!("a throwaway signer")
        };
        let key_id = key.key_id_hex();
        dist::checksums(
            &release,
            &dist,
            &signer,
            Some(std::slice::from_ref(&platform)),
        )
        .expect("checksums");
        TestDist {
            root,
            release,
            platform,
            key_id,
        }
    }

    /// One per test process: packing takes a few seconds.
    pub fn shared() -> &'static TestDist {
        static DIST: OnceLock<TestDist> = OnceLock::new();
        DIST.get_or_init(TestDist::build)
    }

    /// The artifacts.
    pub fn dir(&self) -> PathBuf {
        self.root.path().join("dist")
    }

    /// The provider binary that was packed.
    pub fn binary(&self) -> PathBuf {
        self.root.path().join(self.release.program())
    }

    /// The platform's zip.
    pub fn zip(&self) -> PathBuf {
        self.dir().join(self.release.zip_name(&self.platform))
    }
}

/// Copies the debug provider binary without its debug sections (about 200 MB down to 45 MB,
/// which every test then zips, downloads, unpacks and hashes). `strip` comes with the linker
/// cargo uses on Linux; where it is missing, the full binary is packed, only slower.
fn slim_copy(from: &Path, to: &Path) {
    let stripped = Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(to)
        .arg(from)
        .status()
        .is_ok_and(|s| s.success());
    if !stripped {
        eprintln!("note: strip is unavailable; packing the unstripped debug binary");
        std::fs::copy(from, to).expect("copy the provider binary");
    }
}

/// The `hotpatch-release` binary, built once per test process (a no-op after `make test`'s
/// build).
pub fn release_tool() -> PathBuf {
    static TOOL: OnceLock<PathBuf> = OnceLock::new();
    TOOL.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-p",
                "hotpatch-release",
                "--bin",
                "hotpatch-release",
            ])
            .current_dir(repo_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building hotpatch-release failed");
        target_dir().join("debug").join("hotpatch-release")
    })
    .clone()
}

/// The lock file's `h1:` hash of an unpacked package folder, computed the way Go's
/// `dirhash.Hash1` does: for each file in name order, `<sha256 hex>  <name>\n`, then the
/// base64 SHA-256 of that text.
pub fn h1_hash(package_dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(package_dir)
        .expect("read package folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut summary = String::new();
    for name in names {
        let data = std::fs::read(package_dir.join(&name)).expect("read package file");
        summary.push_str(&format!("{}  {name}\n", dist::sha256_hex(&data)));
    }
    let digest = dist::sha256(summary.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}
