//! Writing the Hotpatch feature of a machine's license profile, and nothing else.
//!
//! The license profile (`<machine>/licenseProfiles/default`) also holds ESU, Software Assurance
//! and the product-level Windows Server subscription (`productProfile.subscriptionStatus` /
//! `productType`, the shape of pay-as-you-go Windows Server licensing). An operator who asked
//! for hotpatch must not be signed up for, or out of, any of them, so every body carries the
//! Hotpatch feature alone ([`feature_write`]):
//!
//! * the profile exists: a PATCH (`LicenseProfileUpdate`, verbs `Enable` / `Disable`), which
//!   merges. ESU, Software Assurance and the product-level fields are not in the request at all,
//!   so a change someone makes to them while the provider works cannot be overwritten.
//!   HybridCompute has no etag (CONTRACT 1.6): a read-modify-write PUT could only be made safe
//!   by If-Match, and its after-the-fact re-read cannot see a change it overwrote (the PUT puts
//!   back exactly what was read).
//! * the machine has no profile yet: a PUT (the only create) holding `location` and the feature.
//!
//! After the write the profile is read again and compared with what was read before it,
//! outside the Hotpatch feature ([`changes_besides_hotpatch`]): whatever changed there was not
//! sent by the provider, so the resource reports it, naming each field.
//!
//! How a write ended ([`WriteEnd`]) is told apart with one rule: ARM rejected it
//! ([`armclient::ArmError::may_have_written`] is false: nothing was written), or the
//! profile itself was watched until the feature left `Enabling` / `Disabling` (also after a
//! write whose answer was lost, since only the profile can say whether it landed), or that wait
//! ended without an answer (timeout, Ctrl-C, reads failing) and the resource must read the
//! machine back with a fresh context.

use std::collections::BTreeMap;
use std::time::Duration;

use armclient::models::hybridcompute::{
    LicenseProfile, LicenseProfileProperties, LicenseProfileUpdate, LicenseProfileUpdateProperties,
    ProductFeature, ProductFeatureUpdate, ProductProfile, ProductProfileUpdate, SubscriptionStatus,
    SubscriptionStatusUpdate, API_VERSION, HOTPATCH_FEATURE,
};
use armclient::{ArmClient, ArmError, ArmRequest, LroOptions, Method};
use serde_json::Value;
use tfframework::wait::{wait_until, Backoff, Poll, WaitError};
use tfframework::Context;

use crate::unfinished::Unfinished;

const SETTLE_POLL: Duration = Duration::from_secs(2);

/// The one request that sets the Hotpatch feature.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FeatureWrite {
    /// PUT creating the profile of a machine that has none.
    Create(Box<LicenseProfile>),
    /// PATCH of an existing profile.
    Update(LicenseProfileUpdate),
}

impl FeatureWrite {
    fn request(&self, path: &str) -> Result<ArmRequest, ArmError> {
        match self {
            FeatureWrite::Create(body) => {
                ArmRequest::new(Method::PUT, path, API_VERSION).json(body)
            }
            FeatureWrite::Update(body) => {
                ArmRequest::new(Method::PATCH, path, API_VERSION).json(body)
            }
        }
    }
}

/// The body that turns the Hotpatch feature on (`on`) or off, touching nothing else. The
/// feature keeps the spelling the profile already uses for it.
pub(crate) fn feature_write(
    existing: Option<&LicenseProfile>,
    location: Option<String>,
    on: bool,
) -> FeatureWrite {
    let name = existing
        .and_then(LicenseProfile::hotpatch_feature)
        .and_then(|f| f.name.clone())
        .unwrap_or_else(|| HOTPATCH_FEATURE.to_owned());
    match existing {
        Some(_) => FeatureWrite::Update(LicenseProfileUpdate {
            tags: None,
            properties: Some(LicenseProfileUpdateProperties {
                product_profile: Some(ProductProfileUpdate {
                    product_features: Some(vec![ProductFeatureUpdate {
                        name: Some(name),
                        subscription_status: Some(if on {
                            SubscriptionStatusUpdate::Enable
                        } else {
                            SubscriptionStatusUpdate::Disable
                        }),
                    }]),
                    ..ProductProfileUpdate::default()
                }),
                ..LicenseProfileUpdateProperties::default()
            }),
        }),
        None => FeatureWrite::Create(Box::new(LicenseProfile {
            location,
            properties: Some(LicenseProfileProperties {
                product_profile: Some(ProductProfile {
                    product_features: Some(vec![ProductFeature {
                        name: Some(name),
                        subscription_status: Some(if on {
                            SubscriptionStatus::Enabled
                        } else {
                            SubscriptionStatus::Disabled
                        }),
                        ..ProductFeature::default()
                    }]),
                    ..ProductProfile::default()
                }),
                ..LicenseProfileProperties::default()
            }),
            ..LicenseProfile::default()
        })),
    }
}

