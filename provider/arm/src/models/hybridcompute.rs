//! Microsoft.HybridCompute (Arc-enabled servers), api-version 2025-01-13.
//!
//! Only the parts the hotpatch provider reads or writes are modelled. Everything the service
//! populates is `Option` because ARM omits or nulls fields freely, and dates stay as the strings
//! ARM sent (they are shown to users verbatim; see [`parse_datetime`] when arithmetic is needed).
//!
//! The license profile is written by echoing what was read, so its property bags keep any field
//! this crate does not model (`#[serde(flatten)] additional`): a PUT must never drop ESU or
//! Software Assurance data the provider does not manage.
//!
//! PUT (`LicenseProfile`) and PATCH (`LicenseProfileUpdate`) use different status vocabularies
//! (`Enabled`/`Disabled` vs `Enable`/`Disable`); they are distinct Rust types so the wrong one
//! cannot be sent.

use super::common::{extensible_enum, null_as_default, ErrorDetail, ProvisioningState};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The api-version this module models.
pub const API_VERSION: &str = "2025-01-13";

/// Name of the only license profile a machine can have.
pub const LICENSE_PROFILE_NAME: &str = "default";

/// Product feature name of the hotpatch subscription (compare case-insensitively).
pub const HOTPATCH_FEATURE: &str = "Hotpatch";

/// Tags as ARM sends them (`null` is common, hence `Option` at the use sites).
pub type Tags = BTreeMap<String, String>;

