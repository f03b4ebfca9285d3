//! The statements read: the model (`Sequential`), its layers (`model.add`), its input
//! (`model.build`), compile and fit, and constants (`num_classes = 10`); then the spec,
//! checked by the spec parser with its messages moved to the Keras lines.

use super::classes::{self, Read};
use super::expr::{Call, Expr, Node};
use super::lex::{Tok, Token};
use super::recipe::Recipe;
use super::{method_call, value, whole_expr, Ignored, Imported};
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::HashMap;

/// One layer of the model: its line, Keras class and spec fields.
struct Entry {
    line: usize,
    class: String,
    fields: Vec<(String, Value)>,
}

struct Model {
    /// The variable it is assigned to; None for `return keras.Sequential(...)`.
    var: Option<String>,
    line: usize,
    name: Option<String>,
}

#[derive(Default)]
pub(super) struct State {
    pub errors: Vec<String>,
    ignored: Vec<Ignored>,
    consts: HashMap<String, Value>,
    model: Option<Model>,
    layers: Vec<Entry>,
    input: Option<(Vec<u64>, usize)>,
    recipe: Recipe,
}

/// Whether unreadable tokens were meant as model code (so a problem there is an error, not an ignored line).
pub(super) fn looks_like_model_code(toks: &[Token], model_var: Option<&str>) -> bool {
    let import = matches!(toks.first().map(|t| &t.tok), Some(Tok::Name(n)) if n == "import" || n == "from");
    !import && super::lines::sequential_call(toks)
        || model_var.is_some_and(|v| ["add", "compile", "fit"].iter().any(|m| method_call(toks, v, m)))
}

impl State {
    pub fn ignore(&mut self, line: usize, text: &str) {
        self.ignored.push(Ignored { line, text: text.to_string() });
    }

    pub fn model_var(&self) -> Option<&str> {
        self.model.as_ref().and_then(|m| m.var.as_deref()).or(Some("model"))
    }

    fn err(&mut self, line: usize, msg: impl std::fmt::Display) {
        self.errors.push(format!("line {line}: {msg}"));
    }

    /// Reads one statement; false when it is not one of the subset (the caller lists it as ignored).
    pub fn statement(&mut self, toks: &[Token]) -> bool {
        let line = toks.first().map(|t| t.line).unwrap_or(1);
        let first = toks.first().map(|t| t.tok.clone());
        let assign = matches!(toks.get(1).map(|t| &t.tok), Some(Tok::Op("=")));
        let skip = match (&first, assign) {
            (Some(Tok::Name(_)), true) => 2,
            (Some(Tok::Name(r)), false) if r == "return" => 1,
            _ => 0,
        };
        let var = match (&first, assign) {
            (Some(Tok::Name(v)), true) => Some(v.clone()),
            _ => None,
        };
        let node = match whole_expr(toks, skip) {
            Ok(n) => n,
            Err((at, problem)) => {
                if looks_like_model_code(toks, self.model_var()) {
                    self.err(at, problem);
                    return true;
                }
                return false;
            }
        };
        let Expr::Call(call) = &node.expr else {
            // `num_classes = 10`, `input_shape = (28, 28, 1)`: a constant later lines may use.
            if let (Some(v), Ok(val)) = (&var, value(&node, &self.consts)) {
                self.consts.insert(v.clone(), val);
                return true;
            }
            return false;
        };
        let target = call.callee.first().cloned().unwrap_or_default();
        let on_model = call.callee.len() == 2 && self.model_var() == Some(target.as_str());
        match call.name() {
            "Sequential" => self.sequential(var, call, line),
            "Model" | "Functional" if (1..=3).contains(&call.callee.len()) && var.is_some() => {
                self.err(
                    line,
                    "the functional API (keras.Model(inputs, outputs)) is not read; write the model as \
                     keras.Sequential([...]) with the same layers",
                );
            }
            "add" if on_model && var.is_none() => self.add(call, line),
            "compile" if on_model && var.is_none() && self.model.is_some() => {
                if let Err(e) = self.recipe.compile(call, line, &self.consts) {
                    self.err(line, e);
                }
            }
            "fit" if on_model && self.model.is_some() => {
                if let Err(e) = self.recipe.fit(call, line, &self.consts) {
                    self.err(line, e);
                }
            }
            "build" if on_model && var.is_none() && self.model.is_some() => self.build(call, line),
            _ => return false,
        }
        true
    }

