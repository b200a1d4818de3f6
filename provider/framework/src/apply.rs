//! A port of Terraform core's `objchange.AssertObjectCompatible` (v1.15), the check core
//! runs on every applied state: each value known in the plan must come back identical, and
//! unknown ones must honour their refinements.
//!
//! Core's failure is "Provider produced inconsistent result after apply", after the remote
//! change has happened. Checking here lets the framework still return the new state (so
//! Terraform records what exists) together with a diagnostic naming the attribute and rule.

use tfprotocol::{AttributePath, Nesting, Refinements, Value};

use crate::plan_valid::Problem;
use crate::schema::BlockSchema;
use crate::values::describe;

pub(crate) fn assert_object_compatible(
    block: &BlockSchema,
    planned: &Value,
    actual: &Value,
) -> Vec<Problem> {
    let mut out = Vec::new();
    object_compatible(block, planned, actual, &AttributePath::root(), &mut out);
    out
}

fn push(out: &mut Vec<Problem>, path: &AttributePath, message: impl Into<String>) {
    out.push(Problem {
        path: path.clone(),
        message: message.into(),
    });
}

fn get<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.attr(name).unwrap_or(&Value::Null)
}

fn object_compatible(
    block: &BlockSchema,
    planned: &Value,
    actual: &Value,
    path: &AttributePath,
    out: &mut Vec<Problem>,
) {
    let at_root = if path.0.is_empty() {
        "Root object "
    } else {
        ""
    };
    if planned.is_null() && !actual.is_null() {
        return push(out, path, format!("{at_root}was absent, but now present"));
    }
    if actual.is_null() && !planned.is_null() {
        return push(out, path, format!("{at_root}was present, but now absent"));
    }
    if planned.is_null() {
        return;
    }
    for a in &block.attributes {
        let p = path.clone().attribute(&a.name);
        let mut errs = Vec::new();
        value_compatible(get(planned, &a.name), get(actual, &a.name), &p, &mut errs);
        if a.sensitive && !errs.is_empty() {
            push(out, &p, "inconsistent values for sensitive attribute");
        } else {
            out.extend(errs);
        }
    }
    for b in &block.blocks {
        let p = path.clone().attribute(&b.name);
        let (planned_v, actual_v) = (get(planned, &b.name), get(actual, &b.name));
        match b.nesting {
            Nesting::Single | Nesting::Group => {
                if planned_v.is_unknown() && actual_v.is_null() {
                    continue;
                }
                object_compatible(&b.block, planned_v, actual_v, &p, out);
            }
            Nesting::List => {
                let (Some(pl), Some(al)) = (planned_v.as_elements(), actual_v.as_elements()) else {
                    continue;
                };
                if pl.len() != al.len() {
                    push(
                        out,
                        &p,
                        format!("block count changed from {} to {}", pl.len(), al.len()),
                    );
                    continue;
                }
                for (i, (pe, ae)) in pl.iter().zip(al).enumerate() {
                    object_compatible(&b.block, pe, ae, &p.clone().index(i as i64), out);
                }
            }
            Nesting::Map => {
                let (Some(pm), Some(am)) = (planned_v.as_entries(), actual_v.as_entries()) else {
                    continue;
                };
                for (k, pe) in pm {
                    match am.get(k) {
                        Some(ae) => {
                            object_compatible(&b.block, pe, ae, &p.clone().key(k.clone()), out)
                        }
                        None => push(out, &p, format!("block key {k:?} has vanished")),
                    }
                }
                for k in am.keys().filter(|k| !pm.contains_key(*k)) {
                    push(out, &p, format!("new block key {k:?} has appeared"));
                }
            }
            Nesting::Set => {
                let (Some(pl), Some(al)) = (planned_v.as_elements(), actual_v.as_elements()) else {
                    continue;
                };
                set_compatible(pl, al, &p, out, |pe, ae| {
                    let mut errs = Vec::new();
                    object_compatible(&b.block, pe, ae, &p, &mut errs);
                    errs.is_empty()
                });
                if pl.len() < al.len() {
                    push(
                        out,
                        &p,
                        format!("block set length changed from {} to {}", pl.len(), al.len()),
                    );
                }
            }
        }
    }
}

