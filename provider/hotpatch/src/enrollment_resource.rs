//! `hotpatch_enrollment`: the hotpatch license of one Arc machine.
//!
//! The license lives in the machine's `licenseProfiles/default` child resource, shared with
//! ESU, Software Assurance and the product-level Windows Server subscription. Enrolling and
//! cancelling write the `Hotpatch` product feature alone (`license_feature`), so nothing else is
//! licensed, billed or lost because of this resource. Reads go through the machine
//! ([`read_machine`]), whose body mirrors the license profile next to the patch settings the
//! status word needs, so a refresh costs one ARM read at most: a GET, or a row of a list page
//! shared with the other machines of its resource group.
//!
//! Partial failures end deliberately (docs/resources/enrollment.md, "Reliability"):
//!
//! * never adopt: a create that finds the feature already `Enabled` / `Enabling` fails before
//!   writing, with the import instructions. An enrollment this provider wrote is never looked
//!   at that way, because every write ARM may have accepted leaves the object in state (the
//!   next run refreshes it instead of creating it).
//! * never lose a write: whenever ARM may have accepted the write, create returns a state (as
//!   read back with a fresh context, or the planned object when that read fails too).
//! * an unfinished wait after an accepted write is a warning, not an error: an error on create
//!   taints the object, and replacing an enrollment means cancelling the license and enrolling
//!   it again, while the service finishes the one it accepted on its own; the transitional
//!   status is recorded and the next refresh reconciles it. Only the service's own verdict
//!   (`Failed`) is an error.

use std::time::Duration;

use armclient::models::hybridcompute::{
    LicenseProfile, Machine, PatchSettings, ProductFeature, SubscriptionStatus, API_VERSION,
    HOTPATCH_FEATURE, LICENSE_PROFILE_NAME,
};
use armclient::{ArmClient, ArmError};
use async_trait::async_trait;
use tfframework::{
    ApplyRequest, AttributePath, Context, Diagnostic, Diagnostics, ImportRequest, Known, Model,
    PlanRequest, Resource, TimeoutDefaults,
};

use crate::already_exists::already_exists;
use crate::arm_diag::{arm_error_at, op_error, read_outcome};
use crate::license_feature::{changes_besides_hotpatch, feature_write, set_feature, WriteEnd};
use crate::machine_facts::MachineFacts;
use crate::machine_id::{strip_license_profile, ArcMachineId, LICENSE_PROFILE_SUFFIX};
use crate::provider_data::HotpatchData;
use crate::status::{portal_status, HotpatchSignals};
use crate::unfinished::Unfinished;

/// How long create and destroy wait by default for the license to settle: the service takes
/// minutes, and a license left `Enabling` is not yet billed nor usable.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The hotpatch license of one Azure Arc-enabled Windows Server 2025 machine. Create enrolls the
/// machine (license profile feature `Hotpatch` enabled) and waits until the service settles;
/// destroy cancels only the Hotpatch feature. Only that feature is ever written: ESU, Software
/// Assurance and the product-level Windows Server subscription are never set, cleared or sent.
/// Pair it with `hotpatch_machine_setting` (`hotpatching_enabled = true`) to enable hotpatching,
/// as the portal's "Enable Hotpatching" does.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct EnrollmentModel {
    /// ARM id of the `Microsoft.HybridCompute/machines` resource (compared case-insensitively).
    #[tf(required, replace, validator = ArcMachineId)]
    pub machine_id: String,
    /// `<machine_id>/licenseProfiles/default`.
    #[tf(computed, state_for_unknown)]
    pub id: Option<String>,
    /// The portal's word for the machine (`Enabled`, `Disabled`, `Pending`, `Canceled` or `Not
    /// enrolled`) as of this resource's last apply or refresh. It combines the license with the
    /// machine's hotpatch switch, so it changes when the switch changes (a
    /// `hotpatch_machine_setting`, the portal), and state shows the new word at the next
    /// refresh: in the run that enrolls a machine and then switches hotpatching on it reads
    /// `Disabled` (enrolled, switch not yet on), and `Enabled` from the next plan or apply on.
    #[tf(computed)]
    pub status: Option<String>,
    /// Raw `subscriptionStatus` of the Hotpatch feature (`Enabled`, `Enabling`, `Failed`, ...)
    /// as of the last apply or refresh; `Enabling` is recorded when apply stopped waiting
    /// before the service finished.
    #[tf(computed)]
    pub subscription_status: Option<String>,
    /// When the machine was enrolled (RFC 3339).
    #[tf(computed)]
    pub enrollment_date: Option<String>,
    /// When billing of the Hotpatch feature started (RFC 3339).
    #[tf(computed)]
    pub billing_start_date: Option<String>,
    /// When the license was cancelled (RFC 3339).
    #[tf(computed)]
    pub disenrollment_date: Option<String>,
    /// When billing of the Hotpatch feature ended (RFC 3339).
    #[tf(computed)]
    pub billing_end_date: Option<String>,
}

