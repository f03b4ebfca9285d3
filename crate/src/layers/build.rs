//! Builds the layers of a spec (recursively for blocks) on a backend.

use super::block::{Concat, Residual, Sequence, SqueezeExcite};
use super::{conv, dense, norm, pool, simple, Node, Op, Param};
use crate::backend::cpu::rng::{pcg_hash, Stream};
use crate::backend::ops::Backend;
use crate::error::{Error, Result};
use crate::spec::{
    concat_output, projection_strides, residual_output, Activation, Init, Interpolation, Layer, LayerKind, Padding,
};
use crate::spec::{Shape, ShapeError};

pub struct Builder<'a, B: Backend> {
    pub be: &'a B,
    pub params: &'a mut Vec<Param<B>>,
    pub stream: Stream,
    pub max_batch: usize,
    /// Dropout layers built so far (each gets its own mask stream).
    pub dropouts: u32,
    /// Inside a layer marked `"trainable": false`.
    pub frozen: bool,
}

/// Height, width and channels as the engine's lengths (saturated, never wrapped: a plan
/// too large for the engine is refused before it is built).
pub fn hw_c(s: Shape) -> (usize, usize, usize) {
    let len = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    match s {
        Shape::Map { h, w, c } => (len(h), len(w), len(c)),
        Shape::Flat(n) => (1, 1, len(n)),
    }
}

/// A layer that cannot take its input: only a spec that was not validated gets here.
pub(crate) fn unfit(layer: &Layer, e: ShapeError) -> Error {
    Error::Invalid(format!(
        "layer \"{}\" ({}): {e}; validate the spec with spec::parse before building it",
        layer.name,
        layer.kind.type_name()
    ))
}

