//! Machine ids as users write them: validated at plan time, compared case-insensitively.
//!
//! ARM ids are case-insensitive (the official examples mix `Machines`/`machines`), but users
//! expect their own spelling in state. So ids are kept as written and only compared loosely.

use armclient::resource_id::parse_hybrid_machine_id;
use tfframework::{AttributePath, Diagnostics, Validator, Value};

const ARC_ID_SHAPE: &str = "an Azure Arc machine id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.HybridCompute/machines/<name>";

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

    const ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m1";

    fn check(id: &str) -> Diagnostics {
        let mut diags = Diagnostics::new();
        ArcMachineId.validate(
            &Value::string(id),
            &AttributePath::attr("machine_id"),
            &mut diags,
        );
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
            assert_eq!(d.0[0].attribute, Some(AttributePath::attr("machine_id")));
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
