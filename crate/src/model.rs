//! A model built from a spec on a backend: parameters and every buffer allocated
//! once for a maximum batch; forward, backward and an optimiser step per batch.
//!
//! Classification: the last layer must end in a softmax. While training, that
//! softmax is fused into the cross-entropy loss (the layer emits logits); at
//! inference it is applied to the logits.

use crate::backend::cpu::rng::{pcg_hash, Stream};
use crate::backend::ops::{Backend, OptimStep};
use crate::error::{Error, Result};
use crate::layers::{conv, dense, norm, pool, simple, Node, Op, Param, Pass};
use crate::spec::{Activation, LayerKind, ModelSpec, Shape};

pub struct Model<B: Backend> {
    pub be: B,
    pub spec: ModelSpec,
    pub nodes: Vec<Node<B>>,
    pub params: Vec<Param<B>>,
    pub max_batch: usize,
    pub classes: usize,
    input: B::Buf,
    /// Two gradient buffers of the largest layer output, used in turn by backward:
    /// layer i reads its output gradient from one and writes its input gradient to the other.
    grads: [B::Buf; 2],
    labels: B::Idx,
    /// [Σ loss, correct] accumulated on the device since the last `take_metrics`.
    metrics: B::Buf,
    /// Optimiser steps taken (Adam's t).
    pub steps: u32,
    seed: u32,
}

fn hw_c(s: Shape) -> (usize, usize, usize) {
    match s {
        Shape::Map { h, w, c } => (h, w, c),
        Shape::Flat(n) => (1, 1, n),
    }
}

