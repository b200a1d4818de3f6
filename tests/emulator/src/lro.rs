//! Long-running operations (ARM async pattern). An operation is created by a write that cannot
//! finish synchronously; the 201/202 response carries `Azure-AsyncOperation`, `Location` and
//! `Retry-After`. The operation completes after `Config::lro` polls or duration (whichever comes
//! first), unless a fault made it slow or stuck (`Finish`); completion is applied to the
//! resource by the owning RP module. Monitor URLs live
//! under `/subscriptions/{s}/providers/{ns}/locations/{loc}/operationStatuses|operationResults/{id}`
//! so any RP module can reuse `monitor`.

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::config::Config;
use crate::errors::ArmError;
use crate::faults::{LroShape, RequestKind};
use crate::fnv;
use crate::reply::Reply;
use crate::router::Req;
use crate::state::{lock, State, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    LicenseProfileWrite,
    LicenseProfileDelete,
    VirtualMachineUpdate,
    AssessPatches,
    InstallPatches,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpStatus {
    InProgress,
    Succeeded,
    Failed,
}

impl OpStatus {
    fn as_str(self) -> &'static str {
        match self {
            OpStatus::InProgress => "InProgress",
            OpStatus::Succeeded => "Succeeded",
            OpStatus::Failed => "Failed",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Operation {
    pub id: String,
    pub namespace: &'static str,
    pub location: String,
    /// Store key of the resource the operation acts on.
    pub resource_key: String,
    pub kind: OpKind,
    pub start_time: OffsetDateTime,
    pub started: Instant,
    pub polls: u32,
    pub status: OpStatus,
    pub end_time: Option<OffsetDateTime>,
    pub error: Option<Value>,
    /// Set by fault injection: the operation ends `Failed` with this message.
    pub fail_message: Option<String>,
    pub finish: Finish,
}

/// When an operation finishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finish {
    /// After `Config::lro` polls or duration, whichever comes first.
    Configured,
    /// After this long, however often it is polled (a slow operation).
    After(Duration),
    /// Not until released (`release_stuck`).
    Never,
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Registers a new operation started by `req`; applies a matching injected LRO fault.
pub(crate) fn start(
    state: &State,
    store: &mut Store,
    req: &Req,
    namespace: &'static str,
    location: &str,
    resource_key: &str,
    kind: OpKind,
) -> String {
    // Derived from the resource and how many operations it had, not random: monitor URLs are
    // then the same in every run, which keeps seeded chaos on polls reproducible.
    let earlier = store
        .operations
        .values()
        .filter(|o| o.resource_key == resource_key)
        .count();
    let id = fnv::guid(&format!("{resource_key}/{kind:?}/{earlier}"));
    let method = req.method.as_str();
    let shape = lock(&state.faults).lro_shape(
        method,
        &req.path,
        RequestKind::of(method, &req.path),
        req.chaos,
    );
    let (fail_message, finish) = match shape {
        None => (None, Finish::Configured),
        Some(LroShape::Fail(m)) => (Some(m), Finish::Configured),
        Some(LroShape::Slow(d)) => (None, Finish::After(d)),
        Some(LroShape::Never) => (None, Finish::Never),
    };
    store.operations.insert(
        id.clone(),
        Operation {
            id: id.clone(),
            namespace,
            location: location.to_string(),
            resource_key: resource_key.to_string(),
            kind,
            start_time: OffsetDateTime::now_utc(),
            started: Instant::now(),
            polls: 0,
            status: OpStatus::InProgress,
            end_time: None,
            error: None,
            fail_message,
            finish,
        },
    );
    id
}

/// Lets every never-finishing operation finish on its configured timing; returns how many.
pub(crate) fn release_stuck(store: &mut Store) -> usize {
    let mut n = 0;
    for op in store.operations.values_mut() {
        if op.status == OpStatus::InProgress && op.finish == Finish::Never {
            op.finish = Finish::Configured;
            n += 1;
        }
    }
    n
}

/// Adds the three LRO headers to a 201/202 reply.
pub(crate) fn with_headers(state: &State, reply: Reply, store: &Store, op_id: &str) -> Reply {
    let Some(op) = store.operations.get(op_id) else {
        return reply;
    };
    let base = format!(
        "{}/subscriptions/{}/providers/{}/locations/{}",
        state.base_url, state.config.subscription_id, op.namespace, op.location
    );
    let api = api_version_for(state, op.namespace);
    reply
        .header(
            "Azure-AsyncOperation",
            format!("{base}/operationStatuses/{op_id}?api-version={api}"),
        )
        .header(
            "Location",
            format!("{base}/operationResults/{op_id}?api-version={api}"),
        )
        .header("Retry-After", state.config.lro_retry_after_secs.to_string())
}

fn api_version_for(state: &State, namespace: &str) -> &'static str {
    state
        .providers
        .iter()
        .find(|p| p.namespace() == namespace)
        .and_then(|p| p.api_versions().first().copied())
        .unwrap_or("2025-01-13")
}

/// The in-progress operation acting on `resource_key`, if any.
pub(crate) fn active_for(store: &Store, resource_key: &str) -> Option<String> {
    store
        .operations
        .values()
        .find(|o| o.resource_key == resource_key && o.status == OpStatus::InProgress)
        .map(|o| o.id.clone())
}

/// Counts one observation of an operation (a monitor GET or a GET of the resource).
pub(crate) fn observe(store: &mut Store, op_id: &str) {
    if let Some(op) = store.operations.get_mut(op_id) {
        op.polls = op.polls.saturating_add(1);
    }
}

/// Completes operations whose poll count or duration is reached.
pub(crate) fn tick(store: &mut Store, config: &Config) {
    let due: Vec<String> = store
        .operations
        .values()
        .filter(|o| {
            o.status == OpStatus::InProgress
                && match o.finish {
                    Finish::Configured => {
                        o.polls >= config.lro.polls || o.started.elapsed() >= config.lro.duration
                    }
                    Finish::After(d) => o.started.elapsed() >= d,
                    Finish::Never => false,
                }
        })
        .map(|o| o.id.clone())
        .collect();
    for id in due {
        let Some(op) = store.operations.get(&id).cloned() else {
            continue;
        };
        let outcome = match op.kind {
            OpKind::VirtualMachineUpdate => crate::compute::virtual_machines::complete(store, &op),
            OpKind::AssessPatches | OpKind::InstallPatches => {
                crate::hybridcompute::patches::complete(store, &op)
            }
            _ => crate::hybridcompute::license_profiles::complete(store, &op),
        };
        if let Some(op) = store.operations.get_mut(&id) {
            op.end_time = Some(OffsetDateTime::now_utc());
            match outcome {
                Ok(()) => op.status = OpStatus::Succeeded,
                Err(error) => {
                    op.status = OpStatus::Failed;
                    op.error = Some(error);
                }
            }
        }
    }
}

/// Serves `operationStatuses/{id}` (Azure-AsyncOperation) and `operationResults/{id}`
/// (Location). `rest` is the path after the namespace, lower-cased.
pub(crate) fn monitor(
    state: &State,
    store: &mut Store,
    rest: &[String],
    original: &[String],
) -> Reply {
    let (kind, id) = match rest {
        [l, _loc, k, _id] if l == "locations" => (k.as_str(), original[3].as_str()),
        _ => return ArmError::no_route("GET", "operation monitor").into(),
    };
    let Some(op_id) = store
        .operations
        .keys()
        .find(|k| k.eq_ignore_ascii_case(id))
        .cloned()
    else {
        return ArmError::new(
            StatusCode::NOT_FOUND,
            "OperationNotFound",
            format!("The operation '{id}' could not be found."),
        )
        .into();
    };
    observe(store, &op_id);
    store.tick(&state.config);
    let Some(op) = store.operations.get(&op_id).cloned() else {
        return ArmError::new(StatusCode::NOT_FOUND, "OperationNotFound", "gone").into();
    };
    let retry = state.config.lro_retry_after_secs.to_string();
    if kind == "operationstatuses" {
        let mut body = json!({
            "id": format!(
                "/subscriptions/{}/providers/{}/locations/{}/operationStatuses/{}",
                state.config.subscription_id, op.namespace, op.location, op.id
            ),
            "name": op.id,
            "status": op.status.as_str(),
            "startTime": rfc3339(op.start_time),
        });
        if let Some(end) = op.end_time {
            body["endTime"] = json!(rfc3339(end));
            body["percentComplete"] = json!(100.0);
        }
        if let Some(e) = &op.error {
            body["error"] = e.clone();
        }
        let reply = Reply::ok(body);
        return if op.status == OpStatus::InProgress {
            reply.header("Retry-After", retry)
        } else {
            reply
        };
    }
    if kind != "operationresults" {
        return ArmError::no_route("GET", "operation monitor").into();
    }
    match op.status {
        OpStatus::InProgress => {
            with_headers(state, Reply::empty(StatusCode::ACCEPTED), store, &op.id)
        }
        OpStatus::Failed => {
            let error = op
                .error
                .clone()
                .unwrap_or_else(|| json!({"code": "Failed", "message": "The operation failed."}));
            Reply::json(StatusCode::BAD_REQUEST, json!({ "error": error }))
        }
        OpStatus::Succeeded => match op.kind {
            OpKind::LicenseProfileDelete => Reply::empty(StatusCode::NO_CONTENT),
            OpKind::AssessPatches | OpKind::InstallPatches => {
                match crate::hybridcompute::patches::result(store, &op) {
                    Some(body) => Reply::ok(body),
                    None => Reply::empty(StatusCode::NO_CONTENT),
                }
            }
            OpKind::VirtualMachineUpdate => {
                match crate::compute::virtual_machines::render_by_key(
                    state,
                    store,
                    &op.resource_key,
                ) {
                    Some(body) => Reply::ok(body),
                    None => Reply::empty(StatusCode::NO_CONTENT),
                }
            }
            OpKind::LicenseProfileWrite => {
                match crate::hybridcompute::license_profiles::render_by_key(
                    state,
                    store,
                    &op.resource_key,
                ) {
                    Some(body) => Reply::ok(body),
                    None => Reply::empty(StatusCode::NO_CONTENT),
                }
            }
        },
    }
}
