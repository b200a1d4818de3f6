//! Changes made behind a client's back (a portal user, another tool, the agent), named as one
//! type so the admin API, the typed handle and `mutate` fault rules (a change made when a
//! given request arrives) share one description and one implementation.

use serde::{Deserialize, Serialize};

use crate::admin::{self, MachineChanges};
use crate::compute::virtual_machines::VmChanges;
use crate::hybridcompute::license_changes::LicenseProfileChanges;
use crate::maintenance::out_of_band::ScheduleChanges;
use crate::state::State;

/// One out-of-band change; machines, VMs and schedules are found by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutOfBand {
    /// ESU / Software Assurance of a machine's license profile.
    LicenseProfile {
        machine: String,
        changes: LicenseProfileChanges,
    },
    /// The Hotpatch feature canceled (as in the portal).
    CancelHotpatch {
        machine: String,
    },
    Machine {
        machine: String,
        changes: MachineChanges,
    },
    VirtualMachine {
        name: String,
        changes: VmChanges,
    },
    Schedule {
        name: String,
        changes: ScheduleChanges,
    },
}

pub(crate) fn apply(state: &State, change: &OutOfBand) -> Result<(), String> {
    match change {
        OutOfBand::LicenseProfile { machine, changes } => {
            admin::change_license_profile(state, machine, changes)
        }
        OutOfBand::CancelHotpatch { machine } => admin::cancel_hotpatch(state, machine),
        OutOfBand::Machine { machine, changes } => admin::set_machine(state, machine, changes),
        OutOfBand::VirtualMachine { name, changes } => {
            admin::set_virtual_machine(state, name, changes)
        }
        OutOfBand::Schedule { name, changes } => {
            crate::maintenance::out_of_band::change_schedule(state, name, changes)
        }
    }
}