/// Parses an ARM date-time string (RFC 3339 with any number of fraction digits).
pub fn parse_datetime(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

extensible_enum! {
    /// `properties.status` of a machine.
    pub enum StatusTypes {
        Connected => "Connected",
        Disconnected => "Disconnected",
        Error => "Error",
    }
}

extensible_enum! {
    /// `kind` of an Arc machine.
    pub enum ArcKind {
        Avs => "AVS",
        Hci => "HCI",
        Scvmm => "SCVMM",
        VMware => "VMware",
        Eps => "EPS",
        Gcp => "GCP",
        Aws => "AWS",
    }
}

extensible_enum! {
    /// `patchSettings.assessmentMode`.
    pub enum AssessmentMode {
        ImageDefault => "ImageDefault",
        AutomaticByPlatform => "AutomaticByPlatform",
    }
}

extensible_enum! {
    /// `patchSettings.patchMode`.
    pub enum PatchMode {
        ImageDefault => "ImageDefault",
        AutomaticByPlatform => "AutomaticByPlatform",
        AutomaticByOS => "AutomaticByOS",
        Manual => "Manual",
    }
}

extensible_enum! {
    /// `patchSettings.status.hotpatchEnablementStatus`: the service's evaluation of the intent.
    pub enum HotpatchEnablementStatus {
        Unknown => "Unknown",
        PendingEvaluation => "PendingEvaluation",
        Disabled => "Disabled",
        ActionRequired => "ActionRequired",
        Enabled => "Enabled",
    }
}

extensible_enum! {
    /// State words used by PUT and every response (`LicenseProfileSubscriptionStatus`).
    pub enum SubscriptionStatus {
        Unknown => "Unknown",
        Enabling => "Enabling",
        Enabled => "Enabled",
        Disabled => "Disabled",
        Disabling => "Disabling",
        Failed => "Failed",
    }
}

impl SubscriptionStatus {
    /// `Enabling` / `Disabling` (or an unknown value): the service is still working.
    pub fn is_transitional(&self) -> bool {
        matches!(self, Self::Enabling | Self::Disabling | Self::Other(_))
    }
}

extensible_enum! {
    /// Verbs used only by PATCH (`LicenseProfileSubscriptionStatusUpdate`).
    pub enum SubscriptionStatusUpdate {
        Enable => "Enable",
        Disable => "Disable",
    }
}

extensible_enum! {
    /// `productProfile.productType`.
    pub enum ProductType {
        WindowsServer => "WindowsServer",
        WindowsIoTEnterprise => "WindowsIoTEnterprise",
    }
}

extensible_enum! {
    /// `licenseStatus` of the machine's Windows license.
    pub enum LicenseStatus {
        Unlicensed => "Unlicensed",
        Licensed => "Licensed",
        OobGrace => "OOBGrace",
        OotGrace => "OOTGrace",
        NonGenuineGrace => "NonGenuineGrace",
        Notification => "Notification",
        ExtendedGrace => "ExtendedGrace",
    }
}

extensible_enum! {
    /// ESU `serverType`.
    pub enum EsuServerType {
        Standard => "Standard",
        Datacenter => "Datacenter",
    }
}

extensible_enum! {
    /// ESU eligibility.
    pub enum EsuEligibility {
        Eligible => "Eligible",
        Ineligible => "Ineligible",
        Unknown => "Unknown",
    }
}

extensible_enum! {
    /// ESU key state.
    pub enum EsuKeyState {
        Inactive => "Inactive",
        Active => "Active",
    }
}

extensible_enum! {
    /// Whether an ESU license is assigned (machine instance view only).
    pub enum LicenseAssignmentState {
        Assigned => "Assigned",
        NotAssigned => "NotAssigned",
    }
}

extensible_enum! {
    /// Status of an assess/install patch operation.
    pub enum PatchOperationStatus {
        Unknown => "Unknown",
        InProgress => "InProgress",
        Failed => "Failed",
        Succeeded => "Succeeded",
        CompletedWithWarnings => "CompletedWithWarnings",
    }
}

extensible_enum! {
    /// Who started a patch operation.
    pub enum PatchOperationStartedBy {
        User => "User",
        Platform => "Platform",
    }
}

extensible_enum! {
    /// Patch service used on the machine.
    pub enum PatchServiceUsed {
        Unknown => "Unknown",
        Wu => "WU",
        WuWsus => "WU_WSUS",
        Yum => "YUM",
        Apt => "APT",
        Zypper => "Zypper",
    }
}

extensible_enum! {
    /// OS family in patch results.
    pub enum OsType {
        Windows => "Windows",
        Linux => "Linux",
    }
}

extensible_enum! {
    /// `rebootSetting` of installPatches.
    pub enum RebootSetting {
        IfRequired => "IfRequired",
        Never => "Never",
        Always => "Always",
    }
}

extensible_enum! {
    /// `rebootStatus` of an install result.
    pub enum RebootStatus {
        Unknown => "Unknown",
        NotNeeded => "NotNeeded",
        Required => "Required",
        Started => "Started",
        Failed => "Failed",
        Completed => "Completed",
    }
}

extensible_enum! {
    /// Windows update classifications accepted by installPatches (enum spelling `UpdateRollUp`).
    pub enum WindowsClassification {
        Critical => "Critical",
        Security => "Security",
        UpdateRollUp => "UpdateRollUp",
        FeaturePack => "FeaturePack",
        ServicePack => "ServicePack",
        Definition => "Definition",
        Tools => "Tools",
        Updates => "Updates",
    }
}

extensible_enum! {
    /// Linux update classifications accepted by installPatches.
    pub enum LinuxClassification {
        Critical => "Critical",
        Security => "Security",
        /// The `Other` classification (not to be confused with an unknown value).
        OtherUpdates => "Other",
    }
}

// ---------------------------------------------------------------------------------------------
// Machine
// ---------------------------------------------------------------------------------------------

/// An Arc-enabled server (`GET {MACHINE}`), response only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ArcKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<MachineProperties>,
}

impl Machine {
    /// `properties.osProfile.windowsConfiguration.patchSettings`, if present.
    pub fn windows_patch_settings(&self) -> Option<&PatchSettings> {
        self.properties
            .as_ref()?
            .os_profile
            .as_ref()?
            .windows_configuration
            .as_ref()?
            .patch_settings
            .as_ref()
    }
}

/// `Machine.properties` (the subset the provider uses).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusTypes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_change: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Free string (`windows` / `linux` in practice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_edition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_fqdn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_profile: Option<OsProfile>,
    /// Read-only mirror of the license profile (write through `licenseProfiles/default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_profile: Option<LicenseProfileMachineInstanceView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_properties: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<Vec<ErrorDetail>>,
}

/// `osProfile`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsProfile {
    /// Read-only; never sent (MachineUpdate uses [`OsProfileUpdate`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_configuration: Option<OsConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_configuration: Option<OsConfiguration>,
}

/// `windowsConfiguration` / `linuxConfiguration` (same shape).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_settings: Option<PatchSettings>,
}

