//! Writing a machine's hotpatch switch and finding out how the write ended.
//!
//! Writes carry only `patchSettings` (the switch and the modes configured), so nothing else
//! about the machine can be reverted ([`arc_patch_request`], [`vm_patch_request`]):
//!
//! * Arc: a synchronous HybridCompute PATCH, after which the service evaluates the intent
//!   asynchronously; the machine is polled until `hotpatchEnablementStatus` leaves
//!   `PendingEvaluation`, within the operation's timeout.
//! * Azure VM: a Compute PATCH (LRO) sent with `If-Match` on the etag just read, so a change
//!   made concurrently by someone else is never overwritten (a 412 on the first attempt is
//!   reported as such; on a retried attempt it may be the first attempt's own effect).
//!
//! Whenever ARM may have accepted a write ([`ArmError::may_have_written`]), the machine itself
//! says whether it landed: it is watched further, or read back with a fresh context once the
//! operation's context is over ([`Outcome`]).

use std::time::Duration;

use armclient::models::compute::{
    self, VirtualMachine, VirtualMachinePatchSettingsUpdate, VmAssessmentMode, VmPatchMode,
    VmPatchSettingsUpdate,
};
use armclient::models::hybridcompute::{
    self, AssessmentMode, MachineUpdate, PatchMode, PatchSettingsUpdate,
};
use armclient::{ArmClient, ArmError, ArmRequest, LroOptions, Method};
use tfframework::wait::{wait_until, Backoff, Poll, WaitError};
use tfframework::{AttributePath, Context, Diagnostic, Diagnostics};

use crate::arm_diag::{arm_error, arm_error_at, op_error};
use crate::machine_facts::{self, MachineFacts};
use crate::machine_id::{machine_kind, MachineKind};
use crate::machine_setting_resource::MachineSettingModel;
use crate::provider_data::HotpatchData;
use crate::unfinished::Unfinished;

const EVALUATION_POLL: Backoff = Backoff {
    first: Duration::from_secs(2),
    max: Duration::from_secs(30),
    factor: 2.0,
};

/// What the user asked for: the switch from the plan, the optional modes exactly as written in
/// the configuration (only those are sent).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Desired {
    /// The Terraform operation writing it (`create`, `update`, `delete`), for messages.
    operation: &'static str,
    machine_id: String,
    kind: MachineKind,
    enable: bool,
    patch_mode: Option<String>,
    assessment_mode: Option<String>,
}

impl Desired {
    pub(crate) fn new(
        operation: &'static str,
        planned: &MachineSettingModel,
        config: &MachineSettingModel,
    ) -> Result<Self, Diagnostic> {
        let kind = machine_kind(&planned.machine_id).map_err(|e| {
            Diagnostic::error("Invalid machine id", e)
                .at(AttributePath::attr(MachineSettingModel::MACHINE_ID))
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

    /// Whether a machine with these settings already is what `self` asks for: the switch and
    /// each mode configured (modes left unset are not asked for).
    pub(crate) fn shown_by(
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

    /// Hotpatching off, modes untouched (destroy).
    pub(crate) fn off(machine_id: String, kind: MachineKind) -> Self {
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

/// How a write of the switch ended.
pub(crate) enum Outcome {
    /// Nothing was written: ARM refused it, or the machine shows it did not land.
    NotWritten(Diagnostics),
    /// The machine as read after the write, with what to say about it.
    Reached(Box<MachineFacts>, Diagnostics),
    /// ARM may have accepted the write, and neither the wait nor a read-back could tell: the
    /// planned values are the best record. The caller words it (a warning for create and
    /// update, an error for destroy, which must keep the object in state).
    Unconfirmed(String),
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
    AttributePath::attr(MachineSettingModel::HOTPATCHING_ENABLED)
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
    let arm = data.arm_for(&recovery);
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
    let arm = data.arm_for(ctx);
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
    let arm = data.arm_for(ctx);
    let current: VirtualMachine = match arm.get(&d.machine_id, compute::API_VERSION).await {
        Ok(vm) => vm,
        Err(e) => {
            let diag = op_error(ctx, "reading the virtual machine", &e);
            let at = AttributePath::attr(MachineSettingModel::MACHINE_ID);
            return Outcome::NotWritten(diag.at(at).into());
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

/// Writes what `d` asks for and follows it to the end the machine shows.
pub(crate) async fn apply(ctx: &Context, data: &HotpatchData, d: &Desired) -> Outcome {
    match d.kind {
        MachineKind::Arc => apply_arc(ctx, data, d).await,
        MachineKind::Vm => apply_vm(ctx, data, d).await,
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