/// Names one enrollment for good, for `import { identity = ... }` and `terraform query`.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct EnrollmentIdentity {
    /// ARM id of the Arc machine whose hotpatch license this is.
    #[tf(required)]
    pub machine_id: String,
}

pub struct EnrollmentResource;

fn machine_path() -> AttributePath {
    AttributePath::attr(EnrollmentModel::MACHINE_ID)
}

fn license_profile_path(machine_id: &str) -> String {
    format!("{machine_id}/licenseProfiles/{LICENSE_PROFILE_NAME}")
}

/// The Hotpatch feature when it holds an enrollment: a feature cancelled or never made means
/// "no enrollment" for Terraform.
pub(crate) fn enrolled(feature: Option<&ProductFeature>) -> Option<&ProductFeature> {
    feature.filter(|f| {
        !matches!(
            f.subscription_status,
            None | Some(
                SubscriptionStatus::Disabled
                    | SubscriptionStatus::Disabling
                    | SubscriptionStatus::Unknown
            )
        )
    })
}

impl EnrollmentModel {
    /// The state of an enrollment from its feature and the machine's patch settings.
    pub(crate) fn from_feature(
        machine_id: &str,
        feature: &ProductFeature,
        patch: Option<&PatchSettings>,
    ) -> Self {
        let subscription_status = feature
            .subscription_status
            .as_ref()
            .map(|s| s.as_str().to_owned());
        let signals = HotpatchSignals {
            feature_status: subscription_status.clone(),
            feature_ended: feature.disenrollment_date.is_some()
                || feature.billing_end_date.is_some(),
            enable_hotpatching: patch.and_then(|p| p.enable_hotpatching),
            enablement_status: patch
                .and_then(|p| p.status.as_ref())
                .and_then(|s| s.hotpatch_enablement_status.as_ref())
                .map(|s| s.as_str().to_owned()),
        };
        EnrollmentModel {
            status: Some(portal_status(&signals).as_str().to_owned()),
            subscription_status,
            enrollment_date: feature.enrollment_date.clone(),
            billing_start_date: feature.billing_start_date.clone(),
            disenrollment_date: feature.disenrollment_date.clone(),
            billing_end_date: feature.billing_end_date.clone(),
            ..EnrollmentModel::of_machine(machine_id)
        }
    }

    /// What is known of an enrollment from its machine id alone: import, and a create whose
    /// outcome could not be read back (the planned object). The next read fills the rest.
    fn of_machine(machine_id: &str) -> Self {
        EnrollmentModel {
            machine_id: machine_id.to_owned(),
            id: Some(license_profile_path(machine_id)),
            status: None,
            subscription_status: None,
            enrollment_date: None,
            billing_start_date: None,
            disenrollment_date: None,
            billing_end_date: None,
        }
    }
}

/// The Hotpatch feature as the machine GET mirrors it.
pub(crate) fn machine_feature(machine: &Machine) -> Option<&ProductFeature> {
    machine
        .properties
        .as_ref()?
        .license_profile
        .as_ref()?
        .product_profile
        .as_ref()?
        .feature(HOTPATCH_FEATURE)
}

/// The one ARM read of an enrollment: the machine, whose body mirrors the license profile next
/// to the patch settings the status word needs. Refresh, the plan-time check, create's first
/// look and every read-back after a write go through here, and here through the process's
/// coalesced fleet reads (`fleet_reads`): a row of a shared list page when one is fresh and
/// nothing this process wrote to the machine has ended since, else one GET. Whether an
/// enrollment already exists (never adopt) is not taken from here but from create's own GET
/// of the license profile.
pub(crate) async fn read_machine(
    data: &HotpatchData,
    arm: &ArmClient,
    machine_id: &str,
) -> Result<Option<Machine>, ArmError> {
    data.arc_machine(arm, machine_id).await
}

