//! `hotpatch_machine_setting`: the per-machine hotpatch switch of an Arc machine or an Azure VM.
//!
//! The switch is `patchSettings.enableHotpatching` (plus the optional patch and assessment
//! modes). Writes carry only those fields so nothing else about the machine can be reverted:
//!
//! * Arc: a synchronous HybridCompute PATCH, after which the service evaluates the intent
//!   asynchronously; apply polls the machine until `hotpatchEnablementStatus` leaves
//!   `PendingEvaluation` (bounded, cancellable). `ActionRequired` is an error carrying the
//!   service's reason, with the state kept so Terraform records what ARM accepted.
//! * Azure VM: a Compute PATCH (LRO) sent with `If-Match` on the etag just read, so a change
//!   made concurrently by someone else is never overwritten (412 is reported as such).
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
    self, AssessmentMode, Machine, MachineUpdate, PatchMode, PatchSettingsUpdate,
};
use armclient::{ArmError, ArmRequest, LroOptions, Method};
use async_trait::async_trait;
use tfframework::raw;
use tfframework::validators::one_of;
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics,
    IdentityAttribute, IdentitySchema, Known, ObjectBuilder, ObjectReader, ResourceSchema, Type,
    Value,
};

use crate::arm_diag::{arm_error, arm_error_at, read_outcome};
use crate::machine_facts::{self, MachineFacts};
use crate::machine_id::{machine_kind, AnyMachineId, MachineKind};
use crate::provider::HotpatchData;

/// How long apply waits for the Arc service to evaluate the hotpatch intent.
const EVALUATION_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const FIRST_POLL: Duration = Duration::from_secs(2);
const MAX_POLL: Duration = Duration::from_secs(30);

const PATCH_MODES: &[&str] = &[
    "AutomaticByPlatform",
    "AutomaticByOS",
    "Manual",
    "ImageDefault",
];
const ASSESSMENT_MODES: &[&str] = &["AutomaticByPlatform", "ImageDefault"];

pub struct MachineSettingResource;

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

/// What the user asked for, as read from config or plan.
struct Desired {
    machine_id: String,
    kind: MachineKind,
    enable: bool,
    patch_mode: Option<String>,
    assessment_mode: Option<String>,
}

impl Desired {
    /// `values` supplies machine_id/hotpatching_enabled (the plan); `config` the optional modes
    /// exactly as written (only those are sent).
    fn read(values: &Value, config: &Value) -> Result<Self, Diagnostics> {
        let r = ObjectReader::new(values);
        let machine_id: String = r.get("machine_id").map_err(Diagnostics::from)?;
        let enable: bool = r.get("hotpatching_enabled").map_err(Diagnostics::from)?;
        let kind = machine_kind(&machine_id).map_err(|e| {
            Diagnostics::from(Diagnostic::error("Invalid machine id", e).at(path("machine_id")))
        })?;
        let c = ObjectReader::new(config);
        Ok(Desired {
            machine_id,
            kind,
            enable,
            patch_mode: c.get::<Option<String>>("patch_mode").ok().flatten(),
            assessment_mode: c.get::<Option<String>>("assessment_mode").ok().flatten(),
        })
    }
}

/// The state of a setting from the machine as read (a GET or one row of a list page).
pub(crate) fn state(machine_id: &str, facts: &MachineFacts) -> Value {
    ObjectBuilder::new()
        .set("machine_id", machine_id)
        .set("id", machine_id)
        .set(
            "hotpatching_enabled",
            facts.hotpatching_enabled.unwrap_or(false),
        )
        .set("patch_mode", facts.patch_mode.clone())
        .set("assessment_mode", facts.assessment_mode.clone())
        .set(
            "hotpatch_enablement_status",
            facts.enablement_status.clone(),
        )
        .build()
}

