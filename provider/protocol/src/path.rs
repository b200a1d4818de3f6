//! Attribute paths: where in a value a diagnostic or a replacement applies.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object attribute (or nested block) by name.
    Attribute(String),
    /// A map element by key.
    ElementKeyString(String),
    /// A list or tuple element by index.
    ElementKeyInt(i64),
}

/// A path from the root of a resource's object to a nested value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    pub fn root() -> Self {
        AttributePath(Vec::new())
    }

    /// A path naming one top-level attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        AttributePath(vec![PathStep::Attribute(name.into())])
    }

    pub fn attribute(mut self, name: impl Into<String>) -> Self {
        self.0.push(PathStep::Attribute(name.into()));
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathStep::ElementKeyString(key.into()));
        self
    }

    pub fn index(mut self, index: i64) -> Self {
        self.0.push(PathStep::ElementKeyInt(index));
        self
    }
}

impl fmt::Display for AttributePath {
    /// HCL-like rendering: `windows.kb_numbers_to_include[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}
