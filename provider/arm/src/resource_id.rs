//! ARM resource ids: parsing, canonical formatting and case-insensitive comparison.
//!
//! ARM treats ids and path segments case-insensitively and the service itself mixes spellings
//! (`Machines`/`machines`, `resourcegroups`), so ids are compared on their lower-cased canonical
//! form while the segments users typed are kept for display. Only the fixed keywords
//! (`subscriptions`, `resourceGroups`, `providers`) are rewritten to their canonical case.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Namespace and type of an Arc-enabled server.
pub const HYBRID_MACHINE_TYPE: &str = "Microsoft.HybridCompute/machines";

/// Why a string is not a (suitable) resource id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResourceIdError {
    #[error("resource id {id:?} is not valid: {reason}")]
    Invalid { id: String, reason: String },
    #[error("resource id {id:?} is not a {expected} id")]
    WrongType { id: String, expected: String },
}

/// A parsed ARM resource id: an ordered list of `key/value` segment pairs such as
/// `subscriptions/<id>`, `resourceGroups/<rg>`, `providers/<namespace>`, `machines/<name>`.
/// Extension resources (a second `providers/...` under a resource) are supported.
#[derive(Clone, Debug)]
pub struct ResourceId {
    segments: Vec<(String, String)>,
}

fn canonical_key(k: &str) -> &str {
    if k.eq_ignore_ascii_case("subscriptions") {
        "subscriptions"
    } else if k.eq_ignore_ascii_case("resourcegroups") {
        "resourceGroups"
    } else if k.eq_ignore_ascii_case("providers") {
        "providers"
    } else {
        k
    }
}

