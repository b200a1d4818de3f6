//! Every name the registry protocol fixes, in one place: the provider's address split into
//! hostname, namespace and type, the version, the platform pair and the artifact file names
//! (PROTOCOL.md 6.1). The packager, the installer, the release workflow's test and the
//! end-to-end tests all ask here, so a file Terraform looks for cannot be spelled two ways.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The version every artifact carries: the workspace `Cargo.toml`'s, the same the provider
/// binary reports with `--version` and sends to ARM in its user agent.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The provider's source address. The provider announces the same constant to Terraform; a
/// test holds the two equal, so the release tool need not build the provider to know it (the
/// release workflow builds the tool once per runner, for the runner).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/seedlabs/hotpatch";

/// Where the armored public half of the signing key is written beside the artifacts: the
/// registry needs it (`signing_keys.gpg_public_keys`), but it is not a release asset.
pub const PUBLIC_KEY_FILE: &str = "signing-key.asc";

/// A provider source address, `hostname/namespace/type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAddress {
    pub hostname: String,
    pub namespace: String,
    pub type_name: String,
}

impl ProviderAddress {
    /// Parses a fully qualified address such as `registry.terraform.io/seedlabs/hotpatch`.
    pub fn parse(address: &str) -> anyhow::Result<Self> {
        let parts: Vec<&str> = address.split('/').collect();
        let [hostname, namespace, type_name] = parts.as_slice() else {
            bail!("provider address {address:?} is not hostname/namespace/type");
        };
        if [hostname, namespace, type_name]
            .iter()
            .any(|p| p.is_empty())
        {
            bail!("provider address {address:?} has an empty part");
        }
        Ok(Self {
            hostname: hostname.to_string(),
            namespace: namespace.to_string(),
            type_name: type_name.to_string(),
        })
    }

    /// This provider's address.
    pub fn hotpatch() -> Self {
        Self::parse(PROVIDER_ADDRESS).expect("PROVIDER_ADDRESS is hostname/namespace/type")
    }
}

/// A platform in Terraform's spelling (`linux_amd64`, `darwin_arm64`, `windows_amd64`...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: String,
    pub arch: String,
}

impl Platform {
    pub fn new(os: &str, arch: &str) -> Self {
        Self {
            os: os.to_string(),
            arch: arch.to_string(),
        }
    }

    /// The platform this program runs on, in Terraform's names (Go's `GOOS`/`GOARCH`).
    pub fn host() -> anyhow::Result<Self> {
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            other => other,
        };
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            other => bail!("no Terraform platform name for the CPU architecture {other}"),
        };
        Ok(Self::new(os, arch))
    }

    /// Windows executables carry `.exe`; Terraform looks for it there.
    pub fn executable_suffix(&self) -> &'static str {
        if self.os == "windows" {
            ".exe"
        } else {
            ""
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.os, self.arch)
    }
}

/// One version of the provider and the names of its release files.
#[derive(Debug, Clone)]
pub struct Release {
    pub provider: ProviderAddress,
    pub version: String,
}

impl Release {
    /// This build: the hotpatch provider at the workspace version.
    pub fn current() -> Self {
        Self {
            provider: ProviderAddress::hotpatch(),
            version: VERSION.to_string(),
        }
    }

    /// `terraform-provider-hotpatch`, the program name Terraform expects.
    pub fn program(&self) -> String {
        format!("terraform-provider-{}", self.provider.type_name)
    }

    fn prefix(&self) -> String {
        format!("{}_{}", self.program(), self.version)
    }

    /// `terraform-provider-hotpatch_v0.1.0` (`.exe` on Windows), the file inside the zip.
    pub fn executable_name(&self, platform: &Platform) -> String {
        format!(
            "{}_v{}{}",
            self.program(),
            self.version,
            platform.executable_suffix()
        )
    }

    /// `terraform-provider-hotpatch_0.1.0_linux_amd64.zip`.
    pub fn zip_name(&self, platform: &Platform) -> String {
        format!("{}_{platform}.zip", self.prefix())
    }

    /// The platform a zip of this release is for, if `file_name` is one.
    pub fn zip_platform(&self, file_name: &str) -> Option<Platform> {
        let rest = file_name
            .strip_prefix(&self.prefix())?
            .strip_prefix('_')?
            .strip_suffix(".zip")?;
        let (os, arch) = rest.split_once('_')?;
        (!os.is_empty() && !arch.is_empty() && !arch.contains('_')).then(|| Platform::new(os, arch))
    }

