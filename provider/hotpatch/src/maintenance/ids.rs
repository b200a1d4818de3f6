//! The ARM ids of the three Maintenance objects, and the validators of ids users write.
//!
//! A schedule is a resource-group resource; an assignment is an extension resource under a
//! machine (one machine) or a subscription (a dynamic scope), so both assignment kinds share
//! one id shape, `<parent>/providers/Microsoft.Maintenance/configurationAssignments/<name>`.
//! Ids users write keep their spelling; the service's are compared case-insensitively.

use armclient::models::maintenance::CONFIGURATION_TYPE;
use armclient::resource_id::ResourceId;
use tfframework::{AttributePath, Diagnostic, Diagnostics, Model, Validator, Value};

/// The identity of a schedule or an assignment: its ARM id, which names it for good.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct IdIdentity {
    /// ARM id of the object.
    #[tf(required)]
    pub id: String,
}

/// The id an import names: `terraform import` / `import { id = ... }`, or the identity of
/// `import { identity = { id = ... } }` (which sends no id).
pub fn import_id<'a>(id: &'a str, identity: Option<&'a IdIdentity>) -> &'a str {
    match (id.trim(), identity) {
        ("", Some(i)) => i.id.trim(),
        (id, _) => id,
    }
}

/// What sits between an assignment's parent (machine or subscription) and its name.
pub const ASSIGNMENT_INFIX: &str = "/providers/Microsoft.Maintenance/configurationAssignments/";

/// `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Maintenance/maintenanceConfigurations/<name>`.
pub fn schedule_id(subscription: &str, resource_group: &str, name: &str) -> String {
    ResourceId::new(
        subscription,
        resource_group,
        "Microsoft.Maintenance",
        &[("maintenanceConfigurations", name)],
    )
    .to_string()
}

/// Parses a schedule id: (subscription, resource group, name).
pub fn parse_schedule_id(id: &str) -> Result<(String, String, String), String> {
    let rid = ResourceId::parse(id).map_err(|e| e.to_string())?;
    match (rid.subscription_id(), rid.resource_group(), rid.name()) {
        (Some(s), Some(rg), Some(n))
            if rid.is_type(CONFIGURATION_TYPE) && rid.resource_types().len() == 1 =>
        {
            Ok((s.to_owned(), rg.to_owned(), n.to_owned()))
        }
        _ => Err(format!(
            "{id:?} is not a maintenance configuration id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Maintenance/maintenanceConfigurations/<name>)"
        )),
    }
}

/// `<parent>/providers/Microsoft.Maintenance/configurationAssignments/<name>`.
pub fn assignment_id(parent: &str, name: &str) -> String {
    format!("{parent}{ASSIGNMENT_INFIX}{name}")
}

/// `(parent id, assignment name)` of an assignment id; the infix matches in any case.
pub fn split_assignment_id(id: &str) -> Option<(&str, &str)> {
    let lower = id.to_ascii_lowercase();
    let at = lower.rfind(&ASSIGNMENT_INFIX.to_ascii_lowercase())?;
    let name = &id[at + ASSIGNMENT_INFIX.len()..];
    (!name.is_empty() && !name.contains('/')).then(|| (&id[..at], name))
}

/// The ARM id a state records (`id`, computed at plan or create time, so always set once an
/// object exists); `type_name` names the resource in the error.
pub fn recorded<'a>(id: &'a Option<String>, type_name: &str) -> Result<&'a str, Diagnostic> {
    id.as_deref().ok_or_else(|| {
        Diagnostic::error(
            "Id missing",
            format!("The state of {type_name} has no id. This is a bug in the provider."),
        )
    })
}

/// An Arc machine or Azure VM id.
pub struct MachineOrVmId;