/// The Hotpatch feature when it already holds an enrollment (`Enabled` or `Enabling`): what
/// create must not take over. `Failed` is not one (enrolling again is the way out of it).
fn existing_enrollment(profile: Option<&LicenseProfile>) -> Option<&ProductFeature> {
    profile?.hotpatch_feature().filter(|f| {
        matches!(
            f.subscription_status,
            Some(SubscriptionStatus::Enabled | SubscriptionStatus::Enabling)
        )
    })
}

fn adoption_refused(machine_id: &str, feature: &ProductFeature) -> Diagnostic {
    let word = feature
        .subscription_status
        .as_ref()
        .map_or("Enabled", |s| s.as_str());
    let since = feature
        .enrollment_date
        .as_deref()
        .map(|d| format!(" (enrolled {d})"))
        .unwrap_or_default();
    already_exists(
        EnrollmentResource::TYPE_NAME,
        &license_profile_path(machine_id),
        &format!("The Hotpatch feature of {machine_id} is already {word}{since}: it was enrolled outside this Terraform configuration, and taking it over would make `terraform destroy` cancel a license Terraform did not create."),
        &[(EnrollmentIdentity::MACHINE_ID, machine_id)],
    )
    .at(machine_path())
}

/// What the service said when it refused a write. A refused body (400) gets a hint: the
/// provider sends only the Hotpatch feature and will not add another product to get it
/// accepted.
fn write_refused(ctx: &Context, doing: &str, e: &ArmError) -> Diagnostic {
    let mut d = op_error(ctx, doing, e);
    if e.status() == Some(400) {
        d.detail.push_str(&format!(
            "\n\nThe provider sends only the {HOTPATCH_FEATURE} product feature of the license profile (`properties.productProfile.productFeatures`), never a product-level `subscriptionStatus` / `productType`, ESU or Software Assurance, so that nothing else is licensed or billed. If the service requires one of those on this machine, that is a licensing decision to make outside this resource (for example in the Azure portal); the provider does not make it for you."
        ));
    }
    d
}

/// Warns about fields of the license profile that changed while the provider wrote the
/// Hotpatch feature: the provider did not send them, so someone (or the service) did.
fn changed_meanwhile(machine_id: &str, changes: &[String]) -> Option<Diagnostic> {
    if changes.is_empty() {
        return None;
    }
    Some(Diagnostic::warning(
        "The license profile changed outside the Hotpatch feature",
        format!(
            "While the provider wrote the Hotpatch feature of {machine_id}, these fields of its license profile changed:\n  {}\nThe provider sends only the Hotpatch feature, so it did not make (nor overwrite) these changes: someone else, or the service, did. If they were not intended, check ESU and Software Assurance of this machine: they may need restoring.",
            changes.join("\n  ")
        ),
    ))
}

/// How a create ends after a write ARM may have accepted whose outcome apply could not wait
/// for: the machine as read back with a fresh context (the operation's may be over), or the
/// planned object when that read fails too.
async fn record_unfinished(
    ctx: &Context,
    data: &HotpatchData,
    machine_id: &str,
    why: &Unfinished,
) -> (Option<EnrollmentModel>, Diagnostics) {
    let (recovery, _guard) = ctx.recovery();
    let arm = data.arm_for(&recovery);
    let raise = why.raise_hint("create");
    let mut diags = Diagnostics::new();
    match read_machine(data, &arm, machine_id).await {
        Ok(Some(machine)) => match enrolled(machine_feature(&machine)) {
            Some(feature) => {
                let state = EnrollmentModel::from_feature(
                    machine_id,
                    feature,
                    machine.windows_patch_settings(),
                );
                if feature.subscription_status == Some(SubscriptionStatus::Failed) {
                    diags.push(enrollment_failed(machine_id, feature));
                } else {
                    diags.warning(
                        "Hotpatch enrollment not finished",
                        format!(
                            "Apply stopped waiting for the enrollment of {machine_id}: {}. ARM accepted it, so it is recorded with subscription_status {} (status {}); the service keeps working on it and the next refresh records the outcome.{raise}",
                            why.describe(),
                            state.subscription_status.as_deref().unwrap_or("unknown"),
                            state.status.as_deref().unwrap_or("unknown"),
                        ),
                    );
                }
                (Some(state), diags)
            }
            None => {
                diags.error(
                    "Hotpatch enrollment did not take effect",
                    format!("Apply stopped waiting for the enrollment of {machine_id} ({}), and its license profile shows no enrollment, so nothing is recorded; the next apply enrolls it.", why.describe()),
                );
                (None, diags)
            }
        },
        Ok(None) => {
            diags.error(
                "Arc machine disappeared",
                format!(
                    "{machine_id} was deleted while it was being enrolled ({}).",
                    why.describe()
                ),
            );
            (None, diags)
        }
        Err(e) => {
            diags.warning(
                "Hotpatch enrollment not confirmed",
                format!(
                    "Apply stopped waiting for the enrollment of {machine_id}: {}. ARM may have accepted it, and reading the machine back failed too ({e}), so it is recorded as planned; the next refresh shows whether it took effect (and the next plan proposes to enroll it again if it did not).{raise}",
                    why.describe()
                ),
            );
            (Some(EnrollmentModel::of_machine(machine_id)), diags)
        }
    }
}

