//! `hotpatch_enrollment`: the hotpatch license of one Arc machine.
//!
//! The license lives in the machine's `licenseProfiles/default` child resource, shared with
//! ESU and Software Assurance. Every write therefore reads the profile first and sends back
//! everything it holds, changing only the `Hotpatch` product feature. Reads go through the
//! machine GET, whose body mirrors the license profile next to the patch settings the status
//! word needs, so a refresh costs one ARM read.

use std::time::Duration;

use armclient::models::hybridcompute::{
    LicenseProfile, LicenseProfileProperties, Machine, PatchSettings, ProductFeature,
    ProductProfile, ProductType, SubscriptionStatus, API_VERSION, HOTPATCH_FEATURE,
    LICENSE_PROFILE_NAME,
};
use async_trait::async_trait;
use tfframework::raw;
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics,
    IdentityAttribute, IdentitySchema, ObjectBuilder, ObjectReader, ResourceSchema, Type, Value,
};

use crate::arm_diag::{arm_error, arm_error_at, read_outcome};
use crate::machine_facts::MachineFacts;
use crate::machine_id::{strip_license_profile, ArcMachineId, LICENSE_PROFILE_SUFFIX};
use crate::provider::HotpatchData;
use crate::status::{portal_status, HotpatchSignals};

/// How long create and destroy wait for the feature to leave Enabling/Disabling.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const SETTLE_POLL: Duration = Duration::from_secs(2);

pub struct EnrollmentResource;

fn machine_path() -> AttributePath {
    AttributePath::attr("machine_id")
}

fn license_profile_path(machine_id: &str) -> String {
    format!("{machine_id}/licenseProfiles/{LICENSE_PROFILE_NAME}")
}

fn is_word(status: Option<&SubscriptionStatus>, word: SubscriptionStatus) -> bool {
    status == Some(&word)
}

/// Whether a feature status means "no enrollment" for Terraform (cancelled or never made).
pub(crate) fn is_unenrolled(status: Option<&SubscriptionStatus>) -> bool {
    matches!(
        status,
        None | Some(
            SubscriptionStatus::Disabled
                | SubscriptionStatus::Disabling
                | SubscriptionStatus::Unknown
        )
    )
}

