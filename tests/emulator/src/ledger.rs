//! The write ledger: every write the service accepted (PUT, PATCH, POST or DELETE answered
//! 2xx by the resource provider, including writes whose answer a fault then replaced), grouped
//! per object, with the request body and the object as a GET would have shown it just before
//! and just after the write.
//!
//! It answers the question the request log cannot answer without replaying ARM semantics:
//! "was any object written again after it already was what the client wanted?" A write that
//! left its object unchanged (`WriteRecord::changed` is false, `ObjectWrites::redundant`) is
//! such a redundant write; so is a write whose `before` already was the desired state, which
//! only the test knows.
//!
//! Objects are keyed by request path (case-insensitive); the reported `id` is the object's
//! own id when it has a body. POST actions (assessPatches, installPatches) are recorded under
//! their action path with no snapshots. Snapshots are taken right before and after the
//! handler without holding the store across it, so two concurrent writes to one object can
//! see each other's effect (the service itself serialises most of them with 409s).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::router::ArmPath;
use crate::state::{lock, State};

/// Records kept at most (a few KB each with their snapshots); later writes are not recorded
/// and a warning is logged once, so a long demo does not grow forever.
const MAX_RECORDS: usize = 20_000;

/// One accepted write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// Order of acceptance across all objects, from 1.
    pub seq: u64,
    pub method: String,
    pub path: String,
    /// The request body as JSON (a JSON string when it was not JSON; `None` when empty).
    pub body: Option<Value>,
    /// The status the resource provider answered (before any fault replaced it).
    pub status: u16,
    /// The fault that replaced the answer (`rule:...` / `chaos:...`), if any.
    pub fault: Option<String>,
    /// The object as a GET would have returned it before the write (`None`: absent).
    pub before: Option<Value>,
    /// The object right after the write (`None`: absent, e.g. deleted).
    pub after: Option<Value>,
    /// RFC 3339 UTC.
    pub timestamp: String,
}

impl WriteRecord {
    /// Whether the write changed the object (or created or deleted it).
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// The writes of one object, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectWrites {
    pub id: String,
    pub writes: Vec<WriteRecord>,
}

impl ObjectWrites {
    /// Object writes (PUT, PATCH, DELETE) that left the object exactly as it was: a rewrite of
    /// what is already there, or a delete of what is already gone. POST actions are not object
    /// writes and never count.
    pub fn redundant(&self) -> Vec<&WriteRecord> {
        self.writes
            .iter()
            .filter(|w| w.method != "POST" && !w.changed())
            .collect()
    }
}

#[derive(Default)]
pub(crate) struct Ledger {
    objects: BTreeMap<String, ObjectWrites>,
    seq: u64,
    records: usize,
    full: bool,
}

/// What the pipeline knows about an accepted write.
pub(crate) struct Accepted<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
    pub status: u16,
    pub fault: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub timestamp: String,
}

fn key(path: &str) -> String {
    path.trim_end_matches('/').to_lowercase()
}

fn body_json(body: &[u8]) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(
        serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned())),
    )
}

impl Ledger {
    pub fn record(&mut self, w: Accepted<'_>) {
        if self.records >= MAX_RECORDS {
            if !self.full {
                self.full = true;
                tracing::warn!(
                    "write ledger full ({MAX_RECORDS} writes); later writes are not recorded"
                );
            }
            return;
        }
        self.seq += 1;
        self.records += 1;
        let id = [&w.after, &w.before]
            .into_iter()
            .flatten()
            .find_map(|v| v.get("id").and_then(Value::as_str))
            .unwrap_or(w.path)
            .to_string();
        let entry = self
            .objects
            .entry(key(w.path))
            .or_insert_with(|| ObjectWrites {
                id: id.clone(),
                writes: Vec::new(),
            });
        entry.id = id;
        entry.writes.push(WriteRecord {
            seq: self.seq,
            method: w.method.to_string(),
            path: w.path.to_string(),
            body: body_json(w.body),
            status: w.status,
            fault: w.fault,
            before: w.before,
            after: w.after,
            timestamp: w.timestamp,
        });
    }

    pub fn objects(&self) -> Vec<ObjectWrites> {
        self.objects.values().cloned().collect()
    }

    /// The writes of the object with this id or path (case-insensitive).
    pub fn for_id(&self, id: &str) -> Vec<WriteRecord> {
        let k = key(id);
        self.objects
            .iter()
            .find(|(path, o)| **path == k || key(&o.id) == k)
            .map(|(_, o)| o.writes.clone())
            .unwrap_or_default()
    }

    pub fn clear(&mut self) {
        *self = Ledger::default();
    }
}

/// The object at `path` as a GET would return it, without a GET's side effects (no LRO
/// observation, no tick); `None` when absent or not a snapshottable resource.
pub(crate) fn snapshot(state: &State, path: &str) -> Option<Value> {
    let arm = ArmPath::parse(path)?;
    let rp = state
        .providers
        .iter()
        .find(|p| p.namespace().eq_ignore_ascii_case(&arm.namespace))?;
    let store = lock(&state.store);
    rp.snapshot(state, &store, &arm)
}
