//! The machine an action addresses through its `machine_id`: an Azure Arc-enabled machine or
//! an Azure VM, told apart by the id's shape.
//!
//! `hotpatch_assess` and `hotpatch_install` both take one. What follows from the id is the
//! same for each, so it lives here once: which kind of machine it is, which resource provider's api-version its
//! operations use, its name for messages, and the plan-time check that it exists (so a typo in
//! an id fails `terraform plan` instead of a run the service already accepted).

use armclient::models::{compute, hybridcompute};
use tfframework::{AttributePath, Context, Diagnostic, Diagnostics, Known};

use crate::arm_diag::arm_error_at;
use crate::machine_id::{machine_kind, MachineKind};
use crate::provider_data::HotpatchData;

/// A configured machine id and the kind of machine it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineTarget {
    /// The id as the user wrote it (ARM compares ids case-insensitively).
    pub id: String,
    pub kind: MachineKind,
}

impl MachineTarget {
    /// The machine `id` names. The attribute's validator has already accepted it; should it
    /// not have, the error points at `attribute`.
    pub fn new(id: &str, attribute: &str) -> Result<Self, Diagnostic> {
        let kind = machine_kind(id).map_err(|e| {
            Diagnostic::error("Invalid machine id", e).at(AttributePath::attr(attribute))
        })?;
        Ok(MachineTarget {
            id: id.to_owned(),
            kind,
        })
    }

    /// The api-version of the resource provider that owns the machine.
    pub fn api_version(&self) -> &'static str {
        match self.kind {
            MachineKind::Arc => hybridcompute::API_VERSION,
            MachineKind::Vm => compute::API_VERSION,
        }
    }

    /// The path of a POST operation on the machine (`assessPatches`, `installPatches`).
    pub fn operation_path(&self, operation: &str) -> String {
        format!("{}/{operation}", self.id)
    }

    /// The machine's name (the id's last segment), for messages.
    pub fn name(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }
}

/// Plan-time: the machine `id` (configured as `attribute`) must exist before an action may
/// run. Says nothing while the provider or the id is not known yet, or when the id is
/// malformed (its validator reports that).
pub async fn check_exists(
    ctx: &Context,
    data: Option<&HotpatchData>,
    id: &Known<String>,
    attribute: &str,
) -> Diagnostics {
    let (Some(data), Known::Value(id)) = (data, id) else {
        return Diagnostics::new();
    };
    let Ok(kind) = machine_kind(id) else {
        return Diagnostics::new();
    };
    let path = AttributePath::attr(attribute);
    match data.machine_facts(&data.arm_for(ctx), id, kind).await {
        Ok(Some(_)) => Diagnostics::new(),
        Ok(None) => Diagnostic::error(
            "Machine not found",
            format!("{attribute} {id} does not exist (or the credentials cannot see it)."),
        )
        .at(path)
        .into(),
        Err(e) => arm_error_at("reading the machine during plan", &e, path).into(),
    }
}

/// A machine id of each kind, for tests.
#[cfg(test)]
pub mod test_ids {
    pub const ARC: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/arc-01";
    pub const VM: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-01";
}

#[cfg(test)]
mod tests {
    use super::test_ids::{ARC, VM};
    use super::*;

    /// Whichever attribute holds the id.
    const ATTRIBUTE: &str = "target";

    #[test]
    fn kind_api_version_and_name_follow_from_the_id() {
        let arc = MachineTarget::new(ARC, ATTRIBUTE).unwrap();
        assert_eq!(arc.kind, MachineKind::Arc);
        assert_eq!(arc.api_version(), hybridcompute::API_VERSION);
        assert_eq!(arc.name(), "arc-01");
        assert_eq!(
            arc.operation_path("assessPatches"),
            format!("{ARC}/assessPatches")
        );
        let vm = MachineTarget::new(VM, ATTRIBUTE).unwrap();
        assert_eq!(vm.kind, MachineKind::Vm);
        assert_eq!(vm.api_version(), compute::API_VERSION);
        assert_eq!(vm.name(), "vm-01");
    }

    #[test]
    fn a_malformed_id_is_an_error_at_its_attribute() {
        let err = MachineTarget::new("/subscriptions/s/resourceGroups/rg", ATTRIBUTE).unwrap_err();
        assert_eq!(err.attribute, Some(AttributePath::attr(ATTRIBUTE)));
    }
}
