//! Keras code in, Keras code out.
//!
//! [`to_spec`] reads a Keras `Sequential` model from pasted Python (a notebook cell or a .py
//! file, with whatever surrounds it) into a spec: `keras.Sequential([...])`,
//! `model = Sequential()` followed by `model.add(...)`, layers named `layers.X`,
//! `keras.layers.X`, `tf.keras.layers.X` or bare, positional and keyword arguments, and the
//! recipe from `model.compile(optimizer=..., loss=...)` and `model.fit(epochs=...,
//! batch_size=...)`. It is a parser of that subset, never an evaluator of Python: a line it
//! does not understand (imports, data loading, `In [3]:` prompts, printed output) is listed
//! as ignored with its number, and a Keras feature ConvPlay lacks is an error placed at its
//! line. The spec it builds goes through [`crate::spec::parse`], the one shape rule, so the
//! summary's parameter count is the one the spec would give.
//!
//! [`from_spec`] writes a spec as Keras code that builds the same model (docs/formats.md).

mod classes;
mod export;
mod expr;
mod layers;
mod lex;
mod recipe;

pub use export::from_spec;

use crate::error::{Error, Result};
use crate::spec::ModelSpec;
use expr::{Node, Parser};
use lex::{lex_line, Tok, Token};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// The longest Keras text read: 1 MiB (a notebook cell is a few KB).
pub const MAX_KERAS_BYTES: usize = 1024 * 1024;

/// A line of the pasted text that is not part of the model (blank and comment-only lines are not listed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ignored {
    /// 1-based.
    pub line: usize,
    pub text: String,
}

/// What [`to_spec`] read.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The spec as JSON text (one layer per line), as a spec editor shows it.
    pub json: String,
    /// The same spec, parsed and validated.
    pub spec: ModelSpec,
    pub ignored: Vec<Ignored>,
}

/// Reads the Keras model in `text` (see the module's documentation). Every problem is in
/// the error, one per line, each placed at its line: "line 7: Conv3D is not supported; …".
pub fn to_spec(text: &str) -> Result<Imported> {
    if text.len() > MAX_KERAS_BYTES {
        return Err(Error::Invalid(format!(
            "the Keras code is {} bytes, more than the limit of {MAX_KERAS_BYTES} (1 MiB); paste the cell that \
             builds the model",
            text.len()
        )));
    }
    let mut st = layers::State::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let (code, prompt) = strip_prompt(lines[i]);
        let trimmed = code.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            if prompt {
                st.ignore(i + 1, lines[i]);
            }
            i += 1;
            continue;
        }
        if let Some(end) = triple_quoted(&lines, i, code) {
            for (k, l) in lines.iter().enumerate().take(end + 1).skip(i) {
                st.ignore(k + 1, l);
            }
            i = end + 1;
            continue;
        }
        let (toks, next, problem) = statement(&lines, i, code);
        match problem {
            None if st.statement(&toks) => {
                i = next;
            }
            Some(problem) if layers::looks_like_model_code(&toks, st.model_var()) => {
                st.errors.push(format!("line {}: {problem}", toks.last().map(|t| t.line).unwrap_or(i + 1)));
                i = next;
            }
            _ => {
                st.ignore(i + 1, lines[i]);
                i += 1;
            }
        }
    }
    st.finish()
}

/// A line with any notebook or console prompt taken off (`In [3]:`, `>>>`, `...`, `...:`),
/// and whether there was one. `Out[3]:` lines come back empty.
fn strip_prompt(line: &str) -> (&str, bool) {
    let t = line.trim_start();
    for prefix in ["In [", "In[", "Out[", "Out ["] {
        if let Some(rest) = t.strip_prefix(prefix) {
            if let Some(close) = rest.find("]:") {
                if rest[..close].trim().chars().all(|c| c.is_ascii_digit()) {
                    return if prefix.starts_with("Out") { ("", true) } else { (&rest[close + 2..], true) };
                }
            }
        }
    }
    for prefix in [">>> ", "... ", ">>>", "..."] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            return (rest, true);
        }
    }
    if let Some(rest) = t.strip_prefix("...:") {
        return (rest, true);
    }
    (line, false)
}

/// When `code` (line `i`) opens a triple-quoted string that it does not close, the last line
/// of that string (a docstring or printed text): those lines are ignored.
fn triple_quoted(lines: &[&str], i: usize, code: &str) -> Option<usize> {
    let quote = ["\"\"\"", "'''"].into_iter().find(|q| code.matches(q).count() % 2 == 1)?;
    Some((i + 1..lines.len()).find(|&k| lines[k].contains(quote)).unwrap_or(lines.len() - 1))
}

