//! Machine ids as users write them: validated at plan time, compared case-insensitively.
//!
//! ARM ids are case-insensitive (the official examples mix `Machines`/`machines`), but users
//! expect their own spelling in state. So ids are kept as written and only compared loosely.

use armclient::models::compute::VIRTUAL_MACHINE_TYPE;
use armclient::resource_id::parse_hybrid_machine_id;
use armclient::ResourceId;
use tfframework::{AttributePath, Diagnostics, Validator, Value};

const ARC_ID_SHAPE: &str = "an Azure Arc machine id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.HybridCompute/machines/<name>";

const MACHINE_ID_SHAPE: &str = "an Azure Arc machine id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.HybridCompute/machines/<name>) or an Azure VM id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/<name>)";

/// Which kind of machine an id names: the two have different APIs and hotpatch rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineKind {
    Arc,
    Vm,
}

impl MachineKind {
    /// The word users filter on (`hotpatch_machines.resource_type`).
    pub fn as_str(self) -> &'static str {
        match self {
            MachineKind::Arc => "arc",
            MachineKind::Vm => "vm",
        }
    }
}

/// The kind of machine `id` names, or why it names neither.
pub fn machine_kind(id: &str) -> Result<MachineKind, String> {
    if parse_hybrid_machine_id(id).is_ok() {
        return Ok(MachineKind::Arc);
    }
    let rid = ResourceId::parse(id).map_err(|e| e.to_string())?;
    let shape_ok = rid.resource_types().len() == 1
        && rid.subscription_id().is_some()
        && rid.resource_group().is_some()
        && rid.is_type(VIRTUAL_MACHINE_TYPE)
        && rid.name().is_some_and(|n| !n.is_empty());
    if shape_ok {
        Ok(MachineKind::Vm)
    } else {
        Err(format!("{id:?} is neither"))
    }
}

/// Validates `machine_id` as an Arc machine or Azure VM id before any ARM call.
pub struct AnyMachineId;

impl Validator for AnyMachineId {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(id) = value.as_str() {
            if let Err(e) = machine_kind(id) {
                diags.error_at(
                    path.clone(),
                    "Invalid machine id",
                    format!("{path} must be {MACHINE_ID_SHAPE}; {e}."),
                );
            }
        }
    }
}

/// Suffix of a machine's hotpatch license profile id.
pub const LICENSE_PROFILE_SUFFIX: &str = "/licenseProfiles/default";

/// Validates `machine_id` as an Arc machine id before any ARM call.
pub struct ArcMachineId;

impl Validator for ArcMachineId {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(id) = value.as_str() {
            if let Err(e) = parse_hybrid_machine_id(id) {
                diags.error_at(
                    path.clone(),
                    "Invalid Arc machine id",
                    format!("{path} must be {ARC_ID_SHAPE}; {e}."),
                );
            }
        }
    }
}

/// The machine id inside a license-profile id, or the id itself when it is a machine id.
pub fn strip_license_profile(id: &str) -> &str {
    let cut = id.len().saturating_sub(LICENSE_PROFILE_SUFFIX.len());
    match id.get(cut..) {
        Some(tail) if tail.eq_ignore_ascii_case(LICENSE_PROFILE_SUFFIX) => &id[..cut],
        _ => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrollment_resource::EnrollmentModel;

    /// The attribute the validator guards, as the enrollment resource declares it.
    fn machine_id_path() -> AttributePath {
        AttributePath::attr(EnrollmentModel::MACHINE_ID)
    }

    const ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m1";

    fn check(id: &str) -> Diagnostics {
        let mut diags = Diagnostics::new();
        ArcMachineId.validate(&Value::string(id), &machine_id_path(), &mut diags);
        diags
    }

    #[test]
    fn accepts_arc_ids_in_any_case() {
        assert!(check(ID).is_empty());
        assert!(check(&ID.to_lowercase()).is_empty());
    }

    #[test]
    fn rejects_other_ids_naming_the_attribute() {
        for bad in [
            "m1",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
            "",
        ] {
            let d = check(bad);
            assert_eq!(d.0.len(), 1, "{bad}");
            assert_eq!(d.0[0].attribute, Some(machine_id_path()));
        }
    }

    #[test]
    fn tells_arc_machines_from_vms_in_any_case() {
        assert_eq!(machine_kind(ID), Ok(MachineKind::Arc));
        let vm =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
        assert_eq!(machine_kind(vm), Ok(MachineKind::Vm));
        assert_eq!(machine_kind(&vm.to_uppercase()), Ok(MachineKind::Vm));
        for bad in [
            "",
            "vm1",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d1",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/extensions/x",
        ] {
            assert!(machine_kind(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strips_the_license_profile_suffix() {
        assert_eq!(
            strip_license_profile(&format!("{ID}/licenseProfiles/default")),
            ID
        );
        assert_eq!(
            strip_license_profile(&format!("{ID}/LICENSEPROFILES/Default")),
            ID
        );
        assert_eq!(strip_license_profile(ID), ID);
        assert_eq!(strip_license_profile("é"), "é");
    }
}
