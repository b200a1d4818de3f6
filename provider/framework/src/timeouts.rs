//! The `timeouts` block every resource gets, as azurerm and terraform-plugin-framework offer it.
//!
//! The framework owns it end to end so no resource can forget it: the block is added to every
//! resource schema (with the resource's defaults in its descriptions), carried from
//! configuration into plan and state untouched, and turned into the deadline of the operation's
//! [`Context`](crate::Context). Resources only declare defaults ([`TimeoutDefaults`]) and wait
//! with [`crate::wait`], which honours the deadline.

use std::time::Duration;

use tfprotocol::{AttributePath, Diagnostics, Value};

use crate::schema::{AttributeSchema, BlockSchema, NestedBlockSchema};
use crate::validators::Validator;

/// The block's name in every resource.
pub const TIMEOUTS: &str = "timeouts";

/// The operation a timeout bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// A resource's default timeouts, used when the configuration sets none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutDefaults {
    pub create: Duration,
    pub read: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Default for TimeoutDefaults {
    /// azurerm's defaults for most resources: 30 minutes to write, 5 to read.
    fn default() -> Self {
        TimeoutDefaults {
            create: Duration::from_secs(30 * 60),
            read: Duration::from_secs(5 * 60),
            update: Duration::from_secs(30 * 60),
            delete: Duration::from_secs(30 * 60),
        }
    }
}

impl TimeoutDefaults {
    pub fn of(&self, op: Operation) -> Duration {
        match op {
            Operation::Create => self.create,
            Operation::Read => self.read,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
        }
    }

    /// The `timeouts` block for a resource with these defaults.
    pub(crate) fn block(&self) -> NestedBlockSchema {
        let block = Operation::ALL.iter().fold(
            BlockSchema::new().description("Time limits for this resource's operations, as duration strings such as `\"30m\"`, `\"1h\"` or `\"1h30m\"`."),
            |block, op| {
                block.attribute(
                    AttributeSchema::string(op.name())
                        .optional()
                        .validator(DurationValidator)
                        .description(format!(
                            "How long to wait for the {} to finish. Default `{}`.",
                            op.name(),
                            format_duration(self.of(*op))
                        )),
                )
            },
        );
        NestedBlockSchema::single(TIMEOUTS, block)
    }

    /// The timeout of `op` for an object (configuration, plan or state) with a `timeouts`
    /// block: the configured value when set and valid, else the default.
    pub fn effective(&self, object: &Value, op: Operation) -> Duration {
        object
            .attr(TIMEOUTS)
            .and_then(|t| t.attr(op.name()))
            .and_then(Value::as_str)
            .and_then(|s| parse_duration(s).ok())
            .unwrap_or_else(|| self.of(op))
    }
}

/// Parses a Go duration string (`"90s"`, `"1h30m"`, `"1.5h"`); units ns, us, µs, ms, s, m, h.
/// The result must be positive.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("{text:?} is not a duration such as \"30m\", \"1h\" or \"1h30m\"");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        total += number * seconds;
    }
    // A year is far beyond any ARM operation; anything longer is a typo.
    if !(total > 0.0 && total <= 366.0 * 86400.0) {
        return Err(format!(
            "{text:?} must be longer than zero and at most a year"
        ));
    }
    Ok(Duration::from_secs_f64(total))
}

/// `30m`, `1h`, `1h30m`, `45s`: the shortest Go-style spelling of whole seconds.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

struct DurationValidator;

impl Validator for DurationValidator {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if let Err(e) = parse_duration(text) {
            diags.error_at(path.clone(), "Invalid timeout", format!("{path}: {e}."));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::object;

    #[test]
    fn parses_go_durations() {
        let d = |s| parse_duration(s).unwrap();
        assert_eq!(d("30m"), Duration::from_secs(1800));
        assert_eq!(d("1h30m"), Duration::from_secs(5400));
        assert_eq!(d("1.5h"), Duration::from_secs(5400));
        assert_eq!(d("90s"), Duration::from_secs(90));
        assert_eq!(d("250ms"), Duration::from_millis(250));
        for bad in [
            "", "30", "m", "1x", "-1m", "0s", "1h-5m", "9999999h", "1e3s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn formats_whole_durations() {
        assert_eq!(format_duration(Duration::from_secs(1800)), "30m");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(45)), "45s");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
    }

    #[test]
    fn configured_value_wins_over_default() {
        let defaults = TimeoutDefaults::default();
        let object = object([(
            TIMEOUTS,
            object([
                ("create", Value::string("2h")),
                ("read", Value::Null),
                ("update", Value::string("nonsense")),
                ("delete", Value::Null),
            ]),
        )]);
        assert_eq!(
            defaults.effective(&object, Operation::Create),
            Duration::from_secs(7200)
        );
        assert_eq!(defaults.effective(&object, Operation::Read), defaults.read);
        assert_eq!(
            defaults.effective(&object, Operation::Update),
            defaults.update
        );
        assert_eq!(
            defaults.effective(&Value::Null, Operation::Delete),
            defaults.delete
        );
    }
}
