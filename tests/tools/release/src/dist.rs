//! The registry's release layout in a folder (`dist/`): one zip per platform, then the
//! manifest, `SHA256SUMS` over zips and manifest, its detached signature and the signing key.
//!
//! Packaging and checksumming are separate steps because the release workflow builds each
//! platform on its own runner and checksums the collected zips once; `make release` runs both
//! for the machine it is on.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::names::{Platform, Release, PUBLIC_KEY_FILE};
use crate::signing::Signer;
use crate::zip;

/// `terraform-registry-manifest.json` at the repository root, the manifest every release
/// copies (PROTOCOL.md 6.1).
const REGISTRY_MANIFEST: &str = include_str!("../../../../terraform-registry-manifest.json");

/// Packs `binary` for `platform` into `<out>/<zip name>` and returns the zip's path.
///
/// A binary built for this machine is asked for its version first, so a stale or mislabelled
/// build cannot be shipped under this release's name.
pub fn package(
    release: &Release,
    platform: &Platform,
    binary: &Path,
    out: &Path,
) -> anyhow::Result<PathBuf> {
    if *platform == Platform::host()? {
        check_version(release, binary)?;
    }
    let data = fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join(release.zip_name(platform));
    let mut zip = Vec::new();
    zip::write_single_file(
        &mut zip,
        &release.executable_name(platform),
        &data,
        zip::EXECUTABLE_MODE,
    )?;
    write_atomically(&path, &zip)?;
    Ok(path)
}

/// Checks that `binary --version` names this release.
pub fn check_version(release: &Release, binary: &Path) -> anyhow::Result<()> {
    let out = Command::new(binary)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", binary.display()))?;
    let reported = String::from_utf8_lossy(&out.stdout);
    let expected = format!("{} {}", release.program(), release.version);
    if !out.status.success() || reported.trim() != expected {
        bail!(
            "{} reports {:?}, not {expected:?}: rebuild it from this checkout",
            binary.display(),
            reported.trim()
        );
    }
    Ok(())
}

/// What `checksums` wrote.
#[derive(Debug)]
pub struct Checksums {
    pub platforms: Vec<Platform>,
    pub sums: PathBuf,
    pub signature: PathBuf,
    pub public_key: PathBuf,
}

/// Writes the manifest, `SHA256SUMS` over every zip of this release in `out` and the
/// manifest, its signature by `signer`, and the armored public key. With `expected`, the zips
/// must be exactly those platforms' (the release workflow's completeness check).
pub fn checksums(
    release: &Release,
    out: &Path,
    signer: &Signer,
    expected: Option<&[Platform]>,
) -> anyhow::Result<Checksums> {
    let mut zips: Vec<(Platform, String)> = Vec::new();
    for entry in fs::read_dir(out).with_context(|| format!("reading {}", out.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(platform) = release.zip_platform(&name) {
            zips.push((platform, name));
        }
    }
    zips.sort();
    let platforms: Vec<Platform> = zips.iter().map(|(p, _)| p.clone()).collect();
    if zips.is_empty() {
        bail!(
            "no {} zips in {}: package first",
            release.program(),
            out.display()
        );
    }
    if let Some(expected) = expected {
        let mut expected = expected.to_vec();
        expected.sort();
        if expected != platforms {
            bail!(
                "{} holds zips for [{}], the release needs [{}]",
                out.display(),
                join(&platforms),
                join(&expected)
            );
        }
    }

    let manifest: serde_json::Value =
        serde_json::from_str(REGISTRY_MANIFEST).context("terraform-registry-manifest.json")?;
    if manifest["metadata"]["protocol_versions"] != serde_json::json!(["6.0"]) {
        bail!("terraform-registry-manifest.json must list protocol_versions [\"6.0\"]");
    }
    let manifest_name = release.manifest_name();
    write_atomically(&out.join(&manifest_name), REGISTRY_MANIFEST.as_bytes())?;

    let mut files: Vec<String> = zips.into_iter().map(|(_, name)| name).collect();
    files.push(manifest_name);
    files.sort();
    let mut sums = String::new();
    for name in &files {
        let data = fs::read(out.join(name)).with_context(|| format!("reading {name}"))?;
        sums.push_str(&format!("{}  {name}\n", sha256_hex(&data)));
    }
    let sums_path = out.join(release.sums_name());
    write_atomically(&sums_path, sums.as_bytes())?;
    let signature = out.join(release.signature_name());
    signer.sign(&sums_path, &signature)?;
    let public_key = out.join(PUBLIC_KEY_FILE);
    write_atomically(&public_key, signer.armored_public_key()?.as_bytes())?;
    Ok(Checksums {
        platforms,
        sums: sums_path,
        signature,
        public_key,
    })
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref());
    out
}