/// Plan-time rules for enabling hotpatch, each reported on the attribute to change.
fn plan_rules(d: &Known<bool>, config: &Value, facts: &MachineFacts, diags: &mut Diagnostics) {
    let c = ObjectReader::new(config);
    let configured_mode: Known<String> = c.get("patch_mode").unwrap_or(Known::Unknown);
    let enable = matches!(d, Known::Value(true));
    let machine = facts.id.as_deref().unwrap_or("the machine");
    if enable {
        let ineligible = facts.ineligibility().into_iter().map(|i| i.to_string());
        for issue in ineligible.chain(facts.connection_issue()) {
            diags.error_at(
                path("hotpatching_enabled"),
                "Hotpatch cannot be enabled on this machine",
                format!("hotpatching_enabled = true is not possible for {machine}: {issue}."),
            );
        }
    }
    if facts.kind != MachineKind::Vm {
        return;
    }
    let vm = facts.vm.clone().unwrap_or_default();
    let (mode, mode_path) = match &configured_mode {
        Known::Value(m) => (Some(m.clone()), path("patch_mode")),
        Known::Null => (facts.patch_mode.clone(), path("hotpatching_enabled")),
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
            path("hotpatching_enabled"),
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

/// An error from a write that the service rejected outright (nothing was changed).
fn rejected(e: &ArmError) -> bool {
    matches!(e, ArmError::Service(_))
}

fn precondition_failed(machine_id: &str) -> Diagnostic {
    Diagnostic::error(
        "The VM changed while hotpatch settings were being written",
        format!("ARM answered 412 Precondition Failed for {machine_id}: its patch settings were changed by someone else between the provider's read and its write (etag mismatch), so nothing was written. Run terraform plan again to see the current settings."),
    )
}

impl MachineSettingResource {
    /// Polls an Arc machine until the hotpatch intent is evaluated. A disconnected agent ends the
    /// wait early (the evaluation resumes when it reconnects).
    async fn wait_evaluated(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        machine_id: &str,
    ) -> Result<MachineFacts, (Diagnostic, Option<MachineFacts>)> {
        let deadline = tokio::time::Instant::now() + EVALUATION_TIMEOUT;
        let mut delay = FIRST_POLL;
        loop {
            let facts = match machine_facts::read(&data.arm, machine_id, MachineKind::Arc).await {
                Ok(Some(f)) => f,
                Ok(None) => {
                    return Err((
                        Diagnostic::error(
                            "Arc machine disappeared",
                            format!("{machine_id} was deleted while its hotpatch setting was being applied."),
                        ),
                        None,
                    ))
                }
                Err(e) => return Err((arm_error("reading the Arc machine", &e), None)),
            };
            let pending = facts
                .enablement_status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("PendingEvaluation"));
            let offline = facts
                .connection_status
                .as_deref()
                .is_some_and(|s| !s.eq_ignore_ascii_case("Connected"));
            if !pending || offline {
                return Ok(facts);
            }
            if tokio::time::Instant::now() >= deadline {
                let d = Diagnostic::error(
                    "Timed out waiting for the hotpatch evaluation",
                    format!(
                        "The service was still evaluating the hotpatch setting of {machine_id} (PendingEvaluation) after {} minutes. The setting was accepted; the next refresh shows the outcome.",
                        EVALUATION_TIMEOUT.as_secs() / 60
                    ),
                );
                return Err((d, Some(facts)));
            }
            tokio::select! {
                _ = ctx.stop.cancelled() => {
                    let d = Diagnostic::error("Operation cancelled", format!("Terraform asked the provider to stop while the hotpatch setting of {machine_id} was being evaluated. The setting was accepted."));
                    return Err((d, Some(facts)));
                }
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(MAX_POLL);
        }
    }

    /// Writes the Arc patch settings and waits for the evaluation. Returns the state reached
    /// (None when nothing was written) and diagnostics.
    async fn apply_arc(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        d: &Desired,
    ) -> (Option<Value>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let body = MachineUpdate::windows_patch_settings(PatchSettingsUpdate {
            assessment_mode: d.assessment_mode.as_deref().map(AssessmentMode::from),
            patch_mode: d.patch_mode.as_deref().map(PatchMode::from),
            enable_hotpatching: Some(d.enable),
        });
        let written: Result<Machine, _> = data
            .arm
            .patch(&d.machine_id, hybridcompute::API_VERSION, &body)
            .await;
        if let Err(e) = written {
            diags.push(arm_error_at(
                "writing the Arc machine's patch settings",
                &e,
                path("hotpatching_enabled"),
            ));
            return (None, diags);
        }
        let facts = match self.wait_evaluated(ctx, data, &d.machine_id).await {
            Ok(f) => f,
            Err((diag, facts)) => {
                diags.push(diag);
                return (facts.map(|f| state(&d.machine_id, &f)), diags);
            }
        };
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
                .at(path("hotpatching_enabled")),
            );
        } else if status.eq_ignore_ascii_case("PendingEvaluation") {
            diags.push(Diagnostic::warning(
                "Hotpatch evaluation pending",
                format!(
                    "{} is {}, so the service evaluates the new hotpatch setting when the Arc agent reconnects.",
                    d.machine_id,
                    facts.connection_status.as_deref().unwrap_or("not connected")
                ),
            ));
        }
        (Some(state(&d.machine_id, &facts)), diags)
    }

    /// Writes the VM patch settings with `If-Match` on the etag just read.
    async fn apply_vm(&self, data: &HotpatchData, d: &Desired) -> (Option<Value>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let current: VirtualMachine = match data.arm.get(&d.machine_id, compute::API_VERSION).await
        {
            Ok(vm) => vm,
            Err(e) => {
                diags.push(arm_error_at(
                    "reading the virtual machine",
                    &e,
                    path("machine_id"),
                ));
                return (None, diags);
            }
        };
        let body = VirtualMachinePatchSettingsUpdate::new(VmPatchSettingsUpdate {
            patch_mode: d.patch_mode.as_deref().map(VmPatchMode::from),
            enable_hotpatching: Some(d.enable),
            assessment_mode: d.assessment_mode.as_deref().map(VmAssessmentMode::from),
        });
        let mut request =
            match ArmRequest::new(Method::PATCH, &d.machine_id, compute::API_VERSION).json(&body) {
                Ok(r) => r,
                Err(e) => {
                    diags.push(arm_error("encoding the VM update", &e));
                    return (None, diags);
                }
            };
        if let Some(etag) = current.etag.as_deref() {
            request = match request.if_match(etag) {
                Ok(r) => r,
                Err(e) => {
                    diags.push(arm_error("preparing the VM update", &e));
                    return (None, diags);
                }
            };
        }
        let written = data.arm.send_lro(request, &LroOptions::default()).await;
        let response = match written {
            Ok(r) => r,
            Err(e) if e.status() == Some(412) => {
                diags.push(precondition_failed(&d.machine_id).at(path("hotpatching_enabled")));
                return (None, diags);
            }
            Err(e) if rejected(&e) => {
                diags.push(arm_error_at(
                    "writing the VM's patch settings",
                    &e,
                    path("hotpatching_enabled"),
                ));
                return (None, diags);
            }
            Err(e) => {
                // Accepted, then failed or lost: record what the VM looks like now.
                diags.push(arm_error("updating the VM's patch settings", &e));
                let after = machine_facts::read(&data.arm, &d.machine_id, MachineKind::Vm)
                    .await
                    .ok()
                    .flatten();
                return (after.map(|f| state(&d.machine_id, &f)), diags);
            }
        };
        match response.json::<VirtualMachine>() {
            Ok(vm) => (
                Some(state(&d.machine_id, &MachineFacts::from_vm(&vm))),
                diags,
            ),
            Err(e) => {
                diags.push(arm_error("reading the updated VM", &e));
                (None, diags)
            }
        }
    }

    async fn apply(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let d = match Desired::read(req.planned, req.config) {
            Ok(d) => d,
            Err(diags) => return (None, diags),
        };
        match d.kind {
            MachineKind::Arc => self.apply_arc(ctx, data, &d).await,
            MachineKind::Vm => self.apply_vm(data, &d).await,
        }
    }
}

