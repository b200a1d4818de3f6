//! The KQL subset the emulator's Resource Graph understands: the shapes the provider's query
//! builder emits (and a little around them), run with Kusto's semantics, so a client that
//! drifts from them gets a 400 here instead of a silently wrong answer.
//!
//! ```text
//! <table>
//! | where <predicate>                       (see `expr`: =~, startswith, in~, >, <)
//! | extend <name> = <expression>            (see `expr` for the functions)
//! | project <column>[, <column>...]         (a dotted path is named with `_`: properties_status)
//! | order by <column> [asc|desc]            (descending unless `asc`, as in Kusto)
//! ```
//! Stages run in the order written and may repeat. Columns are checked as the service checks
//! them: a name that is neither a column of the table nor one an earlier `extend` or
//! `project` made is an error (column names are case-sensitive). Strings are single- or
//! double-quoted with backslash escapes. Anything else is rejected.

mod expr;
mod lexer;

use std::collections::BTreeSet;

use serde_json::Value;
use time::OffsetDateTime;

use expr::{parse_expr, parse_predicate, Expr, Predicate, Scalar, Tokens};
use lexer::{tokenize, Token};

/// The columns of every Resource Graph table (the resource shape).
const TABLE_COLUMNS: &[&str] = &[
    "id",
    "name",
    "type",
    "tenantId",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
];

#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Where(Predicate),
    Extend(String, Expr),
    /// Output name and source path of each column.
    Project(Vec<(String, Vec<String>)>),
    Order {
        by: Expr,
        descending: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ParsedQuery {
    pub table: String,
    stages: Vec<Stage>,
    /// The columns of the result.
    columns: BTreeSet<String>,
}

fn parse_stage(t: &mut Tokens<'_>) -> Result<Stage, String> {
    let stage = if t.eat_word("where") {
        Stage::Where(parse_predicate(t)?)
    } else if t.eat_word("extend") {
        let name = t.ident()?;
        if !t.eat("=") {
            return Err("extend needs <name> = <expression>".into());
        }
        Stage::Extend(name, parse_expr(t)?)
    } else if t.eat_word("project") {
        let mut cols = Vec::new();
        loop {
            let path = t.path()?;
            cols.push((path.join("_"), path));
            if t.at_end() {
                break;
            }
            if !t.eat(",") {
                return Err("expected ',' between projected columns".into());
            }
        }
        Stage::Project(cols)
    } else if t.eat_word("order") && t.eat_word("by") {
        let by = Expr::Column(t.path()?);
        let descending = if t.eat_word("asc") {
            false
        } else {
            t.eat_word("desc");
            true
        };
        Stage::Order { by, descending }
    } else {
        return Err("unsupported operator".into());
    };
    if !t.at_end() {
        return Err("unexpected text at the end of the stage".into());
    }
    Ok(stage)
}

/// Checks that `used` are columns at this point of the pipeline.
fn check_columns<'a>(
    columns: &BTreeSet<String>,
    used: impl IntoIterator<Item = &'a str>,
) -> Result<(), String> {
    for c in used {
        if !columns.contains(c) {
            return Err(format!("Failed to resolve scalar expression named '{c}'"));
        }
    }
    Ok(())
}

/// Parses `text`, or says which stage is outside the supported subset.
pub(crate) fn parse(text: &str) -> Result<ParsedQuery, String> {
    let tokens = tokenize(text)?;
    let mut parts = tokens.split(|t| *t == Token::Sym("|"));
    let table = match parts.next() {
        Some([Token::Ident(t)]) => t.clone(),
        _ => return Err("a query must start with a table name".into()),
    };
    let mut columns: BTreeSet<String> = TABLE_COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut stages = Vec::new();
    for (n, part) in parts.enumerate() {
        let stage = parse_stage(&mut Tokens::new(part))
            .map_err(|e| format!("stage {} is not supported by the emulator: {e}", n + 1))?;
        match &stage {
            Stage::Where(p) => check_columns(&columns, p.columns())?,
            Stage::Extend(name, e) => {
                check_columns(&columns, e.columns())?;
                columns.insert(name.clone());
            }
            Stage::Project(cols) => {
                check_columns(
                    &columns,
                    cols.iter()
                        .filter_map(|(_, p)| p.first().map(String::as_str)),
                )?;
                columns = cols.iter().map(|(name, _)| name.clone()).collect();
            }
            Stage::Order { by, .. } => check_columns(&columns, by.columns())?,
        }
        stages.push(stage);
    }
    Ok(ParsedQuery {
        table,
        stages,
        columns,
    })
}

