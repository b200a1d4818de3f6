//! The portal's hotpatch status words, derived from ARM fields.
//!
//! The Azure portal shows one of five words per machine; ARM exposes the license feature state
//! and the machine's hotpatch intent/evaluation separately. The mapping (CONTRACT.md §5) lives
//! here once so the enrollment resource, the status data source and fleet reads agree. All
//! inputs are extensible enums, so comparisons are case-insensitive and unknown values fall
//! through to the most conservative word.

use std::fmt;

/// One of the five statuses the portal shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortalStatus {
    NotEnrolled,
    Pending,
    Enabled,
    Disabled,
    Canceled,
}

impl PortalStatus {
    pub const ALL: [PortalStatus; 5] = [
        PortalStatus::Enabled,
        PortalStatus::Disabled,
        PortalStatus::Pending,
        PortalStatus::Canceled,
        PortalStatus::NotEnrolled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PortalStatus::NotEnrolled => "Not enrolled",
            PortalStatus::Pending => "Pending",
            PortalStatus::Enabled => "Enabled",
            PortalStatus::Disabled => "Disabled",
            PortalStatus::Canceled => "Canceled",
        }
    }
}

impl fmt::Display for PortalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ARM facts the status depends on, as read from one machine GET.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HotpatchSignals {
    /// `productFeatures[name=Hotpatch].subscriptionStatus` (None: no Hotpatch feature at all).
    pub feature_status: Option<String>,
    /// Whether the feature carries a disenrollment or billing end date.
    pub feature_ended: bool,
    /// `patchSettings.enableHotpatching`.
    pub enable_hotpatching: Option<bool>,
    /// `patchSettings.status.hotpatchEnablementStatus`.
    pub enablement_status: Option<String>,
}

fn is(value: &Option<String>, word: &str) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case(word))
}

/// Derives the portal word (CONTRACT.md §5).
pub fn portal_status(s: &HotpatchSignals) -> PortalStatus {
    let feature = &s.feature_status;
    if is(feature, "Enabling")
        || is(&s.enablement_status, "PendingEvaluation") && is(feature, "Enabled")
    {
        return PortalStatus::Pending;
    }
    if is(feature, "Enabled") {
        return match (s.enable_hotpatching, s.enablement_status.as_deref()) {
            (Some(true), Some(e)) if e.eq_ignore_ascii_case("Enabled") => PortalStatus::Enabled,
            // ActionRequired: the machine cannot honour the intent, so it is not receiving
            // hotpatches; the error itself is reported by the status data source.
            (Some(true), Some(e))
                if e.eq_ignore_ascii_case("Disabled")
                    || e.eq_ignore_ascii_case("ActionRequired") =>
            {
                PortalStatus::Disabled
            }
            // Intent recorded but the machine has not been evaluated yet.
            (Some(true), _) => PortalStatus::Pending,
            _ => PortalStatus::Disabled,
        };
    }
    if is(feature, "Disabled") || is(feature, "Disabling") {
        return if s.feature_ended || is(feature, "Disabling") {
            PortalStatus::Canceled
        } else {
            PortalStatus::NotEnrolled
        };
    }
    PortalStatus::NotEnrolled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(
        feature: Option<&str>,
        ended: bool,
        intent: Option<bool>,
        eval: Option<&str>,
    ) -> HotpatchSignals {
        HotpatchSignals {
            feature_status: feature.map(str::to_owned),
            feature_ended: ended,
            enable_hotpatching: intent,
            enablement_status: eval.map(str::to_owned),
        }
    }

    #[test]
    fn maps_each_portal_word() {
        let cases = [
            (signals(None, false, None, None), PortalStatus::NotEnrolled),
            (
                signals(Some("Unknown"), false, None, None),
                PortalStatus::NotEnrolled,
            ),
            (
                signals(Some("Enabling"), false, None, None),
                PortalStatus::Pending,
            ),
            (
                signals(
                    Some("Enabled"),
                    false,
                    Some(true),
                    Some("PendingEvaluation"),
                ),
                PortalStatus::Pending,
            ),
            (
                signals(Some("Enabled"), false, Some(true), Some("Enabled")),
                PortalStatus::Enabled,
            ),
            (
                signals(Some("enabled"), false, Some(true), Some("ENABLED")),
                PortalStatus::Enabled,
            ),
            (
                signals(Some("Enabled"), false, Some(false), Some("Disabled")),
                PortalStatus::Disabled,
            ),
            (
                signals(Some("Enabled"), false, None, None),
                PortalStatus::Disabled,
            ),
            (
                signals(Some("Enabled"), false, Some(true), Some("ActionRequired")),
                PortalStatus::Disabled,
            ),
            (
                signals(Some("Enabled"), false, Some(true), None),
                PortalStatus::Pending,
            ),
            (
                signals(Some("Disabled"), true, Some(true), Some("Enabled")),
                PortalStatus::Canceled,
            ),
            (
                signals(Some("Disabling"), false, None, None),
                PortalStatus::Canceled,
            ),
            (
                signals(Some("Disabled"), false, None, None),
                PortalStatus::NotEnrolled,
            ),
            (
                signals(Some("SomethingNew"), false, None, None),
                PortalStatus::NotEnrolled,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(portal_status(&input), want, "{input:?}");
        }
    }
}
