//! `hotpatch_dynamic_scope`: a configuration assignment with a filter at a subscription or a
//! resource group, which attaches every machine matching it to a schedule (CONTRACT §4.2,
//! dynamic scopes). The schedule and the filter update in place (PUT of the whole assignment);
//! name and scope force replacement. The scope defaults to the provider's subscription. Create
//! refuses an existing dynamic scope; a filter that can match Azure VMs is warned about
//! (`vm_schedule_rule`); a write whose answer was lost is recorded as `arm_calls` decides.

use std::collections::BTreeMap;

use armclient::models::maintenance::{ConfigurationAssignment, ConfigurationAssignmentFilter};
use armclient::resource_id::ids_equal;
use async_trait::async_trait;
use tfframework::validators::{each, one_of};
use tfframework::{
    ApplyRequest, AttributePath, Context, Diagnostic, Diagnostics, ImportRequest, Known, Model,
    PlanRequest, Resource,
};

use super::arm_calls;
use super::ids::{
    assignment_id, is_dynamic_scope_parent, recorded, split_assignment_id, DynamicScopeParent,
    ScheduleId, ASSIGNMENT_INFIX,
};
use super::read_back::keep_if;
use super::request_bodies::scope_body;
use super::vm_schedule_rule::{dynamic_scope_warning, filter_can_match_windows_vms};
use crate::provider_data::HotpatchData;

pub struct DynamicScopeResource;

/// Attaches every machine matching a filter in a subscription or resource group to a
/// `hotpatch_maintenance_schedule` (a Maintenance dynamic scope).
#[derive(Model, Clone, Debug, PartialEq)]
pub struct DynamicScopeModel {
    /// Name of the dynamic scope.
    #[tf(required, replace)]
    pub name: String,
    /// ARM id of the maintenance schedule; changes update in place.
    #[tf(required, validator = ScheduleId)]
    pub schedule_id: String,
    /// `/subscriptions/<id>` or `/subscriptions/<id>/resourceGroups/<name>`. Default: the
    /// provider's subscription.
    #[tf(optional, computed, replace, state_for_unknown, validator = DynamicScopeParent)]
    pub scope: Option<String>,
    /// `<scope>/providers/Microsoft.Maintenance/configurationAssignments/<name>`.
    #[tf(computed, state_for_unknown)]
    pub id: Option<String>,
    #[tf(block)]
    pub filter: Option<FilterModel>,
}

/// Which machines of the scope the schedule applies to; every given criterion must match.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct FilterModel {
    /// `Microsoft.HybridCompute/machines` and/or `Microsoft.Compute/virtualMachines`.
    #[tf(optional)]
    pub resource_types: Option<Vec<String>>,
    /// Resource group names.
    #[tf(optional)]
    pub resource_groups: Option<Vec<String>>,
    /// `Windows` and/or `Linux`.
    #[tf(optional, validator = each(one_of(&["Windows", "Linux"])))]
    pub os_types: Option<Vec<String>>,
    /// Regions, e.g. `eastus` or `Japan East`.
    #[tf(optional)]
    pub locations: Option<Vec<String>>,
    /// Tag name to the list of accepted values.
    #[tf(optional)]
    pub tags: Option<BTreeMap<String, Vec<String>>>,
    /// Whether a machine needs `Any` (default) or `All` of the tags.
    #[tf(default = "Any", validator = one_of(&["Any", "All"]))]
    pub tag_operator: Option<String>,
}

/// The prior list when it holds the same values (case-insensitive, any order), else the service's.
fn same_list(prior: Option<&Vec<String>>, service: &[String]) -> Option<Vec<String>> {
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
        v.sort();
        v
    };
    if norm(prior.map_or(&[][..], Vec::as_slice)) == norm(service) {
        return prior.cloned();
    }
    Some(service.to_vec())
}

/// The `filter` block as ARM returned it: absent when neither the prior state nor ARM has one.
fn filter_state(
    prior: Option<&FilterModel>,
    service: Option<ConfigurationAssignmentFilter>,
) -> Option<FilterModel> {
    if prior.is_none() && service.is_none() {
        return None;
    }
    let f = service.unwrap_or_default();
    let ts = f.tag_settings.unwrap_or_default();
    let prior_tags = prior.and_then(|p| p.tags.as_ref());
    Some(FilterModel {
        resource_types: same_list(
            prior.and_then(|p| p.resource_types.as_ref()),
            &f.resource_types,
        ),
        resource_groups: same_list(
            prior.and_then(|p| p.resource_groups.as_ref()),
            &f.resource_groups,
        ),
        os_types: same_list(prior.and_then(|p| p.os_types.as_ref()), &f.os_types),
        locations: same_list(prior.and_then(|p| p.locations.as_ref()), &f.locations),
        tags: (!ts.tags.is_empty() || prior_tags.is_some()).then_some(ts.tags),
        tag_operator: Some(
            ts.filter_operator
                .map_or("Any".to_owned(), |o| o.as_str().to_owned()),
        ),
    })
}

