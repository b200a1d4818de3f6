//! Scalar expressions and `where` predicates of the KQL subset, with Kusto's semantics for
//! the parts modelled:
//!
//! * columns are case-sensitive names; `a.b.c` reads into a dynamic column (`properties`);
//! * `tolower`, `tostring`, `todatetime`, `ago`, `indexof` (case-sensitive, -1 when absent,
//!   character positions) and `substring(s, start[, length])` (start clamped to the string;
//!   a negative length yields an empty string);
//! * `=~` (case-insensitive equality), `startswith` (case-insensitive prefix), `in~`
//!   (case-insensitive membership in a list of string literals), `>` / `<` on numbers and
//!   datetimes. A comparison with a null never matches.
//!
//! Anything outside this is a parse error, which the service module turns into a 400.

use std::cmp::Ordering;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::lexer::Token;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    ToLower,
    ToString,
    ToDateTime,
    Ago,
    IndexOf,
    Substring,
}

impl Func {
    fn by_name(name: &str) -> Option<(Func, std::ops::RangeInclusive<usize>)> {
        Some(match name {
            "tolower" => (Func::ToLower, 1..=1),
            "tostring" => (Func::ToString, 1..=1),
            "todatetime" => (Func::ToDateTime, 1..=1),
            "ago" => (Func::Ago, 1..=1),
            "indexof" => (Func::IndexOf, 2..=2),
            "substring" => (Func::Substring, 2..=3),
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    /// A column, or a path into a dynamic column (`properties.status`).
    Column(Vec<String>),
    Str(String),
    Long(i64),
    Timespan(Duration),
    Call(Func, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    EqualsCi,
    StartsWith,
    Greater,
    Less,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Predicate {
    Compare(Expr, Op, Expr),
    InCi(Expr, Vec<String>),
}

/// A value while a row is evaluated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Str(String),
    Long(i64),
    Time(OffsetDateTime),
    Span(Duration),
    Dynamic(Value),
}

/// A cursor over one stage's tokens.
pub(crate) struct Tokens<'a> {
    t: &'a [Token],
    pos: usize,
}

impl<'a> Tokens<'a> {
    pub fn new(t: &'a [Token]) -> Self {
        Tokens { t, pos: 0 }
    }

    pub fn peek(&self) -> Option<&'a Token> {
        self.t.get(self.pos)
    }

    pub fn next(&mut self) -> Option<&'a Token> {
        let t = self.t.get(self.pos);
        self.pos += 1;
        t
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.t.len()
    }

    /// Consumes `sym` when it comes next.
    pub fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Token::Sym(s)) if *s == sym) {
            self.pos += 1;
            return true;
        }
        false
    }

    /// Consumes the keyword `word` (case-sensitive, as KQL keywords are) when it comes next.
    pub fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Ident(s)) if s == word) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn expect(&mut self, sym: &str) -> Result<(), String> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(format!("expected '{sym}'"))
        }
    }

    pub fn ident(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Ident(s)) => Ok(s.clone()),
            _ => Err("expected a name".into()),
        }
    }

    /// A column or a dotted path into one.
    pub fn path(&mut self) -> Result<Vec<String>, String> {
        let mut path = vec![self.ident()?];
        while self.eat(".") {
            path.push(self.ident()?);
        }
        Ok(path)
    }
}

fn timespan(literal: &str) -> Option<Duration> {
    let unit_at = literal.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = literal[..unit_at].parse().ok()?;
    Some(match &literal[unit_at..] {
        "d" => Duration::days(n),
        "h" => Duration::hours(n),
        "m" => Duration::minutes(n),
        "s" => Duration::seconds(n),
        _ => return None,
    })
}

pub(crate) fn parse_expr(t: &mut Tokens<'_>) -> Result<Expr, String> {
    match t.peek() {
        Some(Token::Str(s)) => {
            t.next();
            Ok(Expr::Str(s.clone()))
        }
        Some(Token::Num(n)) => {
            t.next();
            if let Ok(v) = n.parse() {
                return Ok(Expr::Long(v));
            }
            timespan(n)
                .map(Expr::Timespan)
                .ok_or_else(|| format!("bad number {n}"))
        }
        Some(Token::Ident(name)) if t.t.get(t.pos + 1) == Some(&Token::Sym("(")) => {
            let (func, arity) =
                Func::by_name(name).ok_or_else(|| format!("unknown function {name}"))?;
            t.next();
            t.next();
            let mut args = Vec::new();
            if !t.eat(")") {
                loop {
                    args.push(parse_expr(t)?);
                    if t.eat(")") {
                        break;
                    }
                    t.expect(",")?;
                }
            }
            if !arity.contains(&args.len()) {
                return Err(format!("{name} takes {arity:?} arguments"));
            }
            Ok(Expr::Call(func, args))
        }
        Some(Token::Ident(_)) => Ok(Expr::Column(t.path()?)),
        _ => Err("expected an expression".into()),
    }
}

