//! `hotpatch_machine_setting`: the per-machine hotpatch switch of an Arc machine or an Azure VM.
//!
//! The switch is `patchSettings.enableHotpatching` (plus the optional patch and assessment
//! modes); how it is written and how a write ends is in `machine_setting_write`. This file maps
//! those ends to Terraform state ([`recorded`]): a wait that ends before the service finished
//! (timeout, Ctrl-C) is a warning with the state reached, not an error, because an error on
//! create taints the setting, and replacing it would turn hotpatching off and on again while
//! the service finishes the accepted write by itself. `ActionRequired` (the service's verdict)
//! is an error.
//!
//! The resource identity is `{ machine_id }`, so the `hotpatch_machine_setting` list resource's
//! results import with `import { identity = ... }`.
//!
//! The rules the services enforce are checked at plan time from one read of the machine, so a
//! configuration that cannot work fails `terraform plan` on the attribute at fault, before any
//! write.

use std::time::Duration;

use armclient::models::compute::VmPatchMode;
use async_trait::async_trait;
use tfframework::validators::one_of;
use tfframework::{
    ApplyRequest, AttributePath, Context, Diagnostic, Diagnostics, ImportRequest, Known, Model,
    PlanRequest, Resource, TimeoutDefaults,
};

use crate::arm_diag::{arm_error_at, op_error, read_outcome};
use crate::machine_facts::{self, MachineFacts};
use crate::machine_id::{machine_kind, AnyMachineId, MachineKind};
use crate::machine_setting_write::{apply, Desired, Outcome};
use crate::provider_data::HotpatchData;

/// How long writes wait by default for the Arc service to evaluate the hotpatch intent.
const EVALUATION_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const PATCH_MODES: &[&str] = &[
    "AutomaticByPlatform",
    "AutomaticByOS",
    "Manual",
    "ImageDefault",
];
const ASSESSMENT_MODES: &[&str] = &["AutomaticByPlatform", "ImageDefault"];

/// The hotpatch switch of one Azure Arc-enabled machine or Azure VM
/// (`patchSettings.enableHotpatching`, with the optional patch and assessment modes). Writes
/// touch only the patch settings; destroy turns hotpatching off. Rules the service enforces are
/// reported at plan time. On Arc machines, pair it with `hotpatch_enrollment` (the hotpatch
/// license) to enable hotpatching, as the portal's "Enable Hotpatching" does.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct MachineSettingModel {
    /// ARM id of a `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines`
    /// resource (compared case-insensitively).
    #[tf(required, replace, validator = AnyMachineId)]
    pub machine_id: String,
    /// Whether the machine installs hotpatches (`patchSettings.enableHotpatching`).
    #[tf(required)]
    pub hotpatching_enabled: bool,
    /// `AutomaticByPlatform`, `AutomaticByOS`, `Manual` or `ImageDefault` (Arc only). Left
    /// unset, the machine's current mode is kept. Hotpatch on Azure VMs needs
    /// `AutomaticByPlatform`.
    #[tf(optional, computed, state_for_unknown, validator = one_of(PATCH_MODES))]
    pub patch_mode: Option<String>,
    /// `AutomaticByPlatform` (periodic assessment) or `ImageDefault`. Left unset, the machine's
    /// current mode is kept.
    #[tf(optional, computed, state_for_unknown, validator = one_of(ASSESSMENT_MODES))]
    pub assessment_mode: Option<String>,
    /// Arc: the service's evaluation of the switch
    /// (`patchSettings.status.hotpatchEnablementStatus`: `Enabled`, `Disabled`,
    /// `ActionRequired`, `PendingEvaluation`, `Unknown`). Azure VMs: null.
    #[tf(computed)]
    pub hotpatch_enablement_status: Option<String>,
    /// The portal's word for the machine (`Enabled`, `Disabled`, `Pending`, `Canceled` or `Not
    /// enrolled`) as of this resource's last apply or refresh, read after the service
    /// evaluated the switch. On Arc it also depends on the hotpatch license
    /// (`hotpatch_enrollment`): `Enabled` needs both, `Not enrolled` means no license. It
    /// changes in state at the next refresh when the machine changes outside this resource.
    #[tf(computed)]
    pub status: Option<String>,
    /// Equals `machine_id`.
    #[tf(computed, state_for_unknown)]
    pub id: Option<String>,
}