#[async_trait]
impl raw::Resource<HotpatchData> for MachineSettingResource {
    fn type_name(&self) -> &str {
        "hotpatch_machine_setting"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            0,
            BlockSchema::new()
                .description("The hotpatch switch of one Azure Arc-enabled machine or Azure VM (`patchSettings.enableHotpatching`, with the optional patch and assessment modes). Writes touch only the patch settings; destroy turns hotpatching off. Rules the service enforces are reported at plan time.")
                .attribute(
                    AttributeSchema::string("machine_id")
                        .required()
                        .requires_replace()
                        .validator(AnyMachineId)
                        .description("ARM id of a `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines` resource (compared case-insensitively)."),
                )
                .attribute(
                    AttributeSchema::bool("hotpatching_enabled")
                        .required()
                        .description("Whether the machine installs hotpatches (`patchSettings.enableHotpatching`)."),
                )
                .attribute(
                    AttributeSchema::string("patch_mode")
                        .optional()
                        .computed()
                        .use_state_for_unknown()
                        .validator(one_of(PATCH_MODES))
                        .description("`AutomaticByPlatform`, `AutomaticByOS`, `Manual` or `ImageDefault` (Arc only). Left unset, the machine's current mode is kept. Hotpatch on Azure VMs needs `AutomaticByPlatform`."),
                )
                .attribute(
                    AttributeSchema::string("assessment_mode")
                        .optional()
                        .computed()
                        .use_state_for_unknown()
                        .validator(one_of(ASSESSMENT_MODES))
                        .description("`AutomaticByPlatform` (periodic assessment) or `ImageDefault`. Left unset, the machine's current mode is kept."),
                )
                .attribute(
                    AttributeSchema::string("hotpatch_enablement_status")
                        .computed()
                        .description("Arc: the service's evaluation of the switch (`patchSettings.status.hotpatchEnablementStatus`: `Enabled`, `Disabled`, `ActionRequired`, `PendingEvaluation`, `Unknown`). Azure VMs: null."),
                )
                .attribute(
                    AttributeSchema::string("id")
                        .computed()
                        .use_state_for_unknown()
                        .description("Equals `machine_id`."),
                ),
        )
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::new(
            0,
            vec![
                IdentityAttribute::required("machine_id", Type::String).description(
                    "ARM id of the Arc machine or Azure VM whose hotpatch switch this is.",
                ),
            ],
        ))
    }

    fn identity(&self, state: &Value) -> Value {
        ObjectBuilder::new()
            .set(
                "machine_id",
                state.attr("machine_id").cloned().unwrap_or(Value::Null),
            )
            .build()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let c = ObjectReader::new(config);
        let id: Known<String> = c.get("machine_id").unwrap_or(Known::Unknown);
        let mode: Known<String> = c.get("patch_mode").unwrap_or(Known::Unknown);
        if let (Known::Value(id), Known::Value(mode)) = (id, mode) {
            if machine_kind(&id) == Ok(MachineKind::Vm) && mode == "ImageDefault" {
                diags.error_at(
                    path("patch_mode"),
                    "ImageDefault is not a VM patch mode",
                    "patch_mode \"ImageDefault\" exists only for Arc machines; Windows Azure VMs use \"AutomaticByPlatform\", \"AutomaticByOS\" or \"Manual\".",
                );
            }
        }
    }

    async fn modify_plan(
        &self,
        _ctx: &Context,
        data: Option<&HotpatchData>,
        req: &raw::PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) {
        let Some(machine_id) = req.config.attr("machine_id").and_then(Value::as_str) else {
            return;
        };
        let Ok(kind) = machine_kind(machine_id) else {
            return;
        };
        let prior_id = req.prior.attr("machine_id").and_then(Value::as_str);
        let machine_id = match prior_id {
            // Same machine spelled differently: keep the recorded spelling, no replacement.
            Some(p) if armclient::resource_id::ids_equal(p, machine_id) => p.to_owned(),
            _ => machine_id.to_owned(),
        };
        for name in ["machine_id", "id"] {
            if let Some(v) = planned.attr_mut(name) {
                *v = Value::string(machine_id.clone());
            }
        }
        if kind == MachineKind::Vm {
            if let Some(v) = planned.attr_mut("hotpatch_enablement_status") {
                *v = Value::Null;
            }
        }
        let enable: Known<bool> = ObjectReader::new(req.config)
            .get("hotpatching_enabled")
            .unwrap_or(Known::Unknown);
        let Some(data) = data else { return };
        // Plan-time checks: one read of the machine, before any write.
        let facts = match machine_facts::read(&data.arm, &machine_id, kind).await {
            Ok(Some(f)) => f,
            Ok(None) => {
                diags.error_at(
                    path("machine_id"),
                    "Machine not found",
                    format!("machine_id {machine_id} does not exist (or the credentials cannot see it)."),
                );
                return;
            }
            Err(e) => {
                diags.push(arm_error_at(
                    "reading the machine during plan",
                    &e,
                    path("machine_id"),
                ));
                return;
            }
        };
        plan_rules(&enable, req.config, &facts, diags);
        // Modes left unset keep the machine's current ones, so they are known now.
        for (name, current) in [
            ("patch_mode", &facts.patch_mode),
            ("assessment_mode", &facts.assessment_mode),
        ] {
            if let Some(v) = planned.attr_mut(name) {
                if v.is_unknown() {
                    *v = current.clone().map_or(Value::Null, Value::string);
                }
            }
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        self.apply(ctx, data, req).await
    }

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        current: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let machine_id = match ObjectReader::new(current).get::<String>("machine_id") {
            Ok(id) => id,
            Err(d) => return (None, d.into()),
        };
        let kind = match machine_kind(&machine_id) {
            Ok(k) => k,
            Err(e) => return (None, Diagnostic::error("Invalid machine id", e).into()),
        };
        let lookup = machine_facts::read(&data.arm, &machine_id, kind).await;
        read_outcome(current, "reading the machine", lookup, |facts| {
            Some(state(&machine_id, &facts))
        })
    }

    async fn update(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let (state, diags) = self.apply(ctx, data, req).await;
        // Nothing was written: the prior state still describes the machine.
        (state.or_else(|| Some(req.prior.clone())), diags)
    }

    async fn delete(&self, ctx: &Context, data: &HotpatchData, prior: &Value) -> Diagnostics {
        let machine_id = match ObjectReader::new(prior).get::<String>("machine_id") {
            Ok(id) => id,
            Err(d) => return d.into(),
        };
        let kind = match machine_kind(&machine_id) {
            Ok(k) => k,
            Err(e) => return Diagnostic::error("Invalid machine id", e).into(),
        };
        match machine_facts::read(&data.arm, &machine_id, kind).await {
            // Gone, or already off: nothing to turn off.
            Ok(None) => return Diagnostics::new(),
            Ok(Some(f)) if f.hotpatching_enabled != Some(true) => return Diagnostics::new(),
            Ok(Some(_)) => {}
            Err(e) => return arm_error("reading the machine", &e).into(),
        }
        let off = Desired {
            machine_id,
            kind,
            enable: false,
            patch_mode: None,
            assessment_mode: None,
        };
        let (_, diags) = match kind {
            MachineKind::Arc => self.apply_arc(ctx, data, &off).await,
            MachineKind::Vm => self.apply_vm(data, &off).await,
        };
        diags
    }

    async fn import(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: &raw::ImportRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        // `import { identity = { machine_id = ... } }` sends no id.
        let machine_id = req
            .identity
            .and_then(|i| i.attr("machine_id"))
            .and_then(Value::as_str)
            .unwrap_or(req.id)
            .trim();
        if let Err(e) = machine_kind(machine_id) {
            let d = Diagnostic::error(
                "Invalid import id",
                format!("Import hotpatch_machine_setting by Arc machine id or Azure VM id; {e}."),
            );
            return (None, d.into());
        }
        let partial = ObjectBuilder::new()
            .set("machine_id", machine_id)
            .set("id", machine_id)
            .set("hotpatching_enabled", None::<bool>)
            .set("patch_mode", None::<String>)
            .set("assessment_mode", None::<String>)
            .set("hotpatch_enablement_status", None::<String>)
            .build();
        (Some(partial), Diagnostics::new())
    }
}