/// `<expr> <op> <expr>` or `<expr> in~ ('a', ...)`; nothing may follow.
pub(crate) fn parse_predicate(t: &mut Tokens<'_>) -> Result<Predicate, String> {
    let left = parse_expr(t)?;
    let op = match t.next() {
        Some(Token::Sym("=~")) => Op::EqualsCi,
        Some(Token::Sym(">")) => Op::Greater,
        Some(Token::Sym("<")) => Op::Less,
        Some(Token::Ident(w)) if w == "startswith" => Op::StartsWith,
        Some(Token::Ident(w)) if w == "in~" => {
            t.expect("(")?;
            let mut list = Vec::new();
            loop {
                match t.next() {
                    Some(Token::Str(s)) => list.push(s.clone()),
                    _ => return Err("in~ takes a list of string literals".into()),
                }
                if t.eat(")") {
                    break;
                }
                t.expect(",")?;
            }
            return Ok(Predicate::InCi(left, list));
        }
        _ => return Err("unsupported operator".into()),
    };
    Ok(Predicate::Compare(left, op, parse_expr(t)?))
}

impl Expr {
    /// The columns the expression reads (first path segments).
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Expr::Column(p) => p.first().map(String::as_str).into_iter().collect(),
            Expr::Call(_, args) => args.iter().flat_map(Expr::columns).collect(),
            _ => Vec::new(),
        }
    }

    pub fn eval(&self, row: &Value, now: OffsetDateTime) -> Scalar {
        match self {
            Expr::Column(path) => path
                .iter()
                .try_fold(row, |v, k| v.get(k))
                .map_or(Scalar::Null, Scalar::of_json),
            Expr::Str(s) => Scalar::Str(s.clone()),
            Expr::Long(n) => Scalar::Long(*n),
            Expr::Timespan(d) => Scalar::Span(*d),
            Expr::Call(f, args) => {
                let a: Vec<Scalar> = args.iter().map(|e| e.eval(row, now)).collect();
                call(*f, &a, now)
            }
        }
    }
}

fn call(f: Func, a: &[Scalar], now: OffsetDateTime) -> Scalar {
    let text = |i: usize| a.get(i).map(Scalar::text).unwrap_or_default();
    let long = |i: usize| match a.get(i) {
        Some(Scalar::Long(n)) => Some(*n),
        _ => None,
    };
    match f {
        Func::ToLower => Scalar::Str(text(0).to_lowercase()),
        Func::ToString => Scalar::Str(text(0)),
        Func::ToDateTime => match a.first() {
            Some(Scalar::Time(t)) => Scalar::Time(*t),
            Some(s) => {
                OffsetDateTime::parse(&s.text(), &Rfc3339).map_or(Scalar::Null, Scalar::Time)
            }
            None => Scalar::Null,
        },
        Func::Ago => match a.first() {
            Some(Scalar::Span(d)) => Scalar::Time(now - *d),
            _ => Scalar::Null,
        },
        Func::IndexOf => {
            let (s, needle) = (text(0), text(1));
            s.find(&needle).map_or(Scalar::Long(-1), |byte| {
                Scalar::Long(s[..byte].chars().count() as i64)
            })
        }
        Func::Substring => {
            let s: Vec<char> = text(0).chars().collect();
            let Some(start) = long(1) else {
                return Scalar::Null;
            };
            let start = usize::try_from(start.max(0)).unwrap_or(0).min(s.len());
            let end = match long(2) {
                None if a.len() == 3 => return Scalar::Null,
                None => s.len(),
                Some(len) if len < 0 => start,
                Some(len) => start
                    .saturating_add(usize::try_from(len).unwrap_or(0))
                    .min(s.len()),
            };
            Scalar::Str(s[start..end].iter().collect())
        }
    }
}

impl Predicate {
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Predicate::Compare(l, _, r) => l.columns().into_iter().chain(r.columns()).collect(),
            Predicate::InCi(e, _) => e.columns(),
        }
    }

    pub fn matches(&self, row: &Value, now: OffsetDateTime) -> bool {
        match self {
            Predicate::InCi(e, list) => match e.eval(row, now) {
                Scalar::Null => false,
                v => {
                    let v = v.text().to_lowercase();
                    list.iter().any(|s| s.to_lowercase() == v)
                }
            },
            Predicate::Compare(l, op, r) => {
                let (l, r) = (l.eval(row, now), r.eval(row, now));
                if l == Scalar::Null || r == Scalar::Null {
                    return false;
                }
                match op {
                    Op::EqualsCi => l.text().to_lowercase() == r.text().to_lowercase(),
                    Op::StartsWith => l
                        .text()
                        .to_lowercase()
                        .starts_with(&r.text().to_lowercase()),
                    Op::Greater => l.compare(&r) == Some(Ordering::Greater),
                    Op::Less => l.compare(&r) == Some(Ordering::Less),
                }
            }
        }
    }
}