/// Names one machine's setting for good, for `import { identity = ... }` and `terraform query`.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct MachineSettingIdentity {
    /// ARM id of the Arc machine or Azure VM whose hotpatch switch this is.
    #[tf(required)]
    pub machine_id: String,
}

pub struct MachineSettingResource;

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

impl MachineSettingModel {
    /// The state of a setting from the machine as read (a GET or one row of a list page).
    pub(crate) fn from_facts(machine_id: &str, facts: &MachineFacts) -> Self {
        MachineSettingModel {
            machine_id: machine_id.to_owned(),
            hotpatching_enabled: facts.hotpatching_enabled.unwrap_or(false),
            patch_mode: facts.patch_mode.clone(),
            assessment_mode: facts.assessment_mode.clone(),
            hotpatch_enablement_status: facts.enablement_status.clone(),
            status: Some(facts.status().as_str().to_owned()),
            id: Some(machine_id.to_owned()),
        }
    }
}

/// Plan-time rules for enabling hotpatch, each reported on the attribute to change.
fn plan_rules(
    enable: &Known<bool>,
    configured_mode: &Known<String>,
    facts: &MachineFacts,
    diags: &mut Diagnostics,
) {
    let enable = matches!(enable, Known::Value(true));
    let machine = facts.id.as_deref().unwrap_or("the machine");
    let switch = path(MachineSettingModel::HOTPATCHING_ENABLED);
    if enable {
        let ineligible = facts.ineligibility().into_iter().map(|i| i.to_string());
        for issue in ineligible.chain(facts.connection_issue()) {
            diags.error_at(
                switch.clone(),
                "Hotpatch cannot be enabled on this machine",
                format!("hotpatching_enabled = true is not possible for {machine}: {issue}."),
            );
        }
    }
    if facts.kind != MachineKind::Vm {
        return;
    }
    let vm = facts.vm.clone().unwrap_or_default();
    let (mode, mode_path) = match configured_mode {
        Known::Value(m) => (Some(m.clone()), path(MachineSettingModel::PATCH_MODE)),
        Known::Null => (facts.patch_mode.clone(), switch.clone()),
        Known::Unknown => return,
    };
    let platform = mode
        .as_deref()
        .is_some_and(|m| VmPatchMode::from(m) == VmPatchMode::AutomaticByPlatform);
    if enable && !platform {
        diags.error_at(
            mode_path.clone(),
            "Hotpatch on Azure VMs needs patch_mode \"AutomaticByPlatform\"",
            format!(
                "Azure enables hotpatching only with platform-orchestrated patching; {machine} would have patch mode {:?}. Set patch_mode = \"AutomaticByPlatform\".",
                mode.as_deref().unwrap_or("unset")
            ),
        );
    }
    if enable && vm.bypass_platform_safety_checks == Some(true) {
        diags.error_at(
            switch,
            "Hotpatch on Azure VMs needs platform safety checks",
            format!("{machine} has patchSettings.automaticByPlatformSettings.bypassPlatformSafetyChecksOnUserSchedule = true; hotpatch requires it to be false, so that the platform orchestrates hotpatch installs."),
        );
    }
    if platform && vm.enable_automatic_updates == Some(false) {
        diags.error_at(
            mode_path,
            "AutomaticByPlatform needs automatic updates",
            format!("patch mode \"AutomaticByPlatform\" requires osProfile.windowsConfiguration.enableAutomaticUpdates = true, which {machine} does not have."),
        );
    }
}

