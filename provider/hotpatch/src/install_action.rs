//! `hotpatch_install`: a one-time update run on one Arc machine (`installPatches`).
//!
//! Arguments are checked at plan time (KB numbers, the ISO 8601 duration, reboot setting,
//! classifications, a KB both included and excluded), so nothing is started with a typo. The
//! run is a long-running POST whose progress is streamed while it runs; the action then
//! reports the service's counts and reboot status, and fails with the service's own error
//! when the run fails.

use armclient::models::hybridcompute::{
    MachineInstallPatchesParameters, MachineInstallPatchesResult, PatchOperationStatus,
    RebootSetting, WindowsClassification, WindowsParameters, API_VERSION,
};
use async_trait::async_trait;
use tfframework::validators::{each, one_of};
use tfframework::{
    Action, AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics, Known,
    ObjectReader, ProgressSender, Type, Value,
};

use crate::action_progress::with_progress;
use crate::arm_diag::arm_error;
use crate::assess_action::{check_machine, machine_id_attribute, short_name};
use crate::install_validators::{kb_digits, Classification, IsoDuration, KbNumber};
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

fn summary(name: &str, r: &MachineInstallPatchesResult) -> String {
    let n = |v: Option<i32>| v.unwrap_or(0);
    format!(
        "Install on {name} {}: {} installed, {} failed, {} pending, {} excluded, {} not selected; reboot status {}{}.",
        r.status.as_ref().map_or("finished", |s| s.as_str()),
        n(r.installed_patch_count),
        n(r.failed_patch_count),
        n(r.pending_patch_count),
        n(r.excluded_patch_count),
        n(r.not_selected_patch_count),
        r.reboot_status.as_ref().map_or("Unknown", |s| s.as_str()),
        if r.maintenance_window_exceeded == Some(true) { "; the maintenance window was exceeded" } else { "" },
    )
}

#[async_trait]
impl Action<HotpatchData> for InstallAction {
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
            .description("Installs updates on an Azure Arc-enabled machine now (a one-time Update Manager run), streaming progress while it runs. Ends with the installed/failed counts and reboot status, or fails with the service's error when the run fails.")
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
        let machine_id = match ObjectReader::new(config).get::<String>("machine_id") {
            Ok(id) => id,
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
        let result = with_progress(progress, format!("Install on {name}"), |cb| {
            data.arm
                .post_lro::<_, MachineInstallPatchesResult>(&path, API_VERSION, &body, Some(cb))
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
        let text = summary(&name, &r);
        progress.send(text.clone()).await;
        let reason = || {
            r.error_details
                .as_ref()
                .map_or("no reason given".to_owned(), |e| e.to_string())
        };
        match &r.status {
            Some(PatchOperationStatus::Failed) => Diagnostic::error(
                "Update installation failed",
                format!(
                    "The update run on {machine_id} failed: {}\n\n{text}",
                    reason()
                ),
            )
            .into(),
            Some(PatchOperationStatus::CompletedWithWarnings) => Diagnostic::warning(
                "Update installation completed with warnings",
                format!("{text}\n\n{}", reason()),
            )
            .into(),
            _ => Diagnostics::new(),
        }
    }
}
