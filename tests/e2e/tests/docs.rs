//! Docs and examples checked against the live schema.
//!
//! The schema comes from the built provider through `terraform providers schema -json`, so a
//! new resource, data source, action or list resource is covered as soon as the provider
//! registers it: its page must exist in the terraform-plugin-docs layout (PROTOCOL.md 6.3),
//! its example must exist, and the page's `## Schema` bullets must match the schema exactly,
//! in both directions and in the right Required / Optional / Read-Only section. Every example
//! folder must also pass `terraform validate` against the same binary (no `init`: dev_overrides).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hotpatch_e2e::paths::repo_root;
use hotpatch_e2e::terraform::Terraform;
use serde_json::Value;

const PROVIDER_SOURCE: &str = "registry.terraform.io/seedlabs/hotpatch";
const PREFIX: &str = "hotpatch_";
const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    hotpatch = {
      source = "seedlabs/hotpatch"
    }
  }
}
"#;

/// One kind of schema object and where tfplugindocs expects its page and example.
struct Kind {
    /// Key in `terraform providers schema -json`.
    schema_key: &'static str,
    /// `docs/<docs_dir>/<name without prefix>.md`.
    docs_dir: &'static str,
    /// `examples/<examples_dir>/<full name>/<example_file>`.
    examples_dir: &'static str,
    example_file: &'static str,
    /// Whether the object has an attribute schema (functions have parameters instead).
    has_block: bool,
}

const KINDS: &[Kind] = &[
    Kind {
        schema_key: "resource_schemas",
        docs_dir: "resources",
        examples_dir: "resources",
        example_file: "resource.tf",
        has_block: true,
    },
    Kind {
        schema_key: "data_source_schemas",
        docs_dir: "data-sources",
        examples_dir: "data-sources",
        example_file: "data-source.tf",
        has_block: true,
    },
    Kind {
        schema_key: "ephemeral_resource_schemas",
        docs_dir: "ephemeral-resources",
        examples_dir: "ephemeral-resources",
        example_file: "ephemeral-resource.tf",
        has_block: true,
    },
    Kind {
        schema_key: "action_schemas",
        docs_dir: "actions",
        examples_dir: "actions",
        example_file: "action.tf",
        has_block: true,
    },
    Kind {
        schema_key: "list_resource_schemas",
        docs_dir: "list-resources",
        examples_dir: "list-resources",
        example_file: "list-resource.tfquery.hcl",
        has_block: true,
    },
    Kind {
        schema_key: "functions",
        docs_dir: "functions",
        examples_dir: "functions",
        example_file: "function.tf",
        has_block: false,
    },
];

/// Keys of the provider's schema object that need no page of their own.
const NO_PAGE_KEYS: &[&str] = &["provider", "resource_identity_schemas"];

/// Files that sit beside a resource example and are embedded in its `## Import` section.
const IMPORT_EXAMPLES: &[&str] = &[
    "import.sh",
    "import-by-string-id.tf",
    "import-by-identity.tf",
];

fn live_schema() -> Value {
    let tf = Terraform::new(vec![]);
    tf.write_config(REQUIRED_PROVIDERS);
    let out = tf.run(&["providers", "schema", "-json"]).success();
    let all: Value = serde_json::from_str(&out.stdout).expect("providers schema -json is JSON");
    all["provider_schemas"][PROVIDER_SOURCE].clone()
}

/// The block of a schema entry: `{"block": ...}` or `{"schema": {"block": ...}}`.
fn block_of(entry: &Value) -> &Value {
    if entry.get("block").is_some() {
        &entry["block"]
    } else {
        &entry["schema"]["block"]
    }
}

fn flag(v: &Value, name: &str) -> bool {
    v[name].as_bool().unwrap_or(false)
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

/// scope ("" = top level, else the nested path) → attribute name → section.
type SchemaSections = BTreeMap<String, BTreeMap<String, String>>;

fn attribute_section(a: &Value) -> &'static str {
    if flag(a, "required") {
        "Required"
    } else if flag(a, "optional") {
        "Optional"
    } else {
        "Read-Only"
    }
}