impl Validator for MachineOrVmId {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(id) = value.as_str() else { return };
        let ok = ResourceId::parse(id).is_ok_and(|r| {
            r.resource_group().is_some()
                && r.resource_types().len() == 1
                && (r.is_type("Microsoft.HybridCompute/machines")
                    || r.is_type("Microsoft.Compute/virtualMachines"))
        });
        if !ok {
            diags.error_at(path.clone(), "Invalid machine id", format!("{path} must be an Arc machine id (.../providers/Microsoft.HybridCompute/machines/<name>) or an Azure VM id (.../providers/Microsoft.Compute/virtualMachines/<name>), got {id:?}."));
        }
    }
}

/// A maintenance configuration id.
pub struct ScheduleId;

impl Validator for ScheduleId {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(id) = value.as_str() {
            if let Err(e) = parse_schedule_id(id) {
                diags.error_at(path.clone(), "Invalid schedule id", format!("{path}: {e}."));
            }
        }
    }
}

/// The scope of a dynamic scope: a subscription (`/subscriptions/<id>`) or a resource group
/// (`/subscriptions/<id>/resourceGroups/<name>`).
pub struct DynamicScopeParent;

impl Validator for DynamicScopeParent {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !is_dynamic_scope_parent(s) {
            diags.error_at(
                path.clone(),
                "Invalid scope",
                format!("{path} must be a subscription id, /subscriptions/<id>, or a resource group id, /subscriptions/<id>/resourceGroups/<name>; got {s:?}."),
            );
        }
    }
}

/// `/subscriptions/<id>` or `/subscriptions/<id>/resourceGroups/<name>` (key words in any case).
pub fn is_dynamic_scope_parent(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('/') else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let word = |part: &str, w: &str| part.eq_ignore_ascii_case(w);
    match parts.as_slice() {
        [subs, id] => word(subs, "subscriptions") && !id.is_empty(),
        [subs, id, groups, rg] => {
            word(subs, "subscriptions")
                && !id.is_empty()
                && word(groups, "resourceGroups")
                && !rg.is_empty()
        }
        _ => false,
    }
}

/// Whether `validator` accepts `id` (for ids taken apart at import, before any ARM call).
pub fn accepts(validator: &impl Validator, id: &str) -> bool {
    let mut diags = Diagnostics::new();
    validator.validate(&Value::string(id), &AttributePath::root(), &mut diags);
    !diags.has_errors()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_assignment_ids_case_insensitively() {
        let m = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m1";
        assert_eq!(
            split_assignment_id(&assignment_id(m, "a1")),
            Some((m, "a1"))
        );
        let lower = format!("{m}{}a1", ASSIGNMENT_INFIX.to_lowercase());
        assert_eq!(split_assignment_id(&lower), Some((m, "a1")));
        assert_eq!(split_assignment_id(m), None);
        assert_eq!(split_assignment_id(&format!("{m}{ASSIGNMENT_INFIX}")), None);
        assert_eq!(
            split_assignment_id(&format!("{m}{ASSIGNMENT_INFIX}a/b")),
            None
        );
    }

    #[test]
    fn schedule_ids_round_trip_and_other_types_are_refused() {
        let id = schedule_id("s", "rg", "patch");
        assert_eq!(
            parse_schedule_id(&id),
            Ok(("s".into(), "rg".into(), "patch".into()))
        );
        let vm = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v";
        assert!(parse_schedule_id(vm).is_err());
        assert!(accepts(&MachineOrVmId, vm));
        assert!(!accepts(&MachineOrVmId, &id));
        assert!(accepts(&DynamicScopeParent, "/subscriptions/s"));
        assert!(accepts(
            &DynamicScopeParent,
            "/subscriptions/s/resourceGroups/rg"
        ));
        assert!(accepts(
            &DynamicScopeParent,
            "/subscriptions/s/resourcegroups/rg"
        ));
        for bad in [
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v",
            "/subscriptions/",
            "subscriptions/s",
            "/resourceGroups/rg",
            "/subscriptions/s/foo/bar",
            "/subscriptions/s/resourceGroups/",
            "",
        ] {
            assert!(!accepts(&DynamicScopeParent, bad), "{bad}");
        }
    }
}
