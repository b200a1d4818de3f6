//! Attribute validators and the validate-time walk that runs them.
//!
//! Validation happens while the configuration may still contain unknown values, so a
//! validator only ever sees known, non-null values; the walk skips everything else. Each
//! diagnostic carries the attribute path, which Terraform uses to underline the config.

use std::sync::OnceLock;

use tfprotocol::{AttributePath, Diagnostics, Nesting, Value};

use crate::schema::{AttributeSchema, BlockSchema};

/// Checks one known, non-null attribute value.
pub trait Validator: Send + Sync {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// The value is one of `allowed` (strings).
pub fn one_of(allowed: &[&str]) -> impl Validator {
    OneOf(allowed.iter().map(|s| s.to_string()).collect())
}

struct OneOf(Vec<String>);

impl Validator for OneOf {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !self.0.iter().any(|a| a == s) {
            diags.error_at(
                path.clone(),
                "Invalid attribute value",
                format!("{path} must be one of {}, got {s:?}.", quoted_list(&self.0)),
            );
        }
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The string matches `pattern`; `message` says what a valid value looks like.
///
/// The pattern is compiled at the validator's first use, once, not when the schema is built:
/// compiling a pattern with Unicode classes and counted repetitions takes milliseconds, and a
/// schema is built for every RPC family, while a given attribute is validated only when a
/// configuration sets it. Prefer a hand-written check where it is as clear as the pattern.
///
/// An invalid pattern is a programming error; it is reported as a diagnostic on every use
/// rather than a panic.
pub fn regex(pattern: &'static str, message: impl Into<String>) -> impl Validator {
    Regex {
        pattern,
        compiled: OnceLock::new(),
        message: message.into(),
    }
}

struct Regex {
    pattern: &'static str,
    compiled: OnceLock<Result<regex::Regex, String>>,
    message: String,
}

impl Regex {
    fn compiled(&self) -> &Result<regex::Regex, String> {
        self.compiled.get_or_init(|| {
            crate::work_counts::count_pattern_compiled();
            regex::Regex::new(self.pattern)
                .map_err(|e| format!("invalid validator pattern {:?}: {e}", self.pattern))
        })
    }
}

impl Validator for Regex {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        match self.compiled() {
            Ok(re) if re.is_match(s) => {}
            Ok(_) => invalid_string(path, &self.message, s, diags),
            Err(e) => diags.error_at(path.clone(), "Provider schema bug", e.clone()),
        }
    }
}

/// The string passes `check`; `message` says what a valid value looks like. The hand-written
/// counterpart of [`regex`], with the same diagnostic.
pub fn string_check(check: fn(&str) -> bool, message: impl Into<String>) -> impl Validator {
    StringCheck {
        check,
        message: message.into(),
    }
}

struct StringCheck {
    check: fn(&str) -> bool,
    message: String,
}

impl Validator for StringCheck {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !(self.check)(s) {
            invalid_string(path, &self.message, s, diags);
        }
    }
}

fn invalid_string(path: &AttributePath, message: &str, got: &str, diags: &mut Diagnostics) {
    diags.error_at(
        path.clone(),
        "Invalid attribute value",
        format!("{path}: {message} (got {got:?})."),
    );
}

/// The number is an integer in `min..=max`.
pub fn int_between(min: i64, max: i64) -> impl Validator {
    IntBetween { min, max }
}

struct IntBetween {
    min: i64,
    max: i64,
}

impl Validator for IntBetween {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(n) = value.as_number() else { return };
        match n.as_i64() {
            Some(i) if (self.min..=self.max).contains(&i) => {}
            _ => diags.error_at(
                path.clone(),
                "Invalid attribute value",
                format!(
                    "{path} must be a whole number between {} and {}, got {n}.",
                    self.min, self.max
                ),
            ),
        }
    }
}

/// A string, list, set or map that is not empty.
pub fn non_empty() -> impl Validator {
    NonEmpty
}

struct NonEmpty;

impl Validator for NonEmpty {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let empty = match value {
            Value::String(s) => s.is_empty(),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        };
        if empty {
            diags.error_at(
                path.clone(),
                "Invalid attribute value",
                format!("{path} must not be empty."),
            );
        }
    }
}

/// Applies `inner` to every known element of a list, set or map.
pub fn each(inner: impl Validator + 'static) -> impl Validator {
    Each(Box::new(inner))
}

