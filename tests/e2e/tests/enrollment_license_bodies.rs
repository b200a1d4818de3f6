//! What `hotpatch_enrollment` sends to the license profile, and what it leaves alone.
//!
//! Billing-safe enrollment: enroll and destroy write the Hotpatch product feature alone, so a
//! machine without a product profile is not signed up for the Windows Server product
//! (`subscriptionStatus` / `productType`), and one with ESU and Software Assurance keeps both
//! exactly. The exact bodies are read from the emulator's write ledger. A concurrent ESU /
//! Software Assurance change made while the provider writes is kept, and reported.

use arm_emulator::{
    seed, Fault, FaultAction, LicenseProfileChanges, MutationTiming, OutOfBand, WriteRecord,
};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::one_line;
use serde_json::{json, Value};

fn enrollment_hcl(machine_id: &str) -> String {
    format!("{PROVIDER_HCL}\nresource \"hotpatch_enrollment\" \"web\" {{\n  machine_id = \"{machine_id}\"\n}}\n")
}

fn license_writes(env: &TestEnv, machine: &str) -> Vec<WriteRecord> {
    env.emulator.writes_for(&format!(
        "{}/licenseProfiles/default",
        env.emulator.machine_id(machine)
    ))
}

fn sent(write: &WriteRecord) -> (String, Value) {
    (
        write.method.clone(),
        write.body.clone().unwrap_or(Value::Null),
    )
}

fn feature_patch(verb: &str) -> (String, Value) {
    (
        "PATCH".to_owned(),
        json!({ "properties": { "productProfile": {
            "productFeatures": [{ "name": "Hotpatch", "subscriptionStatus": verb }]
        } } }),
    )
}

/// The parts of a profile that are billed besides the Hotpatch feature.
fn billed_besides_hotpatch(profile: &Value) -> Value {
    let p = &profile["properties"];
    json!({
        "subscriptionStatus": p["productProfile"]["subscriptionStatus"],
        "productType": p["productProfile"]["productType"],
        "esu": p["esuProfile"]["assignedLicense"],
        "softwareAssurance": p["softwareAssurance"],
    })
}

#[test]
fn a_machine_without_a_profile_gets_only_the_hotpatch_feature() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_DATACENTER;
    assert!(
        env.emulator.license_profile(machine).is_none(),
        "no profile at start"
    );
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine)));
    tf.apply().success();
    tf.destroy().success();

    let writes: Vec<_> = license_writes(&env, machine).iter().map(sent).collect();
    assert_eq!(
        writes,
        vec![
            (
                "PUT".to_owned(),
                json!({
                    "location": env.emulator.location(),
                    "properties": { "productProfile": {
                        "productFeatures": [{ "name": "Hotpatch", "subscriptionStatus": "Enabled" }]
                    } }
                })
            ),
            feature_patch("Disable"),
        ]
    );
    let profile = env.emulator.license_profile(machine).unwrap();
    assert_eq!(
        billed_besides_hotpatch(&profile),
        json!({ "subscriptionStatus": null, "productType": null, "esu": null, "softwareAssurance": null }),
        "nothing but the feature was ever set: {profile}"
    );
}

#[test]
fn esu_and_software_assurance_are_never_sent_and_stay_as_they_were() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_WITH_ESU;
    let billed = billed_besides_hotpatch(&env.emulator.license_profile(machine).unwrap());
    assert!(billed["esu"].is_string(), "seeded ESU: {billed}");
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine)));
    tf.apply().success();
    let enrolled = env.emulator.license_profile(machine).unwrap();
    assert_eq!(billed_besides_hotpatch(&enrolled), billed);
    tf.destroy().success();
    let after = env.emulator.license_profile(machine).unwrap();
    assert_eq!(billed_besides_hotpatch(&after), billed);

    let writes: Vec<_> = license_writes(&env, machine).iter().map(sent).collect();
    assert_eq!(
        writes,
        vec![feature_patch("Enable"), feature_patch("Disable")]
    );
}

#[test]
fn an_esu_change_made_between_the_read_and_the_write_is_kept_and_reported() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_WITH_ESU;
    let other_license = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.HybridCompute/licenses/esu-license-02",
        seed::SUBSCRIPTION_ID,
        seed::RESOURCE_GROUP
    );
    // Someone assigns another ESU license and drops Software Assurance right before the
    // provider's write is handled (after the provider read the profile).
    env.emulator.inject(
        Fault::mutate(
            OutOfBand::LicenseProfile {
                machine: machine.to_owned(),
                changes: LicenseProfileChanges {
                    esu_assigned_license: Some(other_license.clone()),
                    remove_software_assurance: true,
                    ..LicenseProfileChanges::default()
                },
            },
            MutationTiming::BeforeHandling,
        )
        .matching(Some("PATCH"), Some("licenseProfiles")),
    );
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine)));
    let out = tf.apply().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("The license profile changed outside the Hotpatch feature"),
        "{}",
        out.combined()
    );
    assert!(
        text.contains(&format!(
            "esuProfile.assignedLicense: \"{}\" -> \"{other_license}\"",
            seed::esu_license_id()
        )),
        "{text}"
    );
    assert!(
        text.contains("softwareAssurance.softwareAssuranceCustomer: true -> (none)"),
        "{text}"
    );
    assert!(text.contains("may need restoring"), "{text}");

    // The other writer's change survives: the provider never sent ESU or Software Assurance.
    let profile = env.emulator.license_profile(machine).unwrap();
    assert_eq!(
        profile["properties"]["esuProfile"]["assignedLicense"],
        other_license.as_str()
    );
    assert!(
        profile["properties"]["softwareAssurance"].is_null(),
        "{profile}"
    );
    assert_eq!(
        tf.state_values("hotpatch_enrollment.web").unwrap()["subscription_status"],
        "Enabled"
    );
}

#[test]
fn a_refused_feature_only_body_shows_the_service_error_and_adds_nothing() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_DATACENTER;
    // As if the service demanded a product-level subscription next to the feature.
    env.emulator.inject(
        Fault {
            method: None,
            path_contains: None,
            skip: 0,
            count: Some(1),
            action: FaultAction::Error {
                status: 400,
                code: "ProductSubscriptionRequired".into(),
                message: Some("productProfile.subscriptionStatus is required.".into()),
                retry_after: None,
            },
        }
        .matching(Some("PUT"), Some("licenseProfiles")),
    );
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine)));
    let out = tf.apply().failure();
    let text = one_line(&out.stderr);
    assert!(
        text.contains(
            "ProductSubscriptionRequired: productProfile.subscriptionStatus is required."
        ),
        "the service's words: {}",
        out.combined()
    );
    assert!(
        text.contains("the provider does not make it for you"),
        "the hint: {text}"
    );
    assert!(
        license_writes(&env, machine).is_empty(),
        "no other body was tried"
    );
    assert!(tf.state_values("hotpatch_enrollment.web").is_none());
}
