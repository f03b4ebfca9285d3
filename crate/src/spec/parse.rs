//! The JSON walker: reads a spec with precise places for errors, applies Keras
//! defaults, and infers every layer's output shape as it goes, so a layer that
//! cannot work with its input is reported where it stands.

use super::*;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Parses and validates a spec; every problem found is in the error, one per line.
pub fn parse(json: &str) -> Result<ModelSpec> {
    let value: Value = serde_json::from_str(json).map_err(|e| {
        Error::Spec(vec![format!(
            "the spec is not valid JSON: {e} (check for a missing comma, quote or bracket there)"
        )])
    })?;
    parse_value(&value)
}

pub fn parse_value(value: &Value) -> Result<ModelSpec> {
    let mut cx = Cx::default();
    let spec = cx.model(value);
    match spec {
        Some(spec) if cx.errors.is_empty() => Ok(spec),
        _ => Err(Error::Spec(cx.errors)),
    }
}

#[derive(Default)]
struct Cx {
    errors: Vec<String>,
    /// Per type, how many layers were auto-named so far (Keras numbers from 1).
    counters: HashMap<&'static str, usize>,
}

/// One JSON object being read; remembers which keys were used so that the
/// rest can be reported as unknown.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    place: String,
    used: Vec<&'static str>,
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Edit distance, for "did you mean" on misspelt keys and types.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + (ca != cb) as usize).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn closest<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| {
            let w = word.to_lowercase();
            let d = if o.starts_with(&w) || w.starts_with(o) { 1 } else { distance(&w, o) };
            (d, *o)
        })
        .filter(|(d, o)| *d <= 2.max(o.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

impl<'a> Obj<'a> {
    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A whole number ≥ min, or the default when absent.
    fn count(&mut self, cx: &mut Cx, key: &'static str, default: Option<usize>, min: usize) -> Option<usize> {
        let place = self.place.clone();
        match self.get(key) {
            None => {
                if default.is_none() {
                    cx.errors.push(format!("{place}: missing \"{key}\": add it, e.g. \"{key}\": {}", example(key)));
                }
                default
            }
            Some(v) => match v.as_f64() {
                Some(x) if x.fract() == 0.0 && x >= min as f64 && x <= u32::MAX as f64 => Some(x as usize),
                Some(x) if x.fract() == 0.0 && x < min as f64 => {
                    cx.errors.push(format!("{place}: \"{key}\" is {x} but must be at least {min}"));
                    None
                }
                _ => {
                    cx.errors.push(format!("{place}: \"{key}\" must be a whole number, got {}", describe(v)));
                    None
                }
            },
        }
    }

    /// A size given as one number (square) or [height, width].
    fn pair(&mut self, cx: &mut Cx, key: &'static str, default: Option<(usize, usize)>) -> Option<(usize, usize)> {
        let place = self.place.clone();
        let v = match self.get(key) {
            None => {
                if default.is_none() {
                    cx.errors.push(format!("{place}: missing \"{key}\": add it, e.g. \"{key}\": {}", example(key)));
                }
                return default;
            }
            Some(v) => v,
        };
        let one =
            |x: &Value| x.as_f64().filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f <= 65_536.0).map(|f| f as usize);
        let got = match v {
            Value::Array(a) if a.len() == 2 => one(&a[0]).zip(one(&a[1])),
            Value::Array(_) => None,
            x => one(x).map(|n| (n, n)),
        };
        if got.is_none() {
            let what = match v {
                Value::Array(a) => format!("a list of {} values", a.len()),
                x => describe(x),
            };
            cx.errors
                .push(format!("{place}: \"{key}\" must be a whole number ≥ 1 or [height, width] of them, got {what}"));
        }
        got
    }

    fn real(&mut self, cx: &mut Cx, key: &'static str, default: f32, ok: fn(f32) -> bool, rule: &str) -> Option<f32> {
        let place = self.place.clone();
        match self.get(key) {
            None => Some(default),
            Some(v) => match v.as_f64() {
                Some(x) if ok(x as f32) => Some(x as f32),
                Some(x) => {
                    cx.errors.push(format!("{place}: \"{key}\" is {x} but {rule}"));
                    None
                }
                None => {
                    cx.errors.push(format!("{place}: \"{key}\" must be a number, got {}", describe(v)));
                    None
                }
            },
        }
    }

    fn flag(&mut self, cx: &mut Cx, key: &'static str, default: bool) -> Option<bool> {
        let place = self.place.clone();
        match self.get(key) {
            None => Some(default),
            Some(Value::Bool(b)) => Some(*b),
            Some(v) => {
                cx.errors.push(format!("{place}: \"{key}\" must be true or false, got {}", describe(v)));
                None
            }
        }
    }

    fn init(&mut self, cx: &mut Cx) -> Option<Init> {
        let place = self.place.clone();
        match self.get("kernel_initializer") {
            None => Some(Init::GlorotUniform),
            Some(Value::String(s)) if s == "glorot_uniform" => Some(Init::GlorotUniform),
            Some(Value::String(s)) if s == "he_uniform" => Some(Init::HeUniform),
            Some(v) => {
                cx.errors.push(format!(
                    "{place}: \"kernel_initializer\" must be \"glorot_uniform\" (the default) or \"he_uniform\", got {}",
                    describe(v)
                ));
                None
            }
        }
    }

    fn padding(&mut self, cx: &mut Cx) -> Option<Padding> {
        let place = self.place.clone();
        match self.get("padding") {
            None => Some(Padding::Valid),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("valid") => Some(Padding::Valid),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("same") => Some(Padding::Same),
            Some(v) => {
                cx.errors.push(format!("{place}: \"padding\" must be \"valid\" or \"same\", got {}", describe(v)));
                None
            }
        }
    }

    fn activation(&mut self, cx: &mut Cx, key: &'static str) -> Option<Activation> {
        let place = self.place.clone();
        match self.get(key) {
            None => Some(Activation::Linear),
            Some(Value::String(s)) => activation_named(s).or_else(|| {
                let hint = closest(s, ACTIVATIONS).map(|c| format!(" (did you mean \"{c}\"?)")).unwrap_or_default();
                cx.errors.push(format!(
                    "{place}: unknown activation {s:?}{hint}; use one of {}",
                    ACTIVATIONS.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
                ));
                None
            }),
            Some(v) => {
                cx.errors.push(format!("{place}: \"{key}\" must be a name such as \"relu\", got {}", describe(v)));
                None
            }
        }
    }

    /// Reports keys nobody asked for (typos, fields of another layer type).
    fn finish(self, cx: &mut Cx) {
        let mut known: Vec<&str> = self.used.clone();
        known.retain(|k| *k != "type" && *k != "name");
        for key in self.map.keys() {
            if self.used.contains(&key.as_str()) || key == "type" || key == "name" || key == "trainable" {
                continue;
            }
            let hint = closest(key, &known).map(|c| format!("did you mean \"{c}\"? ")).unwrap_or_default();
            let fields = if known.is_empty() {
                "it takes no fields".to_string()
            } else {
                format!("its fields are {}", known.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", "))
            };
            cx.errors.push(format!("{}: unknown field \"{key}\": {hint}{fields}", self.place));
        }
    }
}

