//! Model specs: a Keras-like JSON description of a network.
//!
//! ```json
//! { "name": "seed-001", "input": [28, 28, 1],
//!   "layers": [ { "type": "conv2d", "filters": 32, "kernel_size": 3, "activation": "relu" },
//!               { "type": "max_pool2d", "pool_size": 2 }, { "type": "flatten" },
//!               { "type": "dense", "units": 10, "activation": "softmax" } ] }
//! ```
//!
//! Defaults follow Keras (padding "valid", strides 1, use_bias true, BN epsilon 1e-3 and
//! momentum 0.99, no activation), so a `Sequential` from a course notebook maps line for
//! line. Keras class names (`Conv2D`, `MaxPooling2D`, `BatchNormalization`, …) are accepted
//! as type names. `parse` checks everything — fields, ranges, and every layer's shape — and
//! returns all problems at once, each with its place and the fix.

mod fields;
mod kinds;
mod parse;
mod recipe;
mod shape;
pub mod size;
mod words;

pub use parse::{check_length, parse, parse_value, MAX_LAYERS, MAX_SPEC_BYTES};
pub use shape::{
    concat_output, conv_out, padding_before, projection_strides, residual_output, sequence_output, trace, Shape,
    ShapeError, Traced,
};

use serde::Serialize;

/// How a window meets the border, with TensorFlow's rule for "same".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    /// No padding: out = floor((in - k) / s) + 1.
    Valid,
    /// out = ceil(in / s); the total padding max((out-1)·s + k - in, 0) is split with the
    /// odd one at the bottom/right.
    Same,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Activation {
    Linear,
    Relu,
    Relu6,
    /// Keras LeakyReLU: x for x > 0, alpha·x otherwise (Keras's default alpha is 0.3).
    LeakyRelu {
        alpha: f32,
    },
    Sigmoid,
    Tanh,
    /// Over the channels (the last axis).
    Softmax,
}

impl Activation {
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
        }
    }
}

/// How kernels are drawn at creation (biases start at zero), as Keras names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// U(−l, l), l = sqrt(6 / (fan_in + fan_out)) — Keras's default.
    GlorotUniform,
    /// U(−l, l), l = sqrt(6 / fan_in) — for ReLU networks.
    HeUniform,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conv2d {
    pub filters: usize,
    /// (height, width)
    pub kernel: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
    pub activation: Activation,
    pub use_bias: bool,
    pub init: Init,
}

/// Depthwise convolution with channel multiplier 1: one k×k filter per input channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DepthwiseConv2d {
    pub kernel: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
    pub activation: Activation,
    pub use_bias: bool,
    pub init: Init,
}

/// Keras SeparableConv2D: a depthwise k×k conv (no bias) then a pointwise 1×1 conv to
/// `filters` channels (with bias when use_bias).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeparableConv2d {
    pub filters: usize,
    pub kernel: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
    pub activation: Activation,
    pub use_bias: bool,
    pub init: Init,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pool2d {
    pub pool: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchNorm {
    pub momentum: f32,
    pub epsilon: f32,
    /// Learn beta (shift).
    pub center: bool,
    /// Learn gamma (scale).
    pub scale: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dense {
    pub units: usize,
    pub activation: Activation,
    pub use_bias: bool,
    pub init: Init,
}

/// Local response normalisation across channels (AlexNet; TensorFlow's parameters):
/// out = x / (bias + alpha · Σ_{|j-c| ≤ depth_radius} x_j²)^beta.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lrn {
    pub depth_radius: usize,
    pub bias: f32,
    pub alpha: f32,
    pub beta: f32,
}

/// How UpSampling2D fills the new pixels (Keras's `interpolation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    /// Each input pixel repeated into a size.0 × size.1 block.
    Nearest,
    /// TensorFlow 2's `resize(..., method="bilinear")`: half-pixel centres, the source
    /// coordinate (o + ½) / s − ½ clamped to the input, no antialiasing.
    Bilinear,
}

