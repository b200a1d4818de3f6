//! The signing path published releases take: gpg with the key named by `HOTPATCH_GPG_KEY_ID`
//! from the keyring in `GNUPGHOME`, unlocked with `HOTPATCH_GPG_PASSPHRASE`. A key is made in a
//! temporary keyring, `checksums` signs through the real CLI, and gpg verifies the result.
//!
//! Without gpg the check cannot run: `test_support::cannot_run` fails it under CI and announces
//! the skip otherwise (throwaway keys, which the other tests use, need no gpg).

use std::path::Path;
use std::process::Command;

use hotpatch_release::names::{Platform, Release};

fn gpg(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--no-tty"])
        .args(args)
        .output()
        .expect("run gpg")
}

/// Stops the gpg-agent the test's keyring started, however the test ends.
struct AgentGuard<'a>(&'a Path);

impl Drop for AgentGuard<'_> {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.0)
            .args(["--kill", "all"])
            .output();
    }
}

#[test]
fn checksums_are_signed_by_the_gpg_key_from_the_environment() {
    if Command::new("gpg").arg("--version").output().is_err() {
        test_support::cannot_run(
            "checksums_are_signed_by_the_gpg_key_from_the_environment",
            "gpg is not installed, so the gpg signing path (HOTPATCH_GPG_KEY_ID) was not exercised",
        );
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let _agent = AgentGuard(home.path());
    let passphrase = "correct horse battery staple";
    let made = gpg(
        home.path(),
        &[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            "Release Test <release-test@example.invalid>",
            "rsa3072",
            "sign",
            "never",
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let listed = gpg(home.path(), &["--with-colons", "--list-secret-keys"]);
    let listing = String::from_utf8_lossy(&listed.stdout);
    let fingerprint = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|l| l.split(':').find(|f| f.len() == 40))
        .expect("fingerprint")
        .to_string();

    // A dist folder holding one zip, then `checksums` through the CLI with the key.
    let dist = tempfile::tempdir().unwrap();
    let release = Release::current();
    std::fs::write(
        dist.path()
            .join(release.zip_name(&Platform::new("plan9", "arm64"))),
        b"zip",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hotpatch-release"))
        .args(["checksums", "--out"])
        .arg(dist.path())
        .env("GNUPGHOME", home.path())
        .env("HOTPATCH_GPG_KEY_ID", &fingerprint)
        .env("HOTPATCH_GPG_PASSPHRASE", passphrase)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("gpg key {fingerprint}")),
        "{stderr}"
    );
    assert!(
        !stderr.contains(passphrase),
        "the passphrase never reaches the output"
    );

    // gpg accepts the signature, made by that key, and the exported key is that key.
    let sums = dist.path().join(release.sums_name());
    let sig = dist.path().join(release.signature_name());
    let verified = Command::new("gpg")
        .env("GNUPGHOME", home.path())
        .args(["--batch", "--status-fd", "1", "--verify"])
        .args([&sig, &sums])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&verified.stdout);
    assert!(
        status.contains(&format!("VALIDSIG {fingerprint}")),
        "{status}\n{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let key = std::fs::read_to_string(dist.path().join("signing-key.asc")).unwrap();
    assert!(key.contains("BEGIN PGP PUBLIC KEY BLOCK"));

    // Without the variable, `--complete` refuses the throwaway key.
    let refused = Command::new(env!("CARGO_BIN_EXE_hotpatch-release"))
        .args(["checksums", "--complete", "--out"])
        .arg(dist.path())
        .env_remove("HOTPATCH_GPG_KEY_ID")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("HOTPATCH_GPG_KEY_ID is not set"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
