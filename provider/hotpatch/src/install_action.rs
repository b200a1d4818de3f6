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
use async_trait::async_trait;
use tfframework::validators::{each, one_of};
use tfframework::{
    Action, AttributePath, Context, Diagnostic, Diagnostics, Known, Model, ProgressSender,
};

use crate::action_progress::{action_error, with_progress};
use crate::install_validators::{Classification, IsoDuration, Rfc3339DateTime};
use crate::kb::{self, KbNumber};
use crate::machine_id::{AnyMachineId, MachineKind};
use crate::machine_target::{self, MachineTarget};
use crate::patch_report::{status_word, Report};
use crate::provider_data::HotpatchData;

/// Installs updates on an Azure Arc-enabled machine or Azure VM now (a one-time Update Manager
/// run), streaming progress while it runs. Ends with the installed/failed counts and reboot
/// status, or fails with the service's error when the run fails.
#[derive(Model)]
pub struct InstallConfig {
    /// ARM id of the `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines`
    /// resource (compared case-insensitively).
    #[tf(required, validator = AnyMachineId)]
    machine_id: String,
    /// How long the run may take, as an ISO 8601 duration (`PT2H`, `PT90M`). Default `PT2H`.
    #[tf(optional, validator = IsoDuration)]
    maximum_duration: Option<String>,
    /// `IfRequired` (default), `Never` or `Always`.
    #[tf(optional, validator = one_of(RebootSetting::KNOWN))]
    reboot_setting: Option<String>,
    /// Classifications to install: `Critical`, `Security`, `UpdateRollUp`, `FeaturePack`,
    /// `ServicePack`, `Definition`, `Tools`, `Updates` (case-insensitive).
    #[tf(optional, validator = each(Classification))]
    classifications_to_include: Option<Vec<String>>,
    /// KB numbers to install (digits, with or without a `KB` prefix), in addition to any
    /// selected classification.
    #[tf(optional, validator = each(KbNumber))]
    kb_numbers_to_include: Option<Vec<String>>,
    /// KB numbers never to install.
    #[tf(optional, validator = each(KbNumber))]
    kb_numbers_to_exclude: Option<Vec<String>>,
    /// Skip every update that may need a restart, leaving only hotpatches and other updates
    /// that never reboot.
    #[tf(optional)]
    exclude_kbs_requiring_reboot: Option<bool>,
    /// Install only updates published on or before this RFC 3339 date-time
    /// (`2025-06-10T00:00:00Z`), e.g. to roll out exactly what a test ring validated. Sent as
    /// written.
    #[tf(optional, validator = Rfc3339DateTime)]
    max_patch_publish_date: Option<String>,
}

pub struct InstallAction;

/// The operation the action POSTs.
const OPERATION: &str = "installPatches";
/// `maximum_duration` when the configuration leaves it out.
const DEFAULT_DURATION: &str = "PT2H";
const DEFAULT_REBOOT: &str = "IfRequired";

/// The request body from the configuration.
fn parameters(config: &InstallConfig) -> MachineInstallPatchesParameters {
    MachineInstallPatchesParameters {
        maximum_duration: config
            .maximum_duration
            .clone()
            .unwrap_or_else(|| DEFAULT_DURATION.to_owned()),
        reboot_setting: RebootSetting::from(
            config
                .reboot_setting
                .clone()
                .unwrap_or_else(|| DEFAULT_REBOOT.to_owned()),
        ),
        windows_parameters: Some(WindowsParameters {
            classifications_to_include: config
                .classifications_to_include
                .clone()
                .map(|l| l.into_iter().map(WindowsClassification::from).collect()),
            kb_numbers_to_include: config.kb_numbers_to_include.clone(),
            kb_numbers_to_exclude: config.kb_numbers_to_exclude.clone(),
            exclude_kbs_requiring_reboot: config.exclude_kbs_requiring_reboot,
            max_patch_publish_date: config.max_patch_publish_date.clone(),
        }),
        linux_parameters: None,
    }
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
        status_word(c.status),
        n(c.installed),
        n(c.failed),
        n(c.pending),
        n(c.excluded),
        n(c.not_selected),
        c.reboot.unwrap_or("Unknown"),
        if c.window_exceeded == Some(true) { "; the maintenance window was exceeded" } else { "" },
    )
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
    Report::new(r.status.clone(), text, r.error_details.as_ref())
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
    Report::new(r.status.clone(), text, r.error.as_ref())
}

#[async_trait]
impl Action<HotpatchData> for InstallAction {
    type Config = InstallConfig;
    const TYPE_NAME: &'static str = "hotpatch_install";

    /// A KB both included and excluded is a contradiction the service would not report.
    fn validate(&self, config: &InstallConfigPlan, diags: &mut Diagnostics) {
        let (Known::Value(include), Known::Value(exclude)) =
            (&config.kb_numbers_to_include, &config.kb_numbers_to_exclude)
        else {
            return;
        };
        let included: Vec<&str> = include
            .iter()
            .filter_map(|k| match k {
                Known::Value(s) => Some(kb::key(s)),
                _ => None,
            })
            .collect();
        for (i, kb) in exclude.iter().enumerate() {
            if let Known::Value(kb) = kb {
                if included.contains(&kb::key(kb)) {
                    diags.error_at(
                        AttributePath::attr(InstallConfig::KB_NUMBERS_TO_EXCLUDE).index(i as i64),
                        "KB both included and excluded",
                        format!(
                            "{kb} is listed in both {} and {}.",
                            InstallConfig::KB_NUMBERS_TO_INCLUDE,
                            InstallConfig::KB_NUMBERS_TO_EXCLUDE
                        ),
                    );
                }
            }
        }
    }