impl<B: Backend> Model<B> {
    /// Builds the model for batches of up to `max_batch`; weights are drawn from `seed`.
    pub fn new(be: B, spec: &ModelSpec, max_batch: usize, seed: u32) -> Result<Model<B>> {
        if max_batch == 0 {
            return Err(Error::Invalid("batch size 0: use a batch of at least 1".into()));
        }
        let mut params = Vec::new();
        let mut nodes: Vec<Node<B>> = Vec::new();
        let mut stream = Stream::new(seed);
        let mut shape = spec.input;
        let last = spec.layers.len() - 1;
        let mut softmax_end = false;
        for (i, layer) in spec.layers.iter().enumerate() {
            let (h, w, c) = hw_c(shape);
            // The final softmax is left to the loss (training) or to `predict`.
            let strip = |a: Activation, sm: &mut bool| {
                if i == last && a == Activation::Softmax {
                    *sm = true;
                    Activation::Linear
                } else {
                    a
                }
            };
            let name = layer.name.as_str();
            let (op, out_shape): (Box<dyn Op<B>>, Shape) = match &layer.kind {
                LayerKind::Conv2d(k) => {
                    let out = out_map(shape, k.kernel, k.strides, k.padding, k.filters);
                    let a = strip(k.activation, &mut softmax_end);
                    let op = conv::Conv::new(&be, &mut params, &mut stream, name, false, (h, w, c), k.filters, k.kernel, k.strides, k.padding, a, k.use_bias, out.elements());
                    (Box::new(op), out)
                }
                LayerKind::DepthwiseConv2d(k) => {
                    let out = out_map(shape, k.kernel, k.strides, k.padding, c);
                    let a = strip(k.activation, &mut softmax_end);
                    let op = conv::Conv::new(&be, &mut params, &mut stream, name, true, (h, w, c), c, k.kernel, k.strides, k.padding, a, k.use_bias, out.elements());
                    (Box::new(op), out)
                }
                LayerKind::SeparableConv2d(k) => {
                    let mid = out_map(shape, k.kernel, k.strides, k.padding, c);
                    let out = out_map(shape, k.kernel, k.strides, k.padding, k.filters);
                    let (mh, mw, _) = hw_c(mid);
                    let a = strip(k.activation, &mut softmax_end);
                    let dw = conv::Conv::new(&be, &mut params, &mut stream, &format!("{name}/depthwise"), true, (h, w, c), c, k.kernel, k.strides, k.padding, Activation::Linear, false, mid.elements());
                    let pw = conv::Conv::new(&be, &mut params, &mut stream, &format!("{name}/pointwise"), false, (mh, mw, c), k.filters, (1, 1), (1, 1), crate::spec::Padding::Valid, a, k.use_bias, out.elements());
                    let ml = mid.elements();
                    (Box::new(conv::Separable::<B> { depthwise: dw, pointwise: pw, mid: be.alloc(max_batch * ml), dmid: be.alloc(max_batch * ml), mid_len: max_batch * ml }), out)
                }
                LayerKind::MaxPool2d(p) | LayerKind::AvgPool2d(p) => {
                    let out = out_map(shape, p.pool, p.strides, p.padding, c);
                    let max = matches!(layer.kind, LayerKind::MaxPool2d(_));
                    let argmax = max.then(|| be.alloc_idx(max_batch * out.elements()));
                    (Box::new(pool::Pool::<B> { max, hwc: (h, w, c), spec: p.clone(), argmax, out_len: max_batch * out.elements() }), out)
                }
                LayerKind::GlobalAvgPool2d => (Box::new(pool::GlobalAvgPool { hw: h * w, c }), Shape::Flat(c)),
                LayerKind::BatchNorm(b) => (Box::new(norm::Bn::new(&be, &mut params, name, c, h * w, b.clone())), shape),
                LayerKind::Dense(d) => {
                    let a = strip(d.activation, &mut softmax_end);
                    (Box::new(dense::Dense::new(&be, &mut params, &mut stream, name, shape.elements(), d.units, a, d.use_bias)), Shape::Flat(d.units))
                }
                LayerKind::Flatten => (Box::new(simple::Flatten { len: shape.elements() }), Shape::Flat(shape.elements())),
                LayerKind::Activation { activation } => {
                    let a = strip(*activation, &mut softmax_end);
                    (Box::new(simple::Act { activation: a, channels: c, len: shape.elements() }), shape)
                }
                LayerKind::Dropout { rate } => (Box::new(simple::Dropout { rate: *rate, len: shape.elements(), salt: pcg_hash(i as u32 + 1) }), shape),
                LayerKind::Lrn(l) => (Box::new(norm::LocalResponseNorm { c, spec: l.clone(), len: shape.elements() }), shape),
                LayerKind::Residual(_) | LayerKind::Concat { .. } | LayerKind::SqueezeExcite(_) => {
                    return Err(Error::Invalid(format!(
                        "layers[{i}] ({}): residual, concat and squeeze-and-excitation blocks can be summarised but not yet run by the engine; \
                         remove the block to train this model",
                        layer.kind.type_name()
                    )));
                }
            };
            let len = max_batch * out_shape.elements();
            nodes.push(Node { name: layer.name.clone(), type_name: layer.kind.type_name(), input: shape, output: out_shape, op, out: be.alloc(len) });
            shape = out_shape;
        }
        let classes = match shape {
            Shape::Flat(k) if softmax_end => k,
            _ => {
                return Err(Error::Invalid(format!(
                    "the model ends in {shape} without a softmax, so it cannot be trained as a classifier; \
                     end it with {{\"type\": \"dense\", \"units\": <classes>, \"activation\": \"softmax\"}}"
                )))
            }
        };
        let input = be.alloc(max_batch * spec.input.elements());
        let largest = nodes.iter().map(|n| n.output.elements()).max().unwrap_or(1);
        let grads = [be.alloc(max_batch * largest), be.alloc(max_batch * largest)];
        let labels = be.alloc_idx(max_batch);
        let metrics = be.alloc(2);
        Ok(Model { be, spec: spec.clone(), nodes, params, max_batch, classes, input, grads, labels, metrics, steps: 0, seed })
    }

    fn check_batch(&self, n: usize, what: &str) -> Result<()> {
        if n == 0 || n > self.max_batch {
            return Err(Error::Invalid(format!(
                "{what}: batch of {n} instances, but this model was built for 1 to {} at a time; split the data into smaller batches",
                self.max_batch
            )));
        }
        Ok(())
    }

    /// Uploads a batch of inputs (n × input elements, f32).
    pub fn set_input(&self, x: &[f32]) -> Result<usize> {
        let per = self.spec.input.elements();
        if x.is_empty() || x.len() % per != 0 {
            return Err(Error::Invalid(format!(
                "input has {} values, which is not a whole number of {} instances ({per} values each)",
                x.len(),
                self.spec.input
            )));
        }
        let n = x.len() / per;
        self.check_batch(n, "input")?;
        self.be.write(&self.input, x);
        Ok(n)
    }