impl<B: Backend> Builder<'_, B> {
    /// Builds `layers` from `input`. With `strip_softmax`, a softmax ending the last layer
    /// is left out (the loss or `predict` applies it) and reported in the returned flag.
    pub fn sequence(
        &mut self,
        layers: &[Layer],
        input: Shape,
        strip_softmax: bool,
    ) -> Result<(Sequence<B>, Shape, bool)> {
        let mut nodes = Vec::new();
        let mut shape = input;
        let mut stripped = false;
        for (i, layer) in layers.iter().enumerate() {
            let last = strip_softmax && i + 1 == layers.len();
            let first = self.params.len();
            let outer = self.frozen;
            self.frozen |= !layer.trainable;
            let built = self.layer(layer, shape, last);
            if self.frozen {
                self.params[first..].iter_mut().for_each(|p| p.frozen = true);
            }
            self.frozen = outer;
            let (op, out, s) = built?;
            let learns = self.params[first..].iter().any(|p| p.learns());
            stripped |= s;
            nodes.push(Node {
                name: layer.name.clone(),
                type_name: layer.kind.type_name(),
                input: shape,
                output: out,
                op,
                out: self.be.alloc_act(self.max_batch * out.buffer_len()),
                learns,
            });
            shape = out;
        }
        let largest = nodes.iter().map(|n| n.output.buffer_len()).max().unwrap_or(0);
        // A sequence of one layer passes gradients straight through: no buffers needed.
        let glen = if nodes.len() > 1 { self.max_batch * largest } else { 1 };
        let grads = [self.be.alloc(glen), self.be.alloc(glen)];
        Ok((Sequence { nodes, grads }, shape, stripped))
    }

    fn layer(&mut self, layer: &Layer, shape: Shape, last: bool) -> Result<(Box<dyn Op<B>>, Shape, bool)> {
        let (h, w, c) = hw_c(shape);
        let be = self.be;
        let mb = self.max_batch;
        let name = layer.name.as_str();
        let mut stripped = false;
        let mut act = |a: Activation| {
            if last && a == Activation::Softmax {
                stripped = true;
                Activation::Linear
            } else {
                a
            }
        };
        // Leaves by the one shape rule; blocks combine their inner sequences' outputs by it below.
        let out = match &layer.kind {
            LayerKind::Residual(_) | LayerKind::Concat { .. } => shape,
            kind => kind.output(shape).map_err(|e| unfit(layer, e))?,
        };
        let (op, out): (Box<dyn Op<B>>, Shape) = match &layer.kind {
            LayerKind::Conv2d(k) => {
                let a = act(k.activation);
                let op = conv::Conv::new(
                    be,
                    self.params,
                    &mut self.stream,
                    name,
                    false,
                    (h, w, c),
                    k.filters,
                    k.kernel,
                    k.strides,
                    k.padding,
                    a,
                    k.use_bias,
                    out.buffer_len(),
                    k.init,
                );
                (Box::new(op), out)
            }
            LayerKind::DepthwiseConv2d(k) => {
                let a = act(k.activation);
                let op = conv::Conv::new(
                    be,
                    self.params,
                    &mut self.stream,
                    name,
                    true,
                    (h, w, c),
                    c,
                    k.kernel,
                    k.strides,
                    k.padding,
                    a,
                    k.use_bias,
                    out.buffer_len(),
                    k.init,
                );
                (Box::new(op), out)
            }
            LayerKind::SeparableConv2d(k) => {
                // The depthwise stage keeps the channels; the pointwise one changes only them.
                let (mh, mw, _) = hw_c(out);
                let mid = Shape::Map { h: mh as u64, w: mw as u64, c: c as u64 };
                let a = act(k.activation);
                let dw = conv::Conv::new(
                    be,
                    self.params,
                    &mut self.stream,
                    &format!("{name}/depthwise"),
                    true,
                    (h, w, c),
                    c,
                    k.kernel,
                    k.strides,
                    k.padding,
                    Activation::Linear,
                    false,
                    mid.buffer_len(),
                    k.init,
                );
                let pw = conv::Conv::new(
                    be,
                    self.params,
                    &mut self.stream,
                    &format!("{name}/pointwise"),
                    false,
                    (mh, mw, c),
                    k.filters,
                    (1, 1),
                    (1, 1),
                    Padding::Valid,
                    a,
                    k.use_bias,
                    out.buffer_len(),
                    k.init,
                );
                let ml = mb * mid.buffer_len();
                (
                    Box::new(conv::Separable::<B> {
                        depthwise: dw,
                        pointwise: pw,
                        mid: be.alloc(ml),
                        dmid: be.alloc(ml),
                        mid_len: ml,
                    }),
                    out,
                )
            }
            LayerKind::MaxPool2d(p) | LayerKind::AvgPool2d(p) => {
                let max = matches!(layer.kind, LayerKind::MaxPool2d(_));
                let argmax = max.then(|| be.alloc_idx(mb * out.buffer_len()));
                (
                    Box::new(pool::Pool::<B> {
                        max,
                        hwc: (h, w, c),
                        spec: p.clone(),
                        argmax,
                        out_len: mb * out.buffer_len(),
                    }),
                    out,
                )
            }
            LayerKind::GlobalAvgPool2d => (Box::new(pool::GlobalAvgPool { hw: h * w, c }), out),
            LayerKind::BatchNorm(b) => {
                let mut bn = norm::Bn::new(be, self.params, name, c, h * w, b.clone());
                bn.inference = self.frozen;
                (Box::new(bn), out)
            }
            LayerKind::Dense(d) => {
                let a = act(d.activation);
                (
                    Box::new(dense::Dense::new(
                        be,
                        self.params,
                        &mut self.stream,
                        name,
                        shape.buffer_len(),
                        d.units,
                        a,
                        d.use_bias,
                        d.init,
                    )),
                    out,
                )
            }
            LayerKind::Flatten => (Box::new(simple::Flatten { len: shape.buffer_len() }), out),
            LayerKind::Activation { activation } => {
                let a = act(*activation);
                (Box::new(simple::Act { activation: a, channels: c, len: shape.buffer_len() }), out)
            }
            LayerKind::Dropout { rate } => {
                self.dropouts += 1;
                (Box::new(simple::Dropout { rate: *rate, len: shape.buffer_len(), salt: pcg_hash(self.dropouts) }), out)
            }
            LayerKind::Conv2dTranspose(k) => {
                let a = act(k.activation);
                let (oh, ow, _) = hw_c(out);
                let op = conv::ConvTranspose::new(
                    be,
                    self.params,
                    &mut self.stream,
                    name,
                    (h, w, c),
                    ((oh, ow), k.filters),
                    k,
                    a,
                );
                (Box::new(op), out)
            }
            LayerKind::UpSampling2d(u) => {
                let bilinear = u.interpolation == Interpolation::Bilinear;
                (Box::new(pool::UpSample { hwc: (h, w, c), size: u.size, bilinear }), out)
            }
            LayerKind::Lrn(l) => {
                (Box::new(norm::LocalResponseNorm { c, spec: l.clone(), len: shape.buffer_len() }), out)
            }
            LayerKind::Residual(r) => {
                let (inner, inner_shape, _) = self.sequence(&r.layers, shape, false)?;
                let inner_shape = residual_output(shape, inner_shape, r.projection).map_err(|e| unfit(layer, e))?;
                let projection = if inner_shape != shape {
                    let oc = hw_c(inner_shape).2;
                    // residual_output accepted the shapes, so a stride exists.
                    let (sh, sw) = projection_strides(shape, inner_shape).unwrap_or((1, 1));
                    let conv = conv::Conv::new(
                        be,
                        self.params,
                        &mut self.stream,
                        &format!("{name}/projection"),
                        false,
                        (h, w, c),
                        oc,
                        (1, 1),
                        (sh, sw),
                        Padding::Same,
                        Activation::Linear,
                        true,
                        inner_shape.buffer_len(),
                        Init::GlorotUniform,
                    );
                    Some((conv, be.alloc(mb * inner_shape.buffer_len())))
                } else {
                    None
                };
                let a = act(r.activation);
                let op = Residual {
                    inner,
                    projection,
                    activation: a,
                    channels: hw_c(inner_shape).2,
                    len: inner_shape.buffer_len(),
                    in_len: shape.buffer_len(),
                    skip: be.alloc(mb * shape.buffer_len()),
                };
                (Box::new(op), inner_shape)
            }
            LayerKind::Concat { branches } => {
                let mut seqs = Vec::new();
                let mut shapes = Vec::new();
                let mut part_grads = Vec::new();
                for b in branches {
                    let (seq, s, _) = self.sequence(b, shape, false)?;
                    shapes.push(s);
                    part_grads.push(be.alloc(mb * s.buffer_len()));
                    seqs.push(seq);
                }
                let out = concat_output(&shapes).map_err(|e| unfit(layer, e))?;
                let (oh, ow, _) = hw_c(out);
                let op = Concat {
                    branches: seqs,
                    channels: shapes.iter().map(|s| hw_c(*s).2).collect(),
                    positions: oh * ow,
                    in_len: shape.buffer_len(),
                    part_grads,
                    branch_dx: be.alloc(mb * shape.buffer_len()),
                };
                (Box::new(op), out)
            }
            LayerKind::SqueezeExcite(se) => {
                let hidden = (c / se.ratio).max(1);
                let squeeze = dense::Dense::new(
                    be,
                    self.params,
                    &mut self.stream,
                    &format!("{name}/squeeze"),
                    c,
                    hidden,
                    Activation::Relu,
                    true,
                    Init::GlorotUniform,
                );
                let excite = dense::Dense::new(
                    be,
                    self.params,
                    &mut self.stream,
                    &format!("{name}/excite"),
                    hidden,
                    c,
                    Activation::Sigmoid,
                    true,
                    Init::GlorotUniform,
                );
                let op = SqueezeExcite {
                    positions: h * w,
                    c,
                    hidden,
                    squeeze,
                    excite,
                    pooled: be.alloc(mb * c),
                    hid: be.alloc(mb * hidden),
                    scales: be.alloc(mb * c),
                    dpooled: be.alloc(mb * c),
                    dhid: be.alloc(mb * hidden),
                    dscales: be.alloc(mb * c),
                    dx_pool: be.alloc(mb * shape.buffer_len()),
                };
                (Box::new(op), out)
            }
        };
        Ok((op, out, stripped))
    }
}
