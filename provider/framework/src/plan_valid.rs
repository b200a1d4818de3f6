//! A port of Terraform core's `objchange.AssertPlanValid` (v1.15).
//!
//! Core runs these exact rules on every planned state and rejects the whole run with
//! "Provider produced invalid plan" when one fails, naming only the attribute. Running them
//! in the provider first turns such a failure into a diagnostic that says which rule the
//! resource's plan logic broke, and keeps the invalid plan from ever leaving the provider.

use tfprotocol::{AttributePath, Nesting, Value};

use crate::schema::{AttributeSchema, BlockSchema, NestedAttributes};
use crate::values::{describe, raw_equal};

/// One broken rule: where, and what.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Problem {
    pub path: AttributePath,
    pub message: String,
}

fn problem(out: &mut Vec<Problem>, path: &AttributePath, message: impl Into<String>) {
    out.push(Problem {
        path: path.clone(),
        message: message.into(),
    });
}

pub(crate) fn assert_plan_valid(
    block: &BlockSchema,
    prior: &Value,
    config: &Value,
    planned: &Value,
) -> Vec<Problem> {
    let mut out = Vec::new();
    plan_valid_block(
        block,
        prior,
        config,
        planned,
        &AttributePath::root(),
        &mut out,
    );
    out
}

fn get<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.attr(name).unwrap_or(&Value::Null)
}

fn plan_valid_block(
    block: &BlockSchema,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Problem>,
) {
    if planned.is_null() && !config.is_null() {
        return problem(out, path, "planned for absence but config wants existence");
    }
    if config.is_null() && !planned.is_null() {
        return problem(out, path, "planned for existence but config wants absence");
    }
    if planned.is_null() {
        return;
    }
    for a in &block.attributes {
        let p = path.clone().attribute(&a.name);
        plan_valid_value(
            a,
            get(prior, &a.name),
            get(config, &a.name),
            get(planned, &a.name),
            &p,
            out,
        );
    }
    for b in &block.blocks {
        let p = path.clone().attribute(&b.name);
        let (planned_v, config_v, prior_v) = (
            get(planned, &b.name),
            get(config, &b.name),
            get(prior, &b.name),
        );
        if raw_equal(planned_v, config_v) {
            continue;
        }
        if config_v.is_unknown() {
            if !planned_v.is_unknown() {
                problem(out, &p, "planned known value for unknown dynamic block");
            }
            continue;
        }
        if planned_v.is_unknown() {
            problem(
                out,
                &p,
                "attribute representing nested block must not be unknown itself; set nested attribute values to unknown instead",
            );
            continue;
        }
        match b.nesting {
            Nesting::Single | Nesting::Group => {
                plan_valid_block(&b.block, prior_v, config_v, planned_v, &p, out)
            }
            Nesting::List => {
                let Some(planned_l) = planned_v.as_elements() else {
                    problem(
                        out,
                        &p,
                        "attribute representing a list of nested blocks must be empty to indicate no blocks, not null",
                    );
                    continue;
                };
                let config_l = config_v.as_elements().unwrap_or(&[]);
                if planned_l.len() != config_l.len() {
                    problem(
                        out,
                        &p,
                        format!(
                            "block count in plan ({}) disagrees with count in config ({})",
                            planned_l.len(),
                            config_l.len()
                        ),
                    );
                    continue;
                }
                let prior_l = prior_v.as_elements().unwrap_or(&[]);
                for (i, (pe, ce)) in planned_l.iter().zip(config_l).enumerate() {
                    let ep = p.clone().index(i as i64);
                    if pe.is_unknown() {
                        problem(
                            out,
                            &ep,
                            "element representing nested block must not be unknown itself; set nested attribute values to unknown instead",
                        );
                        continue;
                    }
                    let prior_e = prior_l.get(i).unwrap_or(&Value::Null);
                    plan_valid_block(&b.block, prior_e, ce, pe, &ep, out);
                }
            }
            Nesting::Map => {
                let planned_m = planned_v.as_entries();
                let config_m = config_v.as_entries();
                let (Some(planned_m), Some(config_m)) = (planned_m, config_m) else {
                    problem(
                        out,
                        &p,
                        "attribute representing a map of nested blocks must not be null",
                    );
                    continue;
                };
                for (k, pe) in planned_m {
                    let ep = p.clone().key(k.clone());
                    match config_m.get(k) {
                        None => problem(out, &ep, "block key in plan does not exist in config"),
                        Some(ce) => {
                            let prior_e = prior_v
                                .as_entries()
                                .and_then(|m| m.get(k))
                                .unwrap_or(&Value::Null);
                            plan_valid_block(&b.block, prior_e, ce, pe, &ep, out);
                        }
                    }
                }
                for k in config_m.keys().filter(|k| !planned_m.contains_key(*k)) {
                    problem(
                        out,
                        &p.clone().key(k.clone()),
                        "block key in config does not exist in plan",
                    );
                }
            }
            Nesting::Set => {
                // Set elements cannot be correlated with config, so core (and we) only check
                // the count and that no element is wholly unknown.
                let planned_l = planned_v.as_elements().unwrap_or(&[]);
                let config_l = config_v.as_elements().unwrap_or(&[]);
                if planned_l.len() != config_l.len() {
                    problem(
                        out,
                        &p,
                        format!(
                            "count in plan ({}) disagrees with count in config ({})",
                            planned_l.len(),
                            config_l.len()
                        ),
                    );
                    continue;
                }
                if planned_l.iter().any(Value::is_unknown) {
                    problem(
                        out,
                        &p,
                        "element representing nested block must not be unknown itself; set nested attribute values to unknown instead",
                    );
                }
            }
        }
    }
}