const ACTIVATIONS: &[&str] = &["linear", "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax"];

fn activation_named(s: &str) -> Option<Activation> {
    Some(match s.to_ascii_lowercase().as_str() {
        "linear" | "none" => Activation::Linear,
        "relu" => Activation::Relu,
        "relu6" => Activation::Relu6,
        // Keras's activation function leaky_relu has negative_slope 0.2 (its layer LeakyReLU: 0.3).
        "leaky_relu" | "leakyrelu" => Activation::LeakyRelu { alpha: 0.2 },
        "sigmoid" => Activation::Sigmoid,
        "tanh" => Activation::Tanh,
        "softmax" => Activation::Softmax,
        _ => return None,
    })
}

fn example(key: &str) -> &'static str {
    match key {
        "filters" => "32",
        "kernel_size" => "3",
        "units" => "64",
        "rate" => "0.25",
        "layers" => "[ … ]",
        "branches" => "[[ … ], [ … ]]",
        _ => "…",
    }
}

const TYPES: &[&str] = &[
    "conv2d",
    "depthwise_conv2d",
    "separable_conv2d",
    "max_pool2d",
    "avg_pool2d",
    "global_avg_pool2d",
    "batch_norm",
    "dense",
    "flatten",
    "activation",
    "relu",
    "leaky_relu",
    "softmax",
    "dropout",
    "lrn",
    "residual",
    "concat",
    "squeeze_excite",
];