    /// `terraform-provider-hotpatch_0.1.0_SHA256SUMS`.
    pub fn sums_name(&self) -> String {
        format!("{}_SHA256SUMS", self.prefix())
    }

    /// `terraform-provider-hotpatch_0.1.0_SHA256SUMS.sig`, the detached signature.
    pub fn signature_name(&self) -> String {
        format!("{}.sig", self.sums_name())
    }

    /// `terraform-provider-hotpatch_0.1.0_manifest.json`.
    pub fn manifest_name(&self) -> String {
        format!("{}_manifest.json", self.prefix())
    }

    /// The folder of the unpacked layout Terraform searches in a local mirror:
    /// `<plugins>/registry.terraform.io/seedlabs/hotpatch/0.1.0/linux_amd64`.
    pub fn mirror_dir(&self, plugins_dir: &Path, platform: &Platform) -> PathBuf {
        plugins_dir
            .join(&self.provider.hostname)
            .join(&self.provider.namespace)
            .join(&self.provider.type_name)
            .join(&self.version)
            .join(platform.to_string())
    }
}

/// Terraform's per-user plugin folder, the implied local mirror searched when the CLI config
/// has no `provider_installation` block: `~/.terraform.d/plugins` (`%APPDATA%\terraform.d\plugins`
/// on Windows).
pub fn user_plugins_dir() -> anyhow::Result<PathBuf> {
    let (var, sub) = if cfg!(windows) {
        ("APPDATA", "terraform.d")
    } else {
        ("HOME", ".terraform.d")
    };
    let home = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .with_context(|| format!("{var} is not set, so Terraform's plugin folder is unknown"))?;
    Ok(PathBuf::from(home).join(sub).join("plugins"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release() -> Release {
        Release {
            provider: ProviderAddress::parse("registry.terraform.io/seedlabs/hotpatch").unwrap(),
            version: "1.2.3".into(),
        }
    }

    #[test]
    fn names_follow_the_registry_layout() {
        let r = release();
        let linux = Platform::new("linux", "amd64");
        let windows = Platform::new("windows", "arm64");
        assert_eq!(
            r.executable_name(&linux),
            "terraform-provider-hotpatch_v1.2.3"
        );
        assert_eq!(
            r.executable_name(&windows),
            "terraform-provider-hotpatch_v1.2.3.exe"
        );
        assert_eq!(
            r.zip_name(&linux),
            "terraform-provider-hotpatch_1.2.3_linux_amd64.zip"
        );
        assert_eq!(
            r.sums_name(),
            "terraform-provider-hotpatch_1.2.3_SHA256SUMS"
        );
        assert_eq!(
            r.signature_name(),
            "terraform-provider-hotpatch_1.2.3_SHA256SUMS.sig"
        );
        assert_eq!(
            r.manifest_name(),
            "terraform-provider-hotpatch_1.2.3_manifest.json"
        );
        assert_eq!(
            r.mirror_dir(Path::new("/p"), &linux),
            Path::new("/p/registry.terraform.io/seedlabs/hotpatch/1.2.3/linux_amd64")
        );
    }

    #[test]
    fn zip_names_parse_back_to_their_platform_only_for_this_version() {
        let r = release();
        let darwin = Platform::new("darwin", "arm64");
        assert_eq!(r.zip_platform(&r.zip_name(&darwin)), Some(darwin));
        assert_eq!(
            r.zip_platform("terraform-provider-hotpatch_1.2.30_linux_amd64.zip"),
            None
        );
        assert_eq!(r.zip_platform(&r.sums_name()), None);
        assert_eq!(
            r.zip_platform("terraform-provider-hotpatch_1.2.3_linux.zip"),
            None
        );
    }

    #[test]
    fn the_address_needs_three_parts() {
        assert!(ProviderAddress::parse("seedlabs/hotpatch").is_err());
        assert!(ProviderAddress::parse("a//c").is_err());
        assert_eq!(ProviderAddress::hotpatch().type_name, "hotpatch");
    }

    #[test]
    fn the_address_is_the_one_the_provider_announces() {
        assert_eq!(
            PROVIDER_ADDRESS,
            terraform_provider_hotpatch::PROVIDER_ADDRESS
        );
    }
}
