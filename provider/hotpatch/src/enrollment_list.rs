//! The `hotpatch_enrollment` list resource: `terraform query` over the Arc machines of a
//! subscription or resource group, each with its hotpatch state, ready to import by identity.
//!
//! Machine list pages (`nextLink`) already mirror each machine's license profile, so a query
//! of any fleet size costs one ARM read per page of machines and no read per machine. By
//! default only machines with a hotpatch enrollment are returned, because only those can be
//! imported (and `-generate-config-out` must produce config that applies cleanly);
//! `include_not_enrolled = true` lists every machine with its portal status instead.

use armclient::models::hybridcompute::{Machine, ProductFeature, API_VERSION};
use async_trait::async_trait;
use futures::StreamExt;
use tfframework::validators::regex;
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics, ListRequest,
    ListResource, ListResult, ListSink, ObjectBuilder, ObjectReader, Value,
};

use crate::arm_diag::arm_error;
use crate::enrollment::{is_unenrolled, machine_feature, state};
use crate::provider::HotpatchData;

pub struct EnrollmentList;

const GUID: &str = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";
/// ARM's resource group name rule.
const RESOURCE_GROUP: &str = r"^[-\w\.\(\)]{1,89}[-\w\(\)]$|^[-\w\(\)]$";

struct Scope {
    subscription_id: String,
    resource_group: Option<String>,
    include_not_enrolled: bool,
}

fn scope(config: &Value, data: &HotpatchData) -> Result<Scope, Diagnostic> {
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
    Ok(Scope {
        subscription_id,
        resource_group: r.get::<Option<String>>("resource_group_name")?,
        include_not_enrolled: r
            .get::<Option<bool>>("include_not_enrolled")?
            .unwrap_or(false),
    })
}

/// The enrollment state `terraform query` shows (and imports) for one listed machine.
fn result(machine: &Machine, include_not_enrolled: bool) -> Option<ListResult> {
    let id = machine.id.clone()?;
    let feature =
        machine_feature(machine).filter(|f| !is_unenrolled(f.subscription_status.as_ref()));
    if feature.is_none() && !include_not_enrolled {
        return None;
    }
    let none = ProductFeature::default();
    let object = state(
        &id,
        feature.unwrap_or(&none),
        machine.windows_patch_settings(),
    );
    let status = object
        .attr("status")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned();
    let name = machine.name.clone().unwrap_or_else(|| id.clone());
    Some(ListResult {
        identity: ObjectBuilder::new().set("machine_id", id).build(),
        display_name: format!("{name} ({status})"),
        resource_object: Some(object),
        diagnostics: Diagnostics::new(),
    })
}

#[async_trait]
impl ListResource<HotpatchData> for EnrollmentList {
    fn type_name(&self) -> &str {
        "hotpatch_enrollment"
    }

    fn config_schema(&self) -> BlockSchema {
        BlockSchema::new()
            .description("Lists the hotpatch enrollments of the Azure Arc-enabled machines in a subscription or resource group.")
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
            .attribute(
                AttributeSchema::bool("include_not_enrolled")
                    .optional()
                    .description("Also list machines without a hotpatch enrollment (status `Not enrolled` or `Canceled`); those cannot be imported. Default `false`."),
            )
    }

    async fn list(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        req: &ListRequest,
        sink: &mut ListSink,
    ) -> Diagnostics {
        let scope = match scope(&req.config, data) {
            Ok(s) => s,
            Err(d) => return d.into(),
        };
        let mut path = format!("/subscriptions/{}", scope.subscription_id);
        if let Some(rg) = &scope.resource_group {
            path.push_str(&format!("/resourceGroups/{rg}"));
        }
        path.push_str("/providers/Microsoft.HybridCompute/machines");
        let machines = data.arm.list_stream::<Machine>(&path, API_VERSION);
        futures::pin_mut!(machines);
        while let Some(machine) = machines.next().await {
            let machine = match machine {
                Ok(m) => m,
                Err(e) => return arm_error("listing Arc machines", &e).into(),
            };
            if let Some(r) = result(&machine, scope.include_not_enrolled) {
                if !sink.push(r).await {
                    break;
                }
            }
        }
        Diagnostics::new()
    }
}