impl Scalar {
    fn of_json(v: &Value) -> Scalar {
        match v {
            Value::Null => Scalar::Null,
            Value::String(s) => Scalar::Str(s.clone()),
            Value::Number(n) if n.is_i64() => Scalar::Long(n.as_i64().unwrap_or_default()),
            other => Scalar::Dynamic(other.clone()),
        }
    }

    /// The value as `tostring` writes it (null is the empty string).
    pub fn text(&self) -> String {
        match self {
            Scalar::Null => String::new(),
            Scalar::Str(s) => s.clone(),
            Scalar::Long(n) => n.to_string(),
            Scalar::Time(t) => t.format(&Rfc3339).unwrap_or_default(),
            Scalar::Span(d) => format!("{}s", d.whole_seconds()),
            Scalar::Dynamic(v) => v.to_string(),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Long(n) => Value::from(*n),
            Scalar::Dynamic(v) => v.clone(),
            other => Value::String(other.text()),
        }
    }

    /// Ordering of two values of the same kind; `None` across kinds.
    pub fn compare(&self, other: &Scalar) -> Option<Ordering> {
        match (self, other) {
            (Scalar::Long(a), Scalar::Long(b)) => Some(a.cmp(b)),
            (Scalar::Time(a), Scalar::Time(b)) => Some(a.cmp(b)),
            (Scalar::Str(a), Scalar::Str(b)) => Some(a.cmp(b)),
            (Scalar::Span(a), Scalar::Span(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::lexer::tokenize;
    use super::*;

    fn expr(text: &str) -> Expr {
        let tokens = tokenize(text).unwrap();
        let mut t = Tokens::new(&tokens);
        let e = parse_expr(&mut t).unwrap();
        assert!(t.at_end(), "{text}");
        e
    }

    fn eval(text: &str, row: &Value) -> Scalar {
        expr(text).eval(row, OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn string_functions_follow_kusto() {
        let row = json!({ "id": "/A/B/patchAssessmentResults/latest" });
        assert_eq!(
            eval("indexof(tolower(id), '/patchassessmentresults/')", &row),
            Scalar::Long(4)
        );
        assert_eq!(
            eval("indexof(id, '/patchassessmentresults/')", &row),
            Scalar::Long(-1),
            "case-sensitive"
        );
        assert_eq!(
            eval(
                "tolower(substring(id, 0, indexof(tolower(id), '/patchassessmentresults/')))",
                &row
            ),
            Scalar::Str("/a/b".into())
        );
        assert_eq!(
            eval("substring(id, 0, indexof(id, 'absent'))", &row),
            Scalar::Str(String::new())
        );
        assert_eq!(
            eval("substring(id, 28)", &row),
            Scalar::Str("latest".into())
        );
        assert_eq!(
            eval("substring(id, 99, 3)", &row),
            Scalar::Str(String::new())
        );
        assert_eq!(eval("tostring(missing)", &row), Scalar::Str(String::new()));
    }

    #[test]
    fn predicates_ignore_case_and_never_match_null() {
        let row = json!({ "type": "Microsoft.X/y", "properties": { "t": "2025-01-02T00:00:00Z" } });
        let pred = |text: &str| {
            let tokens = tokenize(text).unwrap();
            parse_predicate(&mut Tokens::new(&tokens))
                .unwrap()
                .matches(&row, OffsetDateTime::UNIX_EPOCH + Duration::days(20_095))
        };
        assert!(pred("type in~ ('a', 'microsoft.x/Y')"));
        assert!(!pred("type in~ ('a')"));
        assert!(pred("type =~ 'MICROSOFT.X/Y'"));
        assert!(pred("type startswith 'microsoft.'"));
        assert!(!pred("missing =~ ''"));
        assert!(pred("todatetime(properties.t) > ago(7d)"));
        assert!(!pred("todatetime(properties.t) > ago(1d)"));
    }

    #[test]
    fn rejects_what_it_does_not_model() {
        for bad in ["strlen(id)", "tolower(id, id)", "12x", "(id)"] {
            let tokens = tokenize(bad).unwrap();
            assert!(parse_expr(&mut Tokens::new(&tokens)).is_err(), "{bad}");
        }
        for bad in ["id == 'x'", "id in~ (id)", "id in~ ()"] {
            let tokens = tokenize(bad).unwrap();
            assert!(parse_predicate(&mut Tokens::new(&tokens)).is_err(), "{bad}");
        }
    }
}
