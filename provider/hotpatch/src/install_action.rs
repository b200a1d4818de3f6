//! `hotpatch_install`: a one-time update run on one Arc machine or Azure VM (`installPatches`).
//!
//! Arguments are checked at plan time (KB numbers, the ISO 8601 duration, reboot setting,
//! classifications, a KB both included and excluded), so nothing is started with a typo. The
//! run is a long-running POST whose progress is streamed while it runs; the action then
//! reports the service's counts and reboot status, and fails with the service's own error
//! when the run fails.
//!
//! One request is built from the configuration; a VM gets the same fields in its own body type
//! (whose `maximumDuration` is optional, but the default is sent to both so a run is always
//! bounded). A VM result also lists each patch's state, so its summary names the KBs.

use armclient::models::compute::{
    PatchInstallationState, VirtualMachineInstallPatchesParameters,
    VirtualMachineInstallPatchesResult, VmWindowsParameters,
};
use armclient::models::hybridcompute::{
    MachineInstallPatchesParameters, MachineInstallPatchesResult, PatchOperationStatus,
    RebootSetting, WindowsClassification, WindowsParameters,
};
use armclient::ErrorDetail;
use async_trait::async_trait;
use tfframework::raw;
use tfframework::validators::{each, one_of};
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics, Known,
    ObjectReader, ProgressSender, Type, Value,
};

use crate::action_progress::with_progress;
use crate::arm_diag::arm_error;
use crate::assess_action::{
    api_version, check_machine, config_machine, machine_id_attribute, reason, short_name,
};
use crate::install_validators::{kb_digits, Classification, IsoDuration, KbNumber};
use crate::machine_id::MachineKind;
use crate::provider::HotpatchData;

pub struct InstallAction;

/// `maximum_duration` when the configuration leaves it out.
const DEFAULT_DURATION: &str = "PT2H";
const DEFAULT_REBOOT: &str = "IfRequired";

/// The request body from a (wholly known) configuration.
fn parameters(config: &Value) -> Result<MachineInstallPatchesParameters, Diagnostic> {
    let r = ObjectReader::new(config);
    let list = |name: &str| r.get::<Option<Vec<String>>>(name);
    Ok(MachineInstallPatchesParameters {
        maximum_duration: r
            .get::<Option<String>>("maximum_duration")?
            .unwrap_or_else(|| DEFAULT_DURATION.to_owned()),
        reboot_setting: RebootSetting::from(
            r.get::<Option<String>>("reboot_setting")?
                .unwrap_or_else(|| DEFAULT_REBOOT.to_owned()),
        ),
        windows_parameters: Some(WindowsParameters {
            classifications_to_include: list("classifications_to_include")?
                .map(|l| l.into_iter().map(WindowsClassification::from).collect()),
            kb_numbers_to_include: list("kb_numbers_to_include")?,
            kb_numbers_to_exclude: list("kb_numbers_to_exclude")?,
            exclude_kbs_requiring_reboot: r.get::<Option<bool>>("exclude_kbs_requiring_reboot")?,
            max_patch_publish_date: None,
        }),
        linux_parameters: None,
    })
}

/// The same request as a VM body.
fn vm_parameters(p: &MachineInstallPatchesParameters) -> VirtualMachineInstallPatchesParameters {
    let w = p.windows_parameters.clone().unwrap_or_default();
    VirtualMachineInstallPatchesParameters {
        maximum_duration: Some(p.maximum_duration.clone()),
        reboot_setting: p.reboot_setting.clone(),
        windows_parameters: Some(VmWindowsParameters {
            classifications_to_include: w.classifications_to_include,
            kb_numbers_to_include: w.kb_numbers_to_include,
            kb_numbers_to_exclude: w.kb_numbers_to_exclude,
            exclude_kbs_requiring_reboot: w.exclude_kbs_requiring_reboot,
            max_patch_publish_date: w.max_patch_publish_date,
            ..Default::default()
        }),
        linux_parameters: None,
    }
}

/// What the action reports of a run, whichever kind of machine ran it.
struct Report {
    status: Option<PatchOperationStatus>,
    summary: String,
    error: String,
}

