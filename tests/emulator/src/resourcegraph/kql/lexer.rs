//! Tokens of the KQL subset: identifiers, single- or double-quoted strings with backslash
//! escapes, numbers with an optional unit suffix (`30d`), and the few operators the subset
//! uses. `in~` is one token, as KQL spells its case-insensitive membership operator.

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Token {
    Ident(String),
    Str(String),
    /// Digits with an optional unit suffix (`30d`).
    Num(String),
    Sym(&'static str),
}

/// The operators, longest first so `=~` is not read as `=`.
const SYMBOLS: &[&str] = &["=~", "|", ">", "<", "(", ")", ",", ".", "="];

fn string_literal(chars: &[char], i: &mut usize) -> Result<String, String> {
    let quote = chars[*i];
    let mut s = String::new();
    *i += 1;
    loop {
        let Some(&c) = chars.get(*i) else {
            return Err("unterminated string literal".into());
        };
        *i += 1;
        if c == quote {
            return Ok(s);
        }
        if c != '\\' {
            s.push(c);
            continue;
        }
        let Some(&e) = chars.get(*i) else {
            return Err("unterminated escape".into());
        };
        *i += 1;
        match e {
            '\\' | '\'' | '"' => s.push(e),
            'n' => s.push('\n'),
            'r' => s.push('\r'),
            't' => s.push('\t'),
            'u' => {
                let hex: String = chars
                    .get(*i..*i + 4)
                    .ok_or("bad \\u escape")?
                    .iter()
                    .collect();
                let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad \\u escape")?;
                s.push(char::from_u32(code).ok_or("bad \\u escape")?);
                *i += 4;
            }
            other => return Err(format!("unknown escape \\{other}")),
        }
    }
}

pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            out.push(Token::Str(string_literal(&chars, &mut i)?));
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
            let mut word: String = chars[start..i].iter().collect();
            if word == "in" && chars.get(i) == Some(&'~') {
                word.push('~');
                i += 1;
            }
            out.push(Token::Ident(word));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let sym = SYMBOLS
                .iter()
                .find(|s| rest.starts_with(**s))
                .ok_or_else(|| format!("unexpected character {c:?}"))?;
            i += sym.chars().count();
            out.push(Token::Sym(sym));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_operators_and_in_tilde() {
        let t = tokenize("x in~ ('a\\'b', \"c\") | where y =~ 'd' and z = 30d").unwrap();
        assert_eq!(t[1], Token::Ident("in~".into()));
        assert_eq!(t[3], Token::Str("a'b".into()));
        assert_eq!(t[5], Token::Str("c".into()));
        assert!(t.contains(&Token::Sym("=~")));
        assert!(t.contains(&Token::Sym("=")));
        assert_eq!(t.last(), Some(&Token::Num("30d".into())));
        assert!(tokenize("a ! b").is_err());
        assert!(tokenize("'open").is_err());
    }
}