fn enrollment_failed(machine_id: &str, feature: &ProductFeature) -> Diagnostic {
    let reason = feature
        .error
        .as_ref()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "no reason given".into());
    Diagnostic::error(
        "Hotpatch enrollment failed",
        format!("The service reported the Hotpatch feature of {machine_id} as Failed: {reason}"),
    )
}

/// The state and diagnostics of a create whose write settled.
fn created(
    machine_id: &str,
    existing: Option<&LicenseProfile>,
    profile: &LicenseProfile,
    lost: Option<&ArmError>,
    patch: Option<&PatchSettings>,
) -> (Option<EnrollmentModel>, Diagnostics) {
    let mut diags = Diagnostics::new();
    diags.extend(
        changed_meanwhile(machine_id, &changes_besides_hotpatch(existing, profile))
            .map(Diagnostics::from)
            .unwrap_or_default(),
    );
    let Some(feature) = enrolled(profile.hotpatch_feature()) else {
        let now = profile
            .hotpatch_feature()
            .and_then(|f| f.subscription_status.as_ref())
            .map_or("absent", |s| s.as_str());
        let detail = match lost {
            Some(e) => format!("Enrolling {machine_id} failed ({e}), and its license profile shows the Hotpatch feature {now}: the enrollment did not land, so nothing is recorded; the next apply enrolls it."),
            None => format!("The service accepted the enrollment of {machine_id}, but its license profile shows the Hotpatch feature {now}."),
        };
        diags.error("Hotpatch enrollment did not take effect", detail);
        return (None, diags);
    };
    if feature.subscription_status == Some(SubscriptionStatus::Failed) {
        diags.push(enrollment_failed(machine_id, feature));
    } else if let Some(e) = lost {
        diags.warning(
            "Hotpatch enrollment confirmed by reading it back",
            format!("ARM's answer to the enrollment of {machine_id} was lost ({e}); its license profile shows the Hotpatch feature enrolled, so it is recorded."),
        );
    }
    let state = EnrollmentModel::from_feature(machine_id, feature, patch);
    (Some(state), diags)
}

#[async_trait]
impl Resource<HotpatchData> for EnrollmentResource {
    type Model = EnrollmentModel;
    type Identity = EnrollmentIdentity;
    const TYPE_NAME: &'static str = "hotpatch_enrollment";

    fn timeouts(&self) -> TimeoutDefaults {
        TimeoutDefaults {
            create: SETTLE_TIMEOUT,
            delete: SETTLE_TIMEOUT,
            ..TimeoutDefaults::default()
        }
    }

    fn identity(&self, state: &EnrollmentModelPlan) -> EnrollmentIdentityPlan {
        EnrollmentIdentityPlan {
            machine_id: state.machine_id.clone(),
        }
    }