/// `patchSettings` as read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_mode: Option<AssessmentMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_mode: Option<PatchMode>,
    /// The customer's intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_hotpatching: Option<bool>,
    /// The service's evaluation of the intent (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PatchSettingsStatus>,
}

/// `patchSettings.status` (read-only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchSettingsStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotpatch_enablement_status: Option<HotpatchEnablementStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// `PATCH {MACHINE}` body. Only what is set is sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ArcKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<MachineUpdateProperties>,
}

impl MachineUpdate {
    /// A body that changes only `windowsConfiguration.patchSettings`.
    pub fn windows_patch_settings(settings: PatchSettingsUpdate) -> Self {
        MachineUpdate {
            properties: Some(MachineUpdateProperties {
                os_profile: Some(OsProfileUpdate {
                    windows_configuration: Some(OsConfigurationUpdate {
                        patch_settings: Some(settings),
                    }),
                    linux_configuration: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// `MachineUpdate.properties`. Fields the provider never writes are kept as raw JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineUpdateProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_profile: Option<OsProfileUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_data: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_upgrade: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_cluster_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_link_scope_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_key_store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpm_ek_certificate: Option<String>,
}

/// `osProfile` in a MachineUpdate (no read-only `computerName`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsProfileUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_configuration: Option<OsConfigurationUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_configuration: Option<OsConfigurationUpdate>,
}

/// `windowsConfiguration` / `linuxConfiguration` in a MachineUpdate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsConfigurationUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_settings: Option<PatchSettingsUpdate>,
}

/// Writable part of `patchSettings` (no read-only `status`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchSettingsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_mode: Option<AssessmentMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_mode: Option<PatchMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_hotpatching: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// License profile (child resource licenseProfiles/default)
// ---------------------------------------------------------------------------------------------

/// `licenseProfiles/default`: PUT body and the body of every response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Required on PUT (the machine's region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<LicenseProfileProperties>,
}

impl LicenseProfile {
    /// Turns a profile as read into a PUT body: drops the read-only envelope (`id`, `name`,
    /// `type`) and the read-only properties, keeping everything writable including unmodelled
    /// fields.
    pub fn into_put_body(mut self) -> Self {
        self.id = None;
        self.name = None;
        self.resource_type = None;
        if let Some(p) = self.properties.as_mut() {
            p.provisioning_state = None;
            if let Some(esu) = p.esu_profile.as_mut() {
                esu.assigned_license_immutable_id = None;
                esu.esu_keys = None;
                esu.server_type = None;
                esu.esu_eligibility = None;
                esu.esu_key_state = None;
            }
            if let Some(pp) = p.product_profile.as_mut() {
                pp.clear_read_only();
            }
        }
        self
    }

    /// The product profile, if any.
    pub fn product_profile(&self) -> Option<&ProductProfile> {
        self.properties.as_ref()?.product_profile.as_ref()
    }

    /// The `Hotpatch` product feature, if present (matched case-insensitively).
    pub fn hotpatch_feature(&self) -> Option<&ProductFeature> {
        self.product_profile()?.feature(HOTPATCH_FEATURE)
    }
}

/// `LicenseProfile.properties`. Unmodelled fields survive a read-modify-write.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseProfileProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_assurance: Option<SoftwareAssurance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_profile: Option<EsuProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_profile: Option<ProductProfile>,
    #[serde(flatten)]
    pub additional: Map<String, Value>,
}

/// `softwareAssurance`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftwareAssurance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_assurance_customer: Option<bool>,
    #[serde(flatten)]
    pub additional: Map<String, Value>,
}

/// `esuProfile` of a license profile (`assignedLicense` is an ARM id string here).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EsuProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_license: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_license_immutable_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_keys: Option<Vec<EsuKey>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_type: Option<EsuServerType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_eligibility: Option<EsuEligibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_key_state: Option<EsuKeyState>,
    #[serde(flatten)]
    pub additional: Map<String, Value>,
}

/// One ESU key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EsuKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_status: Option<i32>,
}

/// `productProfile` (PUT body and responses; state vocabulary).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_status: Option<SubscriptionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<ProductType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disenrollment_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_end_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_features: Option<Vec<ProductFeature>>,
    #[serde(flatten)]
    pub additional: Map<String, Value>,
}

