//! A small typed KQL builder for the Resource Graph queries this client sends.
//!
//! Why typed: Resource Graph queries carry machine ids and resource group names, which come
//! from users. Splicing them into KQL text would let a crafted id change the query. Here every
//! identifier (table, column) is a `&'static str` chosen by the program, and the only way
//! runtime data reaches the text is [`Query::where_equals`] / [`Query::where_in`], which write
//! it as escaped single-quoted string literals.

use std::fmt::Write as _;

/// One `| ...` stage, kept structured until [`Query::build`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// `where <column> =~ '<literal>'` (case-insensitive equality).
    Equals(&'static str, String),
    /// `where <column> in~ ('<literal>', ...)` (case-insensitive membership).
    In(&'static str, Vec<String>),
    /// `extend <name> = substring(<column>, 0, indexof(tolower(<column>), '<marker>'))`.
    ExtendPrefix {
        name: &'static str,
        column: &'static str,
        marker: &'static str,
    },
    /// `where todatetime(<column>) > ago(<days>d)`.
    NewerThanDays(&'static str, u32),
    /// `project <columns>`.
    Project(Vec<&'static str>),
    /// `order by <column> asc`.
    OrderByAsc(&'static str),
}

/// A KQL query over one Resource Graph table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    table: &'static str,
    stages: Vec<Stage>,
}

impl Query {
    /// Starts a query over `table` (e.g. `patchinstallationresources`).
    pub fn table(table: &'static str) -> Self {
        Query {
            table,
            stages: Vec::new(),
        }
    }

    /// Keeps rows whose `column` equals `value`, ignoring case.
    pub fn where_equals(mut self, column: &'static str, value: &str) -> Self {
        self.stages.push(Stage::Equals(column, value.to_owned()));
        self
    }

    /// Keeps rows whose `column` equals one of `values`, ignoring case. KQL has no empty
    /// list: callers with nothing to match send no query at all.
    pub fn where_in<S: AsRef<str>>(mut self, column: &'static str, values: &[S]) -> Self {
        let values = values.iter().map(|v| v.as_ref().to_owned()).collect();
        self.stages.push(Stage::In(column, values));
        self
    }

    /// Adds column `name`: the part of `column` before the first occurrence of `marker`
    /// (compared ignoring case; `marker` must be lower case), in the row's own spelling. Child
    /// rows name their parent this way (`<machine id>/patchassessmentresults/...` → the machine
    /// id). A row without the marker gets an empty string.
    pub fn extend_prefix(
        mut self,
        name: &'static str,
        column: &'static str,
        marker: &'static str,
    ) -> Self {
        self.stages.push(Stage::ExtendPrefix {
            name,
            column,
            marker,
        });
        self
    }

    /// Keeps rows whose date-time `column` is within the last `days` days.
    pub fn where_newer_than_days(mut self, column: &'static str, days: u32) -> Self {
        self.stages.push(Stage::NewerThanDays(column, days));
        self
    }

    pub fn project(mut self, columns: &[&'static str]) -> Self {
        self.stages.push(Stage::Project(columns.to_vec()));
        self
    }

    /// Orders by `column`; Resource Graph paging is only stable over an ordered result.
    pub fn order_by_asc(mut self, column: &'static str) -> Self {
        self.stages.push(Stage::OrderByAsc(column));
        self
    }

    /// The KQL text.
    pub fn build(&self) -> String {
        let mut s = self.table.to_owned();
        for stage in &self.stages {
            s.push_str("\n| ");
            match stage {
                Stage::Equals(c, v) => {
                    let _ = write!(s, "where {c} =~ {}", string_literal(v));
                }
                Stage::In(c, values) => {
                    let list: Vec<String> = values.iter().map(|v| string_literal(v)).collect();
                    let _ = write!(s, "where {c} in~ ({})", list.join(", "));
                }
                Stage::ExtendPrefix {
                    name,
                    column,
                    marker,
                } => {
                    let _ = write!(
                        s,
                        "extend {name} = substring({column}, 0, indexof(tolower({column}), {}))",
                        string_literal(marker)
                    );
                }
                Stage::NewerThanDays(c, d) => {
                    let _ = write!(s, "where todatetime({c}) > ago({d}d)");
                }
                Stage::Project(cols) => {
                    let _ = write!(s, "project {}", cols.join(", "));
                }
                Stage::OrderByAsc(c) => {
                    let _ = write!(s, "order by {c} asc");
                }
            }
        }
        s
    }
}

/// `value` as a KQL single-quoted string literal: backslash, quotes and control characters
/// are escaped, so the literal always ends where the builder ends it.
pub fn string_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_fleet_shape() {
        let q = Query::table("patchinstallationresources")
            .where_in(
                "type",
                &[
                    "a/patchinstallationresults",
                    "a/patchinstallationresults/softwarepatches",
                ],
            )
            .where_equals("resourceGroup", "rg-1")
            .where_newer_than_days("properties.lastModifiedDateTime", 30)
            .extend_prefix("machineId", "id", "/patchinstallationresults/")
            .where_in("machineId", &["/subscriptions/s/x"])
            .project(&["id", "machineId", "type", "properties"])
            .order_by_asc("id");
        assert_eq!(
            q.build(),
            "patchinstallationresources\n\
             | where type in~ ('a/patchinstallationresults', 'a/patchinstallationresults/softwarepatches')\n\
             | where resourceGroup =~ 'rg-1'\n\
             | where todatetime(properties.lastModifiedDateTime) > ago(30d)\n\
             | extend machineId = substring(id, 0, indexof(tolower(id), '/patchinstallationresults/'))\n\
             | where machineId in~ ('/subscriptions/s/x')\n\
             | project id, machineId, type, properties\n\
             | order by id asc"
        );
    }

    #[test]
    fn escapes_user_data_so_it_cannot_leave_the_literal() {
        let hostile = "x' | project secrets | where id == '\\";
        let q = Query::table("t")
            .where_equals("resourceGroup", hostile)
            .where_in("id", &["a", hostile])
            .build();
        let escaped = "'x\\' | project secrets | where id == \\'\\\\'";
        assert_eq!(
            q,
            format!("t\n| where resourceGroup =~ {escaped}\n| where id in~ ('a', {escaped})")
        );
        assert_eq!(string_literal("a\nb\u{1}"), "'a\\nb\\u0001'");
    }
}