    fn forward(&mut self, n: usize, train: bool, seed: u32) -> Result<()> {
        let pass = Pass { be: &self.be, params: &self.params, n, train, seed };
        for i in 0..self.nodes.len() {
            let (before, rest) = self.nodes.split_at_mut(i);
            let x = before.last().map_or(&self.input, |p| &p.out);
            let node = &mut rest[0];
            node.op.forward(&pass, x, &node.out)?;
        }
        Ok(())
    }

    /// Logits of the last batch set with `set_input`, after an inference forward pass.
    pub async fn predict(&mut self, n: usize) -> Result<Vec<f32>> {
        self.check_batch(n, "predict")?;
        self.forward(n, false, 0)?;
        let last = self.nodes.last().expect("a model has layers");
        self.be.activation_forward(Activation::Softmax, self.classes, n * self.classes, &last.out);
        self.be.flush();
        self.be.read(&last.out, n * self.classes).await
    }

    /// One training step on a batch (inputs as f32, labels as class indices): forward,
    /// loss, backward, optimiser. Nothing is read back; metrics accumulate on the device.
    pub fn train_step(&mut self, x: &[f32], labels: &[u8], step: OptimStep) -> Result<()> {
        let n = self.set_input(x)?;
        if labels.len() != n {
            return Err(Error::Invalid(format!("{n} inputs but {} labels; pass one label per input", labels.len())));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= self.classes) {
            return Err(Error::Invalid(format!("label {bad} is out of range for {} classes (0..{})", self.classes, self.classes - 1)));
        }
        let l: Vec<u32> = labels.iter().map(|&v| v as u32).collect();
        self.be.write_idx(&self.labels, &l);
        self.steps += 1;
        let seed = pcg_hash(self.seed ^ pcg_hash(self.steps));
        self.forward(n, true, seed)?;
        let last = self.nodes.last().expect("a model has layers");
        let layers = self.nodes.len();
        self.be.softmax_xent(n, self.classes, &last.out, &self.labels, &self.grads[0], &self.metrics);
        let pass = Pass { be: &self.be, params: &self.params, n, train: true, seed };
        for i in (0..layers).rev() {
            let (before, rest) = self.nodes.split_at_mut(i);
            let dout = &self.grads[(layers - 1 - i) % 2];
            let (x, dx) = match before.last() {
                Some(p) => (&p.out, Some(&self.grads[(layers - i) % 2])),
                None => (&self.input, None),
            };
            let node = &mut rest[0];
            node.op.backward(&pass, x, &node.out, dout, dx)?;
        }
        let step = match step {
            OptimStep::Adam { lr, beta1, beta2, eps, weight_decay, decoupled, .. } => OptimStep::Adam { lr, beta1, beta2, eps, t: self.steps, weight_decay, decoupled },
            s => s,
        };
        for p in &self.params {
            if let Some((g, m, v)) = &p.grad {
                self.be.optim_step(step, p.len, &p.value, g, m, v);
            }
        }
        self.be.flush();
        Ok(())
    }

    /// Mean loss and accuracy over the steps since the last call (reads back 2 numbers).
    pub async fn take_metrics(&mut self, instances: usize) -> Result<(f32, f32)> {
        self.be.flush();
        let m = self.be.read(&self.metrics, 2).await?;
        self.be.fill(&self.metrics, 2, 0.0);
        let n = instances.max(1) as f32;
        Ok((m[0] / n, m[1] / n))
    }

    pub fn param_count(&self) -> usize {
        self.params.iter().map(|p| p.len).sum()
    }

    /// Bytes the backend allocated for this model (parameters, state, activations, workspace).
    pub fn allocated_bytes(&self) -> u64 {
        self.be.allocated_bytes()
    }

    /// Parameter values, by name, read back from the device.
    pub async fn read_params(&self) -> Result<Vec<(String, Vec<f32>)>> {
        self.be.flush();
        let mut out = Vec::with_capacity(self.params.len());
        for p in &self.params {
            out.push((p.name.clone(), self.be.read(&p.value, p.len).await?));
        }
        Ok(out)
    }
}

fn out_map(input: Shape, k: (usize, usize), s: (usize, usize), p: crate::spec::Padding, c: usize) -> Shape {
    let (h, w, _) = hw_c(input);
    Shape::Map { h: crate::spec::conv_out(h, k.0, s.0, p).unwrap_or(0), w: crate::spec::conv_out(w, k.1, s.1, p).unwrap_or(0), c }
}
