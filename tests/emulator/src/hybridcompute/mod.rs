//! Microsoft.HybridCompute (Arc-enabled servers), api-version 2025-01-13: machines (GET, list,
//! PATCH) and their `licenseProfiles/default` child (PUT, PATCH, GET, DELETE, list) with the LRO
//! behaviour of CONTRACT.md §2. Machines are seeded (the agent creates them in real life), so
//! PUT/DELETE of machines are not offered.

pub(crate) mod license_changes;
pub(crate) mod license_profiles;
pub(crate) mod machines;
pub(crate) mod patches;

use http::Method;
use serde_json::Value;

pub(crate) use license_profiles::LicenseProfile;
pub(crate) use machines::{seed_machine, Machine};

use crate::errors::ArmError;
use crate::reply::Reply;
use crate::router::{ArmPath, Req, ResourceProvider};
use crate::state::{lock, machine_key, State, Store};

pub(crate) const NAMESPACE: &str = "Microsoft.HybridCompute";
pub(crate) const API_VERSION: &str = "2025-01-13";
pub(crate) const MACHINE_TYPE: &str = "Microsoft.HybridCompute/machines";

pub(crate) struct HybridCompute;

impl ResourceProvider for HybridCompute {
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
        if !path.parent.is_empty() || path.subscription.is_none() {
            return ArmError::no_route(req.method.as_str(), &req.path).into();
        }
        let rg = path.resource_group.as_deref();
        let m = &req.method;
        match (rest_ref.as_slice(), rg) {
            (["locations", _, _, _], None) if m == Method::GET => {
                crate::lro::monitor(state, &mut store, &rest, &path.rest)
            }
            (["machines"], _) if m == Method::GET => machines::list(state, &mut store, req, rg),
            (["machines", _], Some(rg)) => {
                let key = machine_key(rg, &path.rest[1]);
                match *m {
                    Method::GET => machines::get(state, &mut store, &key, rg, &path.rest[1]),
                    Method::PATCH => {
                        machines::patch(state, &mut store, req, &key, rg, &path.rest[1])
                    }
                    _ => ArmError::method_not_allowed(m.as_str()).into(),
                }
            }
            (["machines", _, op @ ("assesspatches" | "installpatches")], Some(rg))
                if m == Method::POST =>
            {
                let key = machine_key(rg, &path.rest[1]);
                let name = &path.rest[1];
                if *op == "assesspatches" {
                    patches::assess(state, &mut store, req, patches::Kind::Arc, &key, rg, name)
                } else {
                    patches::install(state, &mut store, req, patches::Kind::Arc, &key, rg, name)
                }
            }
            (["machines", _, "licenseprofiles"], Some(rg)) if m == Method::GET => {
                license_profiles::list(state, &mut store, rg, &path.rest[1])
            }
            (["machines", _, "licenseprofiles", _], Some(rg)) => {
                let target = license_profiles::Target {
                    rg,
                    machine: &path.rest[1],
                    profile: &path.rest[3],
                };
                match *m {
                    Method::GET => license_profiles::get(state, &mut store, &target),
                    Method::PUT => license_profiles::put(state, &mut store, req, &target),
                    Method::PATCH => license_profiles::patch(state, &mut store, req, &target),
                    Method::DELETE => license_profiles::delete(state, &mut store, req, &target),
                    _ => ArmError::method_not_allowed(m.as_str()).into(),
                }
            }
            _ => ArmError::no_route(req.method.as_str(), &req.path).into(),
        }
    }

    fn snapshot(&self, state: &State, store: &Store, path: &ArmPath) -> Option<Value> {
        if !path.parent.is_empty() {
            return None;
        }
        let rg = path.resource_group.as_deref()?;
        let rest = path.rest_lower();
        let key = machine_key(rg, path.rest.get(1)?);
        match rest
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["machines", _] => machines::render(state, store, &key),
            ["machines", _, "licenseprofiles", p] if p.eq_ignore_ascii_case("default") => {
                license_profiles::render_by_key(state, store, &key)
            }
            _ => None,
        }
    }
}
