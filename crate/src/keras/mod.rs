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
mod lines;
mod recipe;

pub use export::from_spec;

use crate::error::{Error, Result};
use crate::spec::ModelSpec;
use expr::{Node, Parser};
use lex::{Tok, Token};
use lines::{End, Lines};
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
    let read = Lines::read(text);
    let lines = &read.lines;
    let ignore_all = |st: &mut layers::State, from: usize, to: usize| {
        for (k, l) in lines.iter().enumerate().take(to + 1).skip(from) {
            if !l.empty || l.prompt {
                st.ignore(k + 1, l.text);
            }
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.empty || line.quoted {
            ignore_all(&mut st, i, i);
            i += 1;
            continue;
        }
        let model_like = |st: &layers::State, toks: &[lex::Token]| layers::looks_like_model_code(toks, st.model_var());
        if let Some(e) = &line.error {
            if model_like(&st, &line.toks) {
                st.errors.push(format!("line {}: {e}", i + 1));
            } else {
                ignore_all(&mut st, i, i);
            }
            i += 1;
            continue;
        }
        if !lines::starts_statement(&line.toks) {
            ignore_all(&mut st, i, i);
            i += 1;
            continue;
        }
        match read.end(i) {
            End::Unclosed => {
                if model_like(&st, &line.toks) {
                    st.errors.push(format!("line {}: a bracket opened here is never closed", i + 1));
                } else {
                    ignore_all(&mut st, i, i);
                }
                i += 1;
            }
            End::Problem(k, e) => {
                if model_like(&st, &read.tokens(i, k)) {
                    st.errors.push(format!("line {}: {e}", k + 1));
                } else {
                    ignore_all(&mut st, i, k);
                }
                i = k + 1;
            }
            End::At(k) => {
                if !st.statement(&read.tokens(i, k)) {
                    ignore_all(&mut st, i, k);
                }
                i = k + 1;
            }
        }
    }
    st.finish()
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
