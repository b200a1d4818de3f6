//! Who signs `..._SHA256SUMS`. The key comes from the environment:
//!
//! * `HOTPATCH_GPG_KEY_ID` set: gpg signs with that key (`--local-user`), from the keyring in
//!   `GNUPGHOME` (gpg's own default otherwise); `HOTPATCH_GPG_PASSPHRASE`, when set, unlocks
//!   it through gpg's loopback pinentry. This is how published releases are signed, with the
//!   key whose public half is registered with the registry namespace.
//! * unset: a throwaway RSA key is generated for this run (see `openpgp`), so `make release`
//!   works from a plain clone and tests need neither gpg nor a secret; a notice says the result
//!   must not be published. `--require-key` (the release workflow) turns that into an error.
//!
//! Either way the armored public key is written beside the artifacts for the registry.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use crate::openpgp;

/// Environment variable naming the gpg key that signs releases.
pub const KEY_ID_VAR: &str = "HOTPATCH_GPG_KEY_ID";
/// Environment variable with that key's passphrase, if it has one.
pub const PASSPHRASE_VAR: &str = "HOTPATCH_GPG_PASSPHRASE";

pub enum Signer {
    Gpg {
        key_id: String,
        passphrase: Option<String>,
    },
    Throwaway(Box<openpgp::SigningKey>),
}

impl Signer {
    /// The signer the environment asks for; `require_key` refuses the throwaway key.
    pub fn from_env(require_key: bool) -> anyhow::Result<Self> {
        let key_id = std::env::var(KEY_ID_VAR)
            .ok()
            .filter(|v| !v.trim().is_empty());
        match key_id {
            Some(key_id) => Ok(Signer::Gpg {
                key_id: key_id.trim().to_string(),
                passphrase: std::env::var(PASSPHRASE_VAR).ok().filter(|v| !v.is_empty()),
            }),
            None if require_key => {
                bail!("{KEY_ID_VAR} is not set: a published release must be signed with the registered key")
            }
            None => Ok(Signer::throwaway()?),
        }
    }

    /// A fresh key nobody else holds, for local builds and tests.
    pub fn throwaway() -> anyhow::Result<Self> {
        let key = openpgp::SigningKey::generate(
            "terraform-provider-hotpatch throwaway release key <unpublished@invalid>",
        )?;
        Ok(Signer::Throwaway(Box::new(key)))
    }

    /// A line for the user saying which key signed.
    pub fn describe(&self) -> String {
        match self {
            Signer::Gpg { key_id, .. } => format!("gpg key {key_id}"),
            Signer::Throwaway(key) => format!(
                "a throwaway key ({}) made for this build only: do not publish it; set {KEY_ID_VAR} to sign with the release key",
                key.key_id_hex()
            ),
        }
    }

    /// Writes a binary detached signature of `document` to `signature`.
    pub fn sign(&self, document: &Path, signature: &Path) -> anyhow::Result<()> {
        match self {
            Signer::Throwaway(key) => {
                let data = std::fs::read(document)
                    .with_context(|| format!("reading {}", document.display()))?;
                std::fs::write(signature, key.sign_detached(&data)?)
                    .with_context(|| format!("writing {}", signature.display()))
            }
            Signer::Gpg { key_id, passphrase } => {
                let mut args: Vec<&std::ffi::OsStr> = vec![
                    "--batch".as_ref(),
                    "--yes".as_ref(),
                    "--local-user".as_ref(),
                    key_id.as_ref(),
                ];
                if passphrase.is_some() {
                    args.extend(
                        ["--pinentry-mode", "loopback", "--passphrase-fd", "0"]
                            .map(std::ffi::OsStr::new),
                    );
                }
                args.extend([
                    "--output".as_ref(),
                    signature.as_os_str(),
                    "--detach-sign".as_ref(),
                    document.as_os_str(),
                ]);
                let mut child = Command::new("gpg")
                    .args(&args)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .context("starting gpg (is GnuPG installed?)")?;
                let mut stdin = child.stdin.take().expect("piped stdin");
                if let Some(passphrase) = passphrase {
                    stdin.write_all(passphrase.as_bytes())?;
                    stdin.write_all(b"\n")?;
                }
                drop(stdin);
                let out = child.wait_with_output()?;
                if !out.status.success() {
                    bail!(
                        "gpg could not sign with key {key_id}: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                }
                Ok(())
            }
        }
    }

    /// The signing key's public half, ASCII-armored.
    pub fn armored_public_key(&self) -> anyhow::Result<String> {
        match self {
            Signer::Throwaway(key) => key.armored_public_key(),
            Signer::Gpg { key_id, .. } => {
                let out = Command::new("gpg")
                    .args(["--batch", "--armor", "--export", key_id])
                    .output()
                    .context("starting gpg (is GnuPG installed?)")?;
                let text = String::from_utf8(out.stdout).context("gpg's export is not text")?;
                if !out.status.success() || !text.contains("BEGIN PGP PUBLIC KEY BLOCK") {
                    bail!(
                        "gpg could not export key {key_id}: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                }
                Ok(text)
            }
        }
    }
}