    async fn modify_plan(
        &self,
        ctx: &Context,
        data: Option<&HotpatchData>,
        req: PlanRequest<'_, EnrollmentModel>,
        planned: &mut EnrollmentModelPlan,
        diags: &mut Diagnostics,
    ) {
        let Known::Value(machine_id) = &req.config.machine_id else {
            return;
        };
        if let Some(prior) = req.prior {
            // Same machine spelled differently: keep the state as it is, no replacement.
            if prior.machine_id.eq_ignore_ascii_case(machine_id) {
                *planned = prior.plan();
            }
            return;
        }
        planned.id = Known::Value(license_profile_path(machine_id));
        let Some(data) = data else { return };
        // Plan-time eligibility: fail before any write when the machine cannot be enrolled.
        // (An existing enrollment is checked at apply, not here: when Terraform replaces an
        // enrollment, this plan runs while the old one still exists.)
        match read_machine(data, &data.arm_for(ctx), machine_id).await {
            Ok(None) => diags.error_at(
                machine_path(),
                "Arc machine not found",
                format!(
                    "machine_id {machine_id} does not exist (or the credentials cannot see it)."
                ),
            ),
            Ok(Some(machine)) => {
                for issue in MachineFacts::from_arc(&machine).ineligibility() {
                    diags.error_at(
                        machine_path(),
                        "Machine cannot be enrolled in hotpatch",
                        format!("machine_id {machine_id}: {issue}."),
                    );
                }
            }
            Err(e) => diags.push(arm_error_at(
                "reading the Arc machine during plan",
                &e,
                machine_path(),
            )),
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ApplyRequest<'_, EnrollmentModel>,
    ) -> (Option<EnrollmentModel>, Diagnostics) {
        let machine_id = req.planned.machine_id.as_str();
        let arm = data.arm_for(ctx);
        let machine = match read_machine(data, &arm, machine_id).await {
            Ok(Some(m)) => m,
            Ok(None) => {
                let d = Diagnostic::error(
                    "Arc machine not found",
                    format!("machine_id {machine_id} does not exist (or the credentials cannot see it)."),
                );
                return (None, d.at(machine_path()).into());
            }
            Err(e) => {
                let d = op_error(ctx, "reading the Arc machine", &e).at(machine_path());
                return (None, d.into());
            }
        };
        let path = license_profile_path(machine_id);
        let existing: Option<LicenseProfile> = match arm.get_optional(&path, API_VERSION).await {
            Ok(p) => p,
            Err(e) => {
                return (
                    None,
                    op_error(ctx, "reading the license profile", &e).into(),
                )
            }
        };
        if let Some(feature) = existing_enrollment(existing.as_ref()) {
            return (None, adoption_refused(machine_id, feature).into());
        }
        let write = feature_write(existing.as_ref(), machine.location.clone(), true);
        match set_feature(ctx, &arm, &path, &write).await {
            WriteEnd::Rejected(e) => (
                None,
                write_refused(ctx, "enrolling the machine in hotpatch", &e).into(),
            ),
            WriteEnd::Settled { profile, lost } => created(
                machine_id,
                existing.as_ref(),
                &profile,
                lost.as_ref(),
                machine.windows_patch_settings(),
            ),
            WriteEnd::Unfinished(why) => record_unfinished(ctx, data, machine_id, &why).await,
        }
    }

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        current: &EnrollmentModel,
    ) -> (Option<EnrollmentModel>, Diagnostics) {
        let machine_id = current.machine_id.as_str();
        let arm = data.arm_for(ctx);
        let lookup = read_machine(data, &arm, machine_id).await;
        read_outcome(current, "reading the Arc machine", lookup, |machine| {
            // Cancelled (or never enrolled) outside Terraform reads as gone, so the next plan
            // enrolls again.
            enrolled(machine_feature(&machine)).map(|f| {
                EnrollmentModel::from_feature(machine_id, f, machine.windows_patch_settings())
            })
        })
    }

    async fn update(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: ApplyRequest<'_, EnrollmentModel>,
    ) -> (Option<EnrollmentModel>, Diagnostics) {
        // Every argument forces replacement; an update only ever changes the timeouts block,
        // and the plan already carries the computed values.
        (Some(req.planned.clone()), Diagnostics::new())
    }

    async fn delete(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        prior: &EnrollmentModel,
    ) -> Diagnostics {
        let machine_id = prior.machine_id.as_str();
        let path = license_profile_path(machine_id);
        let arm = data.arm_for(ctx);
        let existing: Option<LicenseProfile> = match arm.get_optional(&path, API_VERSION).await {
            Ok(p) => p,
            Err(e) => return op_error(ctx, "reading the license profile", &e).into(),
        };
        if enrolled(existing.as_ref().and_then(LicenseProfile::hotpatch_feature)).is_none() {
            return Diagnostics::new();
        }
        let write = feature_write(existing.as_ref(), None, false);
        match set_feature(ctx, &arm, &path, &write).await {
            WriteEnd::Rejected(e) => {
                write_refused(ctx, "cancelling the hotpatch license", &e).into()
            }
            WriteEnd::Settled { profile, lost } => {
                cancelled(machine_id, existing.as_ref(), &profile, lost.as_ref())
            }
            WriteEnd::Unfinished(why) => cancel_unfinished(ctx, data, machine_id, &why).await,
        }
    }

