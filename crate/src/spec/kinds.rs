//! The layer readers: each type's fields, then its output by the one shape rule
//! ([`LayerKind::output`]); blocks read their inner sequences and combine their outputs
//! by the same rule.

use super::parse::{Cx, Obj};
use super::shape::{concat_output, residual_output};
use super::words::describe;
use super::*;
use serde_json::Value;

impl Cx {
    pub(super) fn kind(
        &mut self,
        ty: &'static str,
        o: &mut Obj,
        path: &str,
        input: Option<Shape>,
    ) -> (Option<LayerKind>, Option<Shape>) {
        let place = o.place.clone();
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
                self.shaped(&place, kind, input)
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
                let kind = LayerKind::DepthwiseConv2d(DepthwiseConv2d {
                    kernel,
                    strides,
                    padding,
                    activation,
                    use_bias,
                    init,
                });
                self.shaped(&place, kind, input)
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
                let p = Pool2d { pool, strides, padding };
                self.shaped(
                    &place,
                    if ty == "max_pool2d" { LayerKind::MaxPool2d(p) } else { LayerKind::AvgPool2d(p) },
                    input,
                )
            }
            "global_avg_pool2d" => self.shaped(&place, LayerKind::GlobalAvgPool2d, input),
            "batch_norm" => {
                let momentum = o.real(self, "momentum", 0.99, |x| (0.0..1.0).contains(&x), "must be in [0, 1)");
                let epsilon = o.real(self, "epsilon", 1e-3, |x| x > 0.0 && x.is_finite(), "must be greater than 0");
                let center = o.flag(self, "center", true);
                let scale = o.flag(self, "scale", true);
                let (Some(momentum), Some(epsilon), Some(center), Some(scale)) = (momentum, epsilon, center, scale)
                else {
                    return (None, None);
                };
                self.shaped(&place, LayerKind::BatchNorm(BatchNorm { momentum, epsilon, center, scale }), input)
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
                self.shaped(&place, LayerKind::Dense(Dense { units, activation, use_bias, init }), input)
            }
            "flatten" => self.shaped(&place, LayerKind::Flatten, input),
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
                match activation {
                    Some(activation) => self.shaped(&place, LayerKind::Activation { activation }, input),
                    // The output does not depend on the activation: later layers are still checked.
                    None => (None, input),
                }
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
                    Some(rate) => self.shaped(&place, LayerKind::Dropout { rate }, input),
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
                self.shaped(&place, LayerKind::Lrn(Lrn { depth_radius, bias, alpha, beta }), input)
            }
            "up_sampling2d" => {
                let size = o.pair(self, "size", Some((2, 2)));
                let interpolation = o.interpolation(self);
                let (Some(size), Some(interpolation)) = (size, interpolation) else {
                    return (None, None);
                };
                self.shaped(&place, LayerKind::UpSampling2d(UpSampling2d { size, interpolation }), input)
            }
            "squeeze_excite" => {
                match o.count(self, "ratio", Some(16), 1) {
                    Some(ratio) => self.shaped(&place, LayerKind::SqueezeExcite(SqueezeExcite { ratio }), input),
                    // Without a ratio the input is still checked, and passed on: ratio 1 always fits.
                    None => (None, self.shaped(&place, LayerKind::SqueezeExcite(SqueezeExcite { ratio: 1 }), input).1),
                }
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
            (Some(input), Some(inner)) => self.placed(&place, residual_output(input, inner, projection)),
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
            self.placed(&place, concat_output(&shapes))
        } else {
            None
        };
        (all.map(|branches| LayerKind::Concat { branches }), shape)
    }

    /// A layer read without problems, with its output for `input` (None when unknown or
    /// when the layer cannot take it, which is reported at `place`).
    fn shaped(&mut self, place: &str, kind: LayerKind, input: Option<Shape>) -> (Option<LayerKind>, Option<Shape>) {
        let shape = input.and_then(|i| self.placed(place, kind.output(i)));
        (Some(kind), shape)
    }

    fn placed(&mut self, place: &str, shape: Result<Shape, ShapeError>) -> Option<Shape> {
        shape.map_err(|e| self.errors.push(format!("{place}: {e}"))).ok()
    }
}
