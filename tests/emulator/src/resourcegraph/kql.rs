//! The KQL subset the emulator's Resource Graph understands: exactly the shapes the provider's
//! query builder emits, nothing more, so a client that drifts from them gets a 400 here
//! instead of a silently wrong answer.
//!
//! ```text
//! <table>
//! | where <column> =~ '<string>'                                   (case-insensitive equality)
//! | where <column> startswith '<string>'                           (case-insensitive prefix)
//! | where todatetime(<column>) > ago(<N>d)                         (N whole days)
//! | project <column>[, <column>...]
//! | order by <column> asc|desc
//! ```
//! Stages may repeat and come in any order; `<column>` is a dotted path (`properties.status`).
//! Strings are single-quoted with backslash escapes (`\\`, `\'`, `\"`, `\n`, `\r`, `\t`,
//! `\uXXXX`). Anything else is rejected.

use serde_json::Value;
use time::OffsetDateTime;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    /// Digits with an optional unit suffix (`30d`).
    Num(String),
    Sym(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let quote = c;
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err("unterminated string literal".into());
                };
                i += 1;
                if c == quote {
                    break;
                }
                if c != '\\' {
                    s.push(c);
                    continue;
                }
                let Some(&e) = chars.get(i) else {
                    return Err("unterminated escape".into());
                };
                i += 1;
                match e {
                    '\\' | '\'' | '"' => s.push(e),
                    'n' => s.push('\n'),
                    'r' => s.push('\r'),
                    't' => s.push('\t'),
                    'u' => {
                        let hex: String = chars
                            .get(i..i + 4)
                            .ok_or("bad \\u escape")?
                            .iter()
                            .collect();
                        let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad \\u escape")?;
                        s.push(char::from_u32(code).ok_or("bad \\u escape")?);
                        i += 4;
                    }
                    other => return Err(format!("unknown escape \\{other}")),
                }
            }
            out.push(Token::Str(s));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            out.push(Token::Num(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let sym = match (two.as_str(), c) {
                ("=~", _) => "=~",
                (_, '|') => "|",
                (_, '>') => ">",
                (_, '(') => "(",
                (_, ')') => ")",
                (_, ',') => ",",
                (_, '.') => ".",
                _ => return Err(format!("unexpected character {c:?}")),
            };
            i += sym.len();
            out.push(Token::Sym(sym));
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Filter {
    Equals(Vec<String>, String),
    StartsWith(Vec<String>, String),
    NewerThanDays(Vec<String>, i64),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ParsedQuery {
    pub table: String,
    pub filters: Vec<Filter>,
    pub project: Option<Vec<Vec<String>>>,
    /// Column and whether descending.
    pub order: Option<(Vec<String>, bool)>,
}

/// A dotted column path at the start of `t`; returns it and the tokens consumed.
fn column(t: &[Token]) -> Option<(Vec<String>, usize)> {
    let mut path = Vec::new();
    let mut i = 0;
    loop {
        match t.get(i) {
            Some(Token::Ident(s)) => path.push(s.clone()),
            _ => return None,
        }
        i += 1;
        if t.get(i) != Some(&Token::Sym(".")) {
            return Some((path, i));
        }
        i += 1;
    }
}

fn kw(t: Option<&Token>, word: &str) -> bool {
    matches!(t, Some(Token::Ident(s)) if s.eq_ignore_ascii_case(word))
}

fn parse_where(t: &[Token]) -> Option<Filter> {
    if kw(t.first(), "todatetime") && t.get(1) == Some(&Token::Sym("(")) {
        let (col, n) = column(&t[2..])?;
        let rest = &t[2 + n..];
        let days = match rest {
            [Token::Sym(")"), Token::Sym(">"), Token::Ident(ago), Token::Sym("("), Token::Num(d), Token::Sym(")")]
                if ago.eq_ignore_ascii_case("ago") =>
            {
                d.strip_suffix('d')?.parse().ok()?
            }
            _ => return None,
        };
        return Some(Filter::NewerThanDays(col, days));
    }
    let (col, n) = column(t)?;
    match &t[n..] {
        [Token::Sym("=~"), Token::Str(v)] => Some(Filter::Equals(col, v.clone())),
        [Token::Ident(op), Token::Str(v)] if op.eq_ignore_ascii_case("startswith") => {
            Some(Filter::StartsWith(col, v.clone()))
        }
        _ => None,
    }
}

fn parse_project(t: &[Token]) -> Option<Vec<Vec<String>>> {
    let mut cols = Vec::new();
    let mut i = 0;
    loop {
        let (c, n) = column(&t[i..])?;
        cols.push(c);
        i += n;
        match t.get(i) {
            None => return Some(cols),
            Some(Token::Sym(",")) => i += 1,
            _ => return None,
        }
    }
}

/// Parses `text`, or says which stage is outside the supported subset.
pub(crate) fn parse(text: &str) -> Result<ParsedQuery, String> {
    let tokens = tokenize(text)?;
    let mut stages = tokens.split(|t| *t == Token::Sym("|"));
    let table = match stages.next() {
        Some([Token::Ident(t)]) => t.clone(),
        _ => return Err("a query must start with a table name".into()),
    };
    let mut q = ParsedQuery {
        table,
        filters: Vec::new(),
        project: None,
        order: None,
    };
    for (n, stage) in stages.enumerate() {
        let unsupported = || format!("stage {} is not supported by the emulator", n + 1);
        if kw(stage.first(), "where") {
            q.filters
                .push(parse_where(&stage[1..]).ok_or_else(unsupported)?);
        } else if kw(stage.first(), "project") {
            q.project = Some(parse_project(&stage[1..]).ok_or_else(unsupported)?);
        } else if kw(stage.first(), "order") && kw(stage.get(1), "by") {
            let (c, used) = column(&stage[2..]).ok_or_else(unsupported)?;
            let desc = match stage.get(2 + used..) {
                Some([]) => false,
                Some([Token::Ident(d)]) if d.eq_ignore_ascii_case("asc") => false,
                Some([Token::Ident(d)]) if d.eq_ignore_ascii_case("desc") => true,
                _ => return Err(unsupported()),
            };
            q.order = Some((c, desc));
        } else {
            return Err(unsupported());
        }
    }
    Ok(q)
}

fn lookup<'a>(row: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(row, |v, k| v.get(k))
}

fn as_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl ParsedQuery {
    pub fn matches(&self, row: &Value, now: OffsetDateTime) -> bool {
        self.filters.iter().all(|f| match f {
            Filter::Equals(c, v) => {
                as_text(lookup(row, c)).is_some_and(|s| s.to_lowercase() == v.to_lowercase())
            }
            Filter::StartsWith(c, v) => as_text(lookup(row, c))
                .is_some_and(|s| s.to_lowercase().starts_with(&v.to_lowercase())),
            Filter::NewerThanDays(c, d) => as_text(lookup(row, c))
                .and_then(|s| {
                    OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339).ok()
                })
                .is_some_and(|t| t > now - time::Duration::days(*d)),
        })
    }

    /// The row as `project` shapes it (the column name is the last path segment).
    pub fn shape(&self, row: &Value) -> Value {
        let Some(cols) = &self.project else {
            return row.clone();
        };
        let mut out = serde_json::Map::new();
        for c in cols {
            let name = c.last().cloned().unwrap_or_default();
            out.insert(name, lookup(row, c).cloned().unwrap_or(Value::Null));
        }
        Value::Object(out)
    }

    pub fn sort(&self, rows: &mut [Value]) {
        if let Some((c, desc)) = &self.order {
            rows.sort_by(|a, b| {
                let o = as_text(lookup(a, c)).cmp(&as_text(lookup(b, c)));
                if *desc {
                    o.reverse()
                } else {
                    o
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_provider_shapes() {
        let q = parse(
            "patchinstallationresources\n| where type =~ 'a/b'\n| where id startswith 'x\\'y'\n| where todatetime(properties.lastModifiedDateTime) > ago(7d)\n| project id, type, properties\n| order by id asc",
        )
        .unwrap();
        assert_eq!(q.table, "patchinstallationresources");
        assert_eq!(
            q.filters[1],
            Filter::StartsWith(vec!["id".into()], "x'y".into())
        );
        assert_eq!(
            q.filters[2],
            Filter::NewerThanDays(vec!["properties".into(), "lastModifiedDateTime".into()], 7)
        );
        assert_eq!(q.project.as_ref().map(Vec::len), Some(3));
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
            "t | extend x = 1",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
