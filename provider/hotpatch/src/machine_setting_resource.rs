//! `hotpatch_machine_setting`: the per-machine hotpatch switch of an Arc machine or an Azure VM.
//!
//! The switch is `patchSettings.enableHotpatching` (plus the optional patch and assessment
//! modes). Writes carry only those fields so nothing else about the machine can be reverted
//! ([`arc_patch_request`], [`vm_patch_request`]):
//!
//! * Arc: a synchronous HybridCompute PATCH, after which the service evaluates the intent
//!   asynchronously; apply polls the machine until `hotpatchEnablementStatus` leaves
//!   `PendingEvaluation`, within the operation's timeout. `ActionRequired` is an error carrying
//!   the service's reason, with the state kept so Terraform records what ARM accepted.
//! * Azure VM: a Compute PATCH (LRO) sent with `If-Match` on the etag just read, so a change
//!   made concurrently by someone else is never overwritten (a 412 on the first attempt is
//!   reported as such; on a retried attempt it may be the first attempt's own effect, so the VM
//!   is read back).
//!
//! Whenever ARM may have accepted a write ([`ArmError::may_have_written`]), the machine itself
//! says whether it landed: apply keeps watching it, or reads it back with a fresh context once
//! the operation's context is over, and records what it finds ([`Outcome`]). A wait that ends
//! before the service finished (timeout, Ctrl-C) is a warning with the state reached, not an
//! error: an error on create taints the setting, and replacing it would turn hotpatching off
//! and on again while the service finishes the accepted write by itself.
//!
//! The resource identity is `{ machine_id }`, so the `hotpatch_machine_setting` list resource's
//! results import with `import { identity = ... }`.
//!
//! The rules the services enforce are checked at plan time from one read of the machine, so a
//! configuration that cannot work fails `terraform plan` on the attribute at fault, before any
//! write.

use std::time::Duration;

use armclient::models::compute::{
    self, VirtualMachine, VirtualMachinePatchSettingsUpdate, VmAssessmentMode, VmPatchMode,
    VmPatchSettingsUpdate,
};
use armclient::models::hybridcompute::{
    self, AssessmentMode, MachineUpdate, PatchMode, PatchSettingsUpdate,
};
use armclient::{ArmClient, ArmError, ArmRequest, LroOptions, Method};
use async_trait::async_trait;
use tfframework::validators::one_of;
use tfframework::wait::{wait_until, Backoff, Poll, WaitError};
use tfframework::{
    ApplyRequest, AttributePath, Context, Diagnostic, Diagnostics, ImportRequest, Known, Model,
    PlanRequest, Resource, TimeoutDefaults,
};

use crate::arm_diag::{arm_error, arm_error_at, op_error, read_outcome};
use crate::machine_facts::{self, MachineFacts};
use crate::machine_id::{machine_kind, AnyMachineId, MachineKind};
use crate::provider_data::HotpatchData;
use crate::unfinished::Unfinished;

/// How long writes wait by default for the Arc service to evaluate the hotpatch intent.
const EVALUATION_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const EVALUATION_POLL: Backoff = Backoff {
    first: Duration::from_secs(2),
    max: Duration::from_secs(30),
    factor: 2.0,
};

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

/// What the user asked for: the switch from the plan, the optional modes exactly as written in
/// the configuration (only those are sent).
#[derive(Clone, Debug, PartialEq)]
struct Desired {
    /// The Terraform operation writing it (`create`, `update`, `delete`), for messages.
    operation: &'static str,
    machine_id: String,
    kind: MachineKind,
    enable: bool,
    patch_mode: Option<String>,
    assessment_mode: Option<String>,
}

impl Desired {
    fn new(
        operation: &'static str,
        planned: &MachineSettingModel,
        config: &MachineSettingModel,
    ) -> Result<Self, Diagnostic> {
        let kind = machine_kind(&planned.machine_id).map_err(|e| {
            Diagnostic::error("Invalid machine id", e).at(path(MachineSettingModel::MACHINE_ID))
        })?;
        Ok(Desired {
            operation,
            machine_id: planned.machine_id.clone(),
            kind,
            enable: planned.hotpatching_enabled,
            patch_mode: config.patch_mode.clone(),
            assessment_mode: config.assessment_mode.clone(),
        })
    }