/// Lower-case hex SHA-256, the form of `SHA256SUMS` lines and of the lock file's `zh:`.
pub fn sha256_hex(data: &[u8]) -> String {
    sha256(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn join(platforms: &[Platform]) -> String {
    platforms
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes through a temporary file and a rename, so an interrupted run never leaves a
/// truncated artifact under its final name.
pub(crate) fn write_atomically(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    fs::write(&partial, data).with_context(|| format!("writing {}", partial.display()))?;
    fs::rename(&partial, path).with_context(|| format!("renaming to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::ProviderAddress;

    fn release() -> Release {
        Release {
            provider: ProviderAddress::parse("registry.terraform.io/seedlabs/hotpatch").unwrap(),
            version: "9.8.7".into(),
        }
    }

    #[test]
    fn sums_cover_every_zip_of_the_version_and_the_manifest_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let r = release();
        let fake = dir.path().join("bin");
        fs::write(&fake, b"not really a provider").unwrap();
        // Platforms that are never the host, so the fake binary is not asked for its version.
        let plan9 = Platform::new("plan9", "arm64");
        let solaris = Platform::new("solaris", "amd64");
        let out = dir.path().join("dist");
        for p in [&plan9, &solaris] {
            package(&r, p, &fake, &out).unwrap();
        }
        fs::write(
            out.join("terraform-provider-hotpatch_9.8.6_linux_amd64.zip"),
            b"old",
        )
        .unwrap();

        let signer = Signer::throwaway().unwrap();
        let done = checksums(&r, &out, &signer, Some(&[solaris.clone(), plan9.clone()])).unwrap();
        assert_eq!(done.platforms, vec![plan9.clone(), solaris.clone()]);
        let sums = fs::read_to_string(&done.sums).unwrap();
        let names: Vec<&str> = sums
            .lines()
            .map(|l| l.split_once("  ").unwrap().1)
            .collect();
        assert_eq!(
            names,
            [
                "terraform-provider-hotpatch_9.8.7_manifest.json",
                "terraform-provider-hotpatch_9.8.7_plan9_arm64.zip",
                "terraform-provider-hotpatch_9.8.7_solaris_amd64.zip",
            ]
        );
        let zip = fs::read(out.join(r.zip_name(&plan9))).unwrap();
        assert!(sums.contains(&format!("{}  {}\n", sha256_hex(&zip), r.zip_name(&plan9))));
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(r.manifest_name())).unwrap()).unwrap();
        assert_eq!(
            manifest,
            serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
        );
        assert!(fs::metadata(&done.signature).unwrap().len() > 300);
        assert!(fs::read_to_string(&done.public_key)
            .unwrap()
            .contains("BEGIN PGP PUBLIC KEY BLOCK"));

        // A missing platform fails the completeness check by name.
        let err = checksums(
            &r,
            &out,
            &signer,
            Some(&[plan9, Platform::new("darwin", "arm64")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("darwin_arm64"), "{err}");
    }

    #[test]
    fn a_host_binary_reporting_another_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("terraform-provider-hotpatch");
        fs::write(
            &script,
            "#!/bin/sh\necho terraform-provider-hotpatch 0.0.1\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let err = package(&release(), &Platform::host().unwrap(), &script, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("0.0.1") && err.contains("9.8.7"), "{err}");
    }

    #[test]
    fn an_empty_folder_has_nothing_to_sum() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::throwaway().unwrap();
        assert!(checksums(&release(), dir.path(), &signer, None).is_err());
    }
}