/// The tokens of the statement starting at line `i` (through the lines that close its
/// brackets or continue it with a backslash), the line after it, and what could not be read.
fn statement(lines: &[&str], i: usize, code: &str) -> (Vec<Token>, usize, Option<String>) {
    let mut toks = Vec::new();
    let mut lexed = match lex_line(code, i + 1, 0, &mut toks) {
        Ok(l) => l,
        Err(e) => return (toks, i + 1, Some(e)),
    };
    let mut k = i + 1;
    while lexed.depth > 0 || lexed.continues {
        if lexed.depth < 0 {
            break;
        }
        let Some(line) = lines.get(k) else {
            return (toks, k, Some("a bracket opened in this statement is never closed".into()));
        };
        let (code, _) = strip_prompt(line);
        lexed = match lex_line(code, k + 1, lexed.depth, &mut toks) {
            Ok(l) => l,
            Err(e) => return (toks, k + 1, Some(e)),
        };
        k += 1;
    }
    if lexed.depth < 0 {
        return (toks, k, Some("a closing bracket has no opening one".into()));
    }
    (toks, k, None)
}

/// Reads `node` as a JSON value: numbers, strings, booleans, None, tuples and lists of them,
/// arithmetic on numbers and names bound to such values earlier (`num_classes = 10`).
fn value(node: &Node, consts: &HashMap<String, Value>) -> std::result::Result<Value, String> {
    use expr::Expr;
    Ok(match &node.expr {
        Expr::Num { value, int } => number(*value, *int),
        Expr::Str(s) => Value::String(s.clone()),
        Expr::Bool(b) => Value::Bool(*b),
        Expr::None => Value::Null,
        Expr::Name(parts) if parts.len() == 1 => match consts.get(&parts[0]) {
            Some(v) => v.clone(),
            None => return Err(format!("{} is not a value ConvPlay can read: write the value itself", parts[0])),
        },
        Expr::Name(parts) => return Err(format!("{} is not a value ConvPlay can read", parts.join("."))),
        Expr::Tuple(items) | Expr::List(items) => {
            Value::Array(items.iter().map(|n| value(n, consts)).collect::<std::result::Result<_, _>>()?)
        }
        Expr::Call(c) => return Err(format!("{}(...) is not a value ConvPlay can read here", c.callee.join("."))),
        Expr::Binary(op, a, b) => {
            let (a, b) = (value(a, consts)?, value(b, consts)?);
            let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                return Err(format!("\"{op}\" is read between numbers only"));
            };
            let int = a.is_i64() && b.is_i64() && *op != "/";
            let v = match *op {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "/" if y != 0.0 => x / y,
                "//" if y != 0.0 => (x / y).floor(),
                _ => return Err("division by zero".into()),
            };
            number(v, int)
        }
    })
}

fn number(v: f64, int: bool) -> Value {
    if int && v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null)
    }
}

/// Whether the tokens start with `name` `.` `method` `(`.
fn method_call(toks: &[Token], name: &str, method: &str) -> bool {
    matches!(
        (toks.first().map(|t| &t.tok), toks.get(1).map(|t| &t.tok), toks.get(2).map(|t| &t.tok), toks.get(3).map(|t| &t.tok)),
        (Some(Tok::Name(n)), Some(Tok::Op(".")), Some(Tok::Name(m)), Some(Tok::Op("("))) if n == name && m == method
    )
}

/// Parses `toks` from position `skip` as one expression filling the rest of the statement.
fn whole_expr(toks: &[Token], skip: usize) -> std::result::Result<Node, (usize, String)> {
    let mut p = Parser::new(toks);
    p.skip(skip);
    let node = p.expr()?;
    p.finish()?;
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_come_off() {
        assert_eq!(strip_prompt("In [3]: model = 1"), (" model = 1", true));
        assert_eq!(strip_prompt("In [ ]:"), ("", true));
        assert_eq!(strip_prompt("Out[4]: <keras.src.models.Sequential>"), ("", true));
        assert_eq!(strip_prompt(">>> x = 1"), ("x = 1", true));
        assert_eq!(strip_prompt("   ...:     layers.Dense(10),"), ("     layers.Dense(10),", true));
        assert_eq!(strip_prompt("model.add(x)"), ("model.add(x)", false));
    }
}
