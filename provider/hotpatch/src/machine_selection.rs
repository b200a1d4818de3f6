//! Which machines a fleet-capable data source reads (`hotpatch_available_updates`,
//! `hotpatch_update_history`): exactly one of `machine_id` (one machine), `machine_ids` (a
//! list) or `scope` (a subscription or resource group id).
//!
//! Both data sources read Resource Graph, which answers a whole fleet with one paged query as
//! cheaply as one machine; the three ways to name machines only change the query's filter. The
//! "exactly one" rule, the scope's shape and the list's de-duplication live here once so the
//! two data sources cannot drift apart.

use armclient::resource_id::ids_equal;
use armclient::ResourceId;
use tfframework::{AttributePath, Diagnostic, Diagnostics, Known, Validator, Value};

use crate::list_scope::{resource_group_rule, subscription_id_rule};

/// The machines a read covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// One machine, as configured in `machine_id`.
    One(String),
    /// These machines, in the configured order, each id once (ids compare case-insensitively;
    /// the first spelling is kept).
    Many(Vec<String>),
    /// Every machine of a subscription or resource group that has results.
    Scope(FleetScope),
}

/// A subscription, or one resource group of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetScope {
    pub subscription_id: String,
    pub resource_group: Option<String>,
}

const SCOPE_SHAPE: &str =
    "a subscription id (/subscriptions/<id>) or a resource group id (/subscriptions/<id>/resourceGroups/<name>)";

impl FleetScope {
    /// `/subscriptions/<id>` or `/subscriptions/<id>/resourceGroups/<name>`, any case.
    pub fn parse(scope: &str) -> Result<Self, String> {
        let id = ResourceId::parse(scope).map_err(|e| e.to_string())?;
        let parsed = FleetScope {
            subscription_id: id.subscription_id().unwrap_or_default().to_owned(),
            resource_group: id.resource_group().map(str::to_owned),
        };
        if parsed.subscription_id.is_empty() || !ids_equal(&parsed.id(), scope) {
            return Err(format!("{scope:?} is neither"));
        }
        Ok(parsed)
    }

    /// The scope's ARM id.
    pub fn id(&self) -> String {
        match &self.resource_group {
            None => format!("/subscriptions/{}", self.subscription_id),
            Some(rg) => format!(
                "/subscriptions/{}/resourceGroups/{rg}",
                self.subscription_id
            ),
        }
    }
}

/// The comparison key of a machine id: ARM compares ids case-insensitively and ignores a
/// trailing `/`, and so does every match between configured ids and Resource Graph rows.
pub fn machine_key(id: &str) -> String {
    ResourceId::parse(id).map_or_else(|_| id.to_ascii_lowercase(), |r| r.normalized())
}

/// Validates `scope`: its shape, then its subscription and resource group by the rules the
/// list scopes use.
pub struct FleetScopeId;

impl Validator for FleetScopeId {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        match FleetScope::parse(s) {
            Err(e) => diags.error_at(
                path.clone(),
                "Invalid scope",
                format!("{path} must be {SCOPE_SHAPE}; {e}."),
            ),
            Ok(scope) => {
                subscription_id_rule().validate(
                    &Value::string(&scope.subscription_id),
                    path,
                    diags,
                );
                if let Some(rg) = &scope.resource_group {
                    resource_group_rule().validate(&Value::string(rg), path, diags);
                }
            }
        }
    }
}

/// The names of the three attributes in one data source, for messages and paths.
#[derive(Clone, Copy)]
pub struct SelectorNames {
    pub machine_id: &'static str,
    pub machine_ids: &'static str,
    pub scope: &'static str,
}

impl SelectorNames {
    fn rule(&self) -> String {
        format!(
            "Set exactly one of {} (one machine), {} (a list of machine ids) or {} ({SCOPE_SHAPE}).",
            self.machine_id, self.machine_ids, self.scope
        )
    }
}

/// Whether a configured attribute is set, not set, or not known yet.
fn presence<T>(k: &Known<T>) -> Option<bool> {
    match k {
        Known::Value(_) => Some(true),
        Known::Null => Some(false),
        Known::Unknown => None,
    }
}

/// Plan-time: exactly one of the three is set. With a value still unknown only "more than
/// one" can be told; "none" waits for the value.
pub fn validate<A, B, C>(
    names: SelectorNames,
    machine_id: &Known<A>,
    machine_ids: &Known<B>,
    scope: &Known<C>,
    diags: &mut Diagnostics,
) {
    let attrs = [
        (names.machine_id, presence(machine_id)),
        (names.machine_ids, presence(machine_ids)),
        (names.scope, presence(scope)),
    ];
    let set: Vec<&str> = attrs
        .iter()
        .filter(|(_, p)| *p == Some(true))
        .map(|(n, _)| *n)
        .collect();
    let any_unknown = attrs.iter().any(|(_, p)| p.is_none());
    match set.as_slice() {
        [] if !any_unknown => diags.push(Diagnostic::error(
            "Missing machine selection",
            format!(
                "None of {}, {} or {} is set. {}",
                names.machine_id,
                names.machine_ids,
                names.scope,
                names.rule()
            ),
        )),
        [first, second, ..] => diags.push(
            Diagnostic::error(
                "Conflicting machine selection",
                format!("{first} and {second} are both set. {}", names.rule()),
            )
            .at(AttributePath::attr(*second)),
        ),
        _ => {}
    }
}

