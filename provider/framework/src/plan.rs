//! The plan algorithm, done once for every resource (terraform-plugin-framework's order):
//!
//! 1. destroy (proposed null) plans null;
//! 2. start from core's proposed new state, apply static defaults where config is null and
//!    null write-only attributes;
//! 3. if that equals the prior state, it is a no-op: return it unchanged;
//! 4. otherwise mark computed attributes that config leaves null as unknown, keeping the prior
//!    value for `use_state_for_unknown` ones;
//! 5. run the resource's `modify_plan`;
//! 6. verify the result with core's plan rules ([`crate::plan_valid`]) and compute
//!    `requires_replace` from the attributes that declare it and actually changed.
//!
//! Set-nested blocks are only handled as whole values: their elements cannot be paired with
//! config elements, so defaults and unknown-marking do not reach inside them.

use tfprotocol::{AttributePath, Diagnostic, Diagnostics, Nesting, Value};

use crate::plan_valid::assert_plan_valid;
use crate::provider::Context;
use crate::raw::{PlanRequest, Resource};
use crate::schema::{AttributeSchema, BlockSchema, NestedAttributes, ResourceSchema};
use crate::values::{conform, describe_path, nullify_write_only, raw_equal};

pub(crate) struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Diagnostics,
}

pub(crate) struct PlanInput<'a> {
    pub prior: &'a Value,
    pub proposed: &'a Value,
    pub config: &'a Value,
}