/// The state after ARM answered with `a`: the prior's, with ARM's schedule (in the prior's
/// spelling when it is the same id; an answer without one reads as an empty id, so the next
/// plan puts it back) and filter.
fn scope_state(prior: &DynamicScopeModel, a: &ConfigurationAssignment) -> DynamicScopeModel {
    let props = a.properties.clone().unwrap_or_default();
    let service = props.maintenance_configuration_id.as_deref();
    DynamicScopeModel {
        schedule_id: keep_if(Some(&prior.schedule_id), service, ids_equal).unwrap_or_default(),
        filter: filter_state(prior.filter.as_ref(), props.filter),
        ..prior.clone()
    }
}

impl DynamicScopeResource {
    /// PUTs the whole assignment at `<scope>/.../<name>` and reads the answer back as state.
    async fn write(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        planned: &DynamicScopeModel,
        doing: &str,
    ) -> arm_calls::Written<DynamicScopeModel> {
        let id = match recorded(&planned.id, Self::TYPE_NAME) {
            Ok(id) => id,
            Err(d) => return arm_calls::Written::NotWritten(d.into()),
        };
        arm_calls::put::<_, ConfigurationAssignment, _>(
            ctx,
            data,
            id,
            &scope_body(planned),
            doing,
            planned,
            |a| scope_state(planned, a),
        )
        .await
    }
}

/// Warns when the planned filter can match Azure VMs (unknown lists are not guessed at).
fn warn_about_vms(config: &DynamicScopeModelPlan, diags: &mut Diagnostics) {
    let path = AttributePath::attr(DynamicScopeModel::FILTER);
    let (types, os) = match &config.filter {
        Known::Null => (Known::Null, Known::Null),
        Known::Value(f) => (f.resource_types.clone(), f.os_types.clone()),
        Known::Unknown => return,
    };
    let list = |v: Known<Vec<Known<String>>>| -> Option<Option<Vec<String>>> {
        match v {
            Known::Null => Some(None),
            Known::Value(items) => items
                .into_iter()
                .map(|i| i.known())
                .collect::<Option<Vec<String>>>()
                .map(Some),
            Known::Unknown => None,
        }
    };
    let (Some(types), Some(os)) = (list(types), list(os)) else {
        return;
    };
    if filter_can_match_windows_vms(types.as_deref(), os.as_deref()) {
        diags.push(dynamic_scope_warning(path));
    }
}

fn subscription_needed() -> Diagnostic {
    Diagnostic::error(
        "Subscription needed",
        "Set scope, or subscription_id in the provider block (ARM_SUBSCRIPTION_ID).",
    )
}

#[async_trait]
impl Resource<HotpatchData> for DynamicScopeResource {
    type Model = DynamicScopeModel;
    type Identity = ();
    const TYPE_NAME: &'static str = "hotpatch_dynamic_scope";

    fn identity(&self, _state: &DynamicScopeModelPlan) {}

