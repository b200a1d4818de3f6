//! What `terraform apply -json` reported, resource by resource.
//!
//! The human output merges warnings with the same summary ("and 12 more similar warnings
//! elsewhere"), which hides which resources they were about; the machine-readable stream keeps
//! one `diagnostic` event per diagnostic, with the resource address, and one `apply_complete` /
//! `apply_errored` event per resource operation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// One diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: String,
    pub summary: String,
    pub detail: String,
    /// The resource instance it is about (`None`: not about one resource).
    pub address: Option<String>,
}

/// The events of one `apply -json` run.
#[derive(Debug, Default)]
pub struct ApplyEvents {
    /// Resource instances whose operation completed.
    pub completed: BTreeSet<String>,
    /// Resource instances whose operation failed.
    pub errored: BTreeSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ApplyEvents {
    /// Parses the stream (one JSON object a line); lines that are not JSON are ignored.
    pub fn parse(stdout: &str) -> Self {
        let mut out = ApplyEvents::default();
        for line in stdout.lines() {
            let Ok(event) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let address = || {
                event["hook"]["resource"]["addr"]
                    .as_str()
                    .map(str::to_string)
            };
            match event["type"].as_str() {
                Some("apply_complete") => out.completed.extend(address()),
                Some("apply_errored") => out.errored.extend(address()),
                Some("diagnostic") => {
                    let d = &event["diagnostic"];
                    let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
                    out.diagnostics.push(Diagnostic {
                        severity: text("severity"),
                        summary: text("summary"),
                        detail: text("detail"),
                        address: d["address"].as_str().map(str::to_string),
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// Addresses that got at least one diagnostic.
    pub fn diagnosed(&self) -> BTreeSet<&str> {
        self.diagnostics
            .iter()
            .filter_map(|d| d.address.as_deref())
            .collect()
    }

    /// How many diagnostics of `severity` there were, per summary (most frequent first).
    pub fn summaries(&self, severity: &str) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for d in self.diagnostics.iter().filter(|d| d.severity == severity) {
            *counts.entry(d.summary.as_str()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(s, n)| (s.to_string(), n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_errors_and_diagnostics_are_collected_per_resource() {
        let stream = r#"{"@level":"info","type":"version","terraform":"1.15.5"}
{"type":"apply_complete","hook":{"resource":{"addr":"hotpatch_enrollment.e[\"a\"]"},"action":"create"}}
{"type":"apply_errored","hook":{"resource":{"addr":"hotpatch_enrollment.e[\"b\"]"},"action":"create"}}
{"type":"diagnostic","diagnostic":{"severity":"warning","summary":"Lost","detail":"d","address":"hotpatch_enrollment.e[\"a\"]"}}
{"type":"diagnostic","diagnostic":{"severity":"error","summary":"Boom","detail":""}}
{"type":"diagnostic","diagnostic":{"severity":"warning","summary":"Lost","detail":"d","address":"hotpatch_dynamic_scope.d"}}
not json"#;
        let e = ApplyEvents::parse(stream);
        assert_eq!(
            e.completed.iter().collect::<Vec<_>>(),
            vec!["hotpatch_enrollment.e[\"a\"]"]
        );
        assert_eq!(e.errored.len(), 1);
        assert_eq!(e.diagnostics.len(), 3);
        assert_eq!(e.diagnosed().len(), 2);
        assert_eq!(e.summaries("warning"), vec![("Lost".to_string(), 2)]);
        assert_eq!(e.summaries("error"), vec![("Boom".to_string(), 1)]);
    }
}