/// The canonical type for a name; Keras class names and a few common spellings are accepted.
fn canonical_type(name: &str) -> Option<&'static str> {
    let n: String = name.chars().filter(|c| *c != '_' && *c != '-').collect::<String>().to_ascii_lowercase();
    Some(match n.as_str() {
        "conv2d" | "convolution2d" => "conv2d",
        "depthwiseconv2d" => "depthwise_conv2d",
        "separableconv2d" => "separable_conv2d",
        "maxpool2d" | "maxpooling2d" | "maxpool" => "max_pool2d",
        "avgpool2d" | "averagepooling2d" | "avgpooling2d" | "averagepool2d" => "avg_pool2d",
        "globalavgpool2d" | "globalaveragepooling2d" | "globalavgpooling2d" => "global_avg_pool2d",
        "batchnorm" | "batchnormalization" | "bn" => "batch_norm",
        "dense" | "linear" | "fullyconnected" => "dense",
        "flatten" => "flatten",
        "activation" => "activation",
        "relu" => "relu",
        "leakyrelu" => "leaky_relu",
        "softmax" => "softmax",
        "dropout" => "dropout",
        "lrn" | "localresponsenormalization" => "lrn",
        "residual" | "add" => "residual",
        "concat" | "concatenate" | "parallel" | "inception" => "concat",
        "squeezeexcite" | "squeezeexcitation" | "se" => "squeeze_excite",
        _ => return None,
    })
}

fn need_map(cx: &mut Cx, place: &str, what: &str, input: Shape) -> Option<(usize, usize, usize)> {
    match input {
        Shape::Map { h, w, c } => Some((h, w, c)),
        Shape::Flat(n) => {
            cx.errors.push(format!(
                "{place}: {what} needs a height×width×channels input but gets a flat vector of {n}; \
                 move it before the flatten (or dense) layer"
            ));
            None
        }
    }
}

/// Output size of a sliding window, or an error that says why it does not fit.
#[allow(clippy::too_many_arguments)]
fn window(
    cx: &mut Cx,
    place: &str,
    what: &str,
    (h, w): (usize, usize),
    k: (usize, usize),
    s: (usize, usize),
    padding: Padding,
) -> Option<(usize, usize)> {
    match (shape::conv_out(h, k.0, s.0, padding), shape::conv_out(w, k.1, s.1, padding)) {
        (Some(oh), Some(ow)) => Some((oh, ow)),
        _ => {
            cx.errors.push(format!(
                "{place}: {what} {}×{} does not fit input {h}×{w} with padding \"valid\"; \
                 use padding \"same\", a smaller {what}, or fewer downsampling layers before it",
                k.0, k.1
            ));
            None
        }
    }
}

impl Cx {
    fn model(&mut self, v: &Value) -> Option<ModelSpec> {
        let Value::Object(map) = v else {
            self.errors.push(format!(
                "the spec must be an object like {{\"input\": [28, 28, 1], \"layers\": [ … ]}}, got {}",
                describe(v)
            ));
            return None;
        };
        let mut o = Obj { map, place: "spec".into(), used: vec![] };
        let name = match o.get("name") {
            None => "model".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => {
                self.errors.push(format!("spec: \"name\" must be a string, got {}", describe(v)));
                "model".into()
            }
        };
        o.get("description");
        let input = match o.get("input").or_else(|| o.get("input_shape")) {
            None => {
                self.errors.push("spec: missing \"input\": add the input shape, e.g. \"input\": [28, 28, 1] (height, width, channels)".into());
                None
            }
            Some(v) => self.input(v),
        };
        let layers = match o.get("layers") {
            Some(Value::Array(items)) if !items.is_empty() => Some(items),
            Some(Value::Array(_)) => {
                self.errors.push("spec: \"layers\" is empty: add at least one layer".into());
                None
            }
            Some(v) => {
                self.errors.push(format!("spec: \"layers\" must be a list of layers, got {}", describe(v)));
                None
            }
            None => {
                self.errors.push("spec: missing \"layers\": add the list of layers, e.g. \"layers\": [{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 10}]".into());
                None
            }
        };
        let training = o.get("training").and_then(|t| self.recipe(t));
        for key in map.keys() {
            if !["name", "description", "input", "input_shape", "layers", "training"].contains(&key.as_str()) {
                let hint = closest(key, &["name", "description", "input", "layers", "training"])
                    .map(|c| format!("did you mean \"{c}\"? "))
                    .unwrap_or_default();
                self.errors.push(format!(
                    "spec: unknown field \"{key}\": {hint}a spec has \"name\", \"description\", \"input\", \"layers\" and optionally \"training\""
                ));
            }
        }
        let (layers, _) = self.sequence(layers?, "layers", input);
        Some(ModelSpec { source: v.clone(), name, input: input?, layers: layers?, training })
    }

