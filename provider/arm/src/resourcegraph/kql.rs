//! A small typed KQL builder for the Resource Graph queries this client sends.
//!
//! Why typed: Resource Graph queries carry machine ids, which come from users. Splicing them
//! into KQL text would let a crafted id change the query. Here every identifier (table,
//! column) is a `&'static str` chosen by the program, and the only way runtime data reaches
//! the text is [`Query::where_starts_with`] / [`Query::where_equals`], which write it as an
//! escaped single-quoted string literal.

use std::fmt::Write as _;

/// One `| ...` stage, kept structured until [`Query::build`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// `where <column> =~ '<literal>'` (case-insensitive equality).
    Equals(&'static str, String),
    /// `where <column> startswith '<literal>'` (case-insensitive prefix).
    StartsWith(&'static str, String),
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

    /// Keeps rows whose `column` starts with `prefix`, ignoring case.
    pub fn where_starts_with(mut self, column: &'static str, prefix: &str) -> Self {
        self.stages
            .push(Stage::StartsWith(column, prefix.to_owned()));
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
                Stage::StartsWith(c, v) => {
                    let _ = write!(s, "where {c} startswith {}", string_literal(v));
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
    fn builds_the_documented_shape() {
        let q = Query::table("patchinstallationresources")
            .where_equals(
                "type",
                "microsoft.hybridcompute/machines/patchinstallationresults",
            )
            .where_starts_with("id", "/subscriptions/s/x/")
            .where_newer_than_days("properties.lastModifiedDateTime", 30)
            .project(&["id", "type", "properties"])
            .order_by_asc("id");
        assert_eq!(
            q.build(),
            "patchinstallationresources\n\
             | where type =~ 'microsoft.hybridcompute/machines/patchinstallationresults'\n\
             | where id startswith '/subscriptions/s/x/'\n\
             | where todatetime(properties.lastModifiedDateTime) > ago(30d)\n\
             | project id, type, properties\n\
             | order by id asc"
        );
    }

    #[test]
    fn escapes_user_data_so_it_cannot_leave_the_literal() {
        let hostile = "x' | project secrets | where id == '\\";
        let q = Query::table("t").where_starts_with("id", hostile).build();
        assert_eq!(
            q,
            "t\n| where id startswith 'x\\' | project secrets | where id == \\'\\\\'"
        );
        assert_eq!(string_literal("a\nb\u{1}"), "'a\\nb\\u0001'");
    }
}
