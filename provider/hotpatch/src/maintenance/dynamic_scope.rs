//! `hotpatch_dynamic_scope`: a subscription-level configuration assignment with a filter, which
//! attaches every machine matching it to a schedule (CONTRACT §4.2, dynamic scopes). The
//! schedule and the filter update in place (PUT of the whole assignment); name and scope force
//! replacement. The scope defaults to the provider's subscription.

use std::collections::BTreeMap;

use armclient::models::maintenance::{
    ConfigurationAssignment, ConfigurationAssignmentFilter, ConfigurationAssignmentProperties,
    TagOperator, TagSettings, API_VERSION,
};
use armclient::resource_id::{ids_equal, ResourceId};
use async_trait::async_trait;
use tfframework::raw;
use tfframework::validators::{each, one_of};
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics, Known,
    NestedBlockSchema, ObjectBuilder, ObjectReader, ResourceSchema, Type, Validator, Value,
};

use super::assignment::{ScheduleId, ASSIGNMENT_INFIX};
use super::{string_list, strings};
use crate::arm_diag::{arm_error, delete_outcome, read_outcome};
use crate::provider::HotpatchData;

pub struct DynamicScopeResource;

/// `/subscriptions/<id>`.
struct SubscriptionScope;

impl Validator for SubscriptionScope {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let ok = ResourceId::parse(s).is_ok_and(|r| {
            r.subscription_id().is_some()
                && r.resource_group().is_none()
                && r.provider_namespace().is_none()
        });
        if !ok {
            diags.error_at(
                path.clone(),
                "Invalid scope",
                format!("{path} must be a subscription id, /subscriptions/<id>; got {s:?}."),
            );
        }
    }
}

fn body(planned: &Value) -> Result<ConfigurationAssignment, Diagnostic> {
    let r = ObjectReader::new(planned);
    let filter = match r.objects("filter").first() {
        None => None,
        Some(f) => {
            let tags: BTreeMap<String, Vec<String>> =
                f.get::<Option<_>>("tags")?.unwrap_or_default();
            let operator: Option<String> = f.get("tag_operator")?;
            Some(ConfigurationAssignmentFilter {
                resource_types: strings(f, "resource_types")?,
                resource_groups: strings(f, "resource_groups")?,
                os_types: strings(f, "os_types")?,
                locations: strings(f, "locations")?,
                tag_settings: (!tags.is_empty()).then(|| TagSettings {
                    tags,
                    filter_operator: operator.map(TagOperator::from),
                }),
            })
        }
    };
    Ok(ConfigurationAssignment {
        properties: Some(ConfigurationAssignmentProperties {
            maintenance_configuration_id: Some(r.get("schedule_id")?),
            filter,
            ..ConfigurationAssignmentProperties::default()
        }),
        ..ConfigurationAssignment::default()
    })
}

/// The prior list when it holds the same values (case-insensitive, any order), else the service's.
fn same_list(prior: Option<&Value>, service: &[String]) -> Value {
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
        v.sort();
        v
    };
    let p: Vec<String> = prior
        .and_then(Value::as_elements)
        .map(|e| {
            e.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if norm(&p) == norm(service) {
        return prior.cloned().unwrap_or(Value::Null);
    }
    Value::List(service.iter().map(|s| Value::string(s.as_str())).collect())
}

fn state_from(prior: &Value, a: &ConfigurationAssignment) -> Value {
    let props = a.properties.clone().unwrap_or_default();
    let prior_schedule = prior.attr("schedule_id").and_then(Value::as_str);
    let schedule = match (
        prior_schedule,
        props.maintenance_configuration_id.as_deref(),
    ) {
        (Some(p), Some(s)) if ids_equal(p, s) => Some(p.to_owned()),
        (_, s) => s.map(str::to_owned),
    };
    let pf = prior.attr("filter").cloned().unwrap_or(Value::Null);
    let filter = match props.filter {
        None if pf.is_null() => Value::Null,
        f => {
            let f = f.unwrap_or_default();
            let ts = f.tag_settings.unwrap_or_default();
            let tags: Value = if ts.tags.is_empty() && pf.attr("tags").is_none_or(Value::is_null) {
                Value::Null
            } else {
                Value::Map(
                    ts.tags
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                Value::List(v.iter().map(|s| Value::string(s.as_str())).collect()),
                            )
                        })
                        .collect(),
                )
            };
            let operator = ts
                .filter_operator
                .map_or("Any".to_owned(), |o| o.as_str().to_owned());
            ObjectBuilder::new()
                .set(
                    "resource_types",
                    same_list(pf.attr("resource_types"), &f.resource_types),
                )
                .set(
                    "resource_groups",
                    same_list(pf.attr("resource_groups"), &f.resource_groups),
                )
                .set("os_types", same_list(pf.attr("os_types"), &f.os_types))
                .set("locations", same_list(pf.attr("locations"), &f.locations))
                .set("tags", tags)
                .set("tag_operator", operator)
                .build()
        }
    };
    ObjectBuilder::from_value(prior)
        .set("schedule_id", schedule)
        .set("filter", filter)
        .build()
}

