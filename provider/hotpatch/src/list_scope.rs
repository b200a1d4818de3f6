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
use tfframework::validators::regex;
use tfframework::{AttributePath, Diagnostic, ListResult, ListSink, Model, Validator};

use crate::arm_diag::arm_error;
use crate::provider_data::HotpatchData;

const GUID: &str = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";
/// ARM's resource group name rule.
const RESOURCE_GROUP: &str = r"^[-\w\.\(\)]{1,89}[-\w\(\)]$|^[-\w\(\)]$";

/// The collections the list resources page through.
pub(crate) const ARC_MACHINES: &str = "Microsoft.HybridCompute/machines";
pub(crate) const AZURE_VMS: &str = "Microsoft.Compute/virtualMachines";

/// Validates `subscription_id`.
pub(crate) fn subscription_id_rule() -> impl Validator {
    regex(GUID, "must be a subscription GUID")
}

/// Validates `resource_group_name`.
pub(crate) fn resource_group_rule() -> impl Validator {
    regex(
        RESOURCE_GROUP,
        "must be a resource group name (letters, digits, `-`, `_`, `.`, `(`, `)`; up to 90 characters, not ending in `.`)",
    )
}

/// Declares a `#[derive(Model)]` struct whose first two attributes are the scope of a list:
/// `subscription_id` and `resource_group_name`. The derive has no flattening, and three
/// objects take a scope; this keeps its names, rules and descriptions in one place.
macro_rules! scoped_model {
    ($(#[$attr:meta])* $vis:vis struct $name:ident { $($fields:tt)* }) => {
        $(#[$attr])*
        #[derive(tfframework::Model, Clone, Debug, PartialEq)]
        $vis struct $name {
            /// Subscription to list. Default: the provider's `subscription_id`.
            #[tf(optional, validator = $crate::list_scope::subscription_id_rule())]
            pub subscription_id: Option<String>,
            /// Only machines in this resource group. Default: the whole subscription.
            #[tf(optional, validator = $crate::list_scope::resource_group_rule())]
            pub resource_group_name: Option<String>,
            $($fields)*
        }

        impl $crate::list_scope::Scoped for $name {
            fn subscription_id(&self) -> Option<&str> {
                self.subscription_id.as_deref()
            }

            fn resource_group_name(&self) -> Option<&str> {
                self.resource_group_name.as_deref()
            }

            fn subscription_path() -> tfframework::AttributePath {
                tfframework::AttributePath::attr(Self::SUBSCRIPTION_ID)
            }
        }
    };
}

pub(crate) use scoped_model;

/// A model declared with [`scoped_model!`].
pub(crate) trait Scoped {
    fn subscription_id(&self) -> Option<&str>;
    fn resource_group_name(&self) -> Option<&str>;
    /// Where a missing subscription is reported.
    fn subscription_path() -> AttributePath;
}

/// The subscription, or one resource group of it, that a `list` block covers.
pub(crate) struct ListScope {
    subscription_id: String,
    resource_group: Option<String>,
}

impl ListScope {
    /// The scope a configuration names; the subscription falls back to the provider's.
    pub(crate) fn of<C: Scoped>(config: &C, data: &HotpatchData) -> Result<Self, Diagnostic> {
        let subscription_id = config
            .subscription_id()
            .map(str::to_owned)
            .or_else(|| data.subscription_id.clone())
            .ok_or_else(|| {
                Diagnostic::error(
                    "No subscription to list",
                    "Set subscription_id in the list block's config or in the provider (or ARM_SUBSCRIPTION_ID).",
                )
                .at(C::subscription_path())
            })?;
        Ok(ListScope {
            subscription_id,
            resource_group: config.resource_group_name().map(str::to_owned),
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
pub(crate) async fn push_collection<T, M, I, F>(
    data: &HotpatchData,
    path: &str,
    api_version: &str,
    doing: &str,
    sink: &mut ListSink<'_, M, I>,
    mut result: F,
) -> Result<bool, Diagnostic>
where
    T: DeserializeOwned + Send + 'static,
    M: Model,
    I: Model,
    F: FnMut(&T) -> Option<ListResult<M, I>>,
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
