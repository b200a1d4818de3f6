//! The `hotpatch_maintenance_schedule` list resource: `terraform query` over the Update
//! Manager schedules of a subscription or resource group, each ready to import by identity
//! (`-generate-config-out` writes the `import` block and the configuration).
//!
//! One ARM list call per query (the Maintenance list is a single page); each result carries
//! the resource's full state built the way its import builds it, so the generated
//! configuration applies with an empty plan. Only `InGuestPatch` configurations are listed:
//! the other maintenance scopes (host, OS image, SQL, ...) are not patch schedules and the
//! resource cannot manage them.

use armclient::models::maintenance::{MaintenanceConfiguration, MaintenanceScope, API_VERSION};
use async_trait::async_trait;
use tfframework::{
    AttributePath, Context, Diagnostics, ListRequest, ListResource, ListResult, ListSink, Model,
    Resource,
};

use super::ids::{parse_schedule_id, IdIdentity};
use super::read_back::schedule_state;
use super::schedule_resource::{MaintenanceScheduleModel, MaintenanceScheduleResource};
use crate::list_scope::{
    push_collection, resource_group_rule, subscription_id_rule, ListScope, Scoped,
};
use crate::provider_data::HotpatchData;

/// The Maintenance collection a scope lists.
const CONFIGURATIONS: &str = "Microsoft.Maintenance/maintenanceConfigurations";

/// Lists the Azure Update Manager schedules (maintenance configurations with scope
/// `InGuestPatch`) of a subscription or resource group.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct ScheduleListConfig {
    /// Subscription to list. Default: the provider's `subscription_id`.
    #[tf(optional, validator = subscription_id_rule())]
    pub subscription_id: Option<String>,
    /// Only schedules in this resource group. Default: the whole subscription.
    #[tf(optional, validator = resource_group_rule())]
    pub resource_group_name: Option<String>,
}

impl Scoped for ScheduleListConfig {
    fn subscription_id(&self) -> Option<&str> {
        self.subscription_id.as_deref()
    }

    fn resource_group_name(&self) -> Option<&str> {
        self.resource_group_name.as_deref()
    }

    fn subscription_path() -> AttributePath {
        AttributePath::attr(Self::SUBSCRIPTION_ID)
    }
}

pub struct ScheduleList;

type Found = ListResult<MaintenanceScheduleModel, IdIdentity>;

/// The result `terraform query` shows (and imports) for one listed configuration.
fn result(c: &MaintenanceConfiguration) -> Option<Found> {
    let props = c.properties.as_ref()?;
    if props.maintenance_scope != Some(MaintenanceScope::InGuestPatch) {
        return None;
    }
    let id = c.id.clone()?;
    let (_, rg, name) = parse_schedule_id(&id).ok()?;
    let known = MaintenanceScheduleModel::imported(&id, rg.clone(), name.clone());
    let state = schedule_state(&known, c);
    let recurrence = state.recur_every.clone();
    Some(ListResult {
        display_name: format!("{name} ({rg}, {recurrence})"),
        identity: IdIdentity { id },
        resource_object: Some(state),
        diagnostics: Diagnostics::new(),
    })
}

#[async_trait]
impl ListResource<HotpatchData> for ScheduleList {
    type Config = ScheduleListConfig;
    type Model = MaintenanceScheduleModel;
    type Identity = IdIdentity;
    const TYPE_NAME: &'static str =
        <MaintenanceScheduleResource as Resource<HotpatchData>>::TYPE_NAME;

    async fn list(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ListRequest<'_, ScheduleListConfig>,
        sink: &mut ListSink<'_, MaintenanceScheduleModel, IdIdentity>,
    ) -> Diagnostics {
        let scope = match ListScope::of(req.config, data) {
            Ok(s) => s,
            Err(d) => return d.into(),
        };
        let path = scope.collection(CONFIGURATIONS);
        match push_collection(
            &data.arm_for(ctx),
            &path,
            API_VERSION,
            "listing maintenance schedules",
            sink,
            result,
        )
        .await
        {
            Ok(_) => Diagnostics::new(),
            Err(d) => d.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_in_guest_patch_schedules_are_listed_with_their_state() {
        let id = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/patch";
        let c = |scope: &str| -> MaintenanceConfiguration {
            serde_json::from_value(json!({
                "id": id, "name": "patch", "location": "eastus",
                "properties": {"maintenanceScope": scope, "maintenanceWindow": {
                    "startDateTime": "2030-01-01 02:00", "timeZone": "UTC", "recurEvery": "6Hours",
                    "duration": "03:00"}}
            }))
            .unwrap()
        };
        let found = result(&c("InGuestPatch")).unwrap();
        assert_eq!(found.identity.id, id);
        assert_eq!(found.display_name, "patch (rg, 6Hours)");
        let state = found.resource_object.unwrap();
        assert_eq!(
            (state.name.as_str(), state.resource_group_name.as_str()),
            ("patch", "rg")
        );
        assert_eq!(state.recur_every, "6Hours");
        assert!(result(&c("Host")).is_none());
    }
}