fn plan_valid_value(
    a: &AttributeSchema,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Problem>,
) {
    if a.write_only {
        if !planned.is_null() {
            problem(
                out,
                path,
                "planned value for write-only attribute is not null",
            );
        }
        return;
    }
    if raw_equal(planned, config) {
        return;
    }
    if raw_equal(planned, prior) && !prior.is_null() && !config.is_null() {
        // The provider kept the prior value over a functionally equivalent config value.
        return;
    }
    if a.computed && !a.optional {
        return;
    }
    if config.is_null() && a.computed {
        return;
    }
    let show = |v: &Value| {
        if a.sensitive {
            "(sensitive value)".to_string()
        } else {
            describe(v)
        }
    };
    if config.is_null() && !planned.is_null() {
        return problem(
            out,
            path,
            format!(
                "planned value {} for a non-computed attribute",
                show(planned)
            ),
        );
    }
    if let Some(n) = &a.nested {
        return plan_valid_object(n, prior, config, planned, path, out);
    }
    if prior.is_null() {
        problem(
            out,
            path,
            format!(
                "planned value {} does not match config value {}",
                show(planned),
                show(config)
            ),
        );
    } else {
        problem(
            out,
            path,
            format!(
                "planned value {} does not match config value {} nor prior value {}",
                show(planned),
                show(config),
                show(prior)
            ),
        );
    }
}

fn plan_valid_object(
    n: &NestedAttributes,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Problem>,
) {
    if planned.is_null() && !config.is_null() {
        return problem(out, path, "planned for absence but config wants existence");
    }
    if config.is_null() && !planned.is_null() {
        return problem(out, path, "planned for existence but config wants absence");
    }
    if !config.is_null() && planned.is_unknown() {
        return problem(out, path, "planned unknown for configured value");
    }
    if planned.is_null() {
        return;
    }
    let attrs = |prior: &Value,
                 config: &Value,
                 planned: &Value,
                 path: &AttributePath,
                 out: &mut Vec<Problem>| {
        for a in &n.attributes {
            let p = path.clone().attribute(&a.name);
            plan_valid_value(
                a,
                get(prior, &a.name),
                get(config, &a.name),
                get(planned, &a.name),
                &p,
                out,
            );
        }
    };
    match n.nesting {
        Nesting::Single | Nesting::Group => attrs(prior, config, planned, path, out),
        Nesting::List => {
            if config.is_unknown() {
                return;
            }
            let planned_l = planned.as_elements().unwrap_or(&[]);
            let config_l = config.as_elements().unwrap_or(&[]);
            if planned_l.len() != config_l.len() {
                return problem(
                    out,
                    path,
                    format!(
                        "count in plan ({}) disagrees with count in config ({})",
                        planned_l.len(),
                        config_l.len()
                    ),
                );
            }
            let prior_l = prior.as_elements().unwrap_or(&[]);
            for (i, (pe, ce)) in planned_l.iter().zip(config_l).enumerate() {
                let prior_e = prior_l.get(i).unwrap_or(&Value::Null);
                attrs(prior_e, ce, pe, &path.clone().index(i as i64), out);
            }
        }
        Nesting::Map => {
            if config.is_unknown() {
                return;
            }
            let planned_m = planned.as_entries().cloned().unwrap_or_default();
            let config_m = config.as_entries().cloned().unwrap_or_default();
            if planned_m.len() != config_m.len() {
                return problem(
                    out,
                    path,
                    format!(
                        "count in plan ({}) disagrees with count in config ({})",
                        planned_m.len(),
                        config_m.len()
                    ),
                );
            }
            for (k, pe) in &planned_m {
                let ep = path.clone().key(k.clone());
                match config_m.get(k) {
                    None => problem(out, &ep, "map key in plan does not exist in config"),
                    Some(ce) => {
                        let prior_e = prior
                            .as_entries()
                            .and_then(|m| m.get(k))
                            .unwrap_or(&Value::Null);
                        attrs(prior_e, ce, pe, &ep, out);
                    }
                }
            }
        }
        Nesting::Set => {
            if let (Some(p), Some(c)) = (planned.as_elements(), config.as_elements()) {
                if p.len() != c.len() {
                    problem(
                        out,
                        path,
                        format!(
                            "count in plan ({}) disagrees with count in config ({})",
                            p.len(),
                            c.len()
                        ),
                    );
                }
            }
        }
    }
}
