//! The tokenizer of the Python subset: names, numbers, strings (one line each) and
//! punctuation, one line at a time. A line it cannot read is an error it names; whether that
//! is a placed error or an ignored line is the caller's choice.

/// One token of Python.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Name(String),
    /// A number; `int` when written without a point or exponent.
    Num {
        value: f64,
        int: bool,
    },
    Str(String),
    Op(&'static str),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// 1-based line of the pasted text.
    pub line: usize,
}

/// Punctuation and operators, longest first so that `**` is not read as two `*`.
const OPS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "...", "->", "**", "//", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "@=",
    "&=", "|=", "^=", ":=", "<<", ">>", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "+", "-", "*", "/", "%",
    "@", "<", ">", "&", "|", "^", "~",
];

/// What one line adds to a statement.
pub(super) struct Lexed {
    /// Open brackets after this line (the depth carried in, plus opened, less closed).
    pub depth: i64,
    /// The line ends with a backslash: the statement continues.
    pub continues: bool,
}

/// Tokens of one line appended to `out`; `depth` is the bracket depth carried in from the
/// lines before. Errors say what could not be read, for a placed message.
pub(super) fn lex_line(text: &str, line: usize, depth: i64, out: &mut Vec<Token>) -> Result<Lexed, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut depth = depth;
    let mut i = 0;
    let push = |out: &mut Vec<Token>, tok: Tok| out.push(Token { tok, line });
    while i < chars.len() {
        let c = chars[i];
        if c == '#' {
            break;
        }
        if c == '\\' && chars[i + 1..].iter().all(|c| c.is_whitespace()) {
            return Ok(Lexed { depth, continues: true });
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if let Some(quote_at) = string_start(&chars, i) {
            let (s, next) = string(&chars, quote_at)?;
            push(out, Tok::Str(s));
            i = next;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            push(out, Tok::Name(chars[start..i].iter().collect()));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let (tok, next) = number(&chars, i)?;
            push(out, tok);
            i = next;
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
        let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
            return Err(format!("cannot read {c:?} here"));
        };
        match *op {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
        push(out, Tok::Op(op));
        i += op.chars().count();
    }
    Ok(Lexed { depth, continues: false })
}

/// Where the quote of a string starting at `i` is (after a prefix such as r, b, f, u, rb).
fn string_start(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    while j < chars.len() && j - i < 2 && "rRbBfFuU".contains(chars[j]) {
        j += 1;
    }
    let at_name_start = i == 0 || !(chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '_');
    (chars.get(j).is_some_and(|q| *q == '"' || *q == '\'') && at_name_start).then_some(j)
}

/// A string whose quote is at `q` (triple quotes too, on one line); returns it and the index after.
fn string(chars: &[char], q: usize) -> Result<(String, usize), String> {
    let quote = chars[q];
    let triple = chars.get(q + 1) == Some(&quote) && chars.get(q + 2) == Some(&quote);
    let mut i = if triple { q + 3 } else { q + 1 };
    let mut s = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            s.push(match chars[i + 1] {
                'n' => '\n',
                't' => '\t',
                other => other,
            });
            i += 2;
            continue;
        }
        if c == quote {
            if !triple {
                return Ok((s, i + 1));
            }
            if chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote) {
                return Ok((s, i + 3));
            }
        }
        s.push(c);
        i += 1;
    }
    Err("a string is not closed on its line".into())
}

/// A number at `i`: digits with underscores, a point, an exponent.
fn number(chars: &[char], i: usize) -> Result<(Tok, usize), String> {
    let mut j = i;
    let mut text = String::new();
    let mut int = true;
    let digits = |j: &mut usize, text: &mut String| {
        while *j < chars.len() && (chars[*j].is_ascii_digit() || chars[*j] == '_') {
            if chars[*j] != '_' {
                text.push(chars[*j]);
            }
            *j += 1;
        }
    };
    digits(&mut j, &mut text);
    if chars.get(j) == Some(&'.') {
        int = false;
        text.push('.');
        j += 1;
        digits(&mut j, &mut text);
    }
    if chars.get(j).is_some_and(|e| *e == 'e' || *e == 'E') {
        let sign = chars.get(j + 1).is_some_and(|s| *s == '+' || *s == '-');
        let after = if sign { j + 2 } else { j + 1 };
        if chars.get(after).is_some_and(|d| d.is_ascii_digit()) {
            int = false;
            text.push('e');
            if sign {
                text.push(chars[j + 1]);
            }
            j = after;
            digits(&mut j, &mut text);
        }
    }
    if chars.get(j).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
        return Err(format!("cannot read the number starting {:?}", chars[i..=j].iter().collect::<String>()));
    }
    let value: f64 = text.parse().map_err(|_| format!("cannot read the number {text:?}"))?;
    Ok((Tok::Num { value, int }, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut out = vec![];
        lex_line(s, 1, 0, &mut out).unwrap();
        out.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn reads_a_layer_call() {
        assert_eq!(
            toks("layers.Conv2D(32, (3, 3), activation='relu')  # first"),
            vec![
                Tok::Name("layers".into()),
                Tok::Op("."),
                Tok::Name("Conv2D".into()),
                Tok::Op("("),
                Tok::Num { value: 32.0, int: true },
                Tok::Op(","),
                Tok::Op("("),
                Tok::Num { value: 3.0, int: true },
                Tok::Op(","),
                Tok::Num { value: 3.0, int: true },
                Tok::Op(")"),
                Tok::Op(","),
                Tok::Name("activation".into()),
                Tok::Op("="),
                Tok::Str("relu".into()),
                Tok::Op(")"),
            ]
        );
        assert_eq!(
            toks("1e-3 1_000 .5 2."),
            vec![
                Tok::Num { value: 1e-3, int: false },
                Tok::Num { value: 1000.0, int: true },
                Tok::Num { value: 0.5, int: false },
                Tok::Num { value: 2.0, int: false },
            ]
        );
        assert_eq!(toks(r#"f"a\"b" x**2"#)[0], Tok::Str("a\"b".into()));
    }

    #[test]
    fn counts_brackets_and_refuses_what_it_cannot_read() {
        let mut out = vec![];
        assert_eq!(lex_line("model = Sequential([", 1, 0, &mut out).unwrap().depth, 2);
        assert!(lex_line("x = \\", 1, 0, &mut out).unwrap().continues);
        assert_eq!(lex_line("'open", 1, 0, &mut out).err().unwrap(), "a string is not closed on its line");
        assert_eq!(lex_line("┏━━━━┓", 1, 0, &mut out).err().unwrap(), "cannot read '┏' here");
        assert!(lex_line("3x", 1, 0, &mut out).is_err());
    }
}
