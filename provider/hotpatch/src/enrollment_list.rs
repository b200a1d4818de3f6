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
use tfframework::{
    Context, Diagnostics, ListRequest, ListResource, ListResult, ListSink, Resource,
};

use crate::enrollment_resource::{
    enrolled, machine_feature, EnrollmentIdentity, EnrollmentModel, EnrollmentResource,
};
use crate::list_scope::{push_collection, scoped_model, ListScope, ARC_MACHINES};
use crate::provider_data::HotpatchData;

scoped_model! {
    /// Lists the hotpatch enrollments of the Azure Arc-enabled machines in a subscription or
    /// resource group.
    pub struct EnrollmentListConfig {
        /// Also list machines without a hotpatch enrollment (status `Not enrolled` or
        /// `Canceled`); those cannot be imported. Default `false`.
        #[tf(optional)]
        pub include_not_enrolled: Option<bool>,
    }
}

pub struct EnrollmentList;

type Found = ListResult<EnrollmentModel, EnrollmentIdentity>;

/// The enrollment state `terraform query` shows (and imports) for one listed machine.
fn result(machine: &Machine, include_not_enrolled: bool) -> Option<Found> {
    let id = machine.id.clone()?;
    let feature = enrolled(machine_feature(machine));
    if feature.is_none() && !include_not_enrolled {
        return None;
    }
    let none = ProductFeature::default();
    let state = EnrollmentModel::from_feature(
        &id,
        feature.unwrap_or(&none),
        machine.windows_patch_settings(),
    );
    let status = state.status.as_deref().unwrap_or("unknown");
    let name = machine.name.as_deref().unwrap_or(&id);
    Some(ListResult {
        display_name: format!("{name} ({status})"),
        identity: EnrollmentIdentity {
            machine_id: id.clone(),
        },
        resource_object: Some(state),
        diagnostics: Diagnostics::new(),
    })
}

#[async_trait]
impl ListResource<HotpatchData> for EnrollmentList {
    type Config = EnrollmentListConfig;
    type Model = EnrollmentModel;
    type Identity = EnrollmentIdentity;
    const TYPE_NAME: &'static str = <EnrollmentResource as Resource<HotpatchData>>::TYPE_NAME;

    async fn list(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ListRequest<'_, EnrollmentListConfig>,
        sink: &mut ListSink<'_, EnrollmentModel, EnrollmentIdentity>,
    ) -> Diagnostics {
        let scope = match ListScope::of(req.config, data) {
            Ok(s) => s,
            Err(d) => return d.into(),
        };
        let include_not_enrolled = req.config.include_not_enrolled.unwrap_or(false);
        let path = scope.collection(ARC_MACHINES);
        let listed = push_collection(
            &data.arm_for(ctx),
            &path,
            API_VERSION,
            "listing Arc machines",
            sink,
            |m| result(m, include_not_enrolled),
        )
        .await;
        match listed {
            Ok(_) => Diagnostics::new(),
            Err(d) => d.into(),
        }
    }
}
