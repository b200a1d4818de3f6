//! Framework schemas: Terraform's schema shape plus the behaviours the framework enforces.
//!
//! A resource author declares, per attribute, *what* should happen (replace on change, keep
//! the prior value while unknown, a static default, validators) and the plan algorithm in
//! [`crate::plan`] does it once for every resource. [`BlockSchema::to_protocol`] drops the
//! behaviours and yields the plain [`tfprotocol::Block`] Terraform sees.

use std::fmt;
use std::sync::Arc;

use tfprotocol::{Attribute, Block, NestedBlock, NestedObject, Nesting, Schema, Type, Value};

use crate::validators::Validator;

/// The schema of a managed resource: a version (bumped with a state upgrader) and a block.
#[derive(Clone, Debug, Default)]
pub struct ResourceSchema {
    pub version: i64,
    pub block: BlockSchema,
}

impl ResourceSchema {
    pub fn new(version: i64, block: BlockSchema) -> Self {
        ResourceSchema { version, block }
    }

    pub fn to_protocol(&self) -> Schema {
        Schema {
            version: self.version,
            block: self.block.to_protocol(),
        }
    }
}

/// A block: attributes plus nested blocks. Also the schema of providers, data sources,
/// actions and list-resource configs.
#[derive(Clone, Debug, Default)]
pub struct BlockSchema {
    pub attributes: Vec<AttributeSchema>,
    pub blocks: Vec<NestedBlockSchema>,
    /// Markdown.
    pub description: String,
    pub deprecated: bool,
}

impl BlockSchema {
    /// An empty block. Counted in [`work_counts`](crate::work_counts::work_counts), so a
    /// test can tell whether schemas were built before the handshake.
    pub fn new() -> Self {
        crate::work_counts::count_schema_block();
        Self::default()
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    pub fn attribute(mut self, attribute: AttributeSchema) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlockSchema) -> Self {
        self.blocks.push(block);
        self
    }

    pub fn get_attribute(&self, name: &str) -> Option<&AttributeSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The object type every value of this block is encoded against.
    pub fn implied_type(&self) -> Type {
        let attrs = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()));
        let blocks = self.blocks.iter().map(|b| (b.name.clone(), b.value_type()));
        Type::object(attrs.chain(blocks))
    }

    pub fn to_protocol(&self) -> Block {
        Block {
            attributes: self
                .attributes
                .iter()
                .map(AttributeSchema::to_protocol)
                .collect(),
            block_types: self
                .blocks
                .iter()
                .map(NestedBlockSchema::to_protocol)
                .collect(),
            description: self.description.clone(),
            deprecated: self.deprecated,
        }
    }
}

/// One attribute with its framework behaviours.
#[derive(Clone)]
pub struct AttributeSchema {
    pub name: String,
    /// Ignored when `nested` is set (the type is implied by the nested attributes).
    pub ty: Type,
    pub nested: Option<NestedAttributes>,
    /// Markdown.
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub write_only: bool,
    pub deprecated: bool,
    /// A planned change of this attribute replaces the object.
    pub requires_replace: bool,
    /// While the plan marks computed values unknown, keep the prior value instead.
    pub use_state_for_unknown: bool,
    /// Planned when the configuration leaves the attribute null (needs optional+computed).
    pub default: Option<Value>,
    /// Run at validate time on known, non-null configured values.
    pub validators: Vec<Arc<dyn Validator>>,
}

/// The attributes of a nested attribute (`x = { ... }` / `x = [{ ... }]`).
#[derive(Clone, Debug)]
pub struct NestedAttributes {
    /// Single, List, Set or Map.
    pub nesting: Nesting,
    pub attributes: Vec<AttributeSchema>,
}

impl fmt::Debug for AttributeSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttributeSchema")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("nested", &self.nested)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .field("requires_replace", &self.requires_replace)
            .field("use_state_for_unknown", &self.use_state_for_unknown)
            .field("default", &self.default)
            .field("validators", &self.validators.len())
            .finish_non_exhaustive()
    }
}