fn all_computed(block: &Value) -> bool {
    let attrs_computed = block["attributes"].as_object().is_none_or(|attrs| {
        attrs
            .values()
            .all(|a| !flag(a, "required") && !flag(a, "optional"))
    });
    let blocks_computed = block["block_types"]
        .as_object()
        .is_none_or(|bts| bts.values().all(|bt| all_computed(&bt["block"])));
    attrs_computed && blocks_computed
}

/// What the page must list, derived from a schema block (nested attributes and blocks too).
fn expected_sections(block: &Value, scope: &str, out: &mut SchemaSections) {
    let here = out.entry(scope.to_owned()).or_default();
    let mut nested = Vec::new();
    if let Some(attrs) = block["attributes"].as_object() {
        for (name, a) in attrs {
            here.insert(name.clone(), attribute_section(a).to_owned());
            if a.get("nested_type").is_some() {
                nested.push((join(scope, name), a["nested_type"].clone()));
            }
        }
    }
    if let Some(bts) = block["block_types"].as_object() {
        for (name, bt) in bts {
            let section = if bt["min_items"].as_u64().unwrap_or(0) > 0 {
                "Required"
            } else if all_computed(&bt["block"]) {
                "Read-Only"
            } else {
                "Optional"
            };
            here.insert(name.clone(), section.to_owned());
            nested.push((join(scope, name), bt["block"].clone()));
        }
    }
    for (path, inner) in nested {
        expected_sections(&inner, &path, out);
    }
}

/// The `- \`name\` (` bullets of a page's `## Schema` section: scope → (name, section) list.
/// Top-level sections are `### Required` etc.; nested ones follow `### Nested Schema for
/// \`path\`` as `Required:` etc. lines, as tfplugindocs writes them.
fn documented_sections(
    doc: &str,
    problems: &mut Vec<String>,
) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut in_schema = false;
    let mut seen_schema = false;
    let mut in_fence = false;
    let mut scope = String::new();
    let mut section: Option<String> = None;
    for line in doc.lines() {
        let line = line.trim_end();
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if line.starts_with("## ") {
            in_schema = line == "## Schema";
            seen_schema |= in_schema;
            scope.clear();
            section = None;
            continue;
        }
        if !in_schema {
            continue;
        }
        if let Some(rest) = line.strip_prefix("### Nested Schema for `") {
            scope = rest.split('`').next().unwrap_or_default().to_owned();
            section = None;
        } else if let Some(heading) = line.strip_prefix("### ") {
            scope.clear();
            section = Some(heading.trim().to_owned());
        } else if let Some(heading) = ["Required:", "Optional:", "Read-Only:"]
            .into_iter()
            .find(|h| line == *h)
        {
            section = Some(heading.trim_end_matches(':').to_owned());
        } else if let Some(rest) = line.strip_prefix("- `") {
            let Some((name, tail)) = rest.split_once('`') else {
                problems.push(format!("malformed schema bullet {line:?}"));
                continue;
            };
            if !tail.starts_with(" (") {
                problems.push(format!(
                    "schema bullet {line:?} lacks the \" (Type)\" after the name"
                ));
            }
            match &section {
                Some(s) => out
                    .entry(scope.clone())
                    .or_default()
                    .push((name.to_owned(), s.clone())),
                None => problems.push(format!("schema bullet `{name}` outside any section")),
            }
        }
    }
    if !seen_schema {
        problems.push("no `## Schema` section".to_owned());
    }
    out
}