    async fn plan(
        &self,
        ctx: &Context,
        data: Option<&HotpatchData>,
        config: &InstallConfigPlan,
    ) -> Diagnostics {
        machine_target::check_exists(ctx, data, &config.machine_id, InstallConfig::MACHINE_ID).await
    }

    async fn invoke(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        config: &InstallConfig,
        progress: &ProgressSender,
    ) -> Diagnostics {
        let target = match MachineTarget::new(&config.machine_id, InstallConfig::MACHINE_ID) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        let body = parameters(config);
        let machine_id = &config.machine_id;
        let name = target.name().to_owned();
        progress
            .send(format!(
                "Installing updates on {name} (maximum duration {}, reboot {})...",
                body.maximum_duration, body.reboot_setting
            ))
            .await;
        let path = target.operation_path(OPERATION);
        let api = target.api_version();
        let arm = &data.arm_for(ctx);
        let result = with_progress(progress, format!("Install on {name}"), |cb| async move {
            Ok(match target.kind {
                MachineKind::Arc => arm
                    .post_lro::<_, MachineInstallPatchesResult>(&path, api, &body, Some(cb))
                    .await?
                    .map(|r| arc_report(&name, r)),
                MachineKind::Vm => arm
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
            Err(e) => return action_error("installing updates", &e).into(),
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

#[cfg(test)]
mod tests {
    //! The wire format of the install POST, one place to read it (CONTRACT §2.4 Arc, §3 VM):
    //! the bodies are built by `parameters` and `vm_parameters`, as `invoke` builds them, and
    //! serialized as the ARM client sends them.

    use serde::Serialize;
    use serde_json::json;

    use super::*;
    use crate::machine_target::test_ids::{ARC, VM};

    /// Only `machine_id` configured.
    fn bare(machine_id: &str) -> InstallConfig {
        InstallConfig {
            machine_id: machine_id.into(),
            maximum_duration: None,
            reboot_setting: None,
            classifications_to_include: None,
            kb_numbers_to_include: None,
            kb_numbers_to_exclude: None,
            exclude_kbs_requiring_reboot: None,
            max_patch_publish_date: None,
        }
    }

    /// Every argument configured, classifications in the user's spelling.
    fn full(machine_id: &str) -> InstallConfig {
        InstallConfig {
            maximum_duration: Some("PT90M".into()),
            reboot_setting: Some("Never".into()),
            classifications_to_include: Some(vec!["security".into(), "UpdateRollup".into()]),
            kb_numbers_to_include: Some(vec!["KB5061001".into()]),
            kb_numbers_to_exclude: Some(vec!["5061002".into()]),
            exclude_kbs_requiring_reboot: Some(true),
            max_patch_publish_date: Some("2025-06-10T02:36:43.0539904+00:00".into()),
            ..bare(machine_id)
        }
    }

    /// The body as the ARM client puts it on the wire (`serde_json::to_vec`).
    fn sent(body: &impl Serialize) -> serde_json::Value {
        serde_json::from_slice(&serde_json::to_vec(body).unwrap()).unwrap()
    }

    /// Path, api-version and body of the POST `invoke` sends for `config`.
    fn request(config: &InstallConfig) -> (String, &'static str, serde_json::Value) {
        let target = MachineTarget::new(&config.machine_id, InstallConfig::MACHINE_ID).unwrap();
        let body = parameters(config);
        let body = match target.kind {
            MachineKind::Arc => sent(&body),
            MachineKind::Vm => sent(&vm_parameters(&body)),
        };
        (target.operation_path(OPERATION), target.api_version(), body)
    }

    /// A VM's `maximumDuration` is optional, but the default is sent so a run is bounded.
    #[test]
    fn posts_with_defaults() {
        let body = json!({
            "maximumDuration": "PT2H",
            "rebootSetting": "IfRequired",
            "windowsParameters": {}
        });
        assert_eq!(
            request(&bare(ARC)),
            (format!("{ARC}/installPatches"), "2025-01-13", body.clone())
        );
        assert_eq!(
            request(&bare(VM)),
            (format!("{VM}/installPatches"), "2025-04-01", body)
        );
    }

    /// Classifications are sent in the API's spelling whatever the user's.
    #[test]
    fn posts_with_every_argument() {
        let body = json!({
            "maximumDuration": "PT90M",
            "rebootSetting": "Never",
            "windowsParameters": {
                "classificationsToInclude": ["Security", "UpdateRollUp"],
                "kbNumbersToInclude": ["KB5061001"],
                "kbNumbersToExclude": ["5061002"],
                "excludeKbsRequiringReboot": true,
                "maxPatchPublishDate": "2025-06-10T02:36:43.0539904+00:00"
            }
        });
        assert_eq!(
            request(&full(ARC)),
            (format!("{ARC}/installPatches"), "2025-01-13", body.clone())
        );
        assert_eq!(
            request(&full(VM)),
            (format!("{VM}/installPatches"), "2025-04-01", body)
        );
    }

    #[test]
    fn a_kb_both_included_and_excluded_is_an_error_at_the_exclusion() {
        let config = InstallConfig {
            kb_numbers_to_include: Some(vec!["KB5061001".into(), "5061003".into()]),
            kb_numbers_to_exclude: Some(vec!["5061002".into(), "kb5061001".into()]),
            ..bare(ARC)
        };
        let mut diags = Diagnostics::new();
        Action::<HotpatchData>::validate(&InstallAction, &config.plan(), &mut diags);
        let paths: Vec<_> = diags.iter().map(|d| d.attribute.clone()).collect();
        assert_eq!(
            paths,
            [Some(
                AttributePath::attr(InstallConfig::KB_NUMBERS_TO_EXCLUDE).index(1)
            )]
        );
    }
}