fn id_of(scope: &str, name: &str) -> String {
    format!("{scope}{ASSIGNMENT_INFIX}{name}")
}

impl DynamicScopeResource {
    async fn write(
        &self,
        data: &HotpatchData,
        planned: &Value,
        doing: &str,
    ) -> (Option<Value>, Diagnostics) {
        let r = ObjectReader::new(planned);
        let (scope, name, put) = match (
            r.get::<String>("scope"),
            r.get::<String>("name"),
            body(planned),
        ) {
            (Ok(s), Ok(n), Ok(b)) => (s, n, b),
            (Err(d), _, _) | (_, Err(d), _) | (_, _, Err(d)) => return (None, d.into()),
        };
        let id = id_of(&scope, &name);
        let planned = ObjectBuilder::from_value(planned)
            .set("id", id.as_str())
            .build();
        match data
            .arm
            .put::<_, ConfigurationAssignment>(&id, API_VERSION, &put)
            .await
        {
            Ok(a) => (Some(state_from(&planned, &a)), Diagnostics::new()),
            Err(e) if e.status().is_some() => (None, arm_error(doing, &e).into()),
            Err(e) => {
                let after = data
                    .arm
                    .get_optional::<ConfigurationAssignment>(&id, API_VERSION)
                    .await
                    .ok()
                    .flatten();
                (
                    after.map(|a| state_from(&planned, &a)),
                    arm_error(doing, &e).into(),
                )
            }
        }
    }
}

#[async_trait]
impl raw::Resource<HotpatchData> for DynamicScopeResource {
    fn type_name(&self) -> &str {
        "hotpatch_dynamic_scope"
    }

    fn schema(&self) -> ResourceSchema {
        let filter = BlockSchema::new()
            .description("Which machines of the scope the schedule applies to; every given criterion must match.")
            .attribute(string_list("resource_types", "`Microsoft.HybridCompute/machines` and/or `Microsoft.Compute/virtualMachines`."))
            .attribute(string_list("resource_groups", "Resource group names."))
            .attribute(string_list("os_types", "`Windows` and/or `Linux`.").validator(each(one_of(&["Windows", "Linux"]))))
            .attribute(string_list("locations", "Regions, e.g. `eastus` or `Japan East`."))
            .attribute(AttributeSchema::map("tags", Type::list(Type::String)).optional().description("Tag name to the list of accepted values."))
            .attribute(AttributeSchema::string("tag_operator").default(Value::string("Any")).validator(one_of(&["Any", "All"])).description("Whether a machine needs `Any` (default) or `All` of the tags."));
        ResourceSchema::new(
            0,
            BlockSchema::new()
                .description("Attaches every machine matching a filter in a subscription to a `hotpatch_maintenance_schedule` (a Maintenance dynamic scope).")
                .attribute(AttributeSchema::string("name").required().requires_replace().description("Name of the dynamic scope."))
                .attribute(AttributeSchema::string("schedule_id").required().validator(ScheduleId).description("ARM id of the maintenance schedule; changes update in place."))
                .attribute(AttributeSchema::string("scope").optional().computed().requires_replace().use_state_for_unknown().validator(SubscriptionScope).description("`/subscriptions/<id>`. Default: the provider's subscription."))
                .attribute(AttributeSchema::string("id").computed().use_state_for_unknown().description("`<scope>/providers/Microsoft.Maintenance/configurationAssignments/<name>`."))
                .block(NestedBlockSchema::single("filter", filter)),
        )
    }

