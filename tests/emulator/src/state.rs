//! Shared emulator state: the resource store (behind one mutex, never held across an await),
//! the request log, the write ledger, and the per-instance services (specs, faults, throttle,
//! tokens). Lock order where two are held: the store first, then faults or throttle.
//! Asynchronous behaviour (LROs, hotpatch evaluation) is advanced lazily by `Store::tick`
//! whenever a request arrives, so no background task is needed and tests stay deterministic.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::faults::FaultRules;
use crate::hybridcompute::{self, LicenseProfile, Machine};
use crate::ledger::Ledger;
use crate::lro::Operation;
use crate::router::ResourceProvider;
use crate::seed;
use crate::throttle::Buckets;
use crate::validate::SpecSet;

/// One request as the emulator saw it (the `Authorization` header is left out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    /// Raw query string without the leading `?`.
    pub query: String,
    /// The status answered; 0 when the connection was reset without an answer.
    pub status: u16,
    /// The injected fault that decided the answer (`rule:...` or `chaos:...`), if any.
    #[serde(default)]
    pub fault: Option<String>,
    /// Request body as text (secrets in token requests are redacted).
    pub body: String,
    pub headers: BTreeMap<String, String>,
    /// RFC 3339 UTC time the request arrived.
    pub timestamp: String,
}

impl LoggedRequest {
    /// A query parameter's decoded value (name compared case-insensitively).
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.into_owned())
    }

    pub fn json_body(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

pub(crate) struct State {
    pub config: Config,
    pub base_url: String,
    pub specs: Option<SpecSet>,
    pub store: Mutex<Store>,
    pub log: Mutex<Vec<LoggedRequest>>,
    pub faults: Mutex<FaultRules>,
    pub throttle: Mutex<Buckets>,
    pub ledger: Mutex<Ledger>,
    /// Issued access tokens and when they expire.
    pub tokens: Mutex<HashMap<String, SystemTime>>,
    pub providers: Vec<Box<dyn ResourceProvider>>,
}

/// Locks a mutex, recovering from poisoning (a panicking test must not wedge the emulator).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
pub(crate) struct Store {
    /// lower-case name -> canonical name.
    pub resource_groups: BTreeMap<String, String>,
    /// Keyed by `machine_key`.
    pub machines: BTreeMap<String, Machine>,
    /// Keyed by the owning machine's key.
    pub license_profiles: BTreeMap<String, LicenseProfile>,
    /// Keyed by `compute::virtual_machines::vm_key`.
    pub virtual_machines: BTreeMap<String, crate::compute::VirtualMachine>,
    pub operations: BTreeMap<String, Operation>,
    /// Maintenance schedules and assignments.
    pub maintenance: crate::maintenance::MaintenanceStore,
    /// Patch assessments and installation runs of Arc machines.
    pub patches: crate::hybridcompute::patches::PatchStore,
    /// The Resource Graph per-user quota window.
    pub resource_graph_quota: crate::resourcegraph::QuotaWindow,
}

/// Store key of a machine: case-insensitive resource group + name.
pub(crate) fn machine_key(resource_group: &str, name: &str) -> String {
    format!("{}/{}", resource_group.to_lowercase(), name.to_lowercase())
}

impl Store {
    pub fn seeded(config: &Config) -> Self {
        let mut store = Store::default();
        store.resource_groups.insert(
            seed::RESOURCE_GROUP.to_lowercase(),
            seed::RESOURCE_GROUP.to_string(),
        );
        for (i, m) in seed::fleet(config.fleet_size).iter().enumerate() {
            hybridcompute::seed_machine(&mut store, config, m, i);
        }
        crate::compute::seed(&mut store);
        store
    }

    /// Advances every time-based asynchronous process.
    pub fn tick(&mut self, config: &Config) {
        crate::lro::tick(self, config);
        hybridcompute::machines::tick(self, config);
    }

    /// Finds a machine by name in any resource group (admin API / handle helpers).
    pub fn find_machine_key(&self, name: &str) -> Option<String> {
        self.machines
            .iter()
            .find(|(_, m)| m.name.eq_ignore_ascii_case(name))
            .map(|(k, _)| k.clone())
    }
}
