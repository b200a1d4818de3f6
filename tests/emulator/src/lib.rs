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
//! Layout: `server` accepts TLS connections and keeps the request log; `pipeline` runs the
//! cross-cutting steps (latency, token, auth, throttling, faults, write ledger) before
//! `router` hands the request to a resource-provider module (`hybridcompute`, `compute`,
//! `maintenance`, `resourcegraph`). `admin` and `handle` are the test-facing control surface.

mod admin;
pub mod catalogue;
mod compute;
mod config;
mod errors;
mod faults;
mod fnv;
mod handle;
mod hybridcompute;
mod ledger;
mod lro;
mod maintenance;
mod out_of_band;
mod pipeline;
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
pub use faults::{
    ChaosConfig, ChaosRates, ChaosReport, ChaosStats, Fault, FaultAction, FaultClass,
    MutationTiming, RequestKind,
};
pub use handle::{Emulator, EmulatorHandle};
pub use hybridcompute::license_changes::LicenseProfileChanges;
pub use hybridcompute::patches::MaintenanceRun;
pub use ledger::{ObjectWrites, WriteRecord};
pub use maintenance::firing::{FiredRun, ScheduleFiring, SkippedResource};
pub use maintenance::out_of_band::ScheduleChanges;
pub use out_of_band::OutOfBand;
pub use state::LoggedRequest;
pub use throttle::{BucketStats, ThrottleStats};
pub use validate::{SpecSet, Violation};