pub(crate) async fn plan<D: Send + Sync + 'static>(
    resource: &dyn Resource<D>,
    schema: &ResourceSchema,
    ctx: &Context,
    data: Option<&D>,
    input: PlanInput<'_>,
) -> Planned {
    let block = &schema.block;
    let PlanInput {
        prior,
        proposed,
        config,
    } = input;
    if proposed.is_null() {
        return Planned {
            state: Value::Null,
            requires_replace: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
    }
    let planned = apply_defaults(block, config, proposed.clone());
    let planned = nullify_write_only(block, planned);
    if !prior.is_null() && raw_equal(&planned, prior) {
        return Planned {
            state: planned,
            requires_replace: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
    }
    let mut planned = mark_computed_unknown(block, config, prior, planned);

    let mut diags = Diagnostics::new();
    let req = PlanRequest {
        prior,
        config,
        proposed,
    };
    resource
        .modify_plan(ctx, data, &req, &mut planned, &mut diags)
        .await;
    let planned = conform(block, planned);

    let problems = assert_plan_valid(block, prior, config, &planned);
    if !problems.is_empty() {
        for p in problems {
            diags.push(
                Diagnostic::error(
                    "Provider produced invalid plan",
                    format!(
                        "The plan for {} broke a Terraform plan rule at {}: {}. This is a bug in the provider's plan logic; please report it.",
                        resource.type_name(),
                        describe_path(&p.path),
                        p.message
                    ),
                )
                .at(p.path),
            );
        }
        // Core ignores the planned state of a failed plan; the proposed state at least
        // conforms to the schema.
        return Planned {
            state: proposed.clone(),
            requires_replace: Vec::new(),
            diagnostics: diags,
        };
    }

    let mut requires_replace = Vec::new();
    if !prior.is_null() {
        replace_paths(
            block,
            prior,
            &planned,
            &AttributePath::root(),
            &mut requires_replace,
        );
    }
    Planned {
        state: planned,
        requires_replace,
        diagnostics: diags,
    }
}

fn get<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.attr(name).unwrap_or(&Value::Null)
}

/// Calls `f(config_element, prior_element, planned_element)` for each planned object of a
/// nested block or attribute, pairing elements by index or key. Sets are skipped.
fn pair_elements(
    nesting: Nesting,
    config: &Value,
    prior: &Value,
    planned: Value,
    mut f: impl FnMut(&Value, &Value, Value) -> Value,
) -> Value {
    match (nesting, planned) {
        (_, v @ (Value::Null | Value::Unknown(_))) => v,
        (Nesting::Single | Nesting::Group, v) => f(config, prior, v),
        (Nesting::List, Value::List(items)) => {
            let c = config.as_elements().unwrap_or(&[]);
            let p = prior.as_elements().unwrap_or(&[]);
            let nul = Value::Null;
            let items = items
                .into_iter()
                .enumerate()
                .map(|(i, e)| f(c.get(i).unwrap_or(&nul), p.get(i).unwrap_or(&nul), e))
                .collect();
            Value::List(items)
        }
        (Nesting::Map, Value::Map(items)) => {
            let nul = Value::Null;
            let items = items
                .into_iter()
                .map(|(k, e)| {
                    let c = config.as_entries().and_then(|m| m.get(&k)).unwrap_or(&nul);
                    let p = prior.as_entries().and_then(|m| m.get(&k)).unwrap_or(&nul);
                    let v = f(c, p, e);
                    (k, v)
                })
                .collect();
            Value::Map(items)
        }
        (_, v) => v,
    }
}

/// Plans static defaults for attributes the configuration leaves null.
fn apply_defaults(block: &BlockSchema, config: &Value, planned: Value) -> Value {
    walk_block(
        block,
        config,
        &Value::Null,
        planned,
        &|a, config, _prior, planned| match (&a.default, config) {
            (Some(default), Value::Null) => default.clone(),
            _ => planned,
        },
    )
}

/// Marks computed attributes that config leaves null (and that have no default) as unknown,
/// or keeps their prior value when they ask for it.
fn mark_computed_unknown(
    block: &BlockSchema,
    config: &Value,
    prior: &Value,
    planned: Value,
) -> Value {
    walk_block(
        block,
        config,
        prior,
        planned,
        &|a, config, prior, planned| {
            if !config.is_null() || !a.computed || a.default.is_some() {
                planned
            } else if a.use_state_for_unknown && !prior.is_null() {
                prior.clone()
            } else {
                Value::unknown()
            }
        },
    )
}

/// The per-attribute rewrite of a plan step: `(schema, config, prior, planned) -> planned`.
type AttrFn = dyn Fn(&AttributeSchema, &Value, &Value, Value) -> Value;

/// Applies `f` to every attribute of a block (recursing into nested blocks and into the
/// configured objects of nested attributes).
fn walk_block(
    block: &BlockSchema,
    config: &Value,
    prior: &Value,
    planned: Value,
    f: &AttrFn,
) -> Value {
    let Value::Object(mut attrs) = planned else {
        return planned;
    };
    for a in &block.attributes {
        if let Some(v) = attrs.get_mut(&a.name) {
            let taken = std::mem::replace(v, Value::Null);
            *v = walk_attribute(a, get(config, &a.name), get(prior, &a.name), taken, f);
        }
    }
    for b in &block.blocks {
        if let Some(v) = attrs.get_mut(&b.name) {
            let taken = std::mem::replace(v, Value::Null);
            *v = pair_elements(
                b.nesting,
                get(config, &b.name),
                get(prior, &b.name),
                taken,
                |c, p, e| walk_block(&b.block, c, p, e, f),
            );
        }
    }
    Value::Object(attrs)
}

fn walk_attribute(
    a: &AttributeSchema,
    config: &Value,
    prior: &Value,
    planned: Value,
    f: &AttrFn,
) -> Value {
    let planned = f(a, config, prior, planned);
    match &a.nested {
        Some(n) if !config.is_null() && !config.is_unknown() => {
            walk_nested(n, config, prior, planned, f)
        }
        _ => planned,
    }
}

fn walk_nested(
    n: &NestedAttributes,
    config: &Value,
    prior: &Value,
    planned: Value,
    f: &AttrFn,
) -> Value {
    pair_elements(n.nesting, config, prior, planned, |c, p, e| {
        let Value::Object(mut m) = e else { return e };
        for a in &n.attributes {
            if let Some(v) = m.get_mut(&a.name) {
                let taken = std::mem::replace(v, Value::Null);
                *v = walk_attribute(a, get(c, &a.name), get(p, &a.name), taken, f);
            }
        }
        Value::Object(m)
    })
}

/// Paths of `requires_replace` attributes whose planned value differs from the prior one.
fn replace_paths(
    block: &BlockSchema,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in &block.attributes {
        replace_attribute(
            a,
            get(prior, &a.name),
            get(planned, &a.name),
            &path.clone().attribute(&a.name),
            out,
        );
    }
    for b in &block.blocks {
        let p = path.clone().attribute(&b.name);
        for_pairs(
            b.nesting,
            get(prior, &b.name),
            get(planned, &b.name),
            &p,
            |pr, pl, ep| replace_paths(&b.block, pr, pl, ep, out),
        );
    }
}

fn replace_attribute(
    a: &AttributeSchema,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    if a.requires_replace && !raw_equal(prior, planned) {
        out.push(path.clone());
        return;
    }
    if let Some(n) = &a.nested {
        for_pairs(n.nesting, prior, planned, path, |pr, pl, ep| {
            for na in &n.attributes {
                replace_attribute(
                    na,
                    get(pr, &na.name),
                    get(pl, &na.name),
                    &ep.clone().attribute(&na.name),
                    out,
                );
            }
        });
    }
}

/// Pairs prior and planned objects of a nested value by index or key (sets are skipped).
fn for_pairs(
    nesting: Nesting,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    mut f: impl FnMut(&Value, &Value, &AttributePath),
) {
    let nul = Value::Null;
    match (nesting, planned) {
        (Nesting::Single | Nesting::Group, pl) => f(prior, pl, path),
        (Nesting::List, Value::List(items)) => {
            let pr = prior.as_elements().unwrap_or(&[]);
            for (i, pl) in items.iter().enumerate() {
                f(pr.get(i).unwrap_or(&nul), pl, &path.clone().index(i as i64));
            }
        }
        (Nesting::Map, Value::Map(items)) => {
            for (k, pl) in items {
                let pr = prior.as_entries().and_then(|m| m.get(k)).unwrap_or(&nul);
                f(pr, pl, &path.clone().key(k.clone()));
            }
        }
        _ => {}
    }
}
