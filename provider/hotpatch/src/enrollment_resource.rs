//! `hotpatch_enrollment`: the hotpatch license of one Arc machine.
//!
//! The license lives in the machine's `licenseProfiles/default` child resource, shared with
//! ESU and Software Assurance. Every write therefore reads the profile first and sends back
//! everything it holds, changing only the `Hotpatch` product feature
//! ([`license_profile_body`]). Reads go through the machine GET, whose body mirrors the license
//! profile next to the patch settings the status word needs, so a refresh costs one ARM read.
//!
//! Create and destroy wait for the license to settle (the feature to leave `Enabling` /
//! `Disabling`) within the operation's timeout; when the wait runs out, the state the service
//! reached is recorded with the error, because the write itself was accepted.

use std::time::Duration;

use armclient::models::hybridcompute::{
    LicenseProfile, LicenseProfileProperties, Machine, PatchSettings, ProductFeature,
    ProductProfile, ProductType, SubscriptionStatus, API_VERSION, HOTPATCH_FEATURE,
    LICENSE_PROFILE_NAME,
};
use armclient::{ArmClient, ArmError};
use async_trait::async_trait;
use tfframework::wait::{wait_until, Backoff, Poll, WaitError};
use tfframework::{
    ApplyRequest, AttributePath, Context, Diagnostic, Diagnostics, ImportRequest, Known, Model,
    PlanRequest, Resource, TimeoutDefaults,
};

use crate::arm_diag::{arm_error, arm_error_at, op_error, read_outcome};
use crate::machine_facts::MachineFacts;
use crate::machine_id::{strip_license_profile, ArcMachineId, LICENSE_PROFILE_SUFFIX};
use crate::provider_data::HotpatchData;
use crate::status::{portal_status, HotpatchSignals};

/// How long create and destroy wait by default for the license to settle: the service takes
/// minutes, and a license left `Enabling` is not yet billed nor usable.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const SETTLE_POLL: Duration = Duration::from_secs(2);

/// The hotpatch license of one Azure Arc-enabled Windows Server 2025 machine. Create enrolls the
/// machine (license profile feature `Hotpatch` enabled) and waits until the service settles;
/// destroy cancels only the Hotpatch feature and keeps ESU, Software Assurance and any other part
/// of the license profile.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct EnrollmentModel {
    /// ARM id of the `Microsoft.HybridCompute/machines` resource (compared case-insensitively).
    #[tf(required, replace, validator = ArcMachineId)]
    pub machine_id: String,
    /// `<machine_id>/licenseProfiles/default`.
    #[tf(computed, state_for_unknown)]
    pub id: Option<String>,
    /// The portal's word: `Enabled`, `Disabled`, `Pending`, `Canceled` or `Not enrolled`.
    #[tf(computed)]
    pub status: Option<String>,
    /// Raw `subscriptionStatus` of the Hotpatch feature (`Enabled`, `Enabling`, `Failed`, ...).
    #[tf(computed)]
    pub subscription_status: Option<String>,
    /// When the machine was enrolled (RFC 3339).
    #[tf(computed)]
    pub enrollment_date: Option<String>,
    /// When billing started (RFC 3339).
    #[tf(computed)]
    pub billing_start_date: Option<String>,
    /// When the license was cancelled (RFC 3339).
    #[tf(computed)]
    pub disenrollment_date: Option<String>,
    /// When billing ended (RFC 3339).
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

    /// What is known of an enrollment from its machine id alone (import; the read fills the
    /// rest).
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

/// The license profile PUT body: what exists (read-only fields dropped) with the Hotpatch
/// feature set to `status`. A machine without a product profile gets the Windows Server product
/// enabled, as the service's own enrollment example does.
pub(crate) fn license_profile_body(
    existing: Option<LicenseProfile>,
    location: Option<String>,
    status: SubscriptionStatus,
) -> LicenseProfile {
    let mut profile = existing
        .map(LicenseProfile::into_put_body)
        .unwrap_or_default();
    if profile.location.is_none() {
        profile.location = location;
    }
    let props = profile
        .properties
        .get_or_insert_with(LicenseProfileProperties::default);
    let product = props.product_profile.get_or_insert_with(|| ProductProfile {
        subscription_status: Some(SubscriptionStatus::Enabled),
        product_type: Some(ProductType::WindowsServer),
        ..ProductProfile::default()
    });
    match product.feature_mut(HOTPATCH_FEATURE) {
        Some(f) => f.subscription_status = Some(status),
        None => product
            .product_features
            .get_or_insert_with(Vec::new)
            .push(ProductFeature {
                name: Some(HOTPATCH_FEATURE.to_owned()),
                subscription_status: Some(status),
                ..ProductFeature::default()
            }),
    }
    profile
}