/// The state of an enrollment from its feature and the machine's patch settings.
pub(crate) fn state(
    machine_id: &str,
    feature: &ProductFeature,
    patch: Option<&PatchSettings>,
) -> Value {
    let signals = HotpatchSignals {
        feature_status: feature
            .subscription_status
            .as_ref()
            .map(|s| s.as_str().to_owned()),
        feature_ended: feature.disenrollment_date.is_some() || feature.billing_end_date.is_some(),
        enable_hotpatching: patch.and_then(|p| p.enable_hotpatching),
        enablement_status: patch
            .and_then(|p| p.status.as_ref())
            .and_then(|s| s.hotpatch_enablement_status.as_ref())
            .map(|s| s.as_str().to_owned()),
    };
    ObjectBuilder::new()
        .set("machine_id", machine_id)
        .set("id", license_profile_path(machine_id))
        .set("status", portal_status(&signals).as_str())
        .set(
            "subscription_status",
            feature
                .subscription_status
                .as_ref()
                .map(|s| s.as_str().to_owned()),
        )
        .set("enrollment_date", feature.enrollment_date.clone())
        .set("billing_start_date", feature.billing_start_date.clone())
        .set("disenrollment_date", feature.disenrollment_date.clone())
        .set("billing_end_date", feature.billing_end_date.clone())
        .build()
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

/// The profile to PUT: what exists (read-only fields dropped) with the Hotpatch feature set to
/// `status`. A machine without a product profile gets the Windows Server product enabled, as
/// the service's own enrollment example does.
fn with_hotpatch(
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

impl EnrollmentResource {
    /// Polls the license profile until the Hotpatch feature leaves Enabling/Disabling.
    async fn settle(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        machine_id: &str,
    ) -> Result<LicenseProfile, Diagnostic> {
        let path = license_profile_path(machine_id);
        let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
        loop {
            let profile: LicenseProfile = data
                .arm
                .get(&path, API_VERSION)
                .await
                .map_err(|e| arm_error("reading the license profile", &e))?;
            let transitional = profile
                .hotpatch_feature()
                .and_then(|f| f.subscription_status.as_ref())
                .is_some_and(|s| s.is_transitional());
            if !transitional {
                return Ok(profile);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Diagnostic::error(
                    "Timed out waiting for the hotpatch license",
                    format!(
                        "The Hotpatch feature of {path} was still transitional after {} minutes.",
                        SETTLE_TIMEOUT.as_secs() / 60
                    ),
                ));
            }
            tokio::select! {
                _ = ctx.stop.cancelled() => return Err(Diagnostic::error("Operation cancelled", "Terraform asked the provider to stop while waiting for the hotpatch license.")),
                _ = tokio::time::sleep(SETTLE_POLL) => {}
            }
        }
    }

    /// PUTs the profile with the Hotpatch feature set to `status` and waits for it to settle.
    /// Returns the settled profile, or the error plus whatever profile could be read after it.
    async fn write_feature(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        machine_id: &str,
        location: Option<String>,
        status: SubscriptionStatus,
    ) -> Result<LicenseProfile, (Diagnostic, Option<LicenseProfile>)> {
        let path = license_profile_path(machine_id);
        let existing: Option<LicenseProfile> = data
            .arm
            .get_optional(&path, API_VERSION)
            .await
            .map_err(|e| (arm_error("reading the license profile", &e), None))?;
        let body = with_hotpatch(existing, location, status);
        let written: Result<LicenseProfile, _> = data.arm.put_lro(&path, API_VERSION, &body).await;
        if let Err(e) = written {
            // The service may have accepted the write before failing: read what exists so
            // Terraform can record it.
            let after = data
                .arm
                .get_optional::<LicenseProfile>(&path, API_VERSION)
                .await
                .ok()
                .flatten();
            return Err((arm_error("writing the hotpatch license", &e), after));
        }
        self.settle(ctx, data, machine_id)
            .await
            .map_err(|d| (d, None))
    }
}

#[async_trait]
impl raw::Resource<HotpatchData> for EnrollmentResource {
    fn type_name(&self) -> &str {
        "hotpatch_enrollment"
    }

    fn schema(&self) -> ResourceSchema {
        let computed = |name: &str, description: &str| {
            AttributeSchema::string(name)
                .computed()
                .description(description)
        };
        ResourceSchema::new(
            0,
            BlockSchema::new()
                .description("The hotpatch license of one Azure Arc-enabled Windows Server 2025 machine. Create enrolls the machine (license profile feature `Hotpatch` enabled) and waits until the service settles; destroy cancels only the Hotpatch feature and keeps ESU, Software Assurance and any other part of the license profile.")
                .attribute(
                    AttributeSchema::string("machine_id")
                        .required()
                        .requires_replace()
                        .validator(ArcMachineId)
                        .description("ARM id of the `Microsoft.HybridCompute/machines` resource (compared case-insensitively)."),
                )
                .attribute(computed("id", "`<machine_id>/licenseProfiles/default`.").use_state_for_unknown())
                .attribute(computed("status", "The portal's word: `Enabled`, `Disabled`, `Pending`, `Canceled` or `Not enrolled`."))
                .attribute(computed("subscription_status", "Raw `subscriptionStatus` of the Hotpatch feature (`Enabled`, `Enabling`, `Failed`, ...)."))
                .attribute(computed("enrollment_date", "When the machine was enrolled (RFC 3339)."))
                .attribute(computed("billing_start_date", "When billing started (RFC 3339)."))
                .attribute(computed("disenrollment_date", "When the license was cancelled (RFC 3339)."))
                .attribute(computed("billing_end_date", "When billing ended (RFC 3339).")),
        )
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::new(
            0,
            vec![IdentityAttribute::required("machine_id", Type::String)
                .description("ARM id of the Arc machine whose hotpatch license this is.")],
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
        if !req.is_create() {
            // Same machine spelled differently: keep the state as it is, no replacement.
            let prior_id = req.prior.attr("machine_id").and_then(Value::as_str);
            if prior_id.is_some_and(|p| p.eq_ignore_ascii_case(machine_id)) {
                *planned = req.prior.clone();
            }
            return;
        }
        if let Some(id) = planned.attr_mut("id") {
            *id = Value::string(license_profile_path(machine_id));
        }
        let Some(data) = data else { return };
        // Plan-time eligibility: fail before any write when the machine cannot be enrolled.
        match data
            .arm
            .get_optional::<Machine>(machine_id, API_VERSION)
            .await
        {
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
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let machine_id = match ObjectReader::new(req.planned).get::<String>("machine_id") {
            Ok(id) => id,
            Err(d) => return (None, d.into()),
        };
        let machine: Machine = match data.arm.get(&machine_id, API_VERSION).await {
            Ok(m) => m,
            Err(e) => {
                return (
                    None,
                    arm_error_at("reading the Arc machine", &e, machine_path()).into(),
                )
            }
        };
        let patch = machine.windows_patch_settings().cloned();
        match self
            .write_feature(
                ctx,
                data,
                &machine_id,
                machine.location.clone(),
                SubscriptionStatus::Enabled,
            )
            .await
        {
            Ok(profile) => {
                let Some(feature) = profile.hotpatch_feature() else {
                    diags.error("Hotpatch feature missing", format!("The license profile of {machine_id} has no Hotpatch feature after enrollment."));
                    return (None, diags);
                };
                if is_word(
                    feature.subscription_status.as_ref(),
                    SubscriptionStatus::Failed,
                ) {
                    let reason = feature
                        .error
                        .as_ref()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "no reason given".into());
                    diags.error("Hotpatch enrollment failed", format!("The service reported the Hotpatch feature of {machine_id} as Failed: {reason}"));
                }
                (Some(state(&machine_id, feature, patch.as_ref())), diags)
            }
            Err((d, after)) => {
                diags.push(d);
                let kept = after
                    .as_ref()
                    .and_then(|p| p.hotpatch_feature())
                    .filter(|f| !is_unenrolled(f.subscription_status.as_ref()));
                (kept.map(|f| state(&machine_id, f, patch.as_ref())), diags)
            }
        }
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
        let lookup = data
            .arm
            .get_optional::<Machine>(&machine_id, API_VERSION)
            .await;
        read_outcome(current, "reading the Arc machine", lookup, |machine| {
            // Cancelled (or never enrolled) outside Terraform reads as gone, so the next plan
            // enrolls again.
            machine_feature(&machine)
                .filter(|f| !is_unenrolled(f.subscription_status.as_ref()))
                .map(|f| state(&machine_id, f, machine.windows_patch_settings()))
        })
    }

    async fn update(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        // Every argument forces replacement; an update only ever refreshes computed values,
        // which the plan already carries.
        (Some(req.planned.clone()), Diagnostics::new())
    }

    async fn delete(&self, ctx: &Context, data: &HotpatchData, prior: &Value) -> Diagnostics {
        let machine_id = match ObjectReader::new(prior).get::<String>("machine_id") {
            Ok(id) => id,
            Err(d) => return d.into(),
        };
        let path = license_profile_path(&machine_id);
        let existing: Option<LicenseProfile> = match data.arm.get_optional(&path, API_VERSION).await
        {
            Ok(p) => p,
            Err(e) => return arm_error("reading the license profile", &e).into(),
        };
        let enrolled = existing
            .as_ref()
            .and_then(|p| p.hotpatch_feature())
            .is_some_and(|f| !is_unenrolled(f.subscription_status.as_ref()));
        if !enrolled {
            return Diagnostics::new();
        }
        match self
            .write_feature(ctx, data, &machine_id, None, SubscriptionStatus::Disabled)
            .await
        {
            Ok(_) => Diagnostics::new(),
            Err((d, _)) => d.into(),
        }
    }

    async fn import(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: &raw::ImportRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        // `import { identity = { machine_id = ... } }` sends no id.
        let from_identity = req
            .identity
            .and_then(|i| i.attr("machine_id"))
            .and_then(Value::as_str);
        let machine_id = match from_identity {
            Some(id) => id.trim(),
            None => strip_license_profile(req.id.trim()),
        };
        if let Err(e) = armclient::resource_id::parse_hybrid_machine_id(machine_id) {
            let d = Diagnostic::error(
                "Invalid import id",
                format!("Import hotpatch_enrollment by Arc machine id or by its license-profile id (<machine id>{LICENSE_PROFILE_SUFFIX}); {e}."),
            );
            return (None, d.into());
        }
        let partial = ObjectBuilder::new()
            .set("machine_id", machine_id)
            .set("id", license_profile_path(machine_id))
            .set("status", None::<String>)
            .set("subscription_status", None::<String>)
            .set("enrollment_date", None::<String>)
            .set("billing_start_date", None::<String>)
            .set("disenrollment_date", None::<String>)
            .set("billing_end_date", None::<String>)
            .build();
        (Some(partial), Diagnostics::new())
    }
}