/// The fields both results share.
struct Counts<'a> {
    status: Option<&'a PatchOperationStatus>,
    installed: Option<i32>,
    failed: Option<i32>,
    pending: Option<i32>,
    excluded: Option<i32>,
    not_selected: Option<i32>,
    reboot: Option<&'a str>,
    window_exceeded: Option<bool>,
}

fn summary(name: &str, c: Counts<'_>, kbs: &str) -> String {
    let n = |v: Option<i32>| v.unwrap_or(0);
    format!(
        "Install on {name} {}: {} installed, {} failed, {} pending, {} excluded, {} not selected{kbs}; reboot status {}{}.",
        c.status.map_or("finished", |s| s.as_str()),
        n(c.installed),
        n(c.failed),
        n(c.pending),
        n(c.excluded),
        n(c.not_selected),
        c.reboot.unwrap_or("Unknown"),
        if c.window_exceeded == Some(true) { "; the maintenance window was exceeded" } else { "" },
    )
}

fn report(
    status: Option<PatchOperationStatus>,
    summary: String,
    error: Option<&ErrorDetail>,
) -> Report {
    Report {
        status,
        summary,
        error: reason(error),
    }
}

fn arc_report(name: &str, r: MachineInstallPatchesResult) -> Report {
    let counts = Counts {
        status: r.status.as_ref(),
        installed: r.installed_patch_count,
        failed: r.failed_patch_count,
        pending: r.pending_patch_count,
        excluded: r.excluded_patch_count,
        not_selected: r.not_selected_patch_count,
        reboot: r.reboot_status.as_ref().map(|s| s.as_str()),
        window_exceeded: r.maintenance_window_exceeded,
    };
    let text = summary(name, counts, "");
    report(r.status.clone(), text, r.error_details.as_ref())
}

