//! `model.compile(optimizer=..., loss=...)` and `model.fit(..., epochs=..., batch_size=...)`
//! read into the spec's recipe ("training").

use super::classes::show;
use super::expr::{Call, Expr, Node};
use super::value;
use serde_json::Value;
use std::collections::HashMap;

/// What compile and fit said, with Keras's defaults where they said nothing.
#[derive(Default)]
pub(super) struct Recipe {
    pub optimizer: Option<&'static str>,
    pub lr: Option<f64>,
    pub weight_decay: Option<f64>,
    pub schedule: Option<&'static str>,
    /// The loss takes logits (`from_logits=True`): the last layer's softmax is in the loss.
    pub from_logits: bool,
    pub epochs: Option<u64>,
    pub batch: Option<u64>,
    /// The line of compile and of fit, for placing the spec's messages about them.
    pub compile_line: Option<usize>,
    pub fit_line: Option<usize>,
}

impl Recipe {
    /// The "training" object, when compile or fit was read.
    pub fn json(&self) -> Option<Vec<(String, Value)>> {
        if self.compile_line.is_none() && self.fit_line.is_none() {
            return None;
        }
        let mut out = vec![];
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                out.push((k.to_string(), v));
            }
        };
        put("epochs", self.epochs.map(Value::from));
        put("batch", self.batch.map(Value::from));
        put("optimizer", self.optimizer.map(Value::from));
        put("lr", self.lr.map(Value::from));
        put("weight_decay", self.weight_decay.map(Value::from));
        put("schedule", self.schedule.map(Value::from));
        Some(out)
    }

    pub fn compile(&mut self, call: &Call, line: usize, consts: &HashMap<String, Value>) -> Result<(), String> {
        self.compile_line = Some(line);
        let names = ["optimizer", "loss", "metrics"];
        if call.args.len() > names.len() {
            return Err("compile takes optimizer, loss and metrics by position; name the others".into());
        }
        let given = names
            .iter()
            .map(|n| n.to_string())
            .zip(call.args.iter())
            .chain(call.kwargs.iter().map(|(k, v)| (k.clone(), v)));
        // Keras's default optimizer is RMSprop, which ConvPlay does not have.
        let mut optimizer = None;
        for (k, v) in given {
            match k.as_str() {
                "optimizer" => optimizer = Some(v),
                "loss" => self.loss(v, consts)?,
                "metrics"
                | "weighted_metrics"
                | "run_eagerly"
                | "jit_compile"
                | "steps_per_execution"
                | "auto_scale_loss" => {}
                other => {
                    return Err(format!("compile's {other}= is not read by ConvPlay; it reads optimizer and loss"))
                }
            }
        }
        match optimizer {
            Some(o) => self.optimizer(o, consts),
            None => Err("compile has no optimizer, so Keras would use RMSprop, which ConvPlay does not have; \
                         give optimizer=\"adam\""
                .into()),
        }
    }

    fn optimizer(&mut self, node: &Node, consts: &HashMap<String, Value>) -> Result<(), String> {
        let (name, call) = named(node, consts, "optimizer", "adam")?;
        let (kind, default_lr) = match name.to_ascii_lowercase().as_str() {
            "adam" => ("adam", 0.001),
            "adamw" => ("adamw", 0.001),
            "sgd" => ("sgd", 0.01),
            _ => {
                return Err(format!(
                    "the optimizer {name} is not supported; ConvPlay trains with Adam, AdamW or SGD \
                     (momentum 0.9, Nesterov)"
                ))
            }
        };
        self.optimizer = Some(kind);
        self.lr = Some(default_lr);
        self.schedule = Some("constant");
        let (mut momentum, mut nesterov) = (0.0, false);
        if let Some(call) = call {
            let names = ["learning_rate", "beta_1", "beta_2", "epsilon"];
            let sgd_names = ["learning_rate", "momentum", "nesterov"];
            let positional: &[&str] = if kind == "sgd" { &sgd_names } else { &names };
            let given = positional
                .iter()
                .map(|n| n.to_string())
                .zip(call.args.iter())
                .chain(call.kwargs.iter().map(|(k, v)| (k.clone(), v)));
            for (k, v) in given {
                match k.as_str() {
                    "learning_rate" | "lr" => self.learning_rate(v, consts)?,
                    "weight_decay" => {
                        let w = value(v, consts)?;
                        self.weight_decay =
                            if w.is_null() { None } else { Some(w.as_f64().ok_or("weight_decay must be a number")?) };
                    }
                    "momentum" if kind == "sgd" => {
                        momentum = value(v, consts)?.as_f64().ok_or("momentum must be a number")?
                    }
                    "nesterov" if kind == "sgd" => nesterov = value(v, consts)? == Value::Bool(true),
                    "beta_1" | "beta_2" | "epsilon" if kind != "sgd" => {
                        let want = match k.as_str() {
                            "beta_1" => 0.9,
                            "beta_2" => 0.999,
                            _ => 1e-7,
                        };
                        let got = value(v, consts)?;
                        if got.as_f64() != Some(want) {
                            return Err(format!(
                                "{name}'s {k}={} is not supported by ConvPlay (only the default, {want})",
                                show(&got)
                            ));
                        }
                    }
                    "name" | "amsgrad" if k == "name" || value(v, consts)? == Value::Bool(false) => {}
                    "clipnorm"
                    | "clipvalue"
                    | "global_clipnorm"
                    | "use_ema"
                    | "ema_momentum"
                    | "loss_scale_factor"
                    | "gradient_accumulation_steps"
                        if value(v, consts)?.is_null() || value(v, consts)? == Value::Bool(false) => {}
                    other => {
                        return Err(format!(
                            "{name}'s {other}= is not supported by ConvPlay; it reads learning_rate and weight_decay"
                        ))
                    }
                }
            }
        }
        // Keras 3 decays weights decoupled, AdamW's way, for every optimizer; ConvPlay's Adam and
        // SGD take an L2 term instead.
        if self.weight_decay.is_some() && kind == "adam" {
            self.optimizer = Some("adamw");
        }
        if self.weight_decay.is_some() && kind == "sgd" {
            return Err("SGD's weight_decay= is decoupled in Keras, and ConvPlay's SGD has an L2 term instead; \
                        leave it out, or use keras.optimizers.AdamW(weight_decay=...)"
                .into());
        }
        if kind == "sgd" && !(momentum == 0.9 && nesterov) {
            return Err("ConvPlay's SGD has Nesterov momentum 0.9: write keras.optimizers.SGD(learning_rate=0.01, \
                        momentum=0.9, nesterov=True), or use \"adam\""
                .into());
        }
        Ok(())
    }

    /// A number, or one of Keras's schedules that ConvPlay has (decay_steps is not read:
    /// ConvPlay's schedules span the whole run).
    fn learning_rate(&mut self, node: &Node, consts: &HashMap<String, Value>) -> Result<(), String> {
        let Expr::Call(c) = &node.expr else {
            let v = value(node, consts)?;
            self.lr = Some(v.as_f64().ok_or_else(|| format!("learning_rate={} must be a number", show(&v)))?);
            return Ok(());
        };
        let kw = |k: &str, at: usize| c.kwargs.iter().find(|(n, _)| n == k).map(|(_, v)| v).or(c.args.get(at));
        let num = |k: &str, at: usize| -> Result<Option<f64>, String> {
            match kw(k, at) {
                None => Ok(None),
                Some(v) => {
                    let v = value(v, consts)?;
                    v.as_f64().map(Some).ok_or_else(|| format!("{}'s {k} must be a number, got {}", c.name(), show(&v)))
                }
            }
        };
        match c.name() {
            "CosineDecay" => match num("warmup_target", 4)? {
                None => {
                    self.schedule = Some("cosine");
                    self.lr = num("initial_learning_rate", 0)?;
                }
                Some(peak) => {
                    self.schedule = Some("onecycle");
                    self.lr = Some(peak);
                }
            },
            "ExponentialDecay" if num("decay_rate", 2)? == Some(0.5) && kw("staircase", 3).is_some() => {
                self.schedule = Some("step");
                self.lr = num("initial_learning_rate", 0)?;
            }
            other => {
                return Err(format!(
                    "the learning-rate schedule {other} is not read; ConvPlay's schedules are a constant rate, \
                     CosineDecay (cosine, or one-cycle with warmup_target) and ExponentialDecay(decay_rate=0.5, \
                     staircase=True) (halve every epoch)"
                ))
            }
        }
        Ok(())
    }

    fn loss(&mut self, node: &Node, consts: &HashMap<String, Value>) -> Result<(), String> {
        let (name, call) = named(node, consts, "loss", "sparse_categorical_crossentropy")?;
        let squashed: String = name.chars().filter(|c| *c != '_').collect::<String>().to_ascii_lowercase();
        if !matches!(squashed.as_str(), "sparsecategoricalcrossentropy" | "categoricalcrossentropy") {
            return Err(format!(
                "the loss {name} is not supported; ConvPlay trains classifiers with softmax cross-entropy \
                 (\"sparse_categorical_crossentropy\")"
            ));
        }
        if let Some(c) = call {
            for (k, v) in &c.kwargs {
                match k.as_str() {
                    "from_logits" => self.from_logits = value(v, consts)? == Value::Bool(true),
                    "name" | "reduction" => {}
                    "label_smoothing" | "ignore_class"
                        if matches!(value(v, consts)?, Value::Null) || value(v, consts)?.as_f64() == Some(0.0) => {}
                    other => return Err(format!("{name}'s {other}= is not supported by ConvPlay")),
                }
            }
        }
        Ok(())
    }

    pub fn fit(&mut self, call: &Call, line: usize, consts: &HashMap<String, Value>) -> Result<(), String> {
        self.fit_line = Some(line);
        // Keras's defaults: 1 epoch, batch 32.
        self.epochs = Some(1);
        self.batch = Some(32);
        let positional = ["x", "y", "batch_size", "epochs"];
        let given = positional
            .iter()
            .map(|n| n.to_string())
            .zip(call.args.iter())
            .chain(call.kwargs.iter().map(|(k, v)| (k.clone(), v)));
        for (k, v) in given {
            let slot = match k.as_str() {
                "epochs" => &mut self.epochs,
                "batch_size" => &mut self.batch,
                _ => continue,
            };
            let got = value(v, consts).map_err(|e| format!("fit's {k}: {e}"))?;
            if got.is_null() {
                continue;
            }
            *slot = Some(
                got.as_u64()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("fit's {k}={} must be a whole number ≥ 1", show(&got)))?,
            );
        }
        Ok(())
    }
}

/// What `optimizer=` and `loss=` take: a string, a dotted name (`keras.losses.X`) or a call
/// (`Adam(learning_rate=…)`): the name, and the call when there is one.
fn named<'a>(
    node: &'a Node,
    consts: &HashMap<String, Value>,
    key: &str,
    example: &str,
) -> Result<(String, Option<&'a Call>), String> {
    Ok(match &node.expr {
        Expr::Call(c) => (c.name().to_string(), Some(c)),
        Expr::Name(parts) if parts.len() > 1 => (parts.last().cloned().unwrap_or_default(), None),
        _ => match value(node, consts)? {
            Value::String(s) => (s, None),
            other => return Err(format!("{key}={} must be a name such as \"{example}\"", show(&other))),
        },
    })
}
