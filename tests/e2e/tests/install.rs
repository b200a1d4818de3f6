//! Installing the provider the normal way, with no `dev_overrides`:
//!
//! * from a registry: the release artifacts (packed and signed by the release tool's code, as
//!   `make release` does) served through the provider registry protocol; Terraform discovers,
//!   downloads, checks the checksum and the signature itself, writes the lock file, and
//!   `terraform providers lock` agrees with it; then an apply against the emulator runs the
//!   installed binary;
//! * from the implied local mirror that `make install` fills (`~/.terraform.d/plugins`, HOME
//!   honoured), with a CLI configuration that says nothing and no network.
//!
//! A signature by a key other than the one the registry announces must stop `init`.

use std::path::PathBuf;
use std::process::Command;

use arm_emulator::seed;
use hotpatch_e2e::artifacts::{h1_hash, release_tool, TestDist};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::registry::Registry;
use hotpatch_e2e::terraform::{one_line, terraform_cli, Terraform};
use hotpatch_release::dist::sha256_hex;
use hotpatch_release::signing::Signer;

/// The registry's hostname, redirected to the test registry by a CLI `host` block.
const PUBLIC_REGISTRY: &str = "registry.terraform.io";

fn enrollment_config(env: &TestEnv) -> String {
    format!(
        "{PROVIDER_HCL}\nresource \"hotpatch_enrollment\" \"web\" {{\n  machine_id = \"{}\"\n}}\n",
        env.emulator.machine_id(seed::WS2025_DATACENTER)
    )
}

/// Terraform trusting `registry`'s CA, with the provider's ARM variables for `env`.
fn terraform_for(registry: &Registry, env: &TestEnv, cli_config: &str) -> Terraform {
    let mut vars = env.provider_env();
    vars.push((
        "SSL_CERT_FILE".into(),
        registry.ca_file().display().to_string(),
    ));
    Terraform::with_cli_config(terraform_cli(), cli_config, vars)
}

fn lock_file(tf: &Terraform) -> String {
    std::fs::read_to_string(tf.dir().join(".terraform.lock.hcl")).expect(".terraform.lock.hcl")
}

/// The hashes a lock file records for the provider, sorted.
fn locked_hashes(lock: &str) -> Vec<String> {
    let mut hashes: Vec<String> = lock
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(String::from)
        .collect();
    hashes.sort();
    hashes
}

/// The unpacked package `init` installed (a folder in `.terraform/providers`).
fn installed_package(tf: &Terraform, dist: &TestDist) -> PathBuf {
    let r = &dist.release;
    tf.dir()
        .join(".terraform/providers")
        .join(&r.provider.hostname)
        .join(&r.provider.namespace)
        .join(&r.provider.type_name)
        .join(&r.version)
        .join(dist.platform.to_string())
}

#[test]
fn registry_install_checks_the_signature_locks_both_hashes_and_applies() {
    let dist = TestDist::shared();
    let registry = Registry::start(dist.release.clone(), &dist.dir(), &dist.key_id);
    let env = TestEnv::start_default();
    let tf = terraform_for(&registry, &env, &registry.host_block(PUBLIC_REGISTRY));
    tf.write_config(&enrollment_config(&env));

    let init = tf.run(&["init", "-input=false", "-no-color"]).success();
    let version = &dist.release.version;
    assert!(
        one_line(&init.stdout).contains(&format!(
            "Installed seedlabs/hotpatch v{version} (self-signed, key ID {})",
            dist.key_id
        )),
        "Terraform verified the signature with the announced key:\n{}",
        init.stdout
    );
    let requests = registry.requests();
    for wanted in [
        "/v1/providers/seedlabs/hotpatch/versions".to_string(),
        format!(
            "/v1/providers/seedlabs/hotpatch/{version}/download/{}/{}",
            dist.platform.os, dist.platform.arch
        ),
        format!("/files/{}", dist.release.zip_name(&dist.platform)),
        format!("/files/{}", dist.release.sums_name()),
        format!("/files/{}", dist.release.signature_name()),
    ] {
        assert!(
            requests.contains(&wanted),
            "{wanted} requested: {requests:?}"
        );
    }

    // The lock file pins every checksum of SHA256SUMS (`zh:`, the zip's among them) and the
    // unpacked package's `h1:`.
    let lock = lock_file(&tf);
    assert!(
        lock.contains("provider \"registry.terraform.io/seedlabs/hotpatch\"")
            && lock.contains(&format!("version = \"{version}\"")),
        "{lock}"
    );
    let zip = format!("zh:{}", sha256_hex(&std::fs::read(dist.zip()).unwrap()));
    let sums = std::fs::read_to_string(dist.dir().join(dist.release.sums_name())).unwrap();
    let mut expected: Vec<String> = sums
        .lines()
        .map(|l| format!("zh:{}", l.split_once("  ").unwrap().0))
        .collect();
    assert!(expected.contains(&zip), "{sums}");
    expected.push(h1_hash(&installed_package(&tf, dist)));
    expected.sort();
    assert_eq!(locked_hashes(&lock), expected, "{lock}");

    // `terraform providers lock` rebuilds the same entry from the registry alone.
    std::fs::remove_file(tf.dir().join(".terraform.lock.hcl")).unwrap();
    tf.run(&[
        "providers",
        "lock",
        "-no-color",
        &format!("-platform={}", dist.platform),
    ])
    .success();
    assert_eq!(locked_hashes(&lock_file(&tf)), locked_hashes(&lock));

    // The installed binary serves: an apply against the emulator, sending the release's
    // version in its user agent, then an empty plan.
    env.emulator.clear_requests();
    tf.apply().success();
    let state = tf
        .state_values("hotpatch_enrollment.web")
        .expect("enrolled");
    assert_eq!(state["subscription_status"], "Enabled");
    let agents: Vec<String> = env
        .emulator
        .requests()
        .iter()
        .filter(|r| !r.path.contains("/oauth2/"))
        .filter_map(|r| r.headers.get("user-agent").cloned())
        .collect();
    assert!(!agents.is_empty(), "ARM requests were logged");
    assert!(
        agents
            .iter()
            .all(|a| a.starts_with(&format!("terraform-provider-hotpatch/{version}"))),
        "{agents:?}"
    );
    assert_eq!(tf.plan().code, 0, "plan after apply is not empty");
}

