//! Reading one field of a layer object: whole numbers, sizes, reals, flags, the
//! initializer, padding and activations, each with Keras's default and a placed error.

use super::parse::{Cx, Obj};
use super::words::{closest, describe};
use super::{Activation, Init, Interpolation, Padding};
use serde_json::Value;

impl<'a> Obj<'a> {
    pub(super) fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A whole number ≥ min, or the default when absent.
    pub(super) fn count(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        default: Option<usize>,
        min: usize,
    ) -> Option<usize> {
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
    pub(super) fn pair(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        default: Option<(usize, usize)>,
    ) -> Option<(usize, usize)> {
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

    pub(super) fn real(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        default: f32,
        ok: fn(f32) -> bool,
        rule: &str,
    ) -> Option<f32> {
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

    pub(super) fn flag(&mut self, cx: &mut Cx, key: &'static str, default: bool) -> Option<bool> {
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

    pub(super) fn init(&mut self, cx: &mut Cx) -> Option<Init> {
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

    pub(super) fn padding(&mut self, cx: &mut Cx) -> Option<Padding> {
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

    /// UpSampling2D's `interpolation`: "nearest" (Keras's default) or "bilinear".
    pub(super) fn interpolation(&mut self, cx: &mut Cx) -> Option<Interpolation> {
        let place = self.place.clone();
        match self.get("interpolation") {
            None => Some(Interpolation::Nearest),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("nearest") => Some(Interpolation::Nearest),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("bilinear") => Some(Interpolation::Bilinear),
            Some(Value::String(s)) => {
                cx.errors.push(format!(
                    "{place}: \"interpolation\" {s:?} is not supported; use \"nearest\" (the default) or \"bilinear\""
                ));
                None
            }
            Some(v) => {
                cx.errors.push(format!(
                    "{place}: \"interpolation\" must be \"nearest\" or \"bilinear\", got {}",
                    describe(v)
                ));
                None
            }
        }
    }

    pub(super) fn activation(&mut self, cx: &mut Cx, key: &'static str) -> Option<Activation> {
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
    pub(super) fn finish(self, cx: &mut Cx) {
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

pub(super) const ACTIVATIONS: &[&str] = &["linear", "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax"];

pub(super) fn activation_named(s: &str) -> Option<Activation> {
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

pub(super) fn example(key: &str) -> &'static str {
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