/// How a feature write ended.
#[derive(Debug)]
pub(crate) enum WriteEnd {
    /// ARM refused it: nothing was written.
    Rejected(ArmError),
    /// The profile as read once the feature was no longer transitional. `lost` is the write's
    /// own failure when ARM may have accepted it anyway (its answer was lost, its operation
    /// could not be followed): the profile says whether it landed.
    Settled {
        profile: Box<LicenseProfile>,
        lost: Option<ArmError>,
    },
    /// ARM may have accepted the write, but the wait for its outcome ended first.
    Unfinished(Unfinished),
}

/// Sends `write` and follows it until the Hotpatch feature settles, within `ctx`. `arm` is
/// bound to `ctx`'s cancellation.
pub(crate) async fn set_feature(
    ctx: &Context,
    arm: &ArmClient,
    path: &str,
    write: &FeatureWrite,
) -> WriteEnd {
    let options = LroOptions {
        deadline: ctx.deadline().map(|d| d.into_std()),
        ..LroOptions::default()
    };
    let lost = match write.request(path) {
        Err(e) => return WriteEnd::Rejected(e),
        Ok(request) => match arm.send_lro(request, &options).await {
            Ok(_) => None,
            Err(e) if !e.may_have_written() => return WriteEnd::Rejected(e),
            Err(e) => Some(e),
        },
    };
    match settle(ctx, arm, path).await {
        Ok(profile) => WriteEnd::Settled {
            profile: Box::new(profile),
            lost,
        },
        Err(wait) => WriteEnd::Unfinished(Unfinished::after_wait(
            ctx,
            &wait,
            "the Hotpatch feature",
            "the license profile",
            lost,
        )),
    }
}

/// Polls the profile until the Hotpatch feature is not transitional.
async fn settle(
    ctx: &Context,
    arm: &ArmClient,
    path: &str,
) -> Result<LicenseProfile, WaitError<ArmError>> {
    wait_until(ctx, Backoff::every(SETTLE_POLL), || async move {
        let profile: Option<LicenseProfile> = arm.get_optional(path, API_VERSION).await?;
        let Some(profile) = profile else {
            // No profile at all: nothing is enrolled, and nothing is on its way.
            return Ok(Poll::Ready(LicenseProfile::default()));
        };
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
    .await
}

/// What differs between two reads of a profile outside the Hotpatch feature, one line per
/// field (`esuProfile.assignedLicense: A -> B`). Read-only fields (dates, ESU keys,
/// provisioning state) are left out: the service changes them on its own.
pub(crate) fn changes_besides_hotpatch(
    before: Option<&LicenseProfile>,
    after: &LicenseProfile,
) -> Vec<String> {
    let (before, after) = (
        before.map(writable_fields).unwrap_or_default(),
        writable_fields(after),
    );
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let shown = |v: Option<&String>| v.map_or("(none)".to_owned(), Clone::clone);
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| format!("{k}: {} -> {}", shown(before.get(k)), shown(after.get(k))))
        .collect()
}

/// The writable fields of a profile other than the Hotpatch feature, flattened to
/// `path -> JSON value` below `properties` (features keyed by name), plus `tags`.
fn writable_fields(profile: &LicenseProfile) -> BTreeMap<String, String> {
    let mut body = profile.clone().into_put_body();
    body.location = None;
    if let Some(features) = body
        .properties
        .as_mut()
        .and_then(|p| p.product_profile.as_mut())
        .and_then(|p| p.product_features.as_mut())
    {
        features.retain(|f| {
            !f.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(HOTPATCH_FEATURE))
        });
    }
    let mut out = BTreeMap::new();
    if let Ok(properties) = serde_json::to_value(&body.properties) {
        flatten("", &properties, &mut out);
    }
    if let Ok(tags) = serde_json::to_value(&body.tags) {
        flatten("tags", &tags, &mut out);
    }
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = match item.get("name").and_then(Value::as_str) {
                    Some(name) => format!("{prefix}[{name}]"),
                    None => format!("{prefix}[{i}]"),
                };
                flatten(&key, item, out);
            }
        }
        Value::Null => {}
        leaf => {
            out.insert(prefix.to_owned(), leaf.to_string());
        }
    }
}