    fn sequential(&mut self, var: Option<String>, call: &Call, line: usize) {
        if let Some(first) = &self.model {
            let first = first.line;
            self.err(line, format!("a second model (the first is at line {first}); paste one model at a time"));
            return;
        }
        let mut name = None;
        for (k, v) in &call.kwargs {
            match (k.as_str(), value(v, &self.consts)) {
                ("name", Ok(Value::String(s))) => name = Some(s),
                ("layers", _) | ("trainable", _) => {}
                (other, _) => self.err(v.line, format!("Sequential's {other}= is not read by ConvPlay")),
            }
        }
        self.model = Some(Model { var, line, name });
        let list = call.args.first().or_else(|| call.kwargs.iter().find(|(k, _)| k == "layers").map(|(_, v)| v));
        match list.map(|n| &n.expr) {
            None | Some(Expr::None) => {}
            Some(Expr::List(items)) | Some(Expr::Tuple(items)) => {
                for item in items {
                    self.layer(item);
                }
            }
            Some(_) => self.err(line, "Sequential takes a list of layers: keras.Sequential([layers.Dense(10), ...])"),
        }
    }

    fn add(&mut self, call: &Call, line: usize) {
        if self.model.is_none() {
            self.err(line, "model.add(...) before the model is made: start with model = keras.Sequential()");
            return;
        }
        match call.args.as_slice() {
            [layer] if call.kwargs.is_empty() => self.layer(layer),
            _ => self.err(line, "model.add takes one layer: model.add(layers.Dense(10))"),
        }
    }

    fn build(&mut self, call: &Call, line: usize) {
        let shape = call.args.first().or_else(|| call.kwargs.iter().find(|(k, _)| k == "input_shape").map(|(_, v)| v));
        let read = shape.ok_or_else(|| "model.build needs the input shape".to_string()).and_then(|s| {
            let mut v = value(s, &self.consts)?;
            if let Value::Array(a) = &mut v {
                if a.first().is_some_and(Value::is_null) {
                    a.remove(0);
                }
            }
            classes::dims(&v)
        });
        match read {
            Ok(dims) => self.set_input(dims, line),
            Err(e) => self.err(line, e),
        }
    }

    fn set_input(&mut self, dims: Vec<u64>, line: usize) {
        match &self.input {
            Some((_, first)) => {
                let first = *first;
                self.err(line, format!("a second input shape (the first is at line {first}); give it once"))
            }
            None => self.input = Some((dims, line)),
        }
    }

    /// One element of the layer list or argument of model.add.
    fn layer(&mut self, node: &Node) {
        let line = node.line;
        let Expr::Call(call) = &node.expr else {
            self.err(line, "expected a layer such as layers.Conv2D(32, 3, activation=\"relu\")");
            return;
        };
        match classes::layer(call, &self.consts) {
            Err(e) => self.err(line, e),
            Ok(Read { fields, input }) => {
                if let Some(dims) = input {
                    if !self.layers.is_empty() {
                        self.err(line, "the input shape belongs to the first layer (or keras.Input before it)");
                        return;
                    }
                    self.set_input(dims, line);
                }
                if !fields.is_empty() {
                    self.layers.push(Entry { line, class: call.name().to_string(), fields });
                }
            }
        }
    }