/// Polls the license profile until the Hotpatch feature leaves Enabling/Disabling, within the
/// operation's deadline. Polls use the provider's client, so a read in flight at the deadline
/// finishes and the wait reports what it saw.
async fn settle(ctx: &Context, arm: &ArmClient, path: &str) -> Result<LicenseProfile, Diagnostic> {
    let settled = wait_until(ctx, Backoff::every(SETTLE_POLL), || async move {
        let profile: LicenseProfile = arm.get(path, API_VERSION).await?;
        let transitional = profile
            .hotpatch_feature()
            .and_then(|f| f.subscription_status.as_ref())
            .filter(|s| s.is_transitional())
            .map(|s| s.as_str().to_owned());
        Ok::<_, ArmError>(match transitional {
            Some(word) => Poll::Pending(word),
            None => Poll::Ready(profile),
        })
    })
    .await;
    settled.map_err(|e| match e {
        WaitError::Failed(e) => arm_error("reading the license profile", &e),
        WaitError::TimedOut { last } => Diagnostic::error(
            "Timed out waiting for the hotpatch license",
            format!("The Hotpatch feature of {path} was still {last} when the operation's timeout ran out. The service keeps working on it; raise the timeout in the resource's `timeouts` block to wait longer."),
        ),
        WaitError::Cancelled { .. } => Diagnostic::error(
            "Operation cancelled",
            "Terraform asked the provider to stop while waiting for the hotpatch license.",
        ),
    })
}