    /// Hotpatching off, modes untouched (destroy).
    fn off(machine_id: String, kind: MachineKind) -> Self {
        Desired {
            operation: "delete",
            machine_id,
            kind,
            enable: false,
            patch_mode: None,
            assessment_mode: None,
        }
    }
}

/// The Arc machine PATCH: only `patchSettings`, so nothing else about the machine can be
/// reverted.
fn arc_patch_request(d: &Desired) -> Result<ArmRequest, ArmError> {
    let body = MachineUpdate::windows_patch_settings(PatchSettingsUpdate {
        assessment_mode: d.assessment_mode.as_deref().map(AssessmentMode::from),
        patch_mode: d.patch_mode.as_deref().map(PatchMode::from),
        enable_hotpatching: Some(d.enable),
    });
    ArmRequest::new(Method::PATCH, &d.machine_id, hybridcompute::API_VERSION).json(&body)
}

/// The VM PATCH: only `patchSettings`, with `If-Match` on the etag just read (when the VM has
/// one) so that a concurrent change is never overwritten.
fn vm_patch_request(d: &Desired, etag: Option<&str>) -> Result<ArmRequest, ArmError> {
    let body = VirtualMachinePatchSettingsUpdate::new(VmPatchSettingsUpdate {
        patch_mode: d.patch_mode.as_deref().map(VmPatchMode::from),
        enable_hotpatching: Some(d.enable),
        assessment_mode: d.assessment_mode.as_deref().map(VmAssessmentMode::from),
    });
    let request =
        ArmRequest::new(Method::PATCH, &d.machine_id, compute::API_VERSION).json(&body)?;
    match etag {
        Some(etag) => request.if_match(etag),
        None => Ok(request),
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

/// How a write of the switch ended.
enum Outcome {
    /// Nothing was written: ARM refused it, or the machine shows it did not land.
    NotWritten(Diagnostics),
    /// The machine as read after the write, with what to say about it.
    Reached(Box<MachineFacts>, Diagnostics),
    /// ARM may have accepted the write, and neither the wait nor a read-back could tell: the
    /// planned values are the best record. The caller words it (a warning for create and
    /// update, an error for destroy, which must keep the object in state).
    Unconfirmed(String),
}

impl Desired {
    /// Whether a machine with these settings already is what `self` asks for: the switch and
    /// each mode configured (modes left unset are not asked for).
    fn shown_by(
        &self,
        enabled: Option<bool>,
        patch_mode: Option<&str>,
        assessment_mode: Option<&str>,
    ) -> bool {
        let same = |wanted: &Option<String>, seen: Option<&str>| match wanted {
            Some(w) => seen.is_some_and(|s| s.eq_ignore_ascii_case(w)),
            None => true,
        };
        enabled.unwrap_or(false) == self.enable
            && same(&self.patch_mode, patch_mode)
            && same(&self.assessment_mode, assessment_mode)
    }
}

/// Whether the machine shows what `d` asked for.
fn landed(d: &Desired, facts: &MachineFacts) -> bool {
    d.shown_by(
        facts.hotpatching_enabled,
        facts.patch_mode.as_deref(),
        facts.assessment_mode.as_deref(),
    )
}

fn switch_path() -> AttributePath {
    path(MachineSettingModel::HOTPATCHING_ENABLED)
}

fn precondition_failed(machine_id: &str) -> Diagnostic {
    Diagnostic::error(
        "The VM changed while hotpatch settings were being written",
        format!("ARM answered 412 Precondition Failed for {machine_id}: its patch settings were changed by someone else between the provider's read and its write (etag mismatch), so nothing was written. Run terraform plan again to see the current settings."),
    )
    .at(switch_path())
}

fn did_not_land(d: &Desired, why: &str) -> Diagnostic {
    Diagnostic::error(
        "Hotpatch setting did not take effect",
        format!(
            "{why} The machine {} does not show hotpatching_enabled = {} (and the modes configured), so nothing is recorded; the next apply writes it again.",
            d.machine_id, d.enable
        ),
    )
    .at(switch_path())
}

fn disappeared(machine_id: &str) -> Diagnostic {
    Diagnostic::error(
        "Machine disappeared",
        format!("{machine_id} was deleted while its hotpatch setting was being applied."),
    )
}

/// Whether the service is still evaluating the hotpatch intent of a connected Arc machine. A
/// disconnected agent is not waited for: the evaluation resumes when it reconnects.
fn evaluating(facts: &MachineFacts) -> bool {
    let pending = facts
        .enablement_status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("PendingEvaluation"));
    pending && facts.connection_issue().is_none()
}

/// Polls an Arc machine until the hotpatch intent is evaluated, within the operation's
/// deadline. `None`: the machine is gone.
async fn wait_evaluated(
    ctx: &Context,
    arm: &ArmClient,
    d: &Desired,
) -> Result<Option<MachineFacts>, WaitError<ArmError>> {
    let machine_id = d.machine_id.as_str();
    wait_until(ctx, EVALUATION_POLL, || async move {
        let facts = machine_facts::read(arm, machine_id, MachineKind::Arc).await?;
        Ok::<_, ArmError>(match facts {
            Some(f) if evaluating(&f) => Poll::Pending("PendingEvaluation".to_owned()),
            found => Poll::Ready(found),
        })
    })
    .await
}

/// After a write ARM may have accepted whose outcome apply could not wait for: the machine as
/// read back with a fresh context (the operation's may be over).
async fn read_back(ctx: &Context, data: &HotpatchData, d: &Desired, why: &Unfinished) -> Outcome {
    let (recovery, _guard) = ctx.recovery();
    let arm = data.arm.with_cancellation(recovery.stop.clone());
    match machine_facts::read(&arm, &d.machine_id, d.kind).await {
        Ok(Some(facts)) if landed(d, &facts) => {
            let state = MachineSettingModel::from_facts(&d.machine_id, &facts);
            let reached = format!(
                "hotpatch_enablement_status {} (status {})",
                state.hotpatch_enablement_status.as_deref().unwrap_or("null"),
                state.status.as_deref().unwrap_or("unknown"),
            );
            let warning = if why.stopped {
                Diagnostic::warning(
                    "Hotpatch setting not finished",
                    format!(
                        "Apply stopped waiting for the hotpatch setting of {}: {}. ARM accepted it, so it is recorded with {reached}; the service finishes on its own and the next refresh records the outcome.{}",
                        d.machine_id,
                        why.describe(),
                        why.raise_hint(d.operation),
                    ),
                )
            } else {
                Diagnostic::warning(
                    "Hotpatch setting confirmed by reading it back",
                    format!(
                        "The write of the hotpatch setting of {} could not be followed to its end: {}. The machine shows the requested settings, so they are recorded with {reached}; the next refresh records any later change.",
                        d.machine_id,
                        why.describe(),
                    ),
                )
            };
            Outcome::Reached(Box::new(facts), warning.into())
        }
        Ok(Some(_)) => {
            let precondition = why.lost.as_ref().is_some_and(|e| e.status() == Some(412));
            let reason = if precondition {
                format!("ARM answered 412 Precondition Failed to a retried write of {}: the VM changed after the provider read it, possibly by this write's own first attempt, so the provider read it back.", d.machine_id)
            } else {
                format!("Apply stopped waiting for the write ({}).", why.describe())
            };
            Outcome::NotWritten(did_not_land(d, &reason).into())
        }
        Ok(None) => Outcome::NotWritten(disappeared(&d.machine_id).into()),
        Err(e) => Outcome::Unconfirmed(format!(
            "Apply stopped waiting for the hotpatch setting of {}: {}. ARM may have accepted it, and reading the machine back failed too ({e}); the next refresh shows whether it took effect.",
            d.machine_id,
            why.describe()
        )),
    }
}

/// What the evaluated machine says about a write that landed (or whose answer was lost).
fn evaluated(d: &Desired, facts: MachineFacts, lost: Option<&ArmError>) -> Outcome {
    if lost.is_some() && !landed(d, &facts) {
        let why = format!(
            "Writing the patch settings failed ({}).",
            lost.map(ToString::to_string).unwrap_or_default()
        );
        return Outcome::NotWritten(did_not_land(d, &why).into());
    }
    let mut diags = Diagnostics::new();
    let status = facts.enablement_status.as_deref().unwrap_or_default();
    if d.enable && status.eq_ignore_ascii_case("ActionRequired") {
        diags.push(
            Diagnostic::error(
                "Hotpatch needs action on the machine",
                format!(
                    "The service accepted hotpatching_enabled = true for {} but evaluated it as ActionRequired: {}",
                    d.machine_id,
                    facts.enablement_error.as_deref().unwrap_or("no reason given")
                ),
            )
            .at(switch_path()),
        );
    } else if status.eq_ignore_ascii_case("PendingEvaluation") {
        diags.warning(
            "Hotpatch evaluation pending",
            format!(
                "{} is {}, so the service evaluates the new hotpatch setting when the Arc agent reconnects.",
                d.machine_id,
                facts.connection_status.as_deref().unwrap_or("not connected")
            ),
        );
    }
    if let Some(e) = lost {
        diags.warning(
            "Hotpatch setting confirmed by reading it back",
            format!("ARM's answer to the write of {} was lost ({e}); the machine shows the requested settings, so they are recorded.", d.machine_id),
        );
    }
    Outcome::Reached(Box::new(facts), diags)
}

/// Writes the Arc patch settings and waits for the evaluation.
async fn apply_arc(ctx: &Context, data: &HotpatchData, d: &Desired) -> Outcome {
    let arm = data.arm.with_cancellation(ctx.stop.clone());
    let request = match arc_patch_request(d) {
        Ok(r) => r,
        Err(e) => return Outcome::NotWritten(arm_error("preparing the machine update", &e).into()),
    };
    let lost = match arm.send(request).await {
        Ok(_) => None,
        Err(e) if !e.may_have_written() => {
            let doing = "writing the Arc machine's patch settings";
            return Outcome::NotWritten(op_error(ctx, doing, &e).at(switch_path()).into());
        }
        // ARM may have applied it: the machine says whether it did.
        Err(e) => Some(e),
    };
    match wait_evaluated(ctx, &arm, d).await {
        Ok(Some(facts)) => evaluated(d, facts, lost.as_ref()),
        Ok(None) => Outcome::NotWritten(disappeared(&d.machine_id).into()),
        Err(wait) => {
            let why = Unfinished::after_wait(ctx, &wait, "the evaluation", "the Arc machine", lost);
            read_back(ctx, data, d, &why).await
        }
    }
}

/// Writes the VM patch settings with `If-Match` on the etag just read.
async fn apply_vm(ctx: &Context, data: &HotpatchData, d: &Desired) -> Outcome {
    let arm = data.arm.with_cancellation(ctx.stop.clone());
    let current: VirtualMachine = match arm.get(&d.machine_id, compute::API_VERSION).await {
        Ok(vm) => vm,
        Err(e) => {
            let diag = op_error(ctx, "reading the virtual machine", &e);
            return Outcome::NotWritten(diag.at(path(MachineSettingModel::MACHINE_ID)).into());
        }
    };
    let request = match vm_patch_request(d, current.etag.as_deref()) {
        Ok(r) => r,
        Err(e) => return Outcome::NotWritten(arm_error("preparing the VM update", &e).into()),
    };
    let options = LroOptions {
        deadline: ctx.deadline().map(|t| t.into_std()),
        ..LroOptions::default()
    };
    let error = match arm.send_lro(request, &options).await {
        Ok(response) => match response.json::<VirtualMachine>() {
            Ok(vm) => {
                let facts = Box::new(MachineFacts::from_vm(&vm));
                return Outcome::Reached(facts, Diagnostics::new());
            }
            Err(e) => e,
        },
        Err(e) if !e.may_have_written() && e.status() == Some(412) => {
            return Outcome::NotWritten(precondition_failed(&d.machine_id).into())
        }
        Err(e) if !e.may_have_written() => {
            let diag = arm_error_at("writing the VM's patch settings", &e, switch_path());
            return Outcome::NotWritten(diag.into());
        }
        Err(e) => e,
    };
    // Accepted, or it may have been (a 412 on a retried attempt may be the first attempt's
    // own effect): the VM says whether the settings landed.
    read_back(ctx, data, d, &Unfinished::after_write(ctx, error)).await
}

async fn apply(ctx: &Context, data: &HotpatchData, d: &Desired) -> Outcome {
    match d.kind {
        MachineKind::Arc => apply_arc(ctx, data, d).await,
        MachineKind::Vm => apply_vm(ctx, data, d).await,
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
        let arm = data.arm.with_cancellation(ctx.stop.clone());
        let facts = match machine_facts::read(&arm, &machine_id, kind).await {
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
        let arm = data.arm.with_cancellation(ctx.stop.clone());
        let lookup = machine_facts::read(&arm, machine_id, kind).await;
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
            // Only the `timeouts` block changed: there is nothing to write.
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
        let arm = data.arm.with_cancellation(ctx.stop.clone());
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
        let arm = data.arm.with_cancellation(ctx.stop.clone());
        match machine_facts::read(&arm, machine_id, kind).await {
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

/// Golden bodies: the exact requests the resource sends, so the wire format is read here.
#[cfg(test)]
mod golden {
    use serde_json::{json, Value};

    use super::*;

    const ARC: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01";
    const VM: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Compute/virtualMachines/vm-ws2025-azure-01";

    fn desired(machine_id: &str, enable: bool, modes: (Option<&str>, Option<&str>)) -> Desired {
        Desired {
            operation: "create",
            machine_id: machine_id.to_owned(),
            kind: machine_kind(machine_id).unwrap(),
            enable,
            patch_mode: modes.0.map(str::to_owned),
            assessment_mode: modes.1.map(str::to_owned),
        }
    }

    fn body(request: &ArmRequest) -> Value {
        serde_json::from_slice(request.body.as_deref().expect("a body")).unwrap()
    }

    fn headers(request: &ArmRequest) -> Vec<(String, String)> {
        request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn arc_patch_sends_only_the_patch_settings_written_in_config() {
        let r =
            arc_patch_request(&desired(ARC, true, (Some("AutomaticByPlatform"), None))).unwrap();
        assert_eq!(r.method, Method::PATCH);
        assert_eq!(r.path, ARC);
        assert_eq!(r.api_version.as_deref(), Some("2025-01-13"));
        assert_eq!(headers(&r), vec![]);
        assert_eq!(
            body(&r),
            json!({ "properties": { "osProfile": { "windowsConfiguration": { "patchSettings": {
                "patchMode": "AutomaticByPlatform",
                "enableHotpatching": true
            } } } } })
        );
    }

    #[test]
    fn what_was_asked_for_is_the_switch_and_the_modes_configured() {
        let d = desired(ARC, true, (Some("AutomaticByPlatform"), None));
        assert!(d.shown_by(
            Some(true),
            Some("automaticbyplatform"),
            Some("ImageDefault")
        ));
        assert!(!d.shown_by(Some(true), Some("AutomaticByOS"), None));
        assert!(!d.shown_by(None, Some("AutomaticByPlatform"), None));
        let off = Desired::off(ARC.to_owned(), MachineKind::Arc);
        assert!(off.shown_by(None, None, None), "unset reads as off");
    }

    #[test]
    fn arc_destroy_turns_only_the_switch_off() {
        let d = Desired::off(ARC.to_owned(), MachineKind::Arc);
        let r = arc_patch_request(&d).unwrap();
        assert_eq!(
            body(&r),
            json!({ "properties": { "osProfile": { "windowsConfiguration": { "patchSettings": {
                "enableHotpatching": false
            } } } } })
        );
    }

    #[test]
    fn vm_patch_carries_if_match_on_the_etag_read() {
        let d = desired(
            VM,
            true,
            (Some("AutomaticByPlatform"), Some("AutomaticByPlatform")),
        );
        let r = vm_patch_request(&d, Some("\"7\"")).unwrap();
        assert_eq!(r.method, Method::PATCH);
        assert_eq!(r.path, VM);
        assert_eq!(r.api_version.as_deref(), Some("2025-04-01"));
        assert_eq!(
            headers(&r),
            vec![("if-match".to_owned(), "\"7\"".to_owned())]
        );
        assert_eq!(
            body(&r),
            json!({ "properties": { "osProfile": { "windowsConfiguration": { "patchSettings": {
                "patchMode": "AutomaticByPlatform",
                "enableHotpatching": true,
                "assessmentMode": "AutomaticByPlatform"
            } } } } })
        );
        // A VM without an etag is written without the precondition.
        let r = vm_patch_request(&d, None).unwrap();
        assert_eq!(headers(&r), vec![]);
    }
}
