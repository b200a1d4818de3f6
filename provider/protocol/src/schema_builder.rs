//! Builder methods for schemas, so resource definitions read like Terraform's docs:
//!
//! ```
//! use tfprotocol::{Attribute, Block, NestedBlock, Nesting, Type};
//! let block = Block::new()
//!     .attribute(Attribute::string("machine_id").required().description("The machine."))
//!     .attribute(Attribute::string("id").computed())
//!     .block(NestedBlock::new(
//!         "windows",
//!         Nesting::Single,
//!         Block::new().attribute(Attribute::new("kbs", Type::list(Type::String)).optional()),
//!     ));
//! assert_eq!(block.attributes.len(), 2);
//! ```

use crate::schema::{Attribute, Block, NestedBlock, NestedObject, Nesting};
use crate::types::Type;

impl Block {
    pub fn new() -> Self {
        Block::default()
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Self {
        self.block_types.push(block);
        self
    }

    /// Markdown description.
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }

    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }
}

impl Attribute {
    /// An attribute with no flags set; add `.required()`, `.optional()` and/or `.computed()`.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Attribute {
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
        }
    }

    pub fn string(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::String)
    }

    pub fn number(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::Number)
    }

    pub fn bool(name: impl Into<String>) -> Self {
        Attribute::new(name, Type::Bool)
    }

    /// A nested attribute (`x = { ... }` / `x = [{ ... }]`); `ty` is kept in sync with it.
    pub fn nested(name: impl Into<String>, object: NestedObject) -> Self {
        let mut attribute = Attribute::new(name, object.implied_type());
        attribute.nested = Some(object);
        attribute
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

    /// Never stored: planned and saved as null, the value only arrives in config.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    /// Markdown description.
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        NestedBlock {
            type_name: type_name.into(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }

    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }

    /// 0 means unlimited.
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }
}

impl NestedObject {
    /// Single, List, Set or Map nesting.
    pub fn new(nesting: Nesting) -> Self {
        NestedObject {
            attributes: Vec::new(),
            nesting,
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }
}
