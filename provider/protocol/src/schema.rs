//! Schemas as Terraform sees them: blocks, attributes, nested blocks and nested attributes.
//!
//! The implied type of a schema (see [`Block::implied_type`]) is what every DynamicValue for
//! that resource is encoded against.

use crate::types::Type;
use crate::value::Value;

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

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Schema { version, block }
    }

    /// The type every DynamicValue for this schema is encoded against.
    pub fn implied_type(&self) -> Type {
        self.block.implied_type()
    }
}

impl Block {
    /// An object with one attribute per attribute and per nested block type.
    pub fn implied_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.implied_type()));
        let blocks = self
            .block_types
            .iter()
            .map(|b| (b.type_name.clone(), b.implied_type()));
        Type::Object(attributes.chain(blocks).collect())
    }

    /// The value of this block when nothing is set: every attribute null, LIST/SET/MAP blocks
    /// empty, SINGLE blocks null, GROUP blocks their own empty value.
    ///
    /// Responses must carry every nested-block key in this shape, because Terraform rejects
    /// objects with missing attributes and null LIST/SET/MAP blocks.
    pub fn empty_value(&self) -> Value {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null));
        let blocks = self
            .block_types
            .iter()
            .map(|b| (b.type_name.clone(), b.empty_value()));
        Value::Object(attributes.chain(blocks).collect())
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn find_block(&self, type_name: &str) -> Option<&NestedBlock> {
        self.block_types.iter().find(|b| b.type_name == type_name)
    }
}

impl Attribute {
    /// The attribute's type: `ty`, or the type implied by `nested` for nested attributes.
    pub fn implied_type(&self) -> Type {
        match &self.nested {
            Some(nested) => nested.implied_type(),
            None => self.ty.clone(),
        }
    }
}

impl NestedBlock {
    /// SINGLE/GROUP: object. LIST: list of objects, SET: set of objects, MAP: map of objects.
    ///
    /// When the block's object contains `dynamic`, elements can differ in type, so LIST and
    /// MAP blocks become tuples and objects. Their *implied type* is then `dynamic` (hcldec's
    /// `BlockTupleSpec`/`BlockObjectSpec`: the element count is not known until decoding), so
    /// values travel as `[tuple or object type, value]` dynamic wrappers.
    pub fn implied_type(&self) -> Type {
        let object = self.block.implied_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => object,
            Nesting::List | Nesting::Map if object.has_dynamic() => Type::Dynamic,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }

    /// What Terraform sends for this block when the configuration has none of it.
    pub fn empty_value(&self) -> Value {
        let dynamic = self.block.implied_type().has_dynamic();
        match self.nesting {
            Nesting::Single => Value::Null,
            Nesting::Group => self.block.empty_value(),
            Nesting::List if dynamic => {
                Value::Dynamic(Type::Tuple(Vec::new()), Box::new(Value::Tuple(Vec::new())))
            }
            Nesting::Map if dynamic => Value::Dynamic(
                Type::Object(Default::default()),
                Box::new(Value::Object(Default::default())),
            ),
            Nesting::List => Value::List(Vec::new()),
            Nesting::Set => Value::Set(Vec::new()),
            Nesting::Map => Value::Map(Default::default()),
        }
    }
}

impl NestedObject {
    /// SINGLE (and GROUP, which is not valid here): object; LIST/SET/MAP: collections of it.
    pub fn implied_type(&self) -> Type {
        let object = Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.implied_type()))
                .collect(),
        );
        match self.nesting {
            Nesting::Single | Nesting::Group => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }
}

#[cfg(test)]
mod tests;
