//! `.github/workflows/release.yml` cannot run here, so this test holds it to what `make
//! release` does: its matrix is `tests/tools/release/targets.json` (the list the packager names zips from)
//! with no platform spelled in the workflow itself, each job packs the binary cargo builds for
//! its target with the release tool, and the files it publishes are exactly the registry's
//! artifacts as `names` spells them.

use std::path::PathBuf;

use hotpatch_release::names::{Release, PUBLIC_KEY_FILE};
use hotpatch_release::signing::{KEY_ID_VAR, PASSPHRASE_VAR};
use hotpatch_release::targets;

fn workflow() -> String {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../.github/workflows/release.yml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The one line of the workflow containing `needle`.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one line with {needle:?}: {lines:?}"
    );
    lines[0].trim()
}

/// A GitHub expression `${{ ... }}`.
fn expr(inner: &str) -> String {
    format!("${{{{ {inner} }}}}")
}

#[test]
fn the_matrix_is_release_targets_json_and_nothing_else() {
    let wf = workflow();
    assert_eq!(
        line_with(&wf, "tests/tools/release/targets.json)"),
        r#"run: echo "targets=$(jq -c .targets tests/tools/release/targets.json)" >> "$GITHUB_OUTPUT""#
    );
    assert_eq!(
        line_with(&wf, "include:"),
        format!("include: {}", expr("fromJSON(needs.plan.outputs.targets)"))
    );
    assert_eq!(
        line_with(&wf, "matrix.runner"),
        format!("runs-on: {}", expr("matrix.runner"))
    );
    for t in targets::all().unwrap() {
        for spelled in [t.target.clone(), t.platform().to_string()] {
            let literal = wf
                .lines()
                .find(|l| l.contains(&spelled) && !l.trim_start().starts_with('#'));
            assert!(
                literal.is_none(),
                "{spelled} is spelled in the workflow: {literal:?}"
            );
        }
    }
}

#[test]
fn each_job_packs_the_binary_cargo_builds_for_its_target() {
    let wf = workflow();
    let release = Release::current();
    let program = release.program();
    let build = line_with(&wf, "cargo build --release");
    assert!(
        build.contains(&format!("--target {}", expr("matrix.target")))
            && build.contains(&format!("-p {program} "))
            && build.contains(&format!("--bin {program}"))
            && build.contains("--locked"),
        "{build}"
    );
    let package = line_with(&wf, "-- package");
    let binary = format!(
        "target/{}/release/{program}{}",
        expr("matrix.target"),
        expr("matrix.os == 'windows' && '.exe' || ''")
    );
    assert!(
        package.contains(&format!("--target {} ", expr("matrix.target")))
            && package.contains(&format!("--binary \"{binary}\""))
            && package.contains("--out dist"),
        "{package}"
    );
    // The expression's suffix rule is the packager's: `.exe` exactly for Windows.
    for t in targets::all().unwrap() {
        let suffix = if t.os == "windows" { ".exe" } else { "" };
        assert_eq!(t.platform().executable_suffix(), suffix, "{t:?}");
    }
    assert_eq!(line_with(&wf, "path: dist/*.zip"), "path: dist/*.zip");
    assert_eq!(
        line_with(&wf, "name: zip-"),
        format!("name: zip-{}_{}", expr("matrix.os"), expr("matrix.arch"))
    );
    assert_eq!(line_with(&wf, "pattern: zip-"), "pattern: zip-*");
}

#[test]
fn publishing_signs_every_platform_and_uploads_exactly_the_registry_artifacts() {
    let wf = workflow();
    assert!(
        line_with(&wf, "-- checksums").ends_with("checksums --out dist --complete"),
        "every platform of targets.json required, and a real key"
    );
    assert!(wf.contains(&format!("{KEY_ID_VAR}: {}", expr("secrets.GPG_KEY_ID"))));
    assert!(wf.contains(&format!(
        "{PASSPHRASE_VAR}: {}",
        expr("secrets.GPG_PASSPHRASE")
    )));

    let release = Release::current();
    let upload = line_with(&wf, "gh release create");
    let glob = upload.rsplit(' ').next().unwrap();
    assert_eq!(
        glob,
        format!("dist/{}_${{VERSION}}_*", release.program()),
        "{upload}"
    );
    let mut artifacts: Vec<String> = targets::all()
        .unwrap()
        .iter()
        .map(|t| release.zip_name(&t.platform()))
        .collect();
    artifacts.extend([
        release.sums_name(),
        release.signature_name(),
        release.manifest_name(),
    ]);
    let published_prefix = format!("{}_{}_", release.program(), release.version);
    for name in &artifacts {
        assert!(name.starts_with(&published_prefix), "{name} is published");
    }
    assert!(
        !PUBLIC_KEY_FILE.starts_with(&published_prefix),
        "the key file is not a release asset"
    );
    assert_eq!(
        line_with(&wf, "VERSION: "),
        format!("VERSION: {}", expr("needs.plan.outputs.version"))
    );
    // The version the tag must carry is the provider's (the workspace's), which every
    // artifact is named with.
    assert!(wf.contains(&format!(
        r#"select(.name == "{}") | .version"#,
        release.program()
    )));
    assert!(wf.contains(r#"if [ "v$version" != "$GITHUB_REF_NAME" ]; then"#));
}