    async fn modify_plan(
        &self,
        _ctx: &Context,
        data: Option<&HotpatchData>,
        req: PlanRequest<'_, DynamicScopeModel>,
        planned: &mut DynamicScopeModelPlan,
        diags: &mut Diagnostics,
    ) {
        // Planned only when something changes: a create or an update of schedule or filter.
        warn_about_vms(req.config, diags);
        if !req.is_create() {
            return;
        }
        let scope = match &req.config.scope {
            Known::Value(s) => Some(s.clone()),
            Known::Null => data
                .and_then(|d| d.subscription_id.as_deref())
                .map(|s| format!("/subscriptions/{s}")),
            Known::Unknown => None,
        };
        let Some(scope) = scope else { return };
        if let Known::Value(name) = &req.config.name {
            planned.id = Known::Value(assignment_id(&scope, name));
        }
        planned.scope = Known::Value(scope);
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ApplyRequest<'_, DynamicScopeModel>,
    ) -> (Option<DynamicScopeModel>, Diagnostics) {
        let scope = match (&req.planned.scope, data.subscription_id.as_deref()) {
            (Some(scope), _) => scope.clone(),
            (None, Some(sub)) => format!("/subscriptions/{sub}"),
            (None, None) => return (None, subscription_needed().into()),
        };
        let id = assignment_id(&scope, &req.planned.name);
        let planned = DynamicScopeModel {
            scope: Some(scope),
            id: Some(id.clone()),
            ..req.planned.clone()
        };
        if let Err(d) = arm_calls::ensure_absent(ctx, data, &id, Self::TYPE_NAME, &[]).await {
            return (None, d.into());
        }
        self.write(ctx, data, &planned, "creating the dynamic scope")
            .await
            .created()
    }

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        current: &DynamicScopeModel,
    ) -> (Option<DynamicScopeModel>, Diagnostics) {
        let doing = "reading the dynamic scope";
        arm_calls::refresh(
            ctx,
            data,
            current,
            &current.id,
            Self::TYPE_NAME,
            doing,
            |a| scope_state(current, &a),
        )
        .await
    }

    async fn update(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ApplyRequest<'_, DynamicScopeModel>,
    ) -> (Option<DynamicScopeModel>, Diagnostics) {
        // Scope and name force replacement, so the prior's id is the planned one.
        self.write(ctx, data, req.planned, "updating the dynamic scope")
            .await
            .updated(req.prior)
    }

    async fn delete(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        prior: &DynamicScopeModel,
    ) -> Diagnostics {
        let doing = "deleting the dynamic scope";
        arm_calls::delete_recorded(ctx, data, &prior.id, Self::TYPE_NAME, doing).await
    }

    async fn import(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ImportRequest<'_, ()>,
    ) -> (Option<DynamicScopeModel>, Diagnostics) {
        let id = req.id.trim();
        let Some((scope, name)) =
            split_assignment_id(id).filter(|(scope, _)| is_dynamic_scope_parent(scope))
        else {
            let d = Diagnostic::error("Invalid import id", format!("Import hotpatch_dynamic_scope by its id, /subscriptions/<id>{ASSIGNMENT_INFIX}<name> or /subscriptions/<id>/resourceGroups/<name>{ASSIGNMENT_INFIX}<name>; got {id:?}."));
            return (None, d.into());
        };
        let a = match arm_calls::get_for_import::<ConfigurationAssignment>(
            ctx,
            data,
            id,
            "dynamic scope",
        )
        .await
        {
            Ok(a) => a,
            Err(d) => return (None, d.into()),
        };
        // What the id tells; the schedule and the filter come from ARM.
        let known = DynamicScopeModel {
            name: name.to_owned(),
            schedule_id: String::new(),
            scope: Some(scope.to_owned()),
            id: Some(id.to_owned()),
            filter: None,
        };
        (Some(scope_state(&known, &a)), Diagnostics::new())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SCHEDULE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/p";

    fn prior(filter: Option<FilterModel>) -> DynamicScopeModel {
        DynamicScopeModel {
            name: "prod".into(),
            schedule_id: SCHEDULE.into(),
            scope: Some("/subscriptions/s".into()),
            id: Some(assignment_id("/subscriptions/s", "prod")),
            filter,
        }
    }

    fn answer(body: serde_json::Value) -> ConfigurationAssignment {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn the_same_filter_in_other_spellings_reads_as_the_prior() {
        let filter = FilterModel {
            resource_types: None,
            resource_groups: None,
            os_types: Some(vec!["Windows".into()]),
            locations: Some(vec!["eastus".into(), "Japan East".into()]),
            tags: None,
            tag_operator: Some("Any".into()),
        };
        let a = answer(json!({"properties": {
            "maintenanceConfigurationId": SCHEDULE.to_lowercase(),
            "filter": {"osTypes": ["windows"], "locations": ["japan east", "EastUS"],
                "resourceTypes": null}
        }}));
        let p = prior(Some(filter));
        assert_eq!(scope_state(&p, &a), p);
    }

    #[test]
    fn a_changed_filter_reads_as_the_service_has_it() {
        let a = answer(json!({"properties": {
            "maintenanceConfigurationId": SCHEDULE,
            "filter": {"locations": ["westus"],
                "tagSettings": {"tags": {"env": ["prod"]}, "filterOperator": "All"}}
        }}));
        let s = scope_state(&prior(None), &a);
        let f = s.filter.unwrap();
        assert_eq!(f.locations, Some(vec!["westus".to_owned()]));
        assert_eq!(f.os_types, None);
        assert_eq!(f.tags, Some([("env".into(), vec!["prod".into()])].into()));
        assert_eq!(f.tag_operator.as_deref(), Some("All"));
        // An answer without a schedule reads as none, so the next plan puts it back.
        let bare = scope_state(&prior(None), &answer(json!({"properties": {}})));
        assert_eq!((bare.schedule_id.as_str(), bare.filter), ("", None));
    }
}