impl AttributeSchema {
    /// An attribute of any type; mark it required, optional and/or computed.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        AttributeSchema {
            name: name.into(),
            ty,
            nested: None,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: false,
            requires_replace: false,
            use_state_for_unknown: false,
            default: None,
            validators: Vec::new(),
        }
    }

    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    pub fn number(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    pub fn list(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::list(element))
    }

    pub fn set(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::set(element))
    }

    pub fn map(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::map(element))
    }

    /// A nested attribute; `nesting` is Single, List, Set or Map.
    pub fn nested(
        name: impl Into<String>,
        nesting: Nesting,
        attributes: Vec<AttributeSchema>,
    ) -> Self {
        let mut a = Self::new(name, Type::Dynamic);
        a.nested = Some(NestedAttributes {
            nesting,
            attributes,
        });
        a
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Never stored: the value is only seen in config during plan and apply.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }

    /// A static default; makes the attribute optional+computed, as Terraform requires for
    /// a provider to plan a value the configuration left null.
    pub fn default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self.optional = true;
        self.required = false;
        self.computed = true;
        self
    }

    pub fn validator(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// The type values of this attribute are encoded with.
    pub fn value_type(&self) -> Type {
        match &self.nested {
            None => self.ty.clone(),
            Some(n) => {
                let object = Type::object(
                    n.attributes
                        .iter()
                        .map(|a| (a.name.clone(), a.value_type())),
                );
                match n.nesting {
                    Nesting::List => Type::list(object),
                    Nesting::Set => Type::set(object),
                    Nesting::Map => Type::map(object),
                    Nesting::Single | Nesting::Group => object,
                }
            }
        }
    }

    pub fn to_protocol(&self) -> Attribute {
        Attribute {
            name: self.name.clone(),
            ty: self.value_type(),
            nested: self.nested.as_ref().map(|n| NestedObject {
                attributes: n
                    .attributes
                    .iter()
                    .map(AttributeSchema::to_protocol)
                    .collect(),
                nesting: n.nesting,
            }),
            description: self.description.clone(),
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            write_only: self.write_only,
            deprecated: self.deprecated,
        }
    }
}

/// A nested block type (`windows { ... }`).
#[derive(Clone, Debug)]
pub struct NestedBlockSchema {
    pub name: String,
    pub nesting: Nesting,
    pub block: BlockSchema,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlockSchema {
    pub fn new(name: impl Into<String>, nesting: Nesting, block: BlockSchema) -> Self {
        NestedBlockSchema {
            name: name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    pub fn single(name: impl Into<String>, block: BlockSchema) -> Self {
        Self::new(name, Nesting::Single, block)
    }

    pub fn list(name: impl Into<String>, block: BlockSchema) -> Self {
        Self::new(name, Nesting::List, block)
    }

    pub fn set(name: impl Into<String>, block: BlockSchema) -> Self {
        Self::new(name, Nesting::Set, block)
    }

    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }

    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }

    pub fn value_type(&self) -> Type {
        let object = self.block.implied_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => object,
            // A list or map of blocks with dynamic attributes is a tuple or object whose
            // shape depends on the value; cty's implied type for it is dynamic.
            Nesting::List | Nesting::Map if object.has_dynamic() => Type::Dynamic,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }

    pub fn to_protocol(&self) -> NestedBlock {
        NestedBlock {
            type_name: self.name.clone(),
            block: self.block.to_protocol(),
            nesting: self.nesting,
            min_items: self.min_items,
            max_items: self.max_items,
        }
    }
}

/// The identity of a managed resource type: permanent data that names one remote object.
#[derive(Clone, Debug, Default)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Clone, Debug)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub required_for_import: bool,
    pub optional_for_import: bool,
    pub description: String,
}

impl IdentityAttribute {
    /// An attribute an `import { identity = ... }` block must set.
    pub fn required(name: impl Into<String>, ty: Type) -> Self {
        IdentityAttribute {
            name: name.into(),
            ty,
            required_for_import: true,
            optional_for_import: false,
            description: String::new(),
        }
    }

    /// An attribute the provider can fill in itself during import.
    pub fn optional(name: impl Into<String>, ty: Type) -> Self {
        IdentityAttribute {
            required_for_import: false,
            optional_for_import: true,
            ..Self::required(name, ty)
        }
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

impl IdentitySchema {
    pub fn new(version: i64, attributes: Vec<IdentityAttribute>) -> Self {
        IdentitySchema {
            version,
            attributes,
        }
    }

    pub fn implied_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }
}