/// The state of a create or update from how its write ended; `unwritten` is what to record
/// when nothing was written (nothing for a create, the prior state for an update).
fn recorded(
    outcome: Outcome,
    planned: &MachineSettingModel,
    unwritten: Option<MachineSettingModel>,
) -> (Option<MachineSettingModel>, Diagnostics) {
    match outcome {
        Outcome::NotWritten(diags) => (unwritten, diags),
        Outcome::Reached(facts, diags) => (
            Some(MachineSettingModel::from_facts(&planned.machine_id, &facts)),
            diags,
        ),
        Outcome::Unconfirmed(detail) => {
            let state = MachineSettingModel {
                id: Some(planned.machine_id.clone()),
                ..planned.clone()
            };
            let warning = Diagnostic::warning(
                "Hotpatch setting not confirmed",
                format!("{detail} It is recorded as planned."),
            );
            (Some(state), warning.into())
        }
    }
}

#[async_trait]
impl Resource<HotpatchData> for MachineSettingResource {
    type Model = MachineSettingModel;
    type Identity = MachineSettingIdentity;
    const TYPE_NAME: &'static str = "hotpatch_machine_setting";

    fn timeouts(&self) -> TimeoutDefaults {
        TimeoutDefaults {
            create: EVALUATION_TIMEOUT,
            update: EVALUATION_TIMEOUT,
            delete: EVALUATION_TIMEOUT,
            ..TimeoutDefaults::default()
        }
    }

    fn identity(&self, state: &MachineSettingModelPlan) -> MachineSettingIdentityPlan {
        MachineSettingIdentityPlan {
            machine_id: state.machine_id.clone(),
        }
    }

    fn validate(&self, config: &MachineSettingModelPlan, diags: &mut Diagnostics) {
        if let (Known::Value(id), Known::Value(mode)) = (&config.machine_id, &config.patch_mode) {
            if machine_kind(id) == Ok(MachineKind::Vm) && mode == "ImageDefault" {
                diags.error_at(
                    path(MachineSettingModel::PATCH_MODE),
                    "ImageDefault is not a VM patch mode",
                    "patch_mode \"ImageDefault\" exists only for Arc machines; Windows Azure VMs use \"AutomaticByPlatform\", \"AutomaticByOS\" or \"Manual\".",
                );
            }
        }
    }

    async fn modify_plan(
        &self,
        ctx: &Context,
        data: Option<&HotpatchData>,
        req: PlanRequest<'_, MachineSettingModel>,
        planned: &mut MachineSettingModelPlan,
        diags: &mut Diagnostics,
    ) {
        let Known::Value(configured_id) = &req.config.machine_id else {
            return;
        };
        let Ok(kind) = machine_kind(configured_id) else {
            return;
        };
        let machine_id = match req.prior {
            // Same machine spelled differently: keep the recorded spelling, no replacement.
            Some(p) if armclient::resource_id::ids_equal(&p.machine_id, configured_id) => {
                p.machine_id.clone()
            }
            _ => configured_id.clone(),
        };
        planned.machine_id = Known::Value(machine_id.clone());
        planned.id = Known::Value(machine_id.clone());
        if kind == MachineKind::Vm {
            planned.hotpatch_enablement_status = Known::Null;
        }
        let Some(data) = data else { return };
        // Plan-time checks: one read of the machine, before any write.
        let arm = data.arm_for(ctx);
        let facts = match data.machine_facts(&arm, &machine_id, kind).await {
            Ok(Some(f)) => f,
            Ok(None) => {
                diags.error_at(
                    path(MachineSettingModel::MACHINE_ID),
                    "Machine not found",
                    format!("machine_id {machine_id} does not exist (or the credentials cannot see it)."),
                );
                return;
            }
            Err(e) => {
                diags.push(arm_error_at(
                    "reading the machine during plan",
                    &e,
                    path(MachineSettingModel::MACHINE_ID),
                ));
                return;
            }
        };
        plan_rules(
            &req.config.hotpatching_enabled,
            &req.config.patch_mode,
            &facts,
            diags,
        );
        // Modes left unset keep the machine's current ones, so they are known now.
        for (mode, current) in [
            (&mut planned.patch_mode, &facts.patch_mode),
            (&mut planned.assessment_mode, &facts.assessment_mode),
        ] {
            if mode.is_unknown() {
                *mode = current.clone().map_or(Known::Null, Known::Value);
            }
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ApplyRequest<'_, MachineSettingModel>,
    ) -> (Option<MachineSettingModel>, Diagnostics) {
        match Desired::new("create", req.planned, req.config) {
            Ok(d) => recorded(apply(ctx, data, &d).await, req.planned, None),
            Err(diag) => (None, diag.into()),
        }
    }

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        current: &MachineSettingModel,
    ) -> (Option<MachineSettingModel>, Diagnostics) {
        let machine_id = current.machine_id.as_str();
        let kind = match machine_kind(machine_id) {
            Ok(k) => k,
            Err(e) => return (None, Diagnostic::error("Invalid machine id", e).into()),
        };
        let arm = data.arm_for(ctx);
        let lookup = data.machine_facts(&arm, machine_id, kind).await;
        read_outcome(current, "reading the machine", lookup, |facts| {
            Some(MachineSettingModel::from_facts(machine_id, &facts))
        })
    }