/// Keras UpSampling2D: height and width multiplied by `size` (rows, columns); no parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpSampling2d {
    pub size: (usize, usize),
    pub interpolation: Interpolation,
}

/// out = activation(layers(x) + shortcut(x)). The shortcut is the identity when the shapes
/// match, else (with `projection`) a 1×1 conv with the stride and filters that make them match.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Residual {
    pub layers: Vec<Layer>,
    pub projection: bool,
    pub activation: Activation,
}

/// Squeeze-and-excitation: global average pool → dense(c/ratio, relu) → dense(c, sigmoid)
/// → scale each channel of the input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SqueezeExcite {
    pub ratio: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerKind {
    Conv2d(Conv2d),
    DepthwiseConv2d(DepthwiseConv2d),
    SeparableConv2d(SeparableConv2d),
    MaxPool2d(Pool2d),
    AvgPool2d(Pool2d),
    GlobalAvgPool2d,
    BatchNorm(BatchNorm),
    Dense(Dense),
    Flatten,
    Activation {
        activation: Activation,
    },
    Dropout {
        rate: f32,
    },
    Lrn(Lrn),
    UpSampling2d(UpSampling2d),
    Residual(Residual),
    /// Parallel branches on the same input, concatenated on channels (inception).
    Concat {
        branches: Vec<Vec<Layer>>,
    },
    SqueezeExcite(SqueezeExcite),
}

impl LayerKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            LayerKind::Conv2d(_) => "conv2d",
            LayerKind::DepthwiseConv2d(_) => "depthwise_conv2d",
            LayerKind::SeparableConv2d(_) => "separable_conv2d",
            LayerKind::MaxPool2d(_) => "max_pool2d",
            LayerKind::AvgPool2d(_) => "avg_pool2d",
            LayerKind::GlobalAvgPool2d => "global_avg_pool2d",
            LayerKind::BatchNorm(_) => "batch_norm",
            LayerKind::Dense(_) => "dense",
            LayerKind::Flatten => "flatten",
            LayerKind::Activation { .. } => "activation",
            LayerKind::Dropout { .. } => "dropout",
            LayerKind::Lrn(_) => "lrn",
            LayerKind::UpSampling2d(_) => "up_sampling2d",
            LayerKind::Residual(_) => "residual",
            LayerKind::Concat { .. } => "concat",
            LayerKind::SqueezeExcite(_) => "squeeze_excite",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Layer {
    /// Keras-style: given in the spec, or `<type>_<n>` numbered per type in order.
    pub name: String,
    #[serde(flatten)]
    pub kind: LayerKind,
    /// Keras's `trainable`: false freezes the layer's parameters (and everything inside a
    /// block); a frozen batch norm runs in inference mode, even while the model trains.
    #[serde(skip_serializing_if = "is_true")]
    pub trainable: bool,
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelSpec {
    /// The JSON the spec was read from (saved with trained weights, so a file is self-describing).
    #[serde(skip)]
    pub source: serde_json::Value,
    pub name: String,
    /// Input shape (height, width, channels), NHWC without the batch.
    pub input: Shape,
    pub layers: Vec<Layer>,
    /// The spec's recommended training settings ("training"), if it gives any.
    pub training: Option<Recipe>,
}

/// Training settings a spec recommends (its `"training"` object): what the page and the
/// CLI use unless told otherwise. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recipe {
    pub epochs: Option<usize>,
    pub batch: Option<usize>,
    /// "adam", "adamw" or "sgd".
    pub optimizer: Option<String>,
    pub lr: Option<f32>,
    /// Weight decay for the optimizer (AdamW: decoupled; Adam and SGD: L2). Unset: the
    /// optimizer's default ([`crate::optim::Optimizer::named`]).
    pub weight_decay: Option<f32>,
    /// "constant", "step", "cosine" or "onecycle".
    pub schedule: Option<String>,
    /// Random affine augmentation while training.
    pub augment: Option<crate::backend::cpu::augment::Augment>,
}
