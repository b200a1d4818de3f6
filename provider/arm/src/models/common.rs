//! Shapes shared by every resource provider: the ARM `ErrorDetail` and the machinery for
//! extensible ("modelAsString") enums.
//!
//! One `ErrorDetail` type parses all four RP error dialects of the contract (common-types v3,
//! Compute `CloudError`, Maintenance, Resource Graph) because their fields are a superset of each
//! other; fields that only some RPs send (`additionalInfo`, `innererror`, Resource Graph's extra
//! properties) are kept as raw JSON so nothing the service said is lost for diagnostics.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// ARM error detail, as found under `error` in error responses and embedded in resources
/// (`patchSettings.status.error`, `productFeatures[].error`, `errorDetails`, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Nested details; `null` and absent both read as empty.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<ErrorDetail>,
    /// `additionalInfo` (common-types v3), kept raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<Value>,
    /// `innererror` (Compute `CloudError`), kept raw.
    #[serde(
        default,
        rename = "innererror",
        alias = "innerError",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<Value>,
    /// Anything else the RP put in (Resource Graph allows additional properties).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorDetail {
    /// `code: message`, skipping whichever is missing.
    pub fn summary(&self) -> String {
        match (self.code.as_deref(), self.message.as_deref()) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.to_string(),
            (None, Some(m)) => m.to_string(),
            (None, None) => String::new(),
        }
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())?;
        if let Some(t) = self.target.as_deref() {
            write!(f, " (target: {t})")?;
        }
        Ok(())
    }
}

/// The `{ "error": ErrorDetail }` envelope used by every RP.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// Deserializes `null` as `T::default()` (ARM sends `null` for empty arrays and maps).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Declares an extensible ARM enum: known values get variants, anything else is kept verbatim in
/// `Other(String)` and serialized back unchanged. Known values also match case-insensitively
/// (ARM is inconsistent about casing) and are then written in their canonical spelling.
macro_rules! extensible_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this client does not know; kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(s) => s.as_str(),
                }
            }

            /// Every known value.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $( if s == $wire { return Self::$variant; } )+
                $( if s.eq_ignore_ascii_case($wire) { return Self::$variant; } )+
                Self::Other(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from(s.as_str()) {
                    Self::Other(_) => Self::Other(s),
                    known => known,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::from(s))
            }
        }
    };
}

pub(crate) use extensible_enum;

extensible_enum! {
    /// `provisioningState` of ARM resources. Only `Succeeded`, `Failed` and `Canceled` are
    /// terminal; any other value (including unknown ones) means the resource is still settling.
    pub enum ProvisioningState {
        Succeeded => "Succeeded",
        Failed => "Failed",
        Canceled => "Canceled",
        Creating => "Creating",
        Updating => "Updating",
        Deleting => "Deleting",
        Accepted => "Accepted",
        Deleted => "Deleted",
    }
}

impl ProvisioningState {
    /// Whether the state is final (`Succeeded`, `Failed`, `Canceled`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensible_enum_round_trips_unknown_values() {
        let v: ProvisioningState = serde_json::from_str("\"Migrating\"").unwrap();
        assert_eq!(v, ProvisioningState::Other("Migrating".into()));
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"Migrating\"");
        let v: ProvisioningState = serde_json::from_str("\"succeeded\"").unwrap();
        assert_eq!(v, ProvisioningState::Succeeded);
        assert!(v.is_terminal());
    }

    #[test]
    fn error_detail_keeps_raw_fields() {
        let e: ErrorDetail = serde_json::from_str(
            r#"{"code":"A","message":"m","details":null,"innererror":{"exceptiontype":"x"},"foo":1}"#,
        )
        .unwrap();
        assert!(e.details.is_empty());
        assert_eq!(e.inner_error.unwrap()["exceptiontype"], "x");
        assert_eq!(e.extra["foo"], 1);
    }
}