    /// The spec, checked by the spec parser; every problem placed at its Keras line.
    pub fn finish(mut self) -> Result<Imported> {
        let Some(model) = self.model.take() else {
            if !self.errors.is_empty() {
                return Err(Error::Spec(self.errors));
            }
            self.errors.push(
                "no Keras model found: paste code with model = keras.Sequential([...]) or model = Sequential() and \
                 model.add(...)"
                    .into(),
            );
            return Err(Error::Spec(self.errors));
        };
        if self.layers.is_empty() {
            self.err(model.line, "the model has no layers: add them in the list or with model.add(...)");
        }
        if self.input.is_none() {
            self.err(
                model.line,
                "the model has no input shape: give the first layer input_shape=(28, 28, 1), or start the list \
                 with keras.Input(shape=(28, 28, 1))",
            );
        }
        if !self.errors.is_empty() {
            return Err(Error::Spec(self.errors));
        }
        // from_logits=True: the softmax is in the loss; ConvPlay's last layer carries it (and
        // fuses it with the loss while training), so the model is the same.
        if self.recipe.from_logits {
            if let Some(last) = self.layers.last_mut() {
                let linear = match last.fields.iter().find(|(f, _)| f == "activation") {
                    None => true,
                    Some((_, v)) => v.is_null() || v == "linear",
                };
                if last.fields.first().is_some_and(|(_, t)| t == "dense") && linear {
                    last.fields.retain(|(f, _)| f != "activation");
                    last.fields.push(("activation".into(), Value::from("softmax")));
                }
            }
        }
        let json = self.json(&model);
        match crate::spec::parse(&json) {
            Ok(spec) => Ok(Imported { json, spec, ignored: self.ignored }),
            Err(Error::Spec(problems)) => Err(Error::Spec(problems.iter().map(|p| self.place(p)).collect())),
            Err(other) => Err(other),
        }
    }

    /// The spec text: one layer per line.
    fn json(&self, model: &Model) -> String {
        let object = |fields: &[(String, Value)]| {
            let parts: Vec<String> =
                fields.iter().map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), v)).collect();
            format!("{{{}}}", parts.join(", "))
        };
        let name = model.name.clone().unwrap_or_else(|| "keras-model".into());
        let (dims, _) = self.input.as_ref().map(|(d, l)| (d.clone(), *l)).unwrap_or_default();
        let layers: Vec<String> = self.layers.iter().map(|e| format!("    {}", object(&e.fields))).collect();
        let mut out = format!(
            "{{\n  \"name\": {},\n  \"input\": {},\n  \"layers\": [\n{}\n  ]",
            Value::from(name),
            text("input", &Value::from(dims)),
            layers.join(",\n")
        );
        if let Some(training) = self.recipe.json() {
            out.push_str(&format!(",\n  \"training\": {}", object(&training)));
        }
        out.push_str("\n}\n");
        out
    }

    /// A spec message placed at its Keras line: "layers[3] (conv2d): …" → "line 9 (Conv2D): …".
    fn place(&self, problem: &str) -> String {
        if let Some((index, rest)) = problem.strip_prefix("layers[").and_then(|r| r.split_once(']')) {
            if let Some(entry) = index.parse::<usize>().ok().and_then(|i| self.layers.get(i)) {
                let after = match rest.strip_prefix(" (") {
                    Some(a) => a.find(')').map(|p| &a[p + 1..]).unwrap_or(rest),
                    None => rest,
                };
                return format!("line {} ({}){after}", entry.line, entry.class);
            }
        }
        if problem.starts_with("spec.training") {
            let line = if problem.starts_with("spec.training.epochs") || problem.starts_with("spec.training.batch") {
                self.recipe.fit_line.or(self.recipe.compile_line)
            } else {
                self.recipe.compile_line.or(self.recipe.fit_line)
            };
            if let Some(line) = line {
                return format!("line {line}: {problem}");
            }
        }
        problem.to_string()
    }
}

/// A field's value as spec text: lists spaced, and a square size (3, 3) written as 3.
fn text(key: &str, v: &Value) -> String {
    match v {
        Value::Array(a) if a.len() == 2 && a[0] == a[1] && ["kernel_size", "pool_size", "strides"].contains(&key) => {
            a[0].to_string()
        }
        Value::Array(a) => format!("[{}]", a.iter().map(|x| text("", x)).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}
