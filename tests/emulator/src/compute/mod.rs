//! Microsoft.Compute virtual machines, api-version 2025-04-01 (CONTRACT.md §3): GET (with
//! `$expand=instanceView`), list per subscription / resource group with `nextLink` paging, and
//! PATCH as a long-running operation guarded by the VM's `etag` (`If-Match` mismatch → 412).
//! VMs are seeded (they are created outside the hotpatch surface), so PUT/DELETE are not offered.
//! `assessPatches` / `installPatches` run on the Update Manager engine Arc machines use
//! (`hybridcompute::patches`), so both kinds share one catalogue, selection and history.

pub(crate) mod virtual_machines;

use http::Method;
use serde_json::Value;

pub(crate) use virtual_machines::{seed, VirtualMachine};

use crate::errors::ArmError;
use crate::hybridcompute::patches::{self, Kind};
use crate::reply::Reply;
use crate::router::{ArmPath, Req, ResourceProvider};
use crate::state::{lock, State, Store};

pub(crate) const NAMESPACE: &str = "Microsoft.Compute";
pub(crate) const API_VERSION: &str = "2025-04-01";
pub(crate) const VM_TYPE: &str = "Microsoft.Compute/virtualMachines";

pub(crate) struct Compute;

impl ResourceProvider for Compute {
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
            (["virtualmachines"], _) if m == Method::GET => {
                virtual_machines::list(state, &store, req, rg)
            }
            (["virtualmachines", _, op @ ("assesspatches" | "installpatches")], Some(rg))
                if m == Method::POST =>
            {
                let (key, name) = (virtual_machines::vm_key(rg, &path.rest[1]), &path.rest[1]);
                if *op == "assesspatches" {
                    patches::assess(state, &mut store, req, Kind::Vm, &key, rg, name)
                } else {
                    patches::install(state, &mut store, req, Kind::Vm, &key, rg, name)
                }
            }
            (["virtualmachines", _], Some(rg)) => match *m {
                Method::GET => virtual_machines::get(state, &mut store, req, rg, &path.rest[1]),
                Method::PATCH => virtual_machines::patch(state, &mut store, req, rg, &path.rest[1]),
                _ => ArmError::method_not_allowed(m.as_str()).into(),
            },
            _ => ArmError::no_route(req.method.as_str(), &req.path).into(),
        }
    }

    fn snapshot(&self, state: &State, store: &Store, path: &ArmPath) -> Option<Value> {
        let rg = path.resource_group.as_deref()?;
        match (path.parent.is_empty(), path.rest_lower().as_slice()) {
            (true, [t, _]) if t == "virtualmachines" => virtual_machines::render_by_key(
                state,
                store,
                &virtual_machines::vm_key(rg, &path.rest[1]),
            ),
            _ => None,
        }
    }
}