impl ResourceId {
    /// Parses `/subscriptions/.../...`. A trailing `/` is tolerated.
    pub fn parse(id: &str) -> Result<Self, ResourceIdError> {
        let invalid = |reason: &str| ResourceIdError::Invalid {
            id: id.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = id.trim();
        let rest = trimmed
            .strip_prefix('/')
            .ok_or_else(|| invalid("it must start with '/'"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Err(invalid("it is empty"));
        }
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(invalid("it contains an empty segment"));
        }
        if parts.chunks(2).any(|pair| pair.len() != 2) {
            return Err(invalid("segments must come in key/value pairs"));
        }
        let segments: Vec<(String, String)> = parts
            .chunks(2)
            .map(|c| (canonical_key(c[0]).to_string(), c[1].to_string()))
            .collect();
        let first = &segments[0].0;
        if first != "subscriptions" && first != "providers" {
            return Err(invalid("it must start with /subscriptions/ or /providers/"));
        }
        Ok(ResourceId { segments })
    }

    /// Builds a resource-group scoped id.
    pub fn new(
        subscription_id: &str,
        resource_group: &str,
        namespace: &str,
        types_and_names: &[(&str, &str)],
    ) -> Self {
        let mut segments = vec![
            ("subscriptions".to_string(), subscription_id.to_string()),
            ("resourceGroups".to_string(), resource_group.to_string()),
            ("providers".to_string(), namespace.to_string()),
        ];
        segments.extend(
            types_and_names
                .iter()
                .map(|(t, n)| (t.to_string(), n.to_string())),
        );
        ResourceId { segments }
    }

    /// Appends a child resource (`.../<type>/<name>`).
    pub fn child(&self, resource_type: &str, name: &str) -> Self {
        let mut segments = self.segments.clone();
        segments.push((resource_type.to_string(), name.to_string()));
        ResourceId { segments }
    }

    /// The parent resource, or `None` at a scope (subscription or resource group).
    /// The parent of an extension resource is the resource it extends.
    pub fn parent(&self) -> Option<Self> {
        if self.resource_types().is_empty() {
            return None;
        }
        let mut segments = self.segments.clone();
        segments.pop();
        if segments.last().is_some_and(|(k, _)| k == "providers") {
            segments.pop();
        }
        Some(ResourceId { segments })
    }

    /// Subscription id, if the id is under a subscription.
    pub fn subscription_id(&self) -> Option<&str> {
        self.value_of("subscriptions")
    }

    /// Resource group name, if any.
    pub fn resource_group(&self) -> Option<&str> {
        self.value_of("resourceGroups")
    }

    /// Namespace of the innermost provider (e.g. `Microsoft.HybridCompute`).
    pub fn provider_namespace(&self) -> Option<&str> {
        self.last_provider_index()
            .map(|i| self.segments[i].1.as_str())
    }

    /// `(type, name)` pairs after the innermost `providers/<namespace>`.
    pub fn resource_types(&self) -> &[(String, String)] {
        match self.last_provider_index() {
            Some(i) => &self.segments[i + 1..],
            None => &[],
        }
    }

    /// Full type, e.g. `Microsoft.HybridCompute/machines/licenseProfiles`.
    pub fn resource_type(&self) -> Option<String> {
        let ns = self.provider_namespace()?;
        let types = self.resource_types();
        if types.is_empty() {
            return None;
        }
        let mut s = ns.to_string();
        for (t, _) in types {
            s.push('/');
            s.push_str(t);
        }
        Some(s)
    }

    /// Name of the resource (the last value), if the id names a resource under a provider.
    pub fn name(&self) -> Option<&str> {
        self.resource_types().last().map(|(_, n)| n.as_str())
    }

    /// Whether the full type equals `full_type` (case-insensitive).
    pub fn is_type(&self, full_type: &str) -> bool {
        self.resource_type()
            .is_some_and(|t| t.eq_ignore_ascii_case(full_type))
    }

    /// Lower-cased canonical form, the key for comparisons.
    pub fn normalized(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }

    fn value_of(&self, key: &str) -> Option<&str> {
        self.segments
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn last_provider_index(&self) -> Option<usize> {
        self.segments.iter().rposition(|(k, _)| k == "providers")
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.segments {
            write!(f, "/{k}/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for ResourceId {
    type Err = ResourceIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourceId::parse(s)
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}

impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}

/// Compares two id strings the way ARM does (case-insensitive, canonical keywords, trailing `/`
/// ignored). Strings that do not parse are compared case-insensitively as they are.
pub fn ids_equal(a: &str, b: &str) -> bool {
    match (ResourceId::parse(a), ResourceId::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.eq_ignore_ascii_case(b),
    }
}

fn valid_machine_name(name: &str) -> bool {
    (1..=54).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Parses and validates the id of an Arc-enabled server:
/// `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.HybridCompute/machines/<name>`.
pub fn parse_hybrid_machine_id(id: &str) -> Result<ResourceId, ResourceIdError> {
    let rid = ResourceId::parse(id)?;
    let wrong = || ResourceIdError::WrongType {
        id: id.to_string(),
        expected: HYBRID_MACHINE_TYPE.to_string(),
    };
    let shape_ok = rid.segments.len() == 4
        && rid.segments[0].0 == "subscriptions"
        && rid.segments[1].0 == "resourceGroups"
        && rid.segments[2].0 == "providers"
        && rid.is_type(HYBRID_MACHINE_TYPE);
    if !shape_ok {
        return Err(wrong());
    }
    let name = rid.name().unwrap_or_default();
    if !valid_machine_name(name) {
        return Err(ResourceIdError::Invalid {
            id: id.to_string(),
            reason: format!(
                "machine name {name:?} must be 1-54 characters of letters, digits, '-', '_' or '.'"
            ),
        });
    }
    Ok(rid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg1/providers/Microsoft.HybridCompute/Machines/m1";

    #[test]
    fn parses_and_formats_canonically() {
        let id = ResourceId::parse(ID).unwrap();
        assert_eq!(
            id.to_string(),
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.HybridCompute/Machines/m1"
        );
        assert_eq!(
            id.subscription_id(),
            Some("00000000-0000-0000-0000-000000000000")
        );
        assert_eq!(id.resource_group(), Some("rg1"));
        assert_eq!(id.provider_namespace(), Some("Microsoft.HybridCompute"));
        assert_eq!(id.name(), Some("m1"));
        assert!(id.is_type("microsoft.hybridcompute/machines"));
        let lp = id.child("licenseProfiles", "default");
        assert_eq!(
            lp.resource_type().as_deref(),
            Some("Microsoft.HybridCompute/Machines/licenseProfiles")
        );
        assert_eq!(lp.parent().unwrap(), id);
        assert!(ResourceId::parse(&id.to_string().to_uppercase()).unwrap() == id);
        assert!(ids_equal(ID, &format!("{}/", ID.to_lowercase())));
    }

    #[test]
    fn extension_resources() {
        let ext = format!("{ID}/providers/Microsoft.Maintenance/configurationAssignments/a1");
        let id = ResourceId::parse(&ext).unwrap();
        assert_eq!(id.provider_namespace(), Some("Microsoft.Maintenance"));
        assert_eq!(
            id.resource_type().as_deref(),
            Some("Microsoft.Maintenance/configurationAssignments")
        );
        assert_eq!(id.parent().unwrap(), ResourceId::parse(ID).unwrap());
    }

    #[test]
    fn rejects_bad_ids() {
        for bad in [
            "",
            "subscriptions/x",
            "/subscriptions",
            "/subscriptions//resourceGroups/x",
            "/foo/bar",
        ] {
            assert!(ResourceId::parse(bad).is_err(), "{bad}");
        }
        assert!(parse_hybrid_machine_id(ID).is_ok());
        assert!(matches!(
            parse_hybrid_machine_id(&format!("{ID}/licenseProfiles/default")),
            Err(ResourceIdError::WrongType { .. })
        ));
        assert!(parse_hybrid_machine_id(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v"
        )
        .is_err());
        assert!(parse_hybrid_machine_id(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/bad name"
        )
        .is_err());
    }
}