    /// The optional "training" object: recommended epochs, batch, optimizer, lr, weight decay, schedule, augment.
    fn recipe(&mut self, v: &Value) -> Option<Recipe> {
        let Value::Object(map) = v else {
            self.errors.push(format!(
                "spec.training must be an object like {{\"batch\": 32, \"lr\": 0.003, \"schedule\": \"onecycle\"}}, got {}",
                describe(v)
            ));
            return None;
        };
        const FIELDS: [&str; 7] = ["epochs", "batch", "optimizer", "lr", "weight_decay", "schedule", "augment"];
        let before = self.errors.len();
        let count = |me: &mut Self, key: &str| -> Option<usize> {
            let v = map.get(key)?;
            match v.as_u64().filter(|&n| (1..=100_000).contains(&n)) {
                Some(n) => Some(n as usize),
                None => {
                    me.errors.push(format!("spec.training.{key} must be a whole number ≥ 1, got {}", describe(v)));
                    None
                }
            }
        };
        let choice = |me: &mut Self, key: &str, allowed: &[&str]| -> Option<String> {
            let v = map.get(key)?;
            match v.as_str().filter(|s| allowed.contains(s)) {
                Some(s) => Some(s.to_string()),
                None => {
                    me.errors.push(format!(
                        "spec.training.{key} must be one of {}, got {}",
                        allowed.join(", "),
                        describe(v)
                    ));
                    None
                }
            }
        };
        let epochs = count(self, "epochs");
        let batch = count(self, "batch");
        let optimizer = choice(self, "optimizer", &["adam", "adamw", "sgd"]);
        let schedule = choice(self, "schedule", &["constant", "step", "cosine", "onecycle"]);
        let lr = map.get("lr").and_then(|v| match v.as_f64().filter(|f| *f > 0.0 && *f < 10.0) {
            Some(f) => Some(f as f32),
            None => {
                self.errors.push(format!(
                    "spec.training.lr must be a positive number below 10, e.g. 0.001, got {}",
                    describe(v)
                ));
                None
            }
        });
        let weight_decay = map.get("weight_decay").and_then(|v| match v.as_f64().filter(|f| (0.0..1.0).contains(f)) {
            Some(f) => Some(f as f32),
            None => {
                self.errors.push(format!(
                    "spec.training.weight_decay must be a number from 0 up to (not including) 1, e.g. 0.004, got {}",
                    describe(v)
                ));
                None
            }
        });
        let augment = map.get("augment").and_then(|v| {
            match serde_json::from_value::<crate::backend::cpu::augment::Augment>(v.clone()) {
                Ok(a) => Some(a),
                Err(e) => {
                    self.errors.push(format!(
                        "spec.training.augment must be {{\"shift\": pixels, \"rotate_deg\": degrees, \"scale\": fraction}}: {e}"
                    ));
                    None
                }
            }
        });
        for key in map.keys() {
            if !FIELDS.contains(&key.as_str()) {
                let hint = closest(key, &FIELDS).map(|c| format!("did you mean \"{c}\"? ")).unwrap_or_default();
                self.errors
                    .push(format!("spec.training: unknown field \"{key}\": {hint}it may have {}", FIELDS.join(", ")));
            }
        }
        (self.errors.len() == before).then_some(Recipe {
            epochs,
            batch,
            optimizer,
            lr,
            weight_decay,
            schedule,
            augment,
        })
    }