    async fn update(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ApplyRequest<'_, MachineSettingModel>,
    ) -> (Option<MachineSettingModel>, Diagnostics) {
        // Nothing written: the prior state still describes the machine.
        let prior = req.prior.cloned();
        let d = match Desired::new("update", req.planned, req.config) {
            Ok(d) => d,
            Err(diag) => return (prior, diag.into()),
        };
        if let Some(p) = &prior {
            // The machine already shows the planned settings: there is nothing to write.
            let shown = d.shown_by(
                Some(p.hotpatching_enabled),
                p.patch_mode.as_deref(),
                p.assessment_mode.as_deref(),
            );
            if shown {
                return (prior, Diagnostics::new());
            }
        }
        recorded(apply(ctx, data, &d).await, req.planned, prior)
    }

    async fn delete(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        prior: &MachineSettingModel,
    ) -> Diagnostics {
        let kind = match machine_kind(&prior.machine_id) {
            Ok(k) => k,
            Err(e) => return Diagnostic::error("Invalid machine id", e).into(),
        };
        let arm = data.arm_for(ctx);
        match machine_facts::read(&arm, &prior.machine_id, kind).await {
            // Gone, or already off: nothing to turn off.
            Ok(None) => return Diagnostics::new(),
            Ok(Some(f)) if f.hotpatching_enabled != Some(true) => return Diagnostics::new(),
            Ok(Some(_)) => {}
            Err(e) => return op_error(ctx, "reading the machine", &e).into(),
        }
        match apply(ctx, data, &Desired::off(prior.machine_id.clone(), kind)).await {
            Outcome::NotWritten(diags) | Outcome::Reached(_, diags) => diags,
            // Kept in state: the next refresh shows whether hotpatching went off.
            Outcome::Unconfirmed(detail) => {
                Diagnostic::error("Hotpatch not confirmed off", detail).into()
            }
        }
    }

    async fn import(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ImportRequest<'_, MachineSettingIdentity>,
    ) -> (Option<MachineSettingModel>, Diagnostics) {
        // `import { identity = { machine_id = ... } }` sends no id.
        let machine_id = req
            .identity
            .map_or(req.id, |i| i.machine_id.as_str())
            .trim();
        let kind = match machine_kind(machine_id) {
            Ok(k) => k,
            Err(e) => {
                let d = Diagnostic::error(
                    "Invalid import id",
                    format!(
                        "Import hotpatch_machine_setting by Arc machine id or Azure VM id; {e}."
                    ),
                );
                return (None, d.into());
            }
        };
        // The switch is required in the state, so import reads it now (one GET).
        let arm = data.arm_for(ctx);
        match data.machine_facts(&arm, machine_id, kind).await {
            Ok(Some(facts)) => {
                let state = MachineSettingModel::from_facts(machine_id, &facts);
                (Some(state), Diagnostics::new())
            }
            Ok(None) => {
                let d = Diagnostic::error(
                    "Cannot import non-existent remote object",
                    format!("{machine_id} does not exist (or the credentials cannot see it); only an existing machine's hotpatch setting can be imported."),
                );
                (None, d.into())
            }
            Err(e) => (
                None,
                op_error(ctx, "reading the machine to import", &e).into(),
            ),
        }
    }
}