impl ParsedQuery {
    /// Runs the stages over `rows`, in order.
    pub fn run(&self, mut rows: Vec<Value>, now: OffsetDateTime) -> Vec<Value> {
        for stage in &self.stages {
            match stage {
                Stage::Where(p) => rows.retain(|r| p.matches(r, now)),
                Stage::Extend(name, e) => {
                    for r in &mut rows {
                        let v = e.eval(r, now).to_json();
                        if let Value::Object(m) = r {
                            m.insert(name.clone(), v);
                        }
                    }
                }
                Stage::Project(cols) => {
                    rows = rows
                        .iter()
                        .map(|r| {
                            let out = cols.iter().map(|(name, path)| {
                                let v = Expr::Column(path.clone()).eval(r, now).to_json();
                                (name.clone(), v)
                            });
                            Value::Object(out.collect())
                        })
                        .collect();
                }
                Stage::Order { by, descending } => {
                    rows.sort_by(|a, b| {
                        let (a, b) = (by.eval(a, now), by.eval(b, now));
                        // Nulls first when ascending, last when descending.
                        let o = match (&a, &b) {
                            (Scalar::Null, Scalar::Null) => std::cmp::Ordering::Equal,
                            (Scalar::Null, _) => std::cmp::Ordering::Less,
                            (_, Scalar::Null) => std::cmp::Ordering::Greater,
                            _ => a.compare(&b).unwrap_or_else(|| a.text().cmp(&b.text())),
                        };
                        if *descending {
                            o.reverse()
                        } else {
                            o
                        }
                    });
                }
            }
        }
        rows
    }

    /// Whether the result has an `id` column, which the service needs to page.
    pub fn has_id_column(&self) -> bool {
        self.columns.contains("id")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const FLEET_QUERY: &str = "patchassessmentresources\n\
        | where type in~ ('microsoft.hybridcompute/machines/patchassessmentresults', 'microsoft.hybridcompute/machines/patchassessmentresults/softwarepatches')\n\
        | where resourceGroup =~ 'RG'\n\
        | extend machineId = tolower(substring(id, 0, indexof(tolower(id), '/patchassessmentresults/')))\n\
        | where machineId in~ ('/m/A')\n\
        | project id, machineId, type, properties\n\
        | order by id asc";

    fn row(id: &str, ty: &str, rg: &str) -> Value {
        json!({ "id": id, "name": "n", "type": ty, "resourceGroup": rg, "location": "eastus",
                "properties": { "status": "Succeeded" } })
    }

    #[test]
    fn runs_the_fleet_shape_stage_by_stage() {
        let q = parse(FLEET_QUERY).unwrap();
        let t = "microsoft.hybridcompute/machines/patchassessmentresults";
        let rows = vec![
            row(
                "/m/a/patchAssessmentResults/latest/softwarePatches/kb2",
                &format!("{t}/softwarepatches"),
                "rg",
            ),
            row("/m/a/patchassessmentresults/latest", t, "rg"),
            row("/m/b/patchassessmentresults/latest", t, "rg"),
            row("/m/a/patchassessmentresults/latest", t, "other"),
            row(
                "/m/a/patchassessmentresults/latest",
                "microsoft.compute/virtualmachines/patchassessmentresults",
                "rg",
            ),
        ];
        let out = q.run(rows, OffsetDateTime::now_utc());
        assert_eq!(
            out,
            [
                json!({ "id": "/m/a/patchAssessmentResults/latest/softwarePatches/kb2", "machineId": "/m/a",
                        "type": format!("{t}/softwarepatches"), "properties": { "status": "Succeeded" } }),
                json!({ "id": "/m/a/patchassessmentresults/latest", "machineId": "/m/a", "type": t,
                        "properties": { "status": "Succeeded" } }),
            ]
        );
        assert!(q.has_id_column());
    }

    #[test]
    fn order_is_descending_unless_asc_and_dotted_projections_use_underscores() {
        let rows = vec![
            json!({ "id": "a", "properties": { "n": 1 } }),
            json!({ "id": "b", "properties": { "n": 2 } }),
        ];
        let q = parse("t | project id, properties.n | order by properties_n").unwrap();
        let out = q.run(rows.clone(), OffsetDateTime::now_utc());
        assert_eq!(out[0], json!({ "id": "b", "properties_n": 2 }));
        let q = parse("t | project properties.n | order by properties_n asc").unwrap();
        assert_eq!(
            q.run(rows, OffsetDateTime::now_utc())[0],
            json!({ "properties_n": 1 })
        );
        assert!(!q.has_id_column());
    }

    #[test]
    fn unknown_columns_are_errors_where_the_service_reports_them() {
        for bad in [
            "t | where machineId in~ ('x')",
            "t | where Id =~ 'x'",
            "t | project id | where type =~ 'x'",
            "t | extend m = tolower(nope)",
            "t | project id | order by name asc",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("Failed to resolve"), "{bad}: {e}");
        }
        assert!(parse("t | extend m = tolower(id) | where m =~ 'x' | project m").is_ok());
    }

    #[test]
    fn parses_the_single_machine_shapes() {
        let q = parse(
            "patchinstallationresources\n| where type =~ 'a/b'\n| where id startswith 'x\\'y'\n| where todatetime(properties.lastModifiedDateTime) > ago(7d)\n| project id, type, properties\n| order by id asc",
        )
        .unwrap();
        assert_eq!(q.table, "patchinstallationresources");
        assert_eq!(q.stages.len(), 5);
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "t | summarize count()",
            "t | where id == 'x'",
            "t | where id startswith 'x' or 1 == 1",
            "t | where id startswith 'unterminated",
            "t | join (u) on id",
            "t | extend x",
            "t | extend x = 1 2",
            "t | project id,",
            "t | order by id sideways",
            "t | take 5",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