    fn input(&mut self, v: &Value) -> Option<Shape> {
        let dims: Option<Vec<usize>> = v.as_array().and_then(|a| {
            a.iter()
                .map(|x| x.as_f64().filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f <= 1e6).map(|f| f as usize))
                .collect()
        });
        match dims.as_deref() {
            Some(&[h, w, c]) => Some(Shape::Map { h, w, c }),
            Some(&[n]) => Some(Shape::Flat(n)),
            _ => {
                self.errors.push(format!(
                    "spec: \"input\" must be [height, width, channels] of whole numbers ≥ 1, like [28, 28, 1] \
                     (or [n] for a flat vector), got {}",
                    serde_json::to_string(v).unwrap_or_default()
                ));
                None
            }
        }
    }

    /// Layers in order; returns them (None if any failed) and the final shape (None if unknown).
    fn sequence(&mut self, items: &[Value], path: &str, input: Option<Shape>) -> (Option<Vec<Layer>>, Option<Shape>) {
        let mut out = Some(Vec::with_capacity(items.len()));
        let mut shape = input;
        for (i, item) in items.iter().enumerate() {
            let (layer, next) = self.layer(item, &format!("{path}[{i}]"), shape);
            match (layer, out.as_mut()) {
                (Some(l), Some(v)) => v.push(l),
                _ => out = None,
            }
            shape = next;
        }
        (out, shape)
    }

    fn auto_name(&mut self, ty: &'static str) -> String {
        let n = self.counters.entry(ty).or_insert(0);
        *n += 1;
        format!("{ty}_{n}")
    }

    fn layer(&mut self, v: &Value, path: &str, input: Option<Shape>) -> (Option<Layer>, Option<Shape>) {
        let Value::Object(map) = v else {
            self.errors.push(format!(
                "{path}: a layer must be an object like {{\"type\": \"conv2d\", …}}, got {}",
                describe(v)
            ));
            return (None, None);
        };
        let ty = match map.get("type") {
            Some(Value::String(s)) => match canonical_type(s) {
                Some(t) => t,
                None => {
                    let hint = closest(s, TYPES).map(|c| format!(" (did you mean \"{c}\"?)")).unwrap_or_default();
                    self.errors
                        .push(format!("{path}: unknown layer type {s:?}{hint}; known types: {}", TYPES.join(", ")));
                    return (None, None);
                }
            },
            Some(other) => {
                self.errors
                    .push(format!("{path}: \"type\" must be a string such as \"conv2d\", got {}", describe(other)));
                return (None, None);
            }
            None => {
                self.errors
                    .push(format!("{path}: missing \"type\": say which layer this is, e.g. \"type\": \"conv2d\""));
                return (None, None);
            }
        };
        let place = format!("{path} ({ty})");
        let name = match map.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                self.errors.push(format!("{place}: \"name\" must be a string, got {}", describe(other)));
                String::new()
            }
            None => self.auto_name(ty),
        };
        let trainable = match map.get("trainable") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.errors.push(format!("{place}: \"trainable\" must be true or false, got {}", describe(other)));
                true
            }
        };
        let mut o = Obj { map, place: place.clone(), used: vec![] };
        let (kind, shape) = self.kind(ty, &mut o, path, input);
        o.finish(self);
        (kind.map(|kind| Layer { name, kind, trainable }), shape)
    }

    fn kind(
        &mut self,
        ty: &'static str,
        o: &mut Obj,
        path: &str,
        input: Option<Shape>,
    ) -> (Option<LayerKind>, Option<Shape>) {
        let place = o.place.clone();
        let map_in = |cx: &mut Cx, what: &str| input.and_then(|s| need_map(cx, &place, what, s));
        match ty {
            "conv2d" | "separable_conv2d" => {
                let filters = o.count(self, "filters", None, 1);
                let kernel = o.pair(self, "kernel_size", None);
                let strides = o.pair(self, "strides", Some((1, 1)));
                let padding = o.padding(self);
                let activation = o.activation(self, "activation");
                let use_bias = o.flag(self, "use_bias", true);
                let init = o.init(self);
                let (
                    Some(filters),
                    Some(kernel),
                    Some(strides),
                    Some(padding),
                    Some(activation),
                    Some(use_bias),
                    Some(init),
                ) = (filters, kernel, strides, padding, activation, use_bias, init)
                else {
                    return (None, None);
                };
                let what = if ty == "conv2d" { "convolution" } else { "separable convolution" };
                let shape = map_in(self, what).and_then(|(h, w, _)| {
                    window(self, &place, "kernel", (h, w), kernel, strides, padding).map(|(oh, ow)| Shape::Map {
                        h: oh,
                        w: ow,
                        c: filters,
                    })
                });
                let kind = if ty == "conv2d" {
                    LayerKind::Conv2d(Conv2d { filters, kernel, strides, padding, activation, use_bias, init })
                } else {
                    LayerKind::SeparableConv2d(SeparableConv2d {
                        filters,
                        kernel,
                        strides,
                        padding,
                        activation,
                        use_bias,
                        init,
                    })
                };
                (Some(kind), shape)
            }
            "depthwise_conv2d" => {
                let kernel = o.pair(self, "kernel_size", None);
                let strides = o.pair(self, "strides", Some((1, 1)));
                let padding = o.padding(self);
                let activation = o.activation(self, "activation");
                let use_bias = o.flag(self, "use_bias", true);
                let init = o.init(self);
                if let Some(m) = o.count(self, "depth_multiplier", Some(1), 1) {
                    if m != 1 {
                        self.errors.push(format!(
                            "{place}: \"depth_multiplier\" {m} is not supported; ConvPlay's depthwise conv has multiplier 1 \
                             (follow it with a 1×1 conv2d for more channels)"
                        ));
                    }
                }
                let (Some(kernel), Some(strides), Some(padding), Some(activation), Some(use_bias), Some(init)) =
                    (kernel, strides, padding, activation, use_bias, init)
                else {
                    return (None, None);
                };
                let shape = map_in(self, "depthwise convolution").and_then(|(h, w, c)| {
                    window(self, &place, "kernel", (h, w), kernel, strides, padding).map(|(oh, ow)| Shape::Map {
                        h: oh,
                        w: ow,
                        c,
                    })
                });
                (
                    Some(LayerKind::DepthwiseConv2d(DepthwiseConv2d {
                        kernel,
                        strides,
                        padding,
                        activation,
                        use_bias,
                        init,
                    })),
                    shape,
                )
            }
            "max_pool2d" | "avg_pool2d" => {
                let pool = o.pair(self, "pool_size", Some((2, 2)));
                let strides = match pool {
                    Some(p) => o.pair(self, "strides", Some(p)),
                    None => None,
                };
                let padding = o.padding(self);
                let (Some(pool), Some(strides), Some(padding)) = (pool, strides, padding) else {
                    return (None, None);
                };
                let shape = map_in(self, "pooling").and_then(|(h, w, c)| {
                    window(self, &place, "pool", (h, w), pool, strides, padding).map(|(oh, ow)| Shape::Map {
                        h: oh,
                        w: ow,
                        c,
                    })
                });
                let p = Pool2d { pool, strides, padding };
                (Some(if ty == "max_pool2d" { LayerKind::MaxPool2d(p) } else { LayerKind::AvgPool2d(p) }), shape)
            }
            "global_avg_pool2d" => {
                let shape = map_in(self, "global average pooling").map(|(_, _, c)| Shape::Flat(c));
                (Some(LayerKind::GlobalAvgPool2d), shape)
            }
            "batch_norm" => {
                let momentum = o.real(self, "momentum", 0.99, |x| (0.0..1.0).contains(&x), "must be in [0, 1)");
                let epsilon = o.real(self, "epsilon", 1e-3, |x| x > 0.0 && x.is_finite(), "must be greater than 0");
                let center = o.flag(self, "center", true);
                let scale = o.flag(self, "scale", true);
                let (Some(momentum), Some(epsilon), Some(center), Some(scale)) = (momentum, epsilon, center, scale)
                else {
                    return (None, None);
                };
                (Some(LayerKind::BatchNorm(BatchNorm { momentum, epsilon, center, scale })), input)
            }
            "dense" => {
                let units = o.count(self, "units", None, 1);
                let activation = o.activation(self, "activation");
                let use_bias = o.flag(self, "use_bias", true);
                let init = o.init(self);
                let (Some(units), Some(activation), Some(use_bias), Some(init)) = (units, activation, use_bias, init)
                else {
                    return (None, None);
                };
                let shape = match input {
                    Some(Shape::Map { h, w, c }) => {
                        self.errors.push(format!(
                            "{place}: dense needs a flat input but gets {h}×{w}×{c}; add {{\"type\": \"flatten\"}} \
                             (or {{\"type\": \"global_avg_pool2d\"}}) before it"
                        ));
                        None
                    }
                    Some(Shape::Flat(_)) => Some(Shape::Flat(units)),
                    None => None,
                };
                (Some(LayerKind::Dense(Dense { units, activation, use_bias, init })), shape)
            }
            "flatten" => (Some(LayerKind::Flatten), input.map(|s| Shape::Flat(s.elements()))),
            "activation" | "relu" | "leaky_relu" | "softmax" => {
                let activation = match ty {
                    "activation" => {
                        if o.map.get("activation").is_none() {
                            self.errors.push(format!(
                                "{place}: missing \"activation\": name it, e.g. \"activation\": \"relu\""
                            ));
                            None
                        } else {
                            match o.activation(self, "activation") {
                                Some(Activation::LeakyRelu { alpha }) => o
                                    .real(self, "alpha", alpha, |x| x.is_finite() && x >= 0.0, "must be ≥ 0")
                                    .map(|alpha| Activation::LeakyRelu { alpha }),
                                other => other,
                            }
                        }
                    }
                    "relu" => Some(Activation::Relu),
                    "softmax" => Some(Activation::Softmax),
                    // The Keras layer LeakyReLU defaults to 0.3.
                    _ => o
                        .real(self, "alpha", 0.3, |x| x.is_finite() && x >= 0.0, "must be ≥ 0")
                        .map(|alpha| Activation::LeakyRelu { alpha }),
                };
                (activation.map(|activation| LayerKind::Activation { activation }), input)
            }
            "dropout" => {
                let rate = o.real(
                    self,
                    "rate",
                    f32::NAN,
                    |x| (0.0..1.0).contains(&x),
                    "must be in [0, 1): the fraction of units dropped while training",
                );
                match rate {
                    Some(r) if r.is_nan() => {
                        self.errors
                            .push(format!("{place}: missing \"rate\": add the fraction dropped, e.g. \"rate\": 0.25"));
                        (None, input)
                    }
                    Some(rate) => (Some(LayerKind::Dropout { rate }), input),
                    None => (None, input),
                }
            }
            "lrn" => {
                let depth_radius = o.count(self, "depth_radius", Some(5), 0);
                let bias = o.real(self, "bias", 1.0, |x| x.is_finite() && x > 0.0, "must be greater than 0");
                let alpha = o.real(self, "alpha", 1.0, |x| x.is_finite() && x >= 0.0, "must be ≥ 0");
                let beta = o.real(self, "beta", 0.5, |x| x.is_finite() && x >= 0.0, "must be ≥ 0");
                let (Some(depth_radius), Some(bias), Some(alpha), Some(beta)) = (depth_radius, bias, alpha, beta)
                else {
                    return (None, None);
                };
                let shape = map_in(self, "local response normalisation").map(|(h, w, c)| Shape::Map { h, w, c });
                (Some(LayerKind::Lrn(Lrn { depth_radius, bias, alpha, beta })), shape)
            }
            "squeeze_excite" => {
                let ratio = o.count(self, "ratio", Some(16), 1);
                let shape = map_in(self, "squeeze-and-excitation").map(|(h, w, c)| Shape::Map { h, w, c });
                if let (Some(r), Some(Shape::Map { c, .. })) = (ratio, shape) {
                    if r > c {
                        self.errors.push(format!(
                            "{place}: \"ratio\" {r} is larger than the {c} channels, leaving no hidden units; use a ratio ≤ {c}"
                        ));
                        return (None, None);
                    }
                }
                (ratio.map(|ratio| LayerKind::SqueezeExcite(SqueezeExcite { ratio })), shape)
            }
            "residual" => self.residual(o, path, input),
            "concat" => self.concat(o, path, input),
            other => {
                // canonical_type only returns the types matched above; keep this a value, not a panic.
                self.errors.push(format!(
                    "{place}: layer type {other:?} has no reader; this is a ConvPlay bug, please report it"
                ));
                (None, None)
            }
        }
    }

    fn residual(&mut self, o: &mut Obj, path: &str, input: Option<Shape>) -> (Option<LayerKind>, Option<Shape>) {
        let place = o.place.clone();
        let projection = o.flag(self, "projection", false);
        let activation = o.activation(self, "activation");
        let items = match o.get("layers") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(Value::Array(_)) => {
                self.errors.push(format!("{place}: \"layers\" is empty: a residual block needs at least one layer"));
                return (None, None);
            }
            Some(v) => {
                self.errors.push(format!("{place}: \"layers\" must be a list of layers, got {}", describe(v)));
                return (None, None);
            }
            None => {
                self.errors.push(format!(
                    "{place}: missing \"layers\": list the layers whose output is added to the block's input"
                ));
                return (None, None);
            }
        };
        let (layers, inner) = self.sequence(items, &format!("{path}.layers"), input);
        let (Some(projection), Some(activation)) = (projection, activation) else {
            return (None, None);
        };
        let shape = match (input, inner) {
            (Some(i), Some(out)) if i == out => Some(out),
            (Some(Shape::Map { h, w, c }), Some(Shape::Map { h: oh, w: ow, c: oc })) if projection => {
                // A 1×1 conv with stride s gives ceil(h / s) rows; find the s that matches.
                let stride = |a: usize, b: usize| (1..=a).find(|s| a.div_ceil(*s) == b);
                match (stride(h, oh), stride(w, ow)) {
                    (Some(_), Some(_)) => Some(Shape::Map { h: oh, w: ow, c: oc }),
                    _ => {
                        self.errors.push(format!(
                            "{place}: the block turns {h}×{w}×{c} into {oh}×{ow}×{oc}, which no strided 1×1 projection can match; \
                             use \"same\" padding inside the block"
                        ));
                        None
                    }
                }
            }
            (Some(i), Some(out)) => {
                let fix = if matches!((i, out), (Shape::Map { .. }, Shape::Map { .. })) {
                    "set \"projection\": true for a 1×1 conv shortcut, or keep the shape (\"same\" padding, stride 1, as many filters as input channels)"
                } else {
                    "keep the block's output shape equal to its input"
                };
                self.errors.push(format!(
                    "{place}: the block turns {i} into {out}, so its input cannot be added to its output; {fix}"
                ));
                None
            }
            _ => None,
        };
        (layers.map(|layers| LayerKind::Residual(Residual { layers, projection, activation })), shape)
    }

    fn concat(&mut self, o: &mut Obj, path: &str, input: Option<Shape>) -> (Option<LayerKind>, Option<Shape>) {
        let place = o.place.clone();
        let branches = match o.get("branches") {
            Some(Value::Array(b)) if b.len() >= 2 => b,
            Some(Value::Array(_)) => {
                self.errors.push(format!(
                    "{place}: \"branches\" needs at least two branches (lists of layers; [] passes the input through)"
                ));
                return (None, None);
            }
            Some(v) => {
                self.errors.push(format!(
                    "{place}: \"branches\" must be a list of branches, each a list of layers, got {}",
                    describe(v)
                ));
                return (None, None);
            }
            None => {
                self.errors.push(format!(
                    "{place}: missing \"branches\": list the parallel branches, e.g. \"branches\": [[…], […]]"
                ));
                return (None, None);
            }
        };
        let mut all = Some(Vec::new());
        let mut shapes = Vec::new();
        for (b, branch) in branches.iter().enumerate() {
            let Value::Array(items) = branch else {
                self.errors.push(format!("{place}: branch {b} must be a list of layers, got {}", describe(branch)));
                all = None;
                continue;
            };
            let (layers, shape) = if items.is_empty() {
                (Some(vec![]), input)
            } else {
                self.sequence(items, &format!("{path}.branches[{b}]"), input)
            };
            match (layers, all.as_mut()) {
                (Some(l), Some(v)) => v.push(l),
                _ => all = None,
            }
            shapes.push(shape);
        }
        let shape = if shapes.iter().all(Option::is_some) && !shapes.is_empty() {
            let shapes: Vec<Shape> = shapes.into_iter().flatten().collect();
            match shapes[0] {
                Shape::Map { h, w, .. }
                    if shapes.iter().all(|s| matches!(s, Shape::Map { h: h2, w: w2, .. } if *h2 == h && *w2 == w)) =>
                {
                    Some(Shape::Map { h, w, c: shapes.iter().map(|s| s.channels()).sum() })
                }
                Shape::Flat(_) if shapes.iter().all(|s| matches!(s, Shape::Flat(_))) => {
                    Some(Shape::Flat(shapes.iter().map(|s| s.channels()).sum()))
                }
                _ => {
                    let list = shapes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ");
                    self.errors.push(format!(
                        "{place}: branch outputs {list} cannot be concatenated on channels: their height and width must agree; \
                         use \"same\" padding and equal strides in every branch"
                    ));
                    None
                }
            }
        } else {
            None
        };
        (all.map(|branches| LayerKind::Concat { branches }), shape)
    }
}
