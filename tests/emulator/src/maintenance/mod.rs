//! Microsoft.Maintenance, api-version 2023-04-01 (CONTRACT §4): Update Manager schedules
//! (`maintenanceConfigurations`) with the service's own validation and read-back spelling
//! quirks, and `configurationAssignments` under machines, VMs, subscriptions and resource
//! groups. Every operation is synchronous. A schedule does nothing by itself in the emulator;
//! `firing` runs it on demand (admin API), applying its assignments and dynamic scopes.

pub(crate) mod assignments;
pub(crate) mod configurations;
pub(crate) mod firing;
pub(crate) mod out_of_band;
pub(crate) mod rules;
pub(crate) mod scope_filter;

use std::collections::BTreeMap;

use http::Method;
use serde_json::Value;

use crate::errors::ArmError;
use crate::reply::Reply;
use crate::router::{ArmPath, Req, ResourceProvider};
use crate::state::{lock, State, Store};

pub(crate) const NAMESPACE: &str = "Microsoft.Maintenance";
pub(crate) const API_VERSION: &str = "2023-04-01";

/// Schedules and assignments.
#[derive(Default)]
pub(crate) struct MaintenanceStore {
    /// Keyed by `configurations::key`.
    pub configurations: BTreeMap<String, configurations::Configuration>,
    /// Keyed by `assignments::key`.
    pub assignments: BTreeMap<String, assignments::Assignment>,
}

pub(crate) struct Maintenance;

impl ResourceProvider for Maintenance {
    fn namespace(&self) -> &'static str {
        NAMESPACE
    }

    fn api_versions(&self) -> &'static [&'static str] {
        &[API_VERSION]
    }

    fn handle(&self, state: &State, req: &Req, path: &ArmPath) -> Reply {
        let rest = path.rest_lower();
        let rest_ref: Vec<&str> = rest.iter().map(String::as_str).collect();
        let mut store = lock(&state.store);
        store.tick(&state.config);
        if path.subscription.is_none() {
            return ArmError::no_route(req.method.as_str(), &req.path).into();
        }
        let rg = path.resource_group.as_deref();
        let top = path.parent.is_empty();
        let m = &req.method;
        match (rest_ref.as_slice(), rg, top) {
            (["maintenanceconfigurations"], _, true) if m == Method::GET => {
                configurations::list(state, &store.maintenance, rg)
            }
            (["maintenanceconfigurations", _], Some(rg), true) => {
                let name = &path.rest[1];
                let ms = &mut store.maintenance;
                match *m {
                    Method::GET => configurations::get(state, ms, rg, name),
                    Method::PUT => configurations::put(state, ms, req, rg, name),
                    Method::PATCH => configurations::patch(state, ms, req, rg, name),
                    Method::DELETE => configurations::delete(state, ms, rg, name),
                    _ => ArmError::method_not_allowed(m.as_str()).into(),
                }
            }
            (["configurationassignments"], _, _) if m == Method::GET => {
                assignments::list(&store.maintenance, path)
            }
            (["configurationassignments", _], _, _) => {
                let name = path.rest[1].clone();
                assignments::one(state, &mut store, req, path, &name)
            }
            _ => ArmError::no_route(req.method.as_str(), &req.path).into(),
        }
    }

    fn snapshot(&self, state: &State, store: &Store, path: &ArmPath) -> Option<Value> {
        let ms = &store.maintenance;
        match (path.rest_lower().as_slice(), path.resource_group.as_deref()) {
            ([t, _], Some(rg)) if t == "maintenanceconfigurations" && path.parent.is_empty() => ms
                .configurations
                .get(&configurations::key(rg, &path.rest[1]))
                .map(|c| configurations::render(state, c)),
            ([t, _], _) if t == "configurationassignments" => ms
                .assignments
                .get(&assignments::key(
                    &assignments::scope_of(path),
                    &path.rest[1],
                ))
                .map(assignments::render),
            _ => None,
        }
    }
}
