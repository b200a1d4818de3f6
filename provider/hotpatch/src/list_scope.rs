//! What the list resources and the fleet data source share: the `{ subscription_id,
//! resource_group_name }` scope of a `list` block (or of `hotpatch_machines`), and paging
//! through one ARM collection of that scope into Terraform's results.
//!
//! `terraform query` runs over fleets of thousands of machines while ARM throttles reads per
//! subscription, so every list resource reads only list pages (`nextLink`) and never one GET
//! per machine. Keeping the scope rules and the paging loop in one place keeps the list
//! resources from drifting apart in validation, defaults or cost.

use futures::StreamExt;
use serde::de::DeserializeOwned;
use tfframework::raw;
use tfframework::validators::regex;
use tfframework::{AttributePath, AttributeSchema, BlockSchema, Diagnostic, ObjectReader, Value};

use crate::arm_diag::arm_error;
use crate::provider::HotpatchData;

const GUID: &str = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";
/// ARM's resource group name rule.
const RESOURCE_GROUP: &str = r"^[-\w\.\(\)]{1,89}[-\w\(\)]$|^[-\w\(\)]$";

/// The collections the list resources page through.
pub(crate) const ARC_MACHINES: &str = "Microsoft.HybridCompute/machines";
pub(crate) const AZURE_VMS: &str = "Microsoft.Compute/virtualMachines";

/// Adds the scope attributes to a list block's config schema.
pub(crate) fn with_scope_attributes(block: BlockSchema) -> BlockSchema {
    block
        .attribute(
            AttributeSchema::string("subscription_id")
                .optional()
                .validator(regex(GUID, "must be a subscription GUID"))
                .description("Subscription to list. Default: the provider's `subscription_id`."),
        )
        .attribute(
            AttributeSchema::string("resource_group_name")
                .optional()
                .validator(regex(RESOURCE_GROUP, "must be a resource group name (letters, digits, `-`, `_`, `.`, `(`, `)`; up to 90 characters, not ending in `.`)"))
                .description("Only machines in this resource group. Default: the whole subscription."),
        )
}

/// The subscription, or one resource group of it, that a `list` block covers.
pub(crate) struct ListScope {
    subscription_id: String,
    resource_group: Option<String>,
}

impl ListScope {
    /// Reads the scope attributes; the subscription falls back to the provider's.
    pub(crate) fn from_config(config: &Value, data: &HotpatchData) -> Result<Self, Diagnostic> {
        let r = ObjectReader::new(config);
        let subscription_id = r
            .get::<Option<String>>("subscription_id")?
            .or_else(|| data.subscription_id.clone())
            .ok_or_else(|| {
                Diagnostic::error(
                    "No subscription to list",
                    "Set subscription_id in the list block's config or in the provider (or ARM_SUBSCRIPTION_ID).",
                )
                .at(AttributePath::attr("subscription_id"))
            })?;
        Ok(ListScope {
            subscription_id,
            resource_group: r.get::<Option<String>>("resource_group_name")?,
        })
    }

    /// The collection path of `resource_type` (e.g. `Microsoft.HybridCompute/machines`) in
    /// this scope.
    pub(crate) fn collection(&self, resource_type: &str) -> String {
        let mut path = format!("/subscriptions/{}", self.subscription_id);
        if let Some(rg) = &self.resource_group {
            path.push_str(&format!("/resourceGroups/{rg}"));
        }
        path.push_str(&format!("/providers/{resource_type}"));
        path
    }
}

/// Pages through the collection at `path`, pushing what `result` makes of each item (items it
/// returns `None` for are skipped). Pages are fetched only while Terraform wants more, so
/// `Ok(false)` means the sink is full and the caller should list nothing else.
pub(crate) async fn push_collection<T, F>(
    data: &HotpatchData,
    path: &str,
    api_version: &str,
    doing: &str,
    sink: &mut raw::ListSink,
    mut result: F,
) -> Result<bool, Diagnostic>
where
    T: DeserializeOwned + Send + 'static,
    F: FnMut(&T) -> Option<raw::ListResult>,
{
    let items = data.arm.list_stream::<T>(path, api_version);
    futures::pin_mut!(items);
    while let Some(item) = items.next().await {
        let item = item.map_err(|e| arm_error(doing, &e))?;
        if let Some(r) = result(&item) {
            if !sink.push(r).await {
                return Ok(false);
            }
        }
    }
    Ok(true)
}