impl Selection {
    /// The selection a (validated) configuration makes; the rule again should validation
    /// have been skipped.
    pub fn of(
        names: SelectorNames,
        machine_id: Option<&String>,
        machine_ids: Option<&Vec<String>>,
        scope: Option<&String>,
    ) -> Result<Self, Diagnostic> {
        match (machine_id, machine_ids, scope) {
            (Some(id), None, None) => Ok(Selection::One(id.clone())),
            (None, Some(ids), None) => {
                let mut unique: Vec<String> = Vec::with_capacity(ids.len());
                for id in ids {
                    if !unique.iter().any(|u| ids_equal(u, id)) {
                        unique.push(id.clone());
                    }
                }
                Ok(Selection::Many(unique))
            }
            (None, None, Some(scope)) => {
                FleetScope::parse(scope).map(Selection::Scope).map_err(|e| {
                    Diagnostic::error("Invalid scope", format!("{e}. {}", names.rule()))
                        .at(AttributePath::attr(names.scope))
                })
            }
            _ => Err(Diagnostic::error("Invalid machine selection", names.rule())),
        }
    }

    /// The configured machine ids; none for a scope.
    pub fn ids(&self) -> &[String] {
        match self {
            Selection::One(id) => std::slice::from_ref(id),
            Selection::Many(ids) => ids,
            Selection::Scope(_) => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: SelectorNames = SelectorNames {
        machine_id: "machine_id",
        machine_ids: "machine_ids",
        scope: "scope",
    };
    const SUB: &str = "00000000-0000-0000-0000-000000000001";

    fn check(
        machine_id: Known<String>,
        machine_ids: Known<Vec<Known<String>>>,
        scope: Known<String>,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate(NAMES, &machine_id, &machine_ids, &scope, &mut diags);
        diags
    }

    #[test]
    fn exactly_one_is_required_and_unknowns_wait() {
        let id = || Known::Value("x".to_string());
        let ids = || Known::Value(vec![Known::Value("x".to_string())]);
        assert!(check(id(), Known::Null, Known::Null).is_empty());
        assert!(check(Known::Null, ids(), Known::Null).is_empty());
        assert!(check(Known::Null, Known::Null, id()).is_empty());
        assert!(check(Known::Unknown, Known::Null, Known::Null).is_empty());

        let none = check(Known::Null, Known::Null, Known::Null);
        let text = none.iter().next().unwrap().detail.clone();
        for name in ["machine_id", "machine_ids", "scope"] {
            assert!(text.contains(name), "{text}");
        }
        let two = check(id(), Known::Null, id());
        let d = two.iter().next().unwrap();
        assert!(
            d.detail.starts_with("machine_id and scope are both set"),
            "{}",
            d.detail
        );
        assert_eq!(d.attribute, Some(AttributePath::attr("scope")));
        assert!(check(id(), Known::Unknown, id()).has_errors());
    }

    #[test]
    fn scopes_are_a_subscription_or_a_resource_group() {
        let rg = FleetScope::parse(&format!("/subscriptions/{SUB}/resourcegroups/rg-1")).unwrap();
        assert_eq!(rg.resource_group.as_deref(), Some("rg-1"));
        assert_eq!(rg.id(), format!("/subscriptions/{SUB}/resourceGroups/rg-1"));
        assert_eq!(
            FleetScope::parse(&format!("/subscriptions/{SUB}/"))
                .unwrap()
                .resource_group,
            None
        );
        for bad in [
            "subscriptions/x".to_string(),
            format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m"),
            format!("/subscriptions/{SUB}/locations/eastus"),
            "/providers/Microsoft.Management/managementGroups/mg".to_string(),
        ] {
            assert!(FleetScope::parse(&bad).is_err(), "{bad}");
        }
        let mut diags = Diagnostics::new();
        FleetScopeId.validate(
            &Value::string("/subscriptions/not-a-guid"),
            &AttributePath::attr("scope"),
            &mut diags,
        );
        assert!(diags.has_errors());
    }

    #[test]
    fn a_list_keeps_each_machine_once_in_its_first_spelling() {
        let a = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/a"
        );
        let b = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/b"
        );
        let ids = vec![a.clone(), b.clone(), a.to_uppercase()];
        let s = Selection::of(NAMES, None, Some(&ids), None).unwrap();
        assert_eq!(s, Selection::Many(vec![a, b]));
        assert!(Selection::of(NAMES, None, None, None).is_err());
    }
}