fn value_compatible(planned: &Value, actual: &Value, path: &AttributePath, out: &mut Vec<Problem>) {
    if let Value::Unknown(r) = planned {
        if !conforms(r, actual) {
            push(
                out,
                path,
                format!(
                    "final value {} does not conform to planning placeholder",
                    describe(actual)
                ),
            );
        }
        return;
    }
    if actual.is_unknown() {
        return push(out, path, "was known, but now unknown");
    }
    if planned.is_null() != actual.is_null() {
        return push(
            out,
            path,
            format!("was {}, but now {}", describe(planned), describe(actual)),
        );
    }
    match (planned, actual) {
        (Value::List(p), Value::List(a)) | (Value::Tuple(p), Value::Tuple(a)) => {
            for (i, pe) in p.iter().enumerate() {
                match a.get(i) {
                    Some(ae) => value_compatible(pe, ae, &path.clone().index(i as i64), out),
                    None => push(out, path, format!("element {i} has vanished")),
                }
            }
            for i in p.len()..a.len() {
                push(out, path, format!("new element {i} has appeared"));
            }
        }
        (Value::Object(p), Value::Object(a)) => {
            for (k, pe) in p {
                let ae = a.get(k).unwrap_or(&Value::Null);
                value_compatible(pe, ae, &path.clone().attribute(k.clone()), out);
            }
        }
        (Value::Map(p), Value::Map(a)) => {
            for (k, pe) in p {
                match a.get(k) {
                    Some(ae) => value_compatible(pe, ae, &path.clone().key(k.clone()), out),
                    None => push(out, path, format!("element {k:?} has vanished")),
                }
            }
            for k in a.keys().filter(|k| !p.contains_key(*k)) {
                push(out, path, format!("new element {k:?} has appeared"));
            }
        }
        (Value::Set(p), Value::Set(a)) => set_compatible(p, a, path, out, |pe, ae| {
            let mut errs = Vec::new();
            value_compatible(pe, ae, path, &mut errs);
            errs.is_empty()
        }),
        (Value::Dynamic(_, p), Value::Dynamic(_, a)) => value_compatible(p, a, path, out),
        (p, a) if p == a => {}
        (p, a) => push(
            out,
            path,
            format!("was {}, but now {}", describe(p), describe(a)),
        ),
    }
}

/// Every planned element must have a compatible actual element and vice versa.
fn set_compatible(
    planned: &[Value],
    actual: &[Value],
    path: &AttributePath,
    out: &mut Vec<Problem>,
    compatible: impl Fn(&Value, &Value) -> bool,
) {
    for pe in planned {
        if !actual.iter().any(|ae| compatible(pe, ae)) {
            push(
                out,
                path,
                format!(
                    "planned set element {} does not correlate with any element in actual",
                    describe(pe)
                ),
            );
        }
    }
    for ae in actual {
        if !planned.iter().any(|pe| compatible(pe, ae)) {
            push(
                out,
                path,
                format!(
                    "actual set element {} does not correlate with any element in plan",
                    describe(ae)
                ),
            );
        }
    }
}

/// Whether a final value satisfies the refinements of its unknown placeholder.
fn conforms(r: &Refinements, actual: &Value) -> bool {
    if actual.is_null() {
        return !r.not_null;
    }
    if let (Some(prefix), Value::String(s)) = (&r.string_prefix, actual) {
        if !s.starts_with(prefix.as_str()) {
            return false;
        }
    }
    if let Value::Number(n) = actual {
        if let Some((lo, inclusive)) = &r.number_lower {
            if n < lo || (!inclusive && n == lo) {
                return false;
            }
        }
        if let Some((hi, inclusive)) = &r.number_upper {
            if n > hi || (!inclusive && n == hi) {
                return false;
            }
        }
    }
    let len = match actual {
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v.len() as u64),
        Value::Map(m) => Some(m.len() as u64),
        _ => None,
    };
    if let Some(len) = len {
        if r.length_lower.is_some_and(|lo| len < lo) || r.length_upper.is_some_and(|hi| len > hi) {
            return false;
        }
    }
    true
}