/// PUTs the profile with the Hotpatch feature set to `status` and waits for it to settle.
/// Returns the settled profile, or the error plus whatever profile could be read after it
/// (read with a fresh context: the operation's may have run out).
async fn write_feature(
    ctx: &Context,
    data: &HotpatchData,
    machine_id: &str,
    location: Option<String>,
    status: SubscriptionStatus,
) -> Result<LicenseProfile, (Diagnostic, Option<LicenseProfile>)> {
    let arm = data.arm.with_cancellation(ctx.stop.clone());
    let path = license_profile_path(machine_id);
    let existing: Option<LicenseProfile> = arm
        .get_optional(&path, API_VERSION)
        .await
        .map_err(|e| (op_error(ctx, "reading the license profile", &e), None))?;
    let body = license_profile_body(existing, location, status);
    let failure = match arm
        .put_lro::<_, LicenseProfile>(&path, API_VERSION, &body)
        .await
    {
        Ok(_) => match settle(ctx, &data.arm, &path).await {
            Ok(profile) => return Ok(profile),
            Err(d) => d,
        },
        Err(e) => op_error(ctx, "writing the hotpatch license", &e),
    };
    // The service may have accepted the write before failing: read what exists so Terraform
    // can record it.
    let (recovery, _guard) = ctx.recovery();
    let after = data
        .arm
        .with_cancellation(recovery.stop.clone())
        .get_optional::<LicenseProfile>(&path, API_VERSION)
        .await
        .ok()
        .flatten();
    Err((failure, after))
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
        _ctx: &Context,
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
        match data.arc_machine(&data.arm, machine_id).await {
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
        let arm = data.arm.with_cancellation(ctx.stop.clone());
        let machine: Machine = match arm.get(machine_id, API_VERSION).await {
            Ok(m) => m,
            Err(e) => {
                let d = op_error(ctx, "reading the Arc machine", &e).at(machine_path());
                return (None, d.into());
            }
        };
        let patch = machine.windows_patch_settings();
        let location = machine.location.clone();
        let mut diags = Diagnostics::new();
        let written =
            write_feature(ctx, data, machine_id, location, SubscriptionStatus::Enabled).await;
        let profile = match written {
            Ok(profile) => profile,
            Err((d, after)) => {
                diags.push(d);
                let kept = enrolled(after.as_ref().and_then(LicenseProfile::hotpatch_feature))
                    .map(|f| EnrollmentModel::from_feature(machine_id, f, patch));
                return (kept, diags);
            }
        };
        let Some(feature) = profile.hotpatch_feature() else {
            diags.error(
                "Hotpatch feature missing",
                format!(
                    "The license profile of {machine_id} has no Hotpatch feature after enrollment."
                ),
            );
            return (None, diags);
        };
        if feature.subscription_status == Some(SubscriptionStatus::Failed) {
            let reason = feature
                .error
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no reason given".into());
            diags.error(
                "Hotpatch enrollment failed",
                format!(
                    "The service reported the Hotpatch feature of {machine_id} as Failed: {reason}"
                ),
            );
        }
        let state = EnrollmentModel::from_feature(machine_id, feature, patch);
        (Some(state), diags)
    }

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        current: &EnrollmentModel,
    ) -> (Option<EnrollmentModel>, Diagnostics) {
        let machine_id = current.machine_id.as_str();
        let lookup = data
            .arc_machine(&data.arm.with_cancellation(ctx.stop.clone()), machine_id)
            .await;
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
        // Every argument forces replacement; an update only ever refreshes computed values,
        // which the plan already carries.
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
        let existing: Option<LicenseProfile> = match data
            .arm
            .with_cancellation(ctx.stop.clone())
            .get_optional(&path, API_VERSION)
            .await
        {
            Ok(p) => p,
            Err(e) => return op_error(ctx, "reading the license profile", &e).into(),
        };
        if enrolled(existing.as_ref().and_then(LicenseProfile::hotpatch_feature)).is_none() {
            return Diagnostics::new();
        }
        match write_feature(ctx, data, machine_id, None, SubscriptionStatus::Disabled).await {
            Ok(_) => Diagnostics::new(),
            Err((d, _)) => d.into(),
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

/// Golden bodies: the exact license profile PUTs the resource sends, so the wire format is read
/// here. (Billing-safe enrollment will change the create body; these pin today's.)
#[cfg(test)]
mod golden {
    use serde_json::{json, Value};

    use super::*;

    const MACHINE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-esu-01";

    /// The profile of a machine with ESU and Software Assurance, as GET returns it (read-only
    /// fields included).
    fn esu_and_sa_profile(hotpatch: Option<Value>) -> LicenseProfile {
        let mut product = json!({
            "subscriptionStatus": "Enabled",
            "productType": "WindowsServer",
            "enrollmentDate": "2025-03-01T08:00:00Z",
            "billingStartDate": "2025-03-01T08:00:00Z"
        });
        if let Some(feature) = hotpatch {
            product["productFeatures"] = json!([feature]);
        }
        serde_json::from_value(json!({
            "id": format!("{MACHINE}/licenseProfiles/default"),
            "name": "default",
            "type": "Microsoft.HybridCompute/machines/licenseProfiles",
            "location": "eastus",
            "properties": {
                "provisioningState": "Succeeded",
                "softwareAssurance": { "softwareAssuranceCustomer": true },
                "esuProfile": {
                    "assignedLicense": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/licenses/esu-dc",
                    "assignedLicenseImmutableId": "6b2d1c7e-0000-4000-8000-000000000001",
                    "esuKeys": [{ "sku": "Windows Server 2012 Datacenter", "licenseStatus": 1 }],
                    "serverType": "Datacenter",
                    "esuEligibility": "Eligible",
                    "esuKeyState": "Active"
                },
                "productProfile": product
            }
        }))
        .unwrap()
    }

    fn put_body(existing: Option<LicenseProfile>, status: SubscriptionStatus) -> Value {
        let body = license_profile_body(existing, Some("eastus".to_owned()), status);
        serde_json::to_value(body).unwrap()
    }

    #[test]
    fn enrolling_a_bare_machine_enables_the_windows_server_product_and_hotpatch() {
        assert_eq!(
            put_body(None, SubscriptionStatus::Enabled),
            json!({
                "location": "eastus",
                "properties": { "productProfile": {
                    "subscriptionStatus": "Enabled",
                    "productType": "WindowsServer",
                    "productFeatures": [{ "name": "Hotpatch", "subscriptionStatus": "Enabled" }]
                } }
            })
        );
    }

    /// What a PUT to the ESU + Software Assurance machine sends: ESU and SA as they were, the
    /// read-only fields gone, the product profile with `feature`.
    fn esu_and_sa_body(feature: Value) -> Value {
        json!({
            "location": "eastus",
            "properties": {
                "softwareAssurance": { "softwareAssuranceCustomer": true },
                "esuProfile": {
                    "assignedLicense": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/licenses/esu-dc"
                },
                "productProfile": {
                    "subscriptionStatus": "Enabled",
                    "productType": "WindowsServer",
                    "productFeatures": [feature]
                }
            }
        })
    }

    #[test]
    fn enrolling_keeps_esu_and_software_assurance_and_drops_read_only_fields() {
        assert_eq!(
            put_body(Some(esu_and_sa_profile(None)), SubscriptionStatus::Enabled),
            esu_and_sa_body(json!({ "name": "Hotpatch", "subscriptionStatus": "Enabled" }))
        );
    }

    #[test]
    fn destroying_disables_only_the_hotpatch_feature() {
        let enrolled = esu_and_sa_profile(Some(json!({
            "name": "hotpatch",
            "subscriptionStatus": "Enabled",
            "enrollmentDate": "2025-03-02T08:00:00Z",
            "billingStartDate": "2025-03-02T08:00:00Z"
        })));
        let body = license_profile_body(Some(enrolled), None, SubscriptionStatus::Disabled);
        assert_eq!(
            serde_json::to_value(body).unwrap(),
            esu_and_sa_body(json!({ "name": "hotpatch", "subscriptionStatus": "Disabled" }))
        );
    }
}
