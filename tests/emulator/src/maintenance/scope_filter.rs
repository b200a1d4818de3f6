//! Which machines a dynamic scope (`configurationAssignments` at subscription or resource
//! group scope with a `filter`, CONTRACT §4.2) selects when its schedule fires.
//!
//! Semantics, as Update Manager documents dynamic scoping: the scope bounds the candidates
//! (the subscription, or one resource group); within the filter, values of one field are
//! alternatives (OR) and fields combine with AND; an absent or empty field does not
//! constrain. Details the contract leaves open (INFERENCE):
//! * resource types, resource groups and OS types compare case-insensitively; locations
//!   compare with spaces removed and case ignored, so the display form of the examples
//!   (`Japan East`) matches the name form machines carry (`japaneast`);
//! * `tagSettings.filterOperator` `All` needs every listed tag to match, `Any` (also the
//!   meaning when absent, as in the portal's default) at least one; a tag matches when the
//!   machine has the tag (name case-insensitive, as Azure treats tag names) with one of the
//!   listed values (case-sensitive, as Azure treats tag values), or with any value when the
//!   list is empty;
//! * `resourceGroups` on a resource-group scope narrows it further (the contract says it
//!   only makes sense at subscription scope; the emulator does not reject it).

use serde_json::Value;

/// The facts of one machine or VM a filter looks at.
pub(crate) struct Candidate<'a> {
    /// `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines`.
    pub resource_type: &'a str,
    pub resource_group: &'a str,
    /// `Windows` / `Linux` in any case.
    pub os_type: &'a str,
    pub location: &'a str,
    pub tags: Option<&'a Value>,
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// An absent or empty list allows anything; otherwise one entry must match.
fn allows(list: Option<&Value>, eq: impl Fn(&str) -> bool) -> bool {
    let items = strings(list);
    items.is_empty() || items.into_iter().any(eq)
}

fn location_form(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

fn tag_matches(tags: Option<&Value>, name: &str, values: &Value) -> bool {
    let Some(actual) = tags
        .and_then(Value::as_object)
        .and_then(|t| t.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .map(|(_, v)| v)
    else {
        return false;
    };
    let wanted = strings(Some(values));
    wanted.is_empty() || actual.as_str().is_some_and(|a| wanted.contains(&a))
}

/// Whether `filter` (a `ConfigurationAssignmentFilter`, or null) selects `c`.
pub(crate) fn selects(filter: Option<&Value>, c: &Candidate<'_>) -> bool {
    let f = |k: &str| filter.and_then(|f| f.get(k));
    let by_fields = allows(f("resourceTypes"), |t| {
        t.eq_ignore_ascii_case(c.resource_type)
    }) && allows(f("resourceGroups"), |g| {
        g.eq_ignore_ascii_case(c.resource_group)
    }) && allows(f("osTypes"), |o| o.eq_ignore_ascii_case(c.os_type))
        && allows(f("locations"), |l| {
            location_form(l) == location_form(c.location)
        });
    if !by_fields {
        return false;
    }
    let settings = f("tagSettings");
    let Some(tags) = settings
        .and_then(|s| s.get("tags"))
        .and_then(Value::as_object)
        .filter(|t| !t.is_empty())
    else {
        return true;
    };
    let all = settings
        .and_then(|s| s.get("filterOperator"))
        .and_then(Value::as_str)
        .is_some_and(|o| o.eq_ignore_ascii_case("All"));
    let mut results = tags
        .iter()
        .map(|(name, values)| tag_matches(c.tags, name, values));
    if all {
        results.all(|m| m)
    } else {
        results.any(|m| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn arc<'a>(tags: &'a Value) -> Candidate<'a> {
        Candidate {
            resource_type: "Microsoft.HybridCompute/machines",
            resource_group: "rg-hotpatch",
            os_type: "windows",
            location: "japaneast",
            tags: Some(tags),
        }
    }

    #[test]
    fn fields_and_within_field_or() {
        let tags = json!({"Env": "prod", "team": "ops"});
        let m = arc(&tags);
        assert!(selects(None, &m), "no filter selects everything in scope");
        assert!(selects(Some(&json!({})), &m));
        let f = json!({"resourceTypes": ["microsoft.hybridcompute/MACHINES"],
                       "osTypes": ["Linux", "Windows"], "locations": ["Japan East", "UK South"],
                       "resourceGroups": ["RG-HOTPATCH"]});
        assert!(selects(Some(&f), &m));
        for (k, v) in [
            (
                "resourceTypes",
                json!(["Microsoft.Compute/virtualMachines"]),
            ),
            ("osTypes", json!(["Linux"])),
            ("locations", json!(["West Europe"])),
            ("resourceGroups", json!(["other"])),
        ] {
            let mut g = f.clone();
            g[k] = v;
            assert!(!selects(Some(&g), &m), "{k} excludes");
        }
    }

    #[test]
    fn tag_operators() {
        let tags = json!({"Env": "prod", "team": "ops"});
        let m = arc(&tags);
        let with = |op: &str, t: Value| json!({"tagSettings": {"tags": t, "filterOperator": op}});
        assert!(selects(
            Some(&with("Any", json!({"env": ["dev", "prod"], "x": ["y"]}))),
            &m
        ));
        assert!(!selects(
            Some(&with("All", json!({"env": ["prod"], "x": ["y"]}))),
            &m
        ));
        assert!(selects(
            Some(&with("All", json!({"env": ["prod"], "team": []}))),
            &m
        ));
        assert!(
            !selects(Some(&with("Any", json!({"env": ["PROD"]}))), &m),
            "values are case-sensitive"
        );
        let no_op = json!({"tagSettings": {"tags": {"x": ["y"], "team": ["ops"]}}});
        assert!(selects(Some(&no_op), &m), "Any when the operator is absent");
        let untagged = Candidate {
            tags: None,
            ..arc(&tags)
        };
        assert!(!selects(Some(&with("Any", json!({"env": []}))), &untagged));
    }
}
