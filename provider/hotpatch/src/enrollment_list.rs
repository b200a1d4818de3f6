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
use tfframework::raw;
use tfframework::{
    AttributeSchema, BlockSchema, Context, Diagnostics, ObjectBuilder, ObjectReader,
};

use crate::enrollment_resource::{enrolled, machine_feature, EnrollmentModel};
use crate::list_scope::{push_collection, with_scope_attributes, ListScope, ARC_MACHINES};
use crate::provider::HotpatchData;

pub struct EnrollmentList;

/// The enrollment state `terraform query` shows (and imports) for one listed machine.
fn result(machine: &Machine, include_not_enrolled: bool) -> Option<raw::ListResult> {
    let id = machine.id.clone()?;
    let feature = enrolled(machine_feature(machine));
    if feature.is_none() && !include_not_enrolled {
        return None;
    }
    let none = ProductFeature::default();
    let object = EnrollmentModel::from_feature(
        &id,
        feature.unwrap_or(&none),
        machine.windows_patch_settings(),
    );
    let status = object.status.clone().unwrap_or_else(|| "unknown".into());
    let name = machine.name.clone().unwrap_or_else(|| id.clone());
    Some(raw::ListResult {
        identity: ObjectBuilder::new().set("machine_id", id).build(),
        display_name: format!("{name} ({status})"),
        resource_object: Some(tfframework::ToValue::to_value(&object)),
        diagnostics: Diagnostics::new(),
    })
}

#[async_trait]
impl raw::ListResource<HotpatchData> for EnrollmentList {
    fn type_name(&self) -> &str {
        "hotpatch_enrollment"
    }

    fn config_schema(&self) -> BlockSchema {
        let block = BlockSchema::new().description("Lists the hotpatch enrollments of the Azure Arc-enabled machines in a subscription or resource group.");
        with_scope_attributes(block)
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
        req: &raw::ListRequest,
        sink: &mut raw::ListSink,
    ) -> Diagnostics {
        let scope = match ListScope::from_config(&req.config, data) {
            Ok(s) => s,
            Err(d) => return d.into(),
        };
        let include_not_enrolled =
            match ObjectReader::new(&req.config).get::<Option<bool>>("include_not_enrolled") {
                Ok(v) => v.unwrap_or(false),
                Err(d) => return d.into(),
            };
        let path = scope.collection(ARC_MACHINES);
        match push_collection(
            data,
            &path,
            API_VERSION,
            "listing Arc machines",
            sink,
            |m| result(m, include_not_enrolled),
        )
        .await
        {
            Ok(_) => Diagnostics::new(),
            Err(d) => d.into(),
        }
    }
}
