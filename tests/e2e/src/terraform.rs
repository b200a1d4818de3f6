//! Running the real Terraform CLI against the provider under test.
//!
//! Terraform is found (or fetched) by `tests/tools/install-terraform.py`, so the tests drive
//! exactly what users run. [`Terraform::new`] wires the provider in with a `dev_overrides` CLI
//! config: no registry, no `init`, no lock file (PROTOCOL.md 6.2), which is also why those tests
//! never run `init`. [`Terraform::with_cli_config`] is for the tests that install the provider
//! the normal way (registry, local mirror) and for other Terraform versions.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

use crate::paths::{provider_dir, repo_root};

/// What a finished Terraform command printed and how it exited.
#[derive(Debug)]
pub struct TfOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    /// What a finished command (e.g. a spawned one, after `wait_with_output`) printed.
    pub fn from_output(out: Output) -> Self {
        TfOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Both streams, for assertion messages.
    pub fn combined(&self) -> String {
        format!(
            "exit code {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Panics with everything Terraform printed unless it exited 0.
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "terraform failed:\n{}", self.combined());
        self
    }

    /// Panics unless it failed; returns the output for message assertions.
    pub fn failure(self) -> Self {
        assert_ne!(
            self.code,
            0,
            "terraform unexpectedly succeeded:\n{}",
            self.combined()
        );
        self
    }
}

/// Path of the Terraform 1.15.5 CLI, installed once per test process.
pub fn terraform_cli() -> &'static Path {
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    CLI.get_or_init(|| install_terraform(&[]))
}

/// Path of a Terraform CLI of another release (`install-terraform.py --version`), for the
/// version matrix.
pub fn terraform_cli_version(version: &str) -> PathBuf {
    install_terraform(&["--version", version])
}

fn install_terraform(args: &[&str]) -> PathBuf {
    let script = repo_root().join("tests/tools/install-terraform.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "installing terraform {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A Terraform working directory with its own CLI config and environment.
pub struct Terraform {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    cli: PathBuf,
}

impl Terraform {
    /// A fresh working directory whose CLI config points `seedlabs/hotpatch` at the built provider.
    pub fn new(env: Vec<(String, String)>) -> Self {
        Self::with_cli_config(terraform_cli(), &cli_config(&provider_dir()), env)
    }

    /// A fresh working directory run by the Terraform CLI `cli` with `cli_config` as its CLI
    /// configuration. With no `dev_overrides` in it, the provider is installed the normal way,
    /// by `terraform init` (the install tests and the version matrix).
    pub fn with_cli_config(cli: &Path, cli_config: &str, env: Vec<(String, String)>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let rc = dir.path().join("terraform.rc");
        std::fs::write(&rc, cli_config).expect("write CLI config");
        let mut env = env;
        env.push(("TF_CLI_CONFIG_FILE".into(), rc.display().to_string()));
        Terraform {
            dir,
            env,
            cli: cli.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the configuration (main.tf) of the working directory.
    pub fn write_config(&self, hcl: &str) {
        std::fs::write(self.dir.path().join("main.tf"), hcl).expect("write main.tf");
    }

    pub fn write_file(&self, name: &str, content: &str) {
        std::fs::write(self.dir.path().join(name), content).expect("write file");
    }

    /// Runs `terraform <args>` in the working directory.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        TfOutput::from_output(self.command(args).output().expect("run terraform"))
    }

    /// Starts `terraform <args>` without waiting, with its output piped (for tests that signal
    /// it mid-run, as a user pressing Ctrl-C would); collect it with `wait_with_output`.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start terraform")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.cli);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("NO_COLOR", "1")
            .env_remove("TF_LOG");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn apply(&self) -> TfOutput {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn destroy(&self) -> TfOutput {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `plan -detailed-exitcode`: 0 = no changes, 2 = changes, 1 = error.
    pub fn plan(&self) -> TfOutput {
        self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
    }

    /// The root module's outputs (`terraform output -json`).
    pub fn outputs(&self) -> serde_json::Value {
        let out = self.run(&["output", "-json"]).success();
        serde_json::from_str(&out.stdout).expect("output -json is JSON")
    }

    /// The current state as `terraform show -json` prints it.
    pub fn show_json(&self) -> serde_json::Value {
        let out = self.run(&["show", "-json", "-no-color"]).success();
        serde_json::from_str(&out.stdout).expect("show -json is JSON")
    }

    /// Attribute values of one resource instance in state, by address.
    pub fn state_values(&self, address: &str) -> Option<serde_json::Value> {
        let show = self.show_json();
        find_resource(&show["values"]["root_module"], address).map(|r| r["values"].clone())
    }

    /// Removes the state so an import can rebuild it.
    pub fn forget_state(&self) {
        for name in ["terraform.tfstate", "terraform.tfstate.backup"] {
            let _ = std::fs::remove_file(self.dir.path().join(name));
        }
    }
}

/// Sends SIGINT to a [`Terraform::spawn`]ed command, as Ctrl-C does: Terraform asks its
/// providers to stop (StopProvider) and waits for them to return.
pub fn interrupt(child: &Child) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child, not reaped
    // before `child` is waited for, so it cannot have been recycled.
    let rc = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(rc, 0, "kill(SIGINT): {}", std::io::Error::last_os_error());
}

/// Waits for a [`Terraform::spawn`]ed command and returns what it printed.
pub fn finish(child: Child) -> TfOutput {
    TfOutput::from_output(child.wait_with_output().expect("wait for terraform"))
}

/// Text with every run of whitespace folded into one space: Terraform wraps diagnostics at 80
/// columns, so tests compare messages on one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find_resource(module: &serde_json::Value, address: &str) -> Option<serde_json::Value> {
    if let Some(resources) = module["resources"].as_array() {
        if let Some(r) = resources.iter().find(|r| r["address"] == address) {
            return Some(r.clone());
        }
    }
    module["child_modules"]
        .as_array()?
        .iter()
        .find_map(|m| find_resource(m, address))
}

/// A CLI config overriding the provider with a local build directory.
pub fn cli_config(provider_dir: &Path) -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"seedlabs/hotpatch\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        provider_dir.display()
    )
}