struct Each(Box<dyn Validator>);

impl Validator for Each {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        match value {
            Value::List(v) | Value::Tuple(v) => {
                for (i, e) in v.iter().enumerate() {
                    run(self.0.as_ref(), e, &path.clone().index(i as i64), diags);
                }
            }
            // Set elements have no address; blame the set itself.
            Value::Set(v) => v.iter().for_each(|e| run(self.0.as_ref(), e, path, diags)),
            Value::Map(m) => {
                for (k, e) in m {
                    run(self.0.as_ref(), e, &path.clone().key(k.clone()), diags);
                }
            }
            _ => {}
        }
    }
}

fn run(v: &dyn Validator, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !value.is_null() && !value.is_unknown() {
        v.validate(value, path, diags);
    }
}

/// Runs every attribute's validators over a configuration value (nested blocks included).
pub(crate) fn validate_block(
    block: &BlockSchema,
    config: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    let Value::Object(attrs) = config else { return };
    for a in &block.attributes {
        if let Some(v) = attrs.get(&a.name) {
            validate_attribute(a, v, &path.clone().attribute(&a.name), diags);
        }
    }
    for b in &block.blocks {
        let Some(v) = attrs.get(&b.name) else {
            continue;
        };
        let p = path.clone().attribute(&b.name);
        for_each_element(b.nesting, v, &p, |e, p| {
            validate_block(&b.block, e, p, diags)
        });
    }
}

fn validate_attribute(
    a: &AttributeSchema,
    value: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if value.is_null() || value.is_unknown() {
        return;
    }
    for v in &a.validators {
        v.validate(value, path, diags);
    }
    if let Some(n) = &a.nested {
        for_each_element(n.nesting, value, path, |e, p| {
            if let Value::Object(m) = e {
                for na in &n.attributes {
                    if let Some(v) = m.get(&na.name) {
                        validate_attribute(na, v, &p.clone().attribute(&na.name), diags);
                    }
                }
            }
        });
    }
}

/// Calls `f` with each object of a nested block or nested attribute value and its path.
pub(crate) fn for_each_element(
    nesting: Nesting,
    value: &Value,
    path: &AttributePath,
    mut f: impl FnMut(&Value, &AttributePath),
) {
    match (nesting, value) {
        (Nesting::Single | Nesting::Group, v) => f(v, path),
        (_, Value::List(v) | Value::Tuple(v)) => {
            for (i, e) in v.iter().enumerate() {
                f(e, &path.clone().index(i as i64));
            }
        }
        (_, Value::Set(v)) => v.iter().for_each(|e| f(e, path)),
        (_, Value::Map(m) | Value::Object(m)) => {
            for (k, e) in m {
                f(e, &path.clone().key(k.clone()));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::work_counts::work_counts;

    fn check(v: &dyn Validator, s: &str) -> Diagnostics {
        let mut diags = Diagnostics::new();
        v.validate(
            &Value::String(s.into()),
            &AttributePath::attr("name"),
            &mut diags,
        );
        diags
    }

    #[test]
    fn a_pattern_is_compiled_at_first_use_not_when_made() {
        let v = Regex {
            pattern: "^[a-z]+$",
            compiled: OnceLock::new(),
            message: "lower-case letters".into(),
        };
        assert!(v.compiled.get().is_none(), "compiled when made");
        // Other tests may compile patterns concurrently, so only a lower bound holds globally.
        let before = work_counts().patterns_compiled;
        assert!(!check(&v, "abc").has_errors());
        assert!(work_counts().patterns_compiled > before);
        assert!(check(&v, "ABC").has_errors());
    }

    #[test]
    fn an_invalid_pattern_is_a_diagnostic_on_every_use() {
        let v = regex("(", "anything");
        for _ in 0..2 {
            let diags = check(&v, "x");
            assert!(diags.has_errors());
            assert!(format!("{diags:?}").contains("Provider schema bug"));
        }
    }

    #[test]
    fn string_check_and_regex_report_alike() {
        let by_hand = string_check(|s| s.bytes().all(|b| b.is_ascii_lowercase()), "lower");
        let by_pattern = regex("^[a-z]*$", "lower");
        assert!(!check(&by_hand, "abc").has_errors());
        assert_eq!(check(&by_hand, "aBc"), check(&by_pattern, "aBc"));
    }
}
