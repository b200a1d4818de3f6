//! `hotpatch-release`: the command behind `make release`, `make install` and the release
//! workflow's steps. Run with `--help` for the subcommands.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use hotpatch_release::dist;
use hotpatch_release::install::install;
use hotpatch_release::names::{user_plugins_dir, Platform, Release};
use hotpatch_release::signing::Signer;
use hotpatch_release::targets;

#[derive(Parser)]
#[command(
    about = "Package and install terraform-provider-hotpatch the way the Terraform registry does"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Zip one platform's binary as terraform-provider-hotpatch_<VERSION>_<os>_<arch>.zip.
    Package {
        /// The built provider binary.
        #[arg(long)]
        binary: PathBuf,
        /// Rust target triple it was built for (tests/tools/release/targets.json); default: this machine.
        #[arg(long)]
        target: Option<String>,
        #[arg(long, default_value = "dist")]
        out: PathBuf,
    },
    /// Write the manifest, SHA256SUMS and its signature over the zips in the folder.
    Checksums {
        #[arg(long, default_value = "dist")]
        out: PathBuf,
        /// Require every platform of tests/tools/release/targets.json and a real signing key.
        #[arg(long)]
        complete: bool,
    },
    /// Install the binary into Terraform's implied local mirror (~/.terraform.d/plugins).
    Install {
        #[arg(long)]
        binary: PathBuf,
        /// Another plugins folder instead of the user's.
        #[arg(long)]
        plugins_dir: Option<PathBuf>,
    },
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("hotpatch-release: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let release = Release::current();
    match cli.command {
        Cmd::Package {
            binary,
            target,
            out,
        } => {
            let platform = match target {
                Some(triple) => targets::find(&triple)?.platform(),
                None => Platform::host()?,
            };
            let zip = dist::package(&release, &platform, &binary, &out)?;
            println!("{}", zip.display());
        }
        Cmd::Checksums { out, complete } => {
            let signer = Signer::from_env(complete)?;
            let expected: Option<Vec<Platform>> = if complete {
                Some(
                    targets::all()?
                        .iter()
                        .map(targets::Target::platform)
                        .collect(),
                )
            } else {
                None
            };
            let done = dist::checksums(&release, &out, &signer, expected.as_deref())?;
            println!("{}", done.sums.display());
            println!("{}", done.signature.display());
            eprintln!(
                "{} platform(s) signed by {}; public key in {}",
                done.platforms.len(),
                signer.describe(),
                done.public_key.display()
            );
        }
        Cmd::Install {
            binary,
            plugins_dir,
        } => {
            let plugins = match plugins_dir {
                Some(dir) => dir,
                None => user_plugins_dir()?,
            };
            let installed = install(&release, &binary, &plugins)
                .with_context(|| format!("installing into {}", plugins.display()))?;
            println!("{}", installed.display());
            eprintln!(
                "installed {} {}: `terraform init` with source = \"{}/{}\" now finds it offline.\n\
                 A rebuild at the same version changes its checksum: delete the provider's entry in\n\
                 .terraform.lock.hcl (or bump the version) before the next `terraform init`.",
                release.program(),
                release.version,
                release.provider.namespace,
                release.provider.type_name
            );
        }
    }
    Ok(())
}