    async fn modify_plan(
        &self,
        _ctx: &Context,
        data: Option<&HotpatchData>,
        req: &raw::PlanRequest<'_>,
        planned: &mut Value,
        _diags: &mut Diagnostics,
    ) {
        if !req.is_create() {
            return;
        }
        let r = ObjectReader::new(req.config);
        let known = |n: &str| r.get::<Known<String>>(n).ok().and_then(Known::known);
        let scope = match r.get::<Known<String>>("scope") {
            Ok(Known::Value(s)) => Some(s),
            Ok(Known::Null) => data
                .and_then(|d| d.subscription_id.as_deref())
                .map(|s| format!("/subscriptions/{s}")),
            _ => None,
        };
        if let (Some(s), Some(slot)) = (&scope, planned.attr_mut("scope")) {
            *slot = Value::string(s);
        }
        if let (Some(s), Some(n), Some(slot)) = (scope, known("name"), planned.attr_mut("id")) {
            *slot = Value::string(id_of(&s, &n));
        }
    }

    async fn create(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let mut planned = req.planned.clone();
        if planned.attr("scope").is_some_and(Value::is_unknown) {
            let Some(sub) = data.subscription_id.as_deref() else {
                let d = Diagnostic::error(
                    "Subscription needed",
                    "Set scope, or subscription_id in the provider block (ARM_SUBSCRIPTION_ID).",
                );
                return (None, d.into());
            };
            planned = ObjectBuilder::from_value(&planned)
                .set("scope", format!("/subscriptions/{sub}"))
                .build();
        }
        self.write(data, &planned, "creating the dynamic scope")
            .await
    }

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        current: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let id = match ObjectReader::new(current).get::<String>("id") {
            Ok(id) => id,
            Err(d) => return (None, d.into()),
        };
        let lookup = data
            .arm
            .get_optional::<ConfigurationAssignment>(&id, API_VERSION)
            .await;
        read_outcome(current, "reading the dynamic scope", lookup, |a| {
            Some(state_from(current, &a))
        })
    }

    async fn update(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let (state, diags) = self
            .write(data, req.planned, "updating the dynamic scope")
            .await;
        (state.or_else(|| Some(req.prior.clone())), diags)
    }

    async fn delete(&self, _ctx: &Context, data: &HotpatchData, prior: &Value) -> Diagnostics {
        let id = match ObjectReader::new(prior).get::<String>("id") {
            Ok(id) => id,
            Err(d) => return d.into(),
        };
        delete_outcome(
            "deleting the dynamic scope",
            data.arm.delete(&id, API_VERSION).await,
        )
    }

    async fn import(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: &raw::ImportRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let id = req.id.trim();
        let lower = id.to_ascii_lowercase();
        let parts = lower
            .rfind(&ASSIGNMENT_INFIX.to_ascii_lowercase())
            .map(|at| (&id[..at], &id[at + ASSIGNMENT_INFIX.len()..]));
        let mut diags = Diagnostics::new();
        if let Some((scope, _)) = parts {
            SubscriptionScope.validate(
                &Value::string(scope),
                &AttributePath::attr("scope"),
                &mut diags,
            );
        }
        match parts {
            Some((scope, name)) if !name.is_empty() && !name.contains('/') && !diags.has_errors() => {
                let partial = ObjectBuilder::new().set("id", id).set("scope", scope).set("name", name).build();
                (Some(partial), diags)
            }
            _ => (None, Diagnostic::error("Invalid import id", format!("Import hotpatch_dynamic_scope by its id, /subscriptions/<id>{ASSIGNMENT_INFIX}<name>; got {id:?}.")).into()),
        }
    }
}
