//! Activation shapes and the one output-shape rule of every layer kind, blocks included:
//! [`LayerKind::output`]. The spec parser validates with it (putting each [`ShapeError`]
//! at its layer's place), the builder sizes buffers with it and the summary reports it.

use super::size::{mul, MAX_COUNT};
use super::{Layer, LayerKind, Padding};
use serde::Serialize;
use std::fmt;

/// The shape of one instance (no batch axis): an NHWC feature map or a flat vector.
///
/// Sizes are `u64` on every host, so a 64-bit build computes exactly what wasm32 (where
/// `usize` is 32 bits) does, and a shape past 4 G elements is still described exactly. The
/// shape rule ([`LayerKind::output`]) refuses any shape of more than [`MAX_COUNT`] elements, so
/// [`Shape::elements`] of a shape from a parsed spec is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Map { h: u64, w: u64, c: u64 },
    Flat(u64),
}

impl Shape {
    /// The exact element count, or None past [`MAX_COUNT`].
    pub fn checked_elements(&self) -> Option<u64> {
        match *self {
            Shape::Map { h, w, c } => mul(mul(Some(h), Some(w)), Some(c)),
            Shape::Flat(n) => n.le(&MAX_COUNT).then_some(n),
        }
    }
    /// The element count; saturates at [`MAX_COUNT`], which no shape the rule produces exceeds.
    pub fn elements(&self) -> u64 {
        self.checked_elements().unwrap_or(MAX_COUNT)
    }
    /// The element count as a buffer length for the engine, which refuses a plan whose
    /// buffers do not fit (see [`crate::summary::Summary::too_large`]) before it allocates;
    /// saturates at `usize::MAX` (on wasm32, 4 G) rather than wrapping.
    pub fn buffer_len(&self) -> usize {
        usize::try_from(self.elements()).unwrap_or(usize::MAX)
    }
    /// Channels: the last axis.
    pub fn channels(&self) -> u64 {
        match *self {
            Shape::Map { c, .. } => c,
            Shape::Flat(n) => n,
        }
    }
    pub fn dims(&self) -> Vec<u64> {
        match *self {
            Shape::Map { h, w, c } => vec![h, w, c],
            Shape::Flat(n) => vec![n],
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shape::Map { h, w, c } => write!(f, "{h}×{w}×{c}"),
            Shape::Flat(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Shape {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.dims().serialize(s)
    }
}

/// Output length along one axis, or None when the window does not fit ("valid" only).
pub fn conv_out(input: usize, k: usize, stride: usize, padding: Padding) -> Option<usize> {
    match padding {
        Padding::Valid => (input >= k).then(|| (input - k) / stride + 1),
        Padding::Same => Some(input.div_ceil(stride)),
    }
}

/// [`conv_out`] on the shape rule's u64 sizes.
fn out_len(input: u64, k: usize, stride: usize, padding: Padding) -> Option<u64> {
    let (k, stride) = (k as u64, stride as u64);
    match padding {
        Padding::Valid => (input >= k).then(|| (input - k) / stride + 1),
        Padding::Same => Some(input.div_ceil(stride)),
    }
}

/// Rows (or columns) of zero padding before the input for "same": TensorFlow puts
/// the smaller half first, so for stride 2 the extra row/column is at the bottom/right.
pub fn padding_before(input: usize, k: usize, stride: usize, padding: Padding) -> usize {
    match padding {
        Padding::Valid => 0,
        Padding::Same => {
            let out = input.div_ceil(stride);
            let total = ((out - 1) * stride + k).saturating_sub(input);
            total / 2
        }
    }
}

/// Why a layer cannot take its input. The text says what is wrong and how to fix it; the
/// spec parser puts the layer's place in front of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// A layer that slides over height and width got a flat vector.
    NeedsMap { what: &'static str, n: u64 },
    /// A dense layer got a feature map.
    NeedsFlat { h: u64, w: u64, c: u64 },
    /// A "valid" window (`what` is "kernel" or "pool") larger than its input.
    DoesNotFit { what: &'static str, window: (usize, usize), input: (u64, u64) },
    /// Squeeze-and-excitation with fewer channels than its ratio.
    RatioTooLarge { ratio: usize, c: u64 },
    /// An output of more elements than can be counted exactly ([`MAX_COUNT`]).
    TooLarge { output: String },
    /// A residual block whose output shape differs from its input, without a projection.
    CannotAdd { input: Shape, output: Shape },
    /// A residual block whose height and width no strided 1×1 projection can reach.
    NoProjection { input: Shape, output: Shape },
    /// Concat branches whose outputs differ in height and width (or in kind).
    BranchesDisagree { shapes: Vec<Shape> },
    /// A concat without branches.
    NoBranches,
    /// A layer inside a block cannot take its input.
    Inside { layer: String, error: Box<ShapeError> },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::NeedsMap { what, n } => write!(
                f,
                "{what} needs a height×width×channels input but gets a flat vector of {n}; \
                 move it before the flatten (or dense) layer"
            ),
            ShapeError::NeedsFlat { h, w, c } => write!(
                f,
                "dense needs a flat input but gets {h}×{w}×{c}; add {{\"type\": \"flatten\"}} \
                 (or {{\"type\": \"global_avg_pool2d\"}}) before it"
            ),
            ShapeError::DoesNotFit { what, window: (kh, kw), input: (h, w) } => write!(
                f,
                "{what} {kh}×{kw} does not fit input {h}×{w} with padding \"valid\"; \
                 use padding \"same\", a smaller {what}, or fewer downsampling layers before it"
            ),
            ShapeError::RatioTooLarge { ratio, c } => write!(
                f,
                "\"ratio\" {ratio} is larger than the {c} channels, leaving no hidden units; use a ratio ≤ {c}"
            ),
            ShapeError::CannotAdd { input, output } => {
                let fix = if matches!((input, output), (Shape::Map { .. }, Shape::Map { .. })) {
                    "set \"projection\": true for a 1×1 conv shortcut, or keep the shape (\"same\" padding, stride 1, as many filters as input channels)"
                } else {
                    "keep the block's output shape equal to its input"
                };
                write!(f, "the block turns {input} into {output}, so its input cannot be added to its output; {fix}")
            }
            ShapeError::NoProjection { input, output } => write!(
                f,
                "the block turns {input} into {output}, which no strided 1×1 projection can match; \
                 use \"same\" padding inside the block"
            ),
            ShapeError::BranchesDisagree { shapes } => {
                let list = shapes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ");
                write!(
                    f,
                    "branch outputs {list} cannot be concatenated on channels: their height and width must agree; \
                     use \"same\" padding and equal strides in every branch"
                )
            }
            ShapeError::TooLarge { output } => write!(
                f,
                "the output {output} has more than {MAX_COUNT} (2^53 − 1) elements, too many to count exactly; \
                 use a smaller input, fewer channels or more downsampling"
            ),
            ShapeError::NoBranches => write!(f, "a concat needs branches: list at least two, each a list of layers"),
            ShapeError::Inside { layer, error } => write!(f, "{layer}: {error}"),
        }
    }
}

impl std::error::Error for ShapeError {}

fn need_map(input: Shape, what: &'static str) -> Result<(u64, u64, u64), ShapeError> {
    match input {
        Shape::Map { h, w, c } => Ok((h, w, c)),
        Shape::Flat(n) => Err(ShapeError::NeedsMap { what, n }),
    }
}

/// A sliding window's output map with `c` channels.
fn window(
    input: Shape,
    what: &'static str,
    layer: &'static str,
    k: (usize, usize),
    s: (usize, usize),
    padding: Padding,
    c: Option<u64>,
) -> Result<Shape, ShapeError> {
    let (h, w, cin) = need_map(input, layer)?;
    match (out_len(h, k.0, s.0, padding), out_len(w, k.1, s.1, padding)) {
        (Some(oh), Some(ow)) => Ok(Shape::Map { h: oh, w: ow, c: c.unwrap_or(cin) }),
        _ => Err(ShapeError::DoesNotFit { what, window: k, input: (h, w) }),
    }
}

impl LayerKind {
    /// The layer's output for `input`, or why it cannot take it — the one shape rule the
    /// parser, the builder and the summary all use. A block's output comes from its inner
    /// sequences ([`sequence_output`]) and [`residual_output`] or [`concat_output`].
    /// Every output counts at most [`MAX_COUNT`] elements ([`ShapeError::TooLarge`]).
    pub fn output(&self, input: Shape) -> Result<Shape, ShapeError> {
        let out = self.output_any_size(input)?;
        match out.checked_elements() {
            Some(_) => Ok(out),
            None => Err(ShapeError::TooLarge { output: too_large_text(self, input, out) }),
        }
    }

    fn output_any_size(&self, input: Shape) -> Result<Shape, ShapeError> {
        match self {
            LayerKind::Conv2d(k) => {
                window(input, "kernel", "convolution", k.kernel, k.strides, k.padding, Some(k.filters as u64))
            }
            LayerKind::SeparableConv2d(k) => {
                window(input, "kernel", "separable convolution", k.kernel, k.strides, k.padding, Some(k.filters as u64))
            }
            LayerKind::DepthwiseConv2d(k) => {
                window(input, "kernel", "depthwise convolution", k.kernel, k.strides, k.padding, None)
            }
            LayerKind::MaxPool2d(p) | LayerKind::AvgPool2d(p) => {
                window(input, "pool", "pooling", p.pool, p.strides, p.padding, None)
            }
            LayerKind::GlobalAvgPool2d => need_map(input, "global average pooling").map(|(_, _, c)| Shape::Flat(c)),
            LayerKind::Dense(d) => match input {
                Shape::Map { h, w, c } => Err(ShapeError::NeedsFlat { h, w, c }),
                Shape::Flat(_) => Ok(Shape::Flat(d.units as u64)),
            },
            // Saturated when too large: `output` refuses it with the map's own dimensions.
            LayerKind::Flatten => Ok(Shape::Flat(input.checked_elements().unwrap_or(u64::MAX))),
            LayerKind::BatchNorm(_) | LayerKind::Activation { .. } | LayerKind::Dropout { .. } => Ok(input),
            LayerKind::Lrn(_) => need_map(input, "local response normalisation").map(|_| input),
            // Saturated when too large: `output` refuses it with the map's own dimensions.
            LayerKind::UpSampling2d(u) => need_map(input, "up-sampling").map(|(h, w, c)| Shape::Map {
                h: h.saturating_mul(u.size.0 as u64),
                w: w.saturating_mul(u.size.1 as u64),
                c,
            }),
            LayerKind::SqueezeExcite(se) => {
                let (_, _, c) = need_map(input, "squeeze-and-excitation")?;
                if se.ratio as u64 > c {
                    return Err(ShapeError::RatioTooLarge { ratio: se.ratio, c });
                }
                Ok(input)
            }
            LayerKind::Residual(r) => residual_output(input, sequence_output(&r.layers, input)?, r.projection),
            LayerKind::Concat { branches } => {
                let shapes = branches.iter().map(|b| sequence_output(b, input)).collect::<Result<Vec<_>, _>>()?;
                concat_output(&shapes)
            }
        }
    }
}

/// The output of layers one after another (`input` itself when there are none); an error
/// names the layer that cannot take its input.
pub fn sequence_output(layers: &[Layer], input: Shape) -> Result<Shape, ShapeError> {
    layers.iter().try_fold(input, |shape, layer| {
        layer.kind.output(shape).map_err(|e| ShapeError::Inside { layer: layer.name.clone(), error: Box::new(e) })
    })
}

/// A residual block's output, given its input and its inner sequence's output: the inner
/// output, when the input can be added to it — as it is, or (with `projection`) through a
/// strided 1×1 conv ([`projection_strides`]).
pub fn residual_output(input: Shape, inner: Shape, projection: bool) -> Result<Shape, ShapeError> {
    if input == inner {
        return Ok(inner);
    }
    match (input, inner) {
        (Shape::Map { .. }, Shape::Map { .. }) if projection => match projection_strides(input, inner) {
            Some(_) => Ok(inner),
            None => Err(ShapeError::NoProjection { input, output: inner }),
        },
        _ => Err(ShapeError::CannotAdd { input, output: inner }),
    }
}

/// The strides of the 1×1 "same" conv that maps `input`'s height and width onto
/// `output`'s (it gives ⌈h / s⌉ rows), or None when no stride does.
pub fn projection_strides(input: Shape, output: Shape) -> Option<(usize, usize)> {
    let (Shape::Map { h, w, .. }, Shape::Map { h: oh, w: ow, .. }) = (input, output) else {
        return None;
    };
    // ⌈a / s⌉ only falls as s grows: its first s that gives b (a is at most 10^6, as the input).
    let stride = |a: u64, b: u64| (1..=a).find(|s| a.div_ceil(*s) == b).and_then(|s| usize::try_from(s).ok());
    stride(h, oh).zip(stride(w, ow))
}

/// Parallel branches' outputs concatenated on channels: maps of one height and width, or
/// flat vectors.
pub fn concat_output(branches: &[Shape]) -> Result<Shape, ShapeError> {
    let first = branches.first().ok_or(ShapeError::NoBranches)?;
    // Saturated when too large: `output` then refuses the concat.
    let channels = branches.iter().try_fold(0u64, |a, s| a.checked_add(s.channels())).unwrap_or(u64::MAX);
    match *first {
        Shape::Map { h, w, .. }
            if branches.iter().all(|s| matches!(s, Shape::Map { h: h2, w: w2, .. } if *h2 == h && *w2 == w)) =>
        {
            Ok(Shape::Map { h, w, c: channels })
        }
        Shape::Flat(_) if branches.iter().all(|s| matches!(s, Shape::Flat(_))) => Ok(Shape::Flat(channels)),
        _ => Err(ShapeError::BranchesDisagree { shapes: branches.to_vec() }),
    }
    .and_then(|out| match out.checked_elements() {
        Some(_) => Ok(out),
        None => Err(ShapeError::TooLarge { output: "of the concatenated branches".into() }),
    })
}

/// How a too-large output comes about, e.g. "65536×65536×4096 flattened".
fn too_large_text(kind: &LayerKind, input: Shape, out: Shape) -> String {
    match (kind, out) {
        (LayerKind::Flatten, _) => format!("of flattening {input}"),
        _ => out.to_string(),
    }
}

/// One layer's place and shapes in a walk of a spec: blocks come before the layers inside
/// them (`depth` one more), as in the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traced {
    pub depth: usize,
    pub name: String,
    pub input: Shape,
    pub output: Shape,
}

/// Every layer's input and output, blocks included, by [`LayerKind::output`].
pub fn trace(layers: &[Layer], input: Shape) -> Result<Vec<Traced>, ShapeError> {
    let mut out = Vec::new();
    trace_into(&mut out, layers, input, 0)?;
    Ok(out)
}

fn trace_into(out: &mut Vec<Traced>, layers: &[Layer], input: Shape, depth: usize) -> Result<Shape, ShapeError> {
    let mut shape = input;
    for layer in layers {
        let at = out.len();
        out.push(Traced { depth, name: layer.name.clone(), input: shape, output: shape });
        let inside = |e| ShapeError::Inside { layer: layer.name.clone(), error: Box::new(e) };
        let next = match &layer.kind {
            LayerKind::Residual(r) => {
                let inner = trace_into(out, &r.layers, shape, depth + 1)?;
                residual_output(shape, inner, r.projection).map_err(inside)?
            }
            LayerKind::Concat { branches } => {
                let shapes =
                    branches.iter().map(|b| trace_into(out, b, shape, depth + 1)).collect::<Result<Vec<_>, _>>()?;
                concat_output(&shapes).map_err(inside)?
            }
            kind => kind.output(shape).map_err(inside)?,
        };
        out[at].output = next;
        shape = next;
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensorflow_same_padding_offsets() {
        // 5 wide, k 3, s 2 → out 3, total pad 2 → 1 before, 1 after.
        assert_eq!(conv_out(5, 3, 2, Padding::Same), Some(3));
        assert_eq!(padding_before(5, 3, 2, Padding::Same), 1);
        // 6 wide, k 3, s 2 → out 3, total pad 1 → 0 before, 1 after (bottom/right).
        assert_eq!(conv_out(6, 3, 2, Padding::Same), Some(3));
        assert_eq!(padding_before(6, 3, 2, Padding::Same), 0);
        // 224, k 3, s 2 (EfficientNet stem) → 112, pad 0 before, 1 after.
        assert_eq!(padding_before(224, 3, 2, Padding::Same), 0);
        // 7, k 5, s 1 → total 4, 2 before.
        assert_eq!(padding_before(7, 5, 1, Padding::Same), 2);
        assert_eq!(conv_out(28, 3, 1, Padding::Valid), Some(26));
        assert_eq!(conv_out(2, 3, 1, Padding::Valid), None);
        assert_eq!(conv_out(300, 3, 2, Padding::Same), Some(150));
        assert_eq!(conv_out(75, 3, 2, Padding::Same), Some(38));
    }

    use crate::spec::{parse, Conv2d, Dense, Init, Pool2d, Residual, SqueezeExcite};

    fn map(h: u64, w: u64, c: u64) -> Shape {
        Shape::Map { h, w, c }
    }

    fn conv(filters: usize, k: (usize, usize), s: (usize, usize), padding: Padding) -> LayerKind {
        LayerKind::Conv2d(Conv2d {
            filters,
            kernel: k,
            strides: s,
            padding,
            activation: crate::spec::Activation::Linear,
            use_bias: true,
            init: Init::GlorotUniform,
        })
    }

    fn layer(name: &str, kind: LayerKind) -> Layer {
        Layer { name: name.into(), kind, trainable: true }
    }

    #[test]
    fn valid_padding_that_does_not_fit_names_both_sides() {
        let e = conv(4, (5, 5), (1, 1), Padding::Valid).output(map(3, 3, 1)).unwrap_err();
        assert_eq!(e, ShapeError::DoesNotFit { what: "kernel", window: (5, 5), input: (3, 3) });
        // Only the width is too small: the message still gives the whole window and input.
        let e = conv(4, (3, 9), (1, 1), Padding::Valid).output(map(6, 6, 1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "kernel 3×9 does not fit input 6×6 with padding \"valid\"; use padding \"same\", a smaller kernel, \
             or fewer downsampling layers before it"
        );
        // "same" always fits, even a window larger than the input.
        assert_eq!(conv(4, (5, 5), (1, 1), Padding::Same).output(map(3, 3, 1)), Ok(map(3, 3, 4)));
        let pool = LayerKind::MaxPool2d(Pool2d { pool: (2, 2), strides: (2, 2), padding: Padding::Valid });
        assert_eq!(
            pool.output(map(1, 1, 8)),
            Err(ShapeError::DoesNotFit { what: "pool", window: (2, 2), input: (1, 1) })
        );
    }

    #[test]
    fn stride_larger_than_the_kernel_skips_inputs() {
        // 7 wide, k 2, s 5: windows at 0 and 5, so 2; "same": ⌈7 / 5⌉ = 2.
        assert_eq!(conv(3, (2, 2), (5, 5), Padding::Valid).output(map(7, 7, 1)), Ok(map(2, 2, 3)));
        assert_eq!(conv(3, (2, 2), (5, 5), Padding::Same).output(map(7, 7, 1)), Ok(map(2, 2, 3)));
        // 6 wide: the second window would start at 5 and not fit: 1.
        assert_eq!(conv(3, (2, 2), (5, 5), Padding::Valid).output(map(6, 6, 1)), Ok(map(1, 1, 3)));
        let pool = LayerKind::AvgPool2d(Pool2d { pool: (2, 3), strides: (3, 4), padding: Padding::Valid });
        // h: (8 − 2) / 3 + 1 = 3; w: (9 − 3) / 4 + 1 = 2 (floor).
        assert_eq!(pool.output(map(8, 9, 5)), Ok(map(3, 2, 5)));
    }

    #[test]
    fn flatten_dense_and_the_layers_that_need_a_map() {
        assert_eq!(LayerKind::Flatten.output(map(3, 4, 5)), Ok(Shape::Flat(60)));
        assert_eq!(LayerKind::Flatten.output(Shape::Flat(7)), Ok(Shape::Flat(7)));
        let dense = LayerKind::Dense(Dense {
            units: 3,
            activation: crate::spec::Activation::Relu,
            use_bias: true,
            init: Init::HeUniform,
        });
        assert_eq!(dense.output(Shape::Flat(60)), Ok(Shape::Flat(3)));
        assert_eq!(dense.output(map(3, 4, 5)), Err(ShapeError::NeedsFlat { h: 3, w: 4, c: 5 }));
        assert_eq!(LayerKind::GlobalAvgPool2d.output(map(3, 4, 5)), Ok(Shape::Flat(5)));
        assert_eq!(
            LayerKind::GlobalAvgPool2d.output(Shape::Flat(60)).unwrap_err().to_string(),
            "global average pooling needs a height×width×channels input but gets a flat vector of 60; \
             move it before the flatten (or dense) layer"
        );
        let se = LayerKind::SqueezeExcite(SqueezeExcite { ratio: 8 });
        assert_eq!(se.output(map(2, 2, 8)), Ok(map(2, 2, 8)));
        assert_eq!(se.output(map(2, 2, 4)), Err(ShapeError::RatioTooLarge { ratio: 8, c: 4 }));
        assert_eq!(se.output(Shape::Flat(8)), Err(ShapeError::NeedsMap { what: "squeeze-and-excitation", n: 8 }));
        // Layers that keep the shape keep a flat one too.
        assert_eq!(LayerKind::Dropout { rate: 0.5 }.output(Shape::Flat(9)), Ok(Shape::Flat(9)));
    }

    #[test]
    fn residual_output_identity_projection_or_why_not() {
        assert_eq!(residual_output(map(4, 4, 8), map(4, 4, 8), false), Ok(map(4, 4, 8)));
        // ⌈7 / 2⌉ = 4: a stride-2 projection matches.
        assert_eq!(residual_output(map(7, 7, 4), map(4, 4, 8), true), Ok(map(4, 4, 8)));
        assert_eq!(projection_strides(map(7, 9, 4), map(4, 3, 8)), Some((2, 3)));
        assert_eq!(
            residual_output(map(7, 7, 4), map(4, 4, 8), false),
            Err(ShapeError::CannotAdd { input: map(7, 7, 4), output: map(4, 4, 8) })
        );
        // No s gives ⌈6 / s⌉ = 4.
        assert_eq!(
            residual_output(map(6, 6, 4), map(4, 4, 4), true).unwrap_err().to_string(),
            "the block turns 6×6×4 into 4×4×4, which no strided 1×1 projection can match; use \"same\" padding inside the block"
        );
        // A projection cannot flatten.
        assert_eq!(
            residual_output(map(2, 2, 2), Shape::Flat(8), true).unwrap_err().to_string(),
            "the block turns 2×2×2 into 8, so its input cannot be added to its output; keep the block's output shape equal to its input"
        );
        let block = LayerKind::Residual(Residual {
            layers: vec![layer("c", conv(8, (3, 3), (2, 2), Padding::Same))],
            projection: true,
            activation: crate::spec::Activation::Relu,
        });
        assert_eq!(block.output(map(7, 7, 4)), Ok(map(4, 4, 8)));
        // An inner layer that cannot take its input is named.
        let block = LayerKind::Residual(Residual {
            layers: vec![layer("big", conv(4, (9, 9), (1, 1), Padding::Valid))],
            projection: true,
            activation: crate::spec::Activation::Linear,
        });
        let e = block.output(map(7, 7, 4)).unwrap_err();
        assert!(matches!(&e, ShapeError::Inside { layer, .. } if layer == "big"), "{e:?}");
        assert!(e.to_string().starts_with("big: kernel 9×9 does not fit input 7×7"), "{e}");
    }

    #[test]
    fn concat_of_branches_that_disagree() {
        let branches = vec![
            vec![layer("a", conv(2, (3, 3), (1, 1), Padding::Valid))],
            vec![layer("b", conv(2, (1, 1), (1, 1), Padding::Valid))],
        ];
        let e = LayerKind::Concat { branches }.output(map(8, 8, 4)).unwrap_err();
        assert_eq!(e, ShapeError::BranchesDisagree { shapes: vec![map(6, 6, 2), map(8, 8, 2)] });
        // An empty branch passes the input through; flat and map do not mix.
        let branches = vec![vec![layer("f", LayerKind::Flatten)], vec![]];
        assert_eq!(
            LayerKind::Concat { branches }.output(map(2, 2, 3)),
            Err(ShapeError::BranchesDisagree { shapes: vec![Shape::Flat(12), map(2, 2, 3)] })
        );
        let branches = vec![vec![layer("f", LayerKind::Flatten)], vec![layer("g", LayerKind::Flatten)]];
        assert_eq!(LayerKind::Concat { branches }.output(map(2, 2, 3)), Ok(Shape::Flat(24)));
        assert_eq!(concat_output(&[map(3, 3, 1), map(3, 3, 5), map(3, 3, 2)]), Ok(map(3, 3, 8)));
        assert_eq!(concat_output(&[]), Err(ShapeError::NoBranches));
    }

    #[test]
    fn the_parser_places_the_rule_s_errors() {
        // The parser's message is the rule's text behind the layer's place.
        let e = parse(
            r#"{"input": [8, 8, 4], "layers": [{"type": "residual", "projection": true, "layers": [
            {"type": "conv2d", "filters": 4, "kernel_size": 3}]}]}"#,
        )
        .unwrap_err();
        let want = ShapeError::NoProjection { input: map(8, 8, 4), output: map(6, 6, 4) };
        assert_eq!(e.message(), format!("layers[0] (residual): {want}"));
    }

    #[test]
    fn trace_agrees_with_output_on_blocks() {
        let spec = parse(
            r#"{"input": [9, 9, 2], "layers": [
                {"type": "residual", "projection": true, "layers": [
                    {"type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}]},
                {"type": "concat", "branches": [[{"type": "max_pool2d", "pool_size": 1}], []]},
                {"type": "flatten"}]}"#,
        )
        .unwrap();
        let t = trace(&spec.layers, spec.input).unwrap();
        let rows: Vec<(usize, &str, Shape)> = t.iter().map(|r| (r.depth, r.name.as_str(), r.output)).collect();
        assert_eq!(
            rows,
            [
                (0, "residual_1", map(5, 5, 4)),
                (1, "conv2d_1", map(5, 5, 4)),
                (0, "concat_1", map(5, 5, 8)),
                (1, "max_pool2d_1", map(5, 5, 4)),
                (0, "flatten_1", Shape::Flat(200)),
            ]
        );
        for (r, l) in [(0, 0), (2, 1), (4, 2)] {
            assert_eq!(spec.layers[l].kind.output(t[r].input), Ok(t[r].output));
        }
        assert_eq!(sequence_output(&spec.layers, spec.input), Ok(Shape::Flat(200)));
    }
}