/// Every mismatch between a page's Schema section and the live schema block.
fn schema_mismatches(doc: &str, block: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let documented = documented_sections(doc, &mut problems);
    let mut expected = SchemaSections::new();
    expected_sections(block, "", &mut expected);
    let scopes: BTreeSet<&String> = expected.keys().chain(documented.keys()).collect();
    let empty_expected = BTreeMap::new();
    let empty_documented = Vec::new();
    for scope in scopes {
        let want = expected.get(scope).unwrap_or(&empty_expected);
        let have = documented.get(scope).unwrap_or(&empty_documented);
        let at = if scope.is_empty() {
            String::new()
        } else {
            format!(" (nested schema `{scope}`)")
        };
        let mut have_by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, section) in have {
            have_by_name.entry(name).or_default().push(section);
        }
        for (name, section) in want {
            match have_by_name.get(name.as_str()).map(Vec::as_slice) {
                None | Some([]) => problems.push(format!(
                    "`{name}`{at} is in the schema ({section}) but not documented"
                )),
                Some([got]) if *got == section => {}
                Some([got]) => problems.push(format!(
                    "`{name}`{at} is documented under {got} but the schema makes it {section}"
                )),
                Some(many) => problems.push(format!(
                    "`{name}`{at} is documented {} times (under {})",
                    many.len(),
                    many.join(", ")
                )),
            }
        }
        for (name, sections) in &have_by_name {
            if !want.contains_key(*name) {
                problems.push(format!(
                    "`{name}`{at} is documented under {} but is not in the schema (stale?)",
                    sections.join(", ")
                ));
            }
        }
        for (_, section) in have {
            if !["Required", "Optional", "Read-Only"].contains(&section.as_str()) {
                problems.push(format!("unknown schema section {section:?}{at}"));
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn rel(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Checks one page against its block, pushing `<page>: <problem>` lines.
fn check_page(page: &Path, block: Option<&Value>, problems: &mut Vec<String>) -> Option<String> {
    let Some(doc) = read(page) else {
        problems.push(format!("{}: missing", rel(page)));
        return None;
    };
    if let Some(block) = block {
        for p in schema_mismatches(&doc, block) {
            problems.push(format!("{}: {p}", rel(page)));
        }
    }
    Some(doc)
}

/// Checks that an example exists and, when `doc` is given, that the page embeds it verbatim.
fn check_example(example: &Path, doc: Option<&str>, problems: &mut Vec<String>) {
    let Some(text) = read(example) else {
        problems.push(format!("{}: missing", rel(example)));
        return;
    };
    if let Some(doc) = doc {
        if !doc.contains(text.trim()) {
            problems.push(format!(
                "{}: not embedded verbatim in its page (stale example in the docs?)",
                rel(example)
            ));
        }
    }
}

#[test]
fn docs_and_examples_match_the_live_schema() {
    let schema = live_schema();
    let root = repo_root();
    let docs = root.join("docs");
    let examples = root.join("examples");
    let mut problems = Vec::new();
    let mut checked = Vec::new();

    let provider = &schema["provider"];
    assert!(
        provider.is_object(),
        "no provider schema for {PROVIDER_SOURCE}:\n{schema:#}"
    );
    check_page(
        &docs.join("index.md"),
        Some(block_of(provider)),
        &mut problems,
    );
    check_example(&examples.join("provider/provider.tf"), None, &mut problems);
    checked.push("provider".to_owned());

    let known: Vec<&str> = KINDS
        .iter()
        .map(|k| k.schema_key)
        .chain(NO_PAGE_KEYS.iter().copied())
        .collect();
    for (key, value) in schema.as_object().expect("provider schema object") {
        let empty = value.as_object().is_some_and(|m| m.is_empty());
        if !known.contains(&key.as_str()) && !empty {
            problems.push(format!(
                "schema key {key:?} has objects but this test knows no docs layout for it"
            ));
        }
    }

    for kind in KINDS {
        let Some(objects) = schema[kind.schema_key].as_object() else {
            continue;
        };
        for (full_name, entry) in objects {
            let short = full_name.strip_prefix(PREFIX).unwrap_or(full_name);
            let page = docs.join(kind.docs_dir).join(format!("{short}.md"));
            let block = kind.has_block.then(|| block_of(entry));
            let doc = check_page(&page, block, &mut problems);
            let folder = examples.join(kind.examples_dir).join(full_name);
            check_example(
                &folder.join(kind.example_file),
                doc.as_deref(),
                &mut problems,
            );
            for import in IMPORT_EXAMPLES {
                let file = folder.join(import);
                if file.exists() {
                    check_example(&file, doc.as_deref(), &mut problems);
                }
            }
            checked.push(full_name.clone());
        }
    }

    assert!(
        problems.is_empty(),
        "docs/examples disagree with the live schema ({} problems; checked {}):\n  {}",
        problems.len(),
        checked.join(", "),
        problems.join("\n  ")
    );
    assert!(
        checked.iter().any(|c| c == "hotpatch_enrollment"),
        "the live schema lost hotpatch_enrollment: checked only {checked:?}"
    );
}

/// Folders under `dir` (recursively, `dir` included) that hold Terraform files directly.
fn example_folders(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    if entries.iter().any(|p| is_terraform_file(p)) {
        out.push(dir.to_owned());
    }
    for p in entries.iter().filter(|p| p.is_dir()) {
        example_folders(p, out);
    }
}

fn is_terraform_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    p.is_file() && (name.ends_with(".tf") || name.ends_with(".tfquery.hcl"))
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read example folder") {
        let path = entry.expect("dir entry").path();
        let target = to.join(path.file_name().expect("file name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("create dir");
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy example file");
        }
    }
}

#[test]
fn every_example_folder_validates() {
    let examples = repo_root().join("examples");
    let mut folders = Vec::new();
    example_folders(&examples, &mut folders);
    assert!(
        folders.iter().any(|f| f.ends_with("hotpatch_enrollment")),
        "no example folders found under {}: {folders:?}",
        examples.display()
    );
    let mut failures = Vec::new();
    for folder in &folders {
        let tf = Terraform::new(vec![]);
        copy_dir(folder, tf.dir());
        let sources: String = std::fs::read_dir(folder)
            .expect("read example folder")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| is_terraform_file(p))
            .filter_map(|p| read(&p))
            .collect::<Vec<_>>()
            .join("\n");
        if !sources.contains("required_providers") {
            tf.write_file("zz_required_providers.tf", REQUIRED_PROVIDERS);
        }
        // Modules (and backends) must be installed before validate; with dev_overrides an
        // `init` before any state exists is fine (PROTOCOL.md 6.2). Plain examples need none.
        if sources.contains("module \"") || sources.contains("backend \"") {
            let init = tf.run(&["init", "-backend=false", "-input=false", "-no-color"]);
            if init.code != 0 {
                failures.push(format!("{}: init failed\n{}", rel(folder), init.combined()));
                continue;
            }
        }
        let mut args = vec!["validate", "-no-color"];
        if folder_has_query_files(folder) {
            args.push("-query");
        }
        let out = tf.run(&args);
        if out.code != 0 {
            failures.push(format!("{}:\n{}", rel(folder), out.combined()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} example folders fail `terraform validate`:\n{}",
        failures.len(),
        folders.len(),
        failures.join("\n\n")
    );
}

fn folder_has_query_files(folder: &Path) -> bool {
    std::fs::read_dir(folder)
        .map(|entries| {
            entries.flatten().any(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.ends_with(".tfquery.hcl"))
            })
        })
        .unwrap_or(false)
}

/// The ```terraform blocks of a guide, in order.
fn terraform_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```terraform") | (None, "```hcl") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// A guide is a walkthrough users copy from: its Terraform blocks, taken together, must be a
/// valid configuration against the live schema.
#[test]
fn every_guide_validates() {
    let guides = repo_root().join("docs/guides");
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&guides).expect("docs/guides exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let blocks = terraform_blocks(&read(&path).expect("read guide"));
        if blocks.is_empty() {
            continue;
        }
        checked += 1;
        let tf = Terraform::new(vec![]);
        tf.write_config(&blocks.join("\n"));
        tf.write_file("zz_required_providers.tf", REQUIRED_PROVIDERS);
        let out = tf.run(&["validate", "-no-color"]);
        if out.code != 0 {
            failures.push(format!("{}:\n{}", rel(&path), out.combined()));
        }
    }
    assert!(
        checked > 0,
        "no guide with Terraform blocks under {}",
        guides.display()
    );
    assert!(
        failures.is_empty(),
        "guides fail `terraform validate`:\n{}",
        failures.join("\n\n")
    );
}