/// ` (installed KB a, b; failed KB c)` from a VM result's per-patch states.
fn vm_kbs(r: &VirtualMachineInstallPatchesResult) -> String {
    let with = |state: PatchInstallationState| -> Vec<&str> {
        r.patches
            .iter()
            .flatten()
            .filter(|p| p.installation_state.as_ref() == Some(&state))
            .filter_map(|p| p.kb_id.as_deref())
            .collect()
    };
    let parts: Vec<String> = [
        ("installed", with(PatchInstallationState::Installed)),
        ("failed", with(PatchInstallationState::Failed)),
    ]
    .into_iter()
    .filter(|(_, kbs)| !kbs.is_empty())
    .map(|(what, kbs)| format!("{what} KB {}", kbs.join(", ")))
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn vm_report(name: &str, r: VirtualMachineInstallPatchesResult) -> Report {
    let counts = Counts {
        status: r.status.as_ref(),
        installed: r.installed_patch_count,
        failed: r.failed_patch_count,
        pending: r.pending_patch_count,
        excluded: r.excluded_patch_count,
        not_selected: r.not_selected_patch_count,
        reboot: r.reboot_status.as_ref().map(|s| s.as_str()),
        window_exceeded: r.maintenance_window_exceeded,
    };
    let text = summary(name, counts, &vm_kbs(&r));
    report(r.status.clone(), text, r.error.as_ref())
}

#[async_trait]
impl raw::Action<HotpatchData> for InstallAction {
    fn type_name(&self) -> &str {
        "hotpatch_install"
    }

    fn schema(&self) -> BlockSchema {
        let kb_list = |name: &str, description: &str| {
            AttributeSchema::list(name, Type::String)
                .optional()
                .validator(each(KbNumber))
                .description(description)
        };
        BlockSchema::new()
            .description("Installs updates on an Azure Arc-enabled machine or Azure VM now (a one-time Update Manager run), streaming progress while it runs. Ends with the installed/failed counts and reboot status, or fails with the service's error when the run fails.")
            .attribute(machine_id_attribute())
            .attribute(
                AttributeSchema::string("maximum_duration")
                    .optional()
                    .validator(IsoDuration)
                    .description("How long the run may take, as an ISO 8601 duration (`PT2H`, `PT90M`). Default `PT2H`."),
            )
            .attribute(
                AttributeSchema::string("reboot_setting")
                    .optional()
                    .validator(one_of(RebootSetting::KNOWN))
                    .description("`IfRequired` (default), `Never` or `Always`."),
            )
            .attribute(
                AttributeSchema::list("classifications_to_include", Type::String)
                    .optional()
                    .validator(each(Classification))
                    .description("Classifications to install: `Critical`, `Security`, `UpdateRollUp`, `FeaturePack`, `ServicePack`, `Definition`, `Tools`, `Updates` (case-insensitive)."),
            )
            .attribute(kb_list("kb_numbers_to_include", "KB numbers to install (digits, with or without a `KB` prefix), in addition to any selected classification."))
            .attribute(kb_list("kb_numbers_to_exclude", "KB numbers never to install."))
            .attribute(
                AttributeSchema::bool("exclude_kbs_requiring_reboot")
                    .optional()
                    .description("Skip every update that may need a restart, leaving only hotpatches and other updates that never reboot."),
            )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let r = ObjectReader::new(config);
        let Ok(Known::Value(include)) = r.get::<Known<Vec<Known<String>>>>("kb_numbers_to_include")
        else {
            return;
        };
        let Ok(Known::Value(exclude)) = r.get::<Known<Vec<Known<String>>>>("kb_numbers_to_exclude")
        else {
            return;
        };
        let included: Vec<&str> = include
            .iter()
            .filter_map(|k| match k {
                Known::Value(s) => Some(kb_digits(s)),
                _ => None,
            })
            .collect();
        for (i, kb) in exclude.iter().enumerate() {
            if let Known::Value(kb) = kb {
                if included.contains(&kb_digits(kb)) {
                    diags.error_at(
                        AttributePath::attr("kb_numbers_to_exclude").index(i as i64),
                        "KB both included and excluded",
                        format!("{kb} is listed in both kb_numbers_to_include and kb_numbers_to_exclude."),
                    );
                }
            }
        }
    }

    async fn plan(
        &self,
        _ctx: &Context,
        data: Option<&HotpatchData>,
        config: &Value,
    ) -> Diagnostics {
        check_machine(data, config).await
    }

    async fn invoke(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        config: &Value,
        progress: &ProgressSender,
    ) -> Diagnostics {
        let (machine_id, kind) = match config_machine(config) {
            Ok(m) => m,
            Err(d) => return d.into(),
        };
        let body = match parameters(config) {
            Ok(b) => b,
            Err(d) => return d.into(),
        };
        let name = short_name(&machine_id).to_owned();
        progress
            .send(format!(
                "Installing updates on {name} (maximum duration {}, reboot {})...",
                body.maximum_duration, body.reboot_setting
            ))
            .await;
        let path = format!("{machine_id}/installPatches");
        let api = api_version(kind);
        let result = with_progress(progress, format!("Install on {name}"), |cb| async move {
            Ok(match kind {
                MachineKind::Arc => data
                    .arm
                    .post_lro::<_, MachineInstallPatchesResult>(&path, api, &body, Some(cb))
                    .await?
                    .map(|r| arc_report(&name, r)),
                MachineKind::Vm => data
                    .arm
                    .post_lro::<_, VirtualMachineInstallPatchesResult>(
                        &path,
                        api,
                        &vm_parameters(&body),
                        Some(cb),
                    )
                    .await?
                    .map(|r| vm_report(&name, r)),
            })
        })
        .await;
        let r = match result {
            Err(e) => return arm_error("installing updates", &e).into(),
            Ok(None) => {
                return Diagnostic::error(
                    "Install returned no result",
                    format!("The update run on {machine_id} finished without a result."),
                )
                .into()
            }
            Ok(Some(r)) => r,
        };
        progress.send(r.summary.clone()).await;
        match &r.status {
            Some(PatchOperationStatus::Failed) => Diagnostic::error(
                "Update installation failed",
                format!(
                    "The update run on {machine_id} failed: {}\n\n{}",
                    r.error, r.summary
                ),
            )
            .into(),
            Some(PatchOperationStatus::CompletedWithWarnings) => Diagnostic::warning(
                "Update installation completed with warnings",
                format!("{}\n\n{}", r.summary, r.error),
            )
            .into(),
            _ => Diagnostics::new(),
        }
    }
}
