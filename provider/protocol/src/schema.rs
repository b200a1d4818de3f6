//! Schemas as Terraform sees them: blocks, attributes, nested blocks and nested attributes.
//!
//! The implied type of a schema (see [`Block::implied_type`]) is what every DynamicValue for
//! that resource is encoded against.

use crate::types::Type;

/// A versioned schema of a provider, resource, data source, action or list resource.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub block_types: Vec<NestedBlock>,
    /// Markdown.
    pub description: String,
    pub deprecated: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub name: String,
    /// The attribute's type; for a nested attribute this is the object type implied by `nested`.
    pub ty: Type,
    /// Set for nested attributes (`x = { ... }`).
    pub nested: Option<NestedObject>,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub write_only: bool,
    pub deprecated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    Group,
    List,
    Set,
    Map,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

/// The object of a nested attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedObject {
    pub attributes: Vec<Attribute>,
    /// Only Single, List, Set and Map are valid here.
    pub nesting: Nesting,
}
