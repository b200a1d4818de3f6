//! Azure VMs with hotpatch on cannot be patched by a customer-managed schedule.
//!
//! INFERENCE (CONTRACT §3 marks it so; not in the API specification): Azure enables hotpatching
//! on a VM only with platform-orchestrated patching that keeps the platform's safety checks
//! (`patchMode = AutomaticByPlatform`, `bypassPlatformSafetyChecksOnUserSchedule = false`, the
//! rule `hotpatch_machine_setting` enforces), while Update Manager runs a customer-managed
//! schedule only on VMs that bypass those checks (`bypassPlatformSafetyChecksOnUserSchedule =
//! true`, "Customer Managed Schedules" in the portal). Both cannot hold at once, so a schedule
//! assigned to such a VM would be accepted and never patch it. Arc machines have no such
//! setting and are not affected.
//!
//! A single assignment names its machine, so the provider reads the VM and refuses at plan
//! time (and again at apply, in case the same apply switched hotpatch on). A dynamic scope
//! matches machines later, so it can only be warned about when its filter can match VMs.

use armclient::models::compute::{self, VirtualMachine, VIRTUAL_MACHINE_TYPE};
use tfframework::{AttributePath, Context, Diagnostic};

use crate::machine_id::{machine_kind, MachineKind};
use crate::provider_data::HotpatchData;

const RULE: &str = "An Azure VM with hotpatch on must keep the platform's safety checks (patch mode AutomaticByPlatform with bypassPlatformSafetyChecksOnUserSchedule = false) so that the platform installs its hotpatches, while Update Manager runs customer-managed schedules only on VMs that bypass them (bypassPlatformSafetyChecksOnUserSchedule = true). A schedule assigned to such a VM never patches it.";

const ALTERNATIVES: &str = "Alternatives: let the platform patch hotpatch VMs (no schedule: hotpatches install automatically, with a reboot only for the quarterly baseline); switch hotpatch off for the VM (hotpatch_machine_setting with hotpatching_enabled = false) and set bypassPlatformSafetyChecksOnUserSchedule = true to patch it on this schedule; or run one-time installs with the hotpatch_install action.";

const INFERRED: &str = "(This rule is inferred from Azure's documentation of hotpatching and of customer-managed schedules; the API itself does not reject the assignment.)";

/// Whether the Azure VM `machine_id` has hotpatch on; None when it is not a VM or cannot be
/// read (the assignment's own write reports a missing VM or missing access).
pub async fn vm_with_hotpatch(
    ctx: &Context,
    data: &HotpatchData,
    machine_id: &str,
) -> Option<bool> {
    if machine_kind(machine_id).ok()? != MachineKind::Vm {
        return None;
    }
    let vm = data
        .arm_for(ctx)
        .get_optional::<VirtualMachine>(machine_id, compute::API_VERSION)
        .await
        .ok()??;
    Some(
        vm.windows_patch_settings()
            .and_then(|p| p.enable_hotpatching)
            .unwrap_or(false),
    )
}

/// The error for assigning a schedule to `machine_id`, a VM with hotpatch on.
pub fn assignment_conflict(machine_id: &str, path: AttributePath) -> Diagnostic {
    Diagnostic::error(
        "A schedule cannot patch an Azure VM with hotpatch on",
        format!("{machine_id} has hotpatching enabled. {RULE}\n\n{ALTERNATIVES}\n\n{INFERRED}"),
    )
    .at(path)
}

/// The warning for a dynamic scope whose filter can match Azure VMs.
pub fn dynamic_scope_warning(path: AttributePath) -> Diagnostic {
    Diagnostic::warning(
        "This dynamic scope can match Azure VMs with hotpatch on, which it will not patch",
        format!("The filter can match Azure VMs (resource_types is unset or includes {VIRTUAL_MACHINE_TYPE}, and os_types allows Windows). {RULE} VMs with hotpatch on that match this filter are therefore not patched by the schedule. To leave them out, set filter.resource_types = [\"Microsoft.HybridCompute/machines\"] or filter by tags.\n\n{ALTERNATIVES}\n\n{INFERRED}"),
    )
    .at(path)
}

/// Whether a dynamic-scope filter with these (known) lists can match a Windows Azure VM:
/// an unset list matches everything.
pub fn filter_can_match_windows_vms(
    resource_types: Option<&[String]>,
    os_types: Option<&[String]>,
) -> bool {
    let types_ok = resource_types.is_none_or(|t| {
        t.is_empty()
            || t.iter()
                .any(|t| t.eq_ignore_ascii_case(VIRTUAL_MACHINE_TYPE))
    });
    let os_ok = os_types
        .is_none_or(|o| o.is_empty() || o.iter().any(|o| o.eq_ignore_ascii_case("Windows")));
    types_ok && os_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn which_filters_can_match_hotpatch_vms() {
        assert!(filter_can_match_windows_vms(None, None));
        assert!(filter_can_match_windows_vms(
            Some(&[]),
            Some(&v(&["windows"]))
        ));
        assert!(filter_can_match_windows_vms(
            Some(&v(&[
                "Microsoft.HybridCompute/machines",
                "microsoft.compute/virtualmachines"
            ])),
            None
        ));
        assert!(!filter_can_match_windows_vms(
            Some(&v(&["Microsoft.HybridCompute/machines"])),
            None
        ));
        assert!(!filter_can_match_windows_vms(None, Some(&v(&["Linux"]))));
    }

    #[test]
    fn the_diagnostics_say_the_rule_the_alternatives_and_that_it_is_inferred() {
        let d = assignment_conflict(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v",
            AttributePath::root(),
        );
        for text in [
            "bypassPlatformSafetyChecksOnUserSchedule",
            "Alternatives",
            "inferred",
        ] {
            assert!(d.detail.contains(text), "{text}");
        }
        assert!(dynamic_scope_warning(AttributePath::root())
            .detail
            .contains("inferred"));
    }
}
