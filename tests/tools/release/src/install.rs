//! `make install`: the build where `terraform init` finds it with no CLI configuration at all.
//!
//! Without a `provider_installation` block Terraform searches implied local mirrors, among
//! them `~/.terraform.d/plugins`, in the unpacked layout
//! `HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION`, and installs what it
//! finds there instead of asking the registry (PROTOCOL.md 6.2). `init` then records the
//! package's `h1:` hash in `.terraform.lock.hcl`; a rebuild at the same version changes that
//! hash, which is why the installer says so.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::dist::{check_version, write_atomically};
use crate::names::{Platform, Release};

/// Copies `binary` (built for this machine) into `plugins_dir`'s unpacked mirror layout,
/// replacing whatever that version's folder held. Returns the installed file.
pub fn install(release: &Release, binary: &Path, plugins_dir: &Path) -> anyhow::Result<PathBuf> {
    check_version(release, binary)?;
    let platform = Platform::host()?;
    let dir = release.mirror_dir(plugins_dir, &platform);
    // A folder left by an earlier install may hold a binary under another accepted name;
    // Terraform would refuse the ambiguity, so the folder starts empty.
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let data = fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    let target = dir.join(release.executable_name(&platform));
    write_atomically(&target, &data)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", target.display()))?;
    }
    Ok(target)
}