/// Golden bodies: the exact license profile writes the provider sends, so the wire format (and
/// what is billed) is read here.
#[cfg(test)]
mod golden {
    use serde_json::{json, Value};

    use super::*;

    const MACHINE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-esu-01";

    /// The profile of a machine with ESU and Software Assurance and the Windows Server
    /// product, as GET returns it (read-only fields included).
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

    fn body(write: &FeatureWrite) -> (Method, Value) {
        let request = write
            .request(&format!("{MACHINE}/licenseProfiles/default"))
            .unwrap();
        let body = serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
        (request.method, body)
    }

    #[test]
    fn enrolling_a_machine_without_a_profile_creates_one_with_only_the_feature() {
        let write = feature_write(None, Some("eastus".to_owned()), true);
        assert_eq!(
            body(&write),
            (
                Method::PUT,
                json!({
                    "location": "eastus",
                    "properties": { "productProfile": {
                        "productFeatures": [{ "name": "Hotpatch", "subscriptionStatus": "Enabled" }]
                    } }
                })
            )
        );
    }

    #[test]
    fn enrolling_a_machine_with_esu_and_software_assurance_sends_only_the_feature() {
        let existing = esu_and_sa_profile(None);
        let write = feature_write(Some(&existing), Some("eastus".to_owned()), true);
        assert_eq!(
            body(&write),
            (
                Method::PATCH,
                json!({ "properties": { "productProfile": {
                    "productFeatures": [{ "name": "Hotpatch", "subscriptionStatus": "Enable" }]
                } } })
            )
        );
    }

    #[test]
    fn destroying_disables_only_the_feature_in_the_spelling_read() {
        let enrolled = esu_and_sa_profile(Some(json!({
            "name": "hotpatch",
            "subscriptionStatus": "Enabled",
            "enrollmentDate": "2025-03-02T08:00:00Z",
            "billingStartDate": "2025-03-02T08:00:00Z"
        })));
        let write = feature_write(Some(&enrolled), None, false);
        assert_eq!(
            body(&write),
            (
                Method::PATCH,
                json!({ "properties": { "productProfile": {
                    "productFeatures": [{ "name": "hotpatch", "subscriptionStatus": "Disable" }]
                } } })
            )
        );
    }

    #[test]
    fn changes_outside_the_feature_are_named_and_read_only_fields_ignored() {
        let before = esu_and_sa_profile(None);
        let mut after = esu_and_sa_profile(Some(json!({
            "name": "Hotpatch", "subscriptionStatus": "Enabled",
            "enrollmentDate": "2025-03-02T08:00:00Z"
        })));
        // Only the feature and read-only fields changed: nothing to report.
        if let Some(esu) = after
            .properties
            .as_mut()
            .and_then(|p| p.esu_profile.as_mut())
        {
            esu.esu_key_state = None;
        }
        assert_eq!(
            changes_besides_hotpatch(Some(&before), &after),
            Vec::<String>::new()
        );

        let props = after.properties.as_mut().unwrap();
        props.software_assurance = None;
        props.esu_profile.as_mut().unwrap().assigned_license = Some("/licenses/other".into());
        assert_eq!(
            changes_besides_hotpatch(Some(&before), &after),
            vec![
                "esuProfile.assignedLicense: \"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/licenses/esu-dc\" -> \"/licenses/other\"".to_owned(),
                "softwareAssurance.softwareAssuranceCustomer: true -> (none)".to_owned(),
            ]
        );
    }

    #[test]
    fn a_profile_created_with_only_the_feature_shows_no_change() {
        let after: LicenseProfile = serde_json::from_value(json!({
            "location": "eastus",
            "properties": {
                "provisioningState": "Succeeded",
                "productProfile": { "productFeatures": [{ "name": "Hotpatch", "subscriptionStatus": "Enabled" }] }
            }
        }))
        .unwrap();
        assert!(changes_besides_hotpatch(None, &after).is_empty());
        // A product-level subscription that appeared is named: it is billed.
        let mut billed = after.clone();
        let pp = billed
            .properties
            .as_mut()
            .unwrap()
            .product_profile
            .as_mut()
            .unwrap();
        pp.subscription_status = Some(SubscriptionStatus::Enabled);
        assert_eq!(
            changes_besides_hotpatch(None, &billed),
            vec!["productProfile.subscriptionStatus: (none) -> \"Enabled\"".to_owned()]
        );
    }
}
