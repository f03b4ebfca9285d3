//! The JSON walker: reads a spec with precise places for errors, applies Keras
//! defaults, and infers every layer's output shape as it goes (by the one rule,
//! [`LayerKind::output`]), so a layer that cannot work with its input is reported where
//! it stands. The field readers are in `fields`, the layer readers in `kinds`, the
//! recipe in `recipe` and the words (descriptions, "did you mean") in `words`.

use super::words::{canonical_type, closest, describe, TYPES};
use super::*;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// The longest spec read, in bytes of JSON: 256 KiB (the largest preset is under 20 KB).
pub const MAX_SPEC_BYTES: usize = 256 * 1024;
/// The most layers a spec may have, the layers inside blocks counted.
pub const MAX_LAYERS: usize = 1000;

/// Parses and validates a spec; every problem found is in the error, one per line.
pub fn parse(json: &str) -> Result<ModelSpec> {
    check_length(json)?;
    let value: Value = serde_json::from_str(json).map_err(|e| {
        Error::Spec(vec![format!(
            "the spec is not valid JSON: {e} (check for a missing comma, quote or bracket there)"
        )])
    })?;
    parse_value(&value)
}

/// Refuses a spec longer than [`MAX_SPEC_BYTES`] before reading it.
pub fn check_length(json: &str) -> Result<()> {
    if json.len() > MAX_SPEC_BYTES {
        return Err(Error::Spec(vec![format!(
            "the spec is {} bytes of JSON, more than the limit of {MAX_SPEC_BYTES} (256 KiB); \
             use fewer layers, or remove descriptions and other text from it",
            json.len()
        )]));
    }
    Ok(())
}

/// Calls `f` with every layer object of a spec's "layers", those inside blocks too (residual
/// "layers", concat "branches"), in order.
fn each_layer<'a>(items: &'a [Value], f: &mut impl FnMut(&'a Map<String, Value>)) {
    for item in items {
        let Value::Object(map) = item else { continue };
        f(map);
        if let Some(Value::Array(inner)) = map.get("layers") {
            each_layer(inner, f);
        }
        if let Some(Value::Array(branches)) = map.get("branches") {
            for b in branches {
                if let Value::Array(inner) = b {
                    each_layer(inner, f);
                }
            }
        }
    }
}

pub fn parse_value(value: &Value) -> Result<ModelSpec> {
    let mut cx = Cx::default();
    if let Some(Value::Array(items)) = value.get("layers") {
        let mut count = 0;
        each_layer(items, &mut |map| {
            count += 1;
            if let Some(Value::String(name)) = map.get("name") {
                cx.explicit.insert(name.clone());
            }
        });
        if count > MAX_LAYERS {
            return Err(Error::Spec(vec![format!(
                "spec: the model has {count} layers (counting the layers inside blocks), more than the limit of \
                 {MAX_LAYERS}; use fewer layers"
            )]));
        }
    }
    let spec = cx.model(value);
    match spec {
        Some(spec) if cx.errors.is_empty() => Ok(spec),
        _ => Err(Error::Spec(cx.errors)),
    }
}

#[derive(Default)]
pub(super) struct Cx {
    pub(super) errors: Vec<String>,
    /// Per type, the last number given to an auto-named layer (Keras numbers from 1).
    counters: HashMap<&'static str, usize>,
    /// The names the spec gives, so that no automatic name takes one of them.
    explicit: HashSet<String>,
    /// Every layer's name so far, blocks' inner layers included, with its place.
    names: HashMap<String, String>,
}

/// One JSON object being read; remembers which keys were used so that the
/// rest can be reported as unknown.
pub(super) struct Obj<'a> {
    pub(super) map: &'a Map<String, Value>,
    pub(super) place: String,
    pub(super) used: Vec<&'static str>,
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
        let results = o.get("results").and_then(|r| self.results(r)).unwrap_or_default();
        for key in map.keys() {
            if !["name", "description", "input", "input_shape", "layers", "training", "results"].contains(&key.as_str())
            {
                let hint = closest(key, &["name", "description", "input", "layers", "training", "results"])
                    .map(|c| format!("did you mean \"{c}\"? "))
                    .unwrap_or_default();
                self.errors.push(format!(
                    "spec: unknown field \"{key}\": {hint}a spec has \"name\", \"description\", \"input\", \"layers\" and optionally \"training\""
                ));
            }
        }
        let (layers, _) = self.sequence(layers?, "layers", input);
        Some(ModelSpec { source: v.clone(), name, input: input?, layers: layers?, training, results })
    }

    fn input(&mut self, v: &Value) -> Option<Shape> {
        let dims: Option<Vec<u64>> = v.as_array().and_then(|a| {
            a.iter()
                .map(|x| x.as_f64().filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f <= 1e6).map(|f| f as u64))
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
    pub(super) fn sequence(
        &mut self,
        items: &[Value],
        path: &str,
        input: Option<Shape>,
    ) -> (Option<Vec<Layer>>, Option<Shape>) {
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

    /// `<type>_<n>` with the next n whose name the spec does not give to another layer.
    fn auto_name(&mut self, ty: &'static str) -> String {
        let n = self.counters.entry(ty).or_insert(0);
        loop {
            *n += 1;
            let name = format!("{ty}_{n}");
            if !self.explicit.contains(&name) && !self.names.contains_key(&name) {
                return name;
            }
        }
    }

    /// Names are unique (they name the layer's parameters in a weights file, as
    /// `<name>/kernel`), so a second use is an error placed at both layers; a "/" would make
    /// one layer's parameter names another's.
    fn claim(&mut self, name: &str, path: &str, place: &str) {
        if name.contains('/') {
            self.errors.push(format!(
                "{place}: name {name:?} contains \"/\", which separates a layer's name from its parameters' \
                 (\"{name}/kernel\"); use another character, such as \"_\" or \".\""
            ));
        }
        match self.names.get(name) {
            Some(first) => self
                .errors
                .push(format!("{place}: name {name:?} is already used by {first}; give each layer its own name")),
            None => {
                self.names.insert(name.to_string(), path.to_string());
            }
        }
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
            Some(Value::String(s)) if s.is_empty() => {
                self.errors.push(format!("{place}: \"name\" is empty: give the layer a name, or leave \"name\" out"));
                String::new()
            }
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                self.errors.push(format!("{place}: \"name\" must be a string, got {}", describe(other)));
                String::new()
            }
            None => self.auto_name(ty),
        };
        if !name.is_empty() {
            self.claim(&name, path, &place);
        }
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
}
