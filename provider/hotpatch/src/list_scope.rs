//! What the list resources and the fleet data source share: the `{ subscription_id,
//! resource_group_name }` scope of a `list` block (or of `hotpatch_machines`), and paging
//! through one ARM collection of that scope into Terraform's results.
//!
//! `terraform query` runs over fleets of thousands of machines while ARM throttles reads per
//! subscription, so every list resource reads only list pages (`nextLink`) and never one GET
//! per machine. Keeping the scope rules and the paging loop in one place keeps the list
//! resources from drifting apart in validation, defaults or cost.

use armclient::ArmClient;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use tfframework::validators::string_check;
use tfframework::{AttributePath, Diagnostic, ListResult, ListSink, Model, Validator};

use crate::arm_diag::arm_error;
use crate::provider_data::HotpatchData;

/// The collections the list resources page through.
pub(crate) const ARC_MACHINES: &str = "Microsoft.HybridCompute/machines";
pub(crate) const AZURE_VMS: &str = "Microsoft.Compute/virtualMachines";

/// Validates `subscription_id`.
pub(crate) fn subscription_id_rule() -> impl Validator {
    string_check(is_guid, "must be a subscription GUID")
}

/// Validates `resource_group_name`.
pub(crate) fn resource_group_rule() -> impl Validator {
    string_check(
        is_resource_group_name,
        "must be a resource group name (letters, digits, `-`, `_`, `.`, `(`, `)`; up to 90 characters, not ending in `.`)",
    )
}

// Both rules are checked by hand rather than with patterns: the resource-group pattern,
// `^[-\w.()]{1,89}[-\w()]$`, repeats a Unicode class 89 times and took ~40 ms and ~15 MiB to
// compile (release build), once for each of the three scoped objects; these loops cost
// nothing to set up.

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits of either case.
fn is_guid(s: &str) -> bool {
    let mut groups = s.split('-');
    let hex_group = |group: Option<&str>, len: usize| {
        group.is_some_and(|g| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    [8, 4, 4, 4, 12]
        .into_iter()
        .all(|len| hex_group(groups.next(), len))
        && groups.next().is_none()
}

/// ARM's resource group name rule: 1 to 90 characters, each a word character (Unicode letters,
/// marks, digits and connectors such as `_`, exactly the regex `\w`), `-`, `.`, `(` or `)`, and
/// not ending in `.`.
fn is_resource_group_name(s: &str) -> bool {
    let allowed =
        |c: char| regex_syntax::is_word_character(c) || matches!(c, '-' | '.' | '(' | ')');
    (1..=90).contains(&s.chars().count()) && s.chars().all(allowed) && !s.ends_with('.')
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
    arm: &ArmClient,
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
    let items = arm.list_stream::<T>(path, api_version);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The patterns these checks replaced, kept to show the checks accept exactly what they did.
    const GUID_PATTERN: &str =
        r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";
    const RESOURCE_GROUP_PATTERN: &str = r"^[-\w\.\(\)]{1,89}[-\w\(\)]$|^[-\w\(\)]$";

    fn agrees_with(pattern: &str, check: fn(&str) -> bool, samples: &[String]) {
        let re = regex::Regex::new(pattern).expect("pattern");
        for s in samples {
            assert_eq!(check(s), re.is_match(s), "{s:?}");
        }
    }

    #[test]
    fn guid_check_matches_the_old_pattern() {
        let id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        let mut samples: Vec<String> = [
            id,
            "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
            "",
            "-",
            "----",
            "0f1e2d3c4b5a697887 96a5b4c3d2e1f0",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-",
            "-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f",
            "0f1e2d3c-4b5a-6978-8796a5b4c3d2e1f0",
            "{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\n",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg",
            "０f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        ]
        .map(String::from)
        .to_vec();
        // Every single-character change of a valid id.
        for (i, _) in id.char_indices() {
            for c in ['0', 'a', 'F', 'g', '-', ' '] {
                let mut s = id.to_string();
                s.replace_range(i..i + 1, &c.to_string());
                samples.push(s);
            }
        }
        assert!(is_guid(id));
        agrees_with(GUID_PATTERN, is_guid, &samples);
    }

    #[test]
    fn resource_group_check_matches_the_old_pattern() {
        let mut samples: Vec<String> = [
            "rg",
            "r",
            "_",
            "-",
            "(",
            ".",
            "",
            "rg.",
            "rg.x",
            ".rg",
            "my-rg_(prod).eu",
            "rg name",
            "rg/x",
            "rg\n",
            "Grüße",
            "日本語",
            // A combining mark (e + U+0301), a connector (U+203F), a superscript digit (not \w).
            "cafe\u{301}",
            "a\u{203F}b",
            "x\u{b2}",
            "rg\u{200D}",
        ]
        .map(String::from)
        .to_vec();
        for len in [89, 90, 91] {
            samples.push("a".repeat(len));
            samples.push(format!("{}.", "a".repeat(len - 1)));
            samples.push("é".repeat(len));
        }
        assert!(is_resource_group_name("my-rg_(prod).eu"));
        agrees_with(RESOURCE_GROUP_PATTERN, is_resource_group_name, &samples);
    }
}