impl ProductProfile {
    /// The feature named `name` (case-insensitive).
    pub fn feature(&self, name: &str) -> Option<&ProductFeature> {
        self.product_features.as_deref()?.iter().find(|f| {
            f.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// Mutable access to the feature named `name` (case-insensitive).
    pub fn feature_mut(&mut self, name: &str) -> Option<&mut ProductFeature> {
        self.product_features.as_mut()?.iter_mut().find(|f| {
            f.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    fn clear_read_only(&mut self) {
        self.enrollment_date = None;
        self.billing_start_date = None;
        self.disenrollment_date = None;
        self.billing_end_date = None;
        self.error = None;
        for f in self.product_features.iter_mut().flatten() {
            f.enrollment_date = None;
            f.billing_start_date = None;
            f.disenrollment_date = None;
            f.billing_end_date = None;
            f.error = None;
        }
    }
}

/// One `productFeatures[]` entry (state vocabulary).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductFeature {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_status: Option<SubscriptionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disenrollment_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_end_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    #[serde(flatten)]
    pub additional: Map<String, Value>,
}

/// `PATCH licenseProfiles/default` body (verb vocabulary).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseProfileUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<LicenseProfileUpdateProperties>,
}

/// `LicenseProfileUpdate.properties`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseProfileUpdateProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_assurance: Option<SoftwareAssuranceUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_profile: Option<EsuProfileUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_profile: Option<ProductProfileUpdate>,
}

/// `softwareAssurance` in a PATCH.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftwareAssuranceUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_assurance_customer: Option<bool>,
}

/// `esuProfile` in a PATCH.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EsuProfileUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_license: Option<String>,
}

/// `productProfile` in a PATCH (verb vocabulary).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductProfileUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_status: Option<SubscriptionStatusUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<ProductType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_features: Option<Vec<ProductFeatureUpdate>>,
}

/// One `productFeatures[]` entry in a PATCH (verb vocabulary).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductFeatureUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_status: Option<SubscriptionStatusUpdate>,
}

/// `properties.licenseProfile` on GET machine: a read-only mirror.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseProfileMachineInstanceView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_status: Option<LicenseStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_assurance: Option<SoftwareAssurance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_profile: Option<MachineEsuProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_profile: Option<ProductProfile>,
}

/// `esuProfile` of the machine instance view (`assignedLicense` is a full License object).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineEsuProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_license: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_assignment_state: Option<LicenseAssignmentState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_license_immutable_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_keys: Option<Vec<EsuKey>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_type: Option<EsuServerType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_eligibility: Option<EsuEligibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esu_key_state: Option<EsuKeyState>,
}

/// `{ value, nextLink }` of `GET {MACHINE}/licenseProfiles`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseProfilesListResult {
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: Vec<LicenseProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// assessPatches / installPatches
// ---------------------------------------------------------------------------------------------

/// Result of `POST {MACHINE}/assessPatches` (final body of the Location poll).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineAssessPatchesResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PatchOperationStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_activity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_pending: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_patch_count_by_classification: Option<AvailablePatchCountByClassification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<PatchOperationStartedBy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_service_used: Option<PatchServiceUsed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<OsType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<ErrorDetail>,
}

/// Available patch counts per classification.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailablePatchCountByClassification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_rollup: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_pack: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_pack: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<i32>,
}

/// Body of `POST {MACHINE}/installPatches`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineInstallPatchesParameters {
    /// ISO 8601 duration, e.g. `PT4H` (required).
    pub maximum_duration: String,
    pub reboot_setting: RebootSetting,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_parameters: Option<WindowsParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
}

/// `windowsParameters` of installPatches.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowsParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifications_to_include: Option<Vec<WindowsClassification>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_numbers_to_include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_numbers_to_exclude: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_kbs_requiring_reboot: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_patch_publish_date: Option<String>,
}

/// `linuxParameters` of installPatches.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinuxParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifications_to_include: Option<Vec<LinuxClassification>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name_masks_to_include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name_masks_to_exclude: Option<Vec<String>>,
}

/// Result of `POST {MACHINE}/installPatches`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineInstallPatchesResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PatchOperationStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_activity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_status: Option<RebootStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window_exceeded: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_selected_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<PatchOperationStartedBy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_service_used: Option<PatchServiceUsed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<OsType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<ErrorDetail>,
}
