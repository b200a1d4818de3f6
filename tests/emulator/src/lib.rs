//! An Azure Resource Manager emulator faithful to the hotpatch ARM contract, for tests and the demo.
//!
//! Why it exists: the provider's end-to-end tests must exercise the real wire contract (HTTPS,
//! Entra ID client-credential tokens, ARM error shapes, api-version rules, long-running
//! operations, paging, throttling) without an Azure subscription. The emulator runs in-process
//! (`Emulator::start`) or as the `arm-emulator` binary for `make demo`.
//!
//! It never reads anything outside its own crate at run time except an optional folder of
//! official OpenAPI specs (`Config::specs_dir`) used to validate request bodies.
//!
//! Layout: `server` accepts TLS connections and runs the cross-cutting pipeline (request log,
//! faults, token, auth, throttling, api-version) before `router` hands the request to a
//! resource-provider module (`hybridcompute`, later Compute / Maintenance / Resource Graph).

mod admin;
pub mod catalogue;
mod compute;
mod config;
mod errors;
mod faults;
mod handle;
mod hybridcompute;
mod lro;
mod maintenance;
mod reply;
mod resourcegraph;
mod router;
pub mod seed;
mod server;
mod state;
mod throttle;
mod tls;
mod token;
mod validate;

pub use admin::MachineChanges;
pub use compute::virtual_machines::VmChanges;
pub use config::{ClientCredential, Config, LroTiming, ThrottleConfig};
pub use faults::{Fault, FaultAction};
pub use handle::{Emulator, EmulatorHandle};
pub use hybridcompute::patches::MaintenanceRun;
pub use maintenance::out_of_band::ScheduleChanges;
pub use state::LoggedRequest;
pub use validate::{SpecSet, Violation};