#[test]
fn discovery_at_the_registry_hostname_finds_the_provider_service() {
    let dist = TestDist::shared();
    let registry = Registry::start(dist.release.clone(), &dist.dir(), &dist.key_id);
    let env = TestEnv::start_default();
    let tf = terraform_for(&registry, &env, "");
    tf.write_config(&format!(
        "terraform {{\n  required_providers {{\n    hotpatch = {{\n      source = \"{}/seedlabs/hotpatch\"\n    }}\n  }}\n}}\n",
        registry.hostname()
    ));
    let init = tf.run(&["init", "-input=false", "-no-color"]).success();
    assert!(
        one_line(&init.stdout).contains(&format!("key ID {}", dist.key_id)),
        "{}",
        init.stdout
    );
    assert_eq!(
        registry.requests().first().map(String::as_str),
        Some("/.well-known/terraform.json"),
        "Terraform asked the host for its services first"
    );
}

#[test]
fn a_signature_by_another_key_stops_init() {
    let dist = TestDist::shared();
    let other = Signer::throwaway().unwrap().armored_public_key().unwrap();
    let registry =
        Registry::start_with(dist.release.clone(), &dist.dir(), &dist.key_id, Some(other));
    let env = TestEnv::start_default();
    let tf = terraform_for(&registry, &env, &registry.host_block(PUBLIC_REGISTRY));
    tf.write_config(PROVIDER_HCL);
    let init = tf.run(&["init", "-input=false", "-no-color"]).failure();
    assert!(
        one_line(&init.stderr).contains("authentication signature from unknown issuer"),
        "{}",
        init.combined()
    );
    assert!(!tf.dir().join(".terraform.lock.hcl").exists());
}

/// `make install`, then `terraform init` in a fresh folder with only `required_providers`:
/// found in the implied local mirror under HOME, with any network access made to fail.
#[test]
fn make_install_then_init_offline_from_the_implied_local_mirror() {
    let dist = TestDist::shared();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(release_tool())
        .args(["install", "--binary"])
        .arg(dist.binary())
        .env("HOME", home.path())
        .output()
        .expect("run hotpatch-release install");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let mirror = dist
        .release
        .mirror_dir(&home.path().join(".terraform.d/plugins"), &dist.platform);
    assert_eq!(
        installed,
        mirror.join(dist.release.executable_name(&dist.platform))
    );

    let env = TestEnv::start_default();
    let mut vars = env.provider_env();
    let unreachable = "http://127.0.0.1:9".to_string();
    vars.extend([
        ("HOME".to_string(), home.path().display().to_string()),
        ("HTTPS_PROXY".to_string(), unreachable.clone()),
        ("HTTP_PROXY".to_string(), unreachable),
        // The provider still reaches the emulator directly.
        ("NO_PROXY".to_string(), "127.0.0.1,localhost".to_string()),
    ]);
    let tf = Terraform::with_cli_config(terraform_cli(), "", vars);
    tf.write_config(&enrollment_config(&env));
    let init = tf.run(&["init", "-input=false", "-no-color"]).success();
    assert!(
        one_line(&init.stdout).contains(&format!(
            "Installed seedlabs/hotpatch v{} (unauthenticated)",
            dist.release.version
        )),
        "{}",
        init.stdout
    );
    assert_eq!(
        locked_hashes(&lock_file(&tf)),
        vec![h1_hash(&mirror)],
        "a local mirror gives the h1 hash only"
    );
    assert_eq!(
        std::fs::canonicalize(installed_package(&tf, dist)).unwrap(),
        std::fs::canonicalize(&mirror).unwrap(),
        "init links the mirror's unpacked package"
    );
    tf.apply().success();
    assert!(tf.state_values("hotpatch_enrollment.web").is_some());
}

/// `--version` answers from the binary itself: the workspace version, no handshake, no
/// go-plugin complaint about a missing magic cookie.
#[test]
fn the_binary_reports_the_release_version() {
    let out = Command::new(hotpatch_e2e::plugin_client::provider_binary())
        .arg("--version")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run the provider");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "terraform-provider-hotpatch {}\n",
            hotpatch_release::names::VERSION
        )
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