    async fn import(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: ImportRequest<'_, EnrollmentIdentity>,
    ) -> (Option<EnrollmentModel>, Diagnostics) {
        // `import { identity = { machine_id = ... } }` sends no id.
        let machine_id = match req.identity {
            Some(identity) => identity.machine_id.trim(),
            None => strip_license_profile(req.id.trim()),
        };
        if let Err(e) = armclient::resource_id::parse_hybrid_machine_id(machine_id) {
            let d = Diagnostic::error(
                "Invalid import id",
                format!("Import hotpatch_enrollment by Arc machine id or by its license-profile id (<machine id>{LICENSE_PROFILE_SUFFIX}); {e}."),
            );
            return (None, d.into());
        }
        let state = EnrollmentModel::of_machine(machine_id);
        (Some(state), Diagnostics::new())
    }
}

/// The diagnostics of a destroy whose cancellation settled: the feature must now be off.
fn cancelled(
    machine_id: &str,
    existing: Option<&LicenseProfile>,
    profile: &LicenseProfile,
    lost: Option<&ArmError>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(d) = changed_meanwhile(machine_id, &changes_besides_hotpatch(existing, profile)) {
        diags.push(d);
    }
    if let Some(feature) = enrolled(profile.hotpatch_feature()) {
        let now = feature
            .subscription_status
            .as_ref()
            .map_or("enrolled", |s| s.as_str());
        let how = match lost {
            Some(e) => format!("cancelling it failed ({e}) and "),
            None => String::new(),
        };
        let mut d = Diagnostic::error(
            "Hotpatch license not cancelled",
            format!("The Hotpatch feature of {machine_id} is still {now}: {how}the license profile shows it enrolled, so the enrollment stays in state and the next destroy tries again."),
        );
        if let Some(reason) = feature.error.as_ref() {
            d.detail.push_str(&format!(" The service says: {reason}"));
        }
        diags.push(d);
    }
    diags
}

/// How a destroy ends when ARM may have accepted the cancellation but apply could not wait for
/// it: a cancellation under way (`Disabling`) already reads as gone, so it only warns; one that
/// cannot be confirmed keeps the enrollment in state.
async fn cancel_unfinished(
    ctx: &Context,
    data: &HotpatchData,
    machine_id: &str,
    why: &Unfinished,
) -> Diagnostics {
    let (recovery, _guard) = ctx.recovery();
    let arm = data.arm_for(&recovery);
    let mut diags = Diagnostics::new();
    match read_machine(data, &arm, machine_id).await {
        Ok(Some(machine)) if enrolled(machine_feature(&machine)).is_some() => diags.error(
            "Hotpatch license not cancelled",
            format!("Destroy stopped waiting for the cancellation of {machine_id} ({}), and the machine still shows the Hotpatch feature enrolled, so the enrollment stays in state; the next refresh shows whether the cancellation landed.", why.describe()),
        ),
        Ok(_) => diags.warning(
            "Hotpatch cancellation not finished",
            format!("Destroy stopped waiting for the cancellation of {machine_id}: {}. ARM accepted it (the feature is no longer enrolled), so the enrollment leaves the state; the service finishes the cancellation on its own.", why.describe()),
        ),
        Err(e) => diags.error(
            "Hotpatch cancellation not confirmed",
            format!("Destroy stopped waiting for the cancellation of {machine_id} ({}), and reading the machine back failed ({e}), so the enrollment stays in state; the next refresh shows whether the cancellation landed.", why.describe()),
        ),
    }
    diags
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn profile(status: &str) -> LicenseProfile {
        serde_json::from_value(json!({ "properties": { "productProfile": {
            "productFeatures": [{ "name": "hotpatch", "subscriptionStatus": status }]
        } } }))
        .unwrap()
    }

    #[test]
    fn only_an_enabled_or_enabling_feature_is_an_existing_enrollment() {
        for (status, existing) in [
            ("Enabled", true),
            ("enabling", true),
            ("Disabled", false),
            ("Disabling", false),
            ("Failed", false),
            ("Unknown", false),
            ("SomethingNew", false),
        ] {
            let p = profile(status);
            assert_eq!(
                existing_enrollment(Some(&p)).is_some(),
                existing,
                "{status}"
            );
        }
        assert!(existing_enrollment(None).is_none());
    }
}
