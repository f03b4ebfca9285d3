//! A model built from a spec on a backend: parameters and every buffer allocated
//! once for a maximum batch; forward, backward and an optimiser step per batch.
//!
//! Classification: the last layer must end in a softmax. While training, that
//! softmax is fused into the cross-entropy loss (the layer emits logits); at
//! inference it is applied to the logits. The last layer may output a vector (one
//! class distribution per instance) or a map [h, w, k] (a distribution over the k
//! channels at each of the h·w positions, one label per position: a fully
//! convolutional classifier or a segmentation network).

use crate::backend::cpu::augment::Augment;
use crate::backend::cpu::rng::{pcg_hash, Stream};
use crate::backend::ops::{Backend, OptimStep};
use crate::error::{Error, Result};
use crate::layers::block::Sequence;
use crate::layers::build::{hw_c, Builder};
use crate::layers::plan::{bytes_text, Plan};
use crate::layers::{Param, Pass};
use crate::spec::{Activation, ModelSpec, Shape};

pub struct Model<B: Backend> {
    pub be: B,
    pub spec: ModelSpec,
    /// The layers, top level; blocks hold their own.
    pub body: Sequence<B>,
    pub params: Vec<Param<B>>,
    pub max_batch: usize,
    pub classes: usize,
    /// Positions of the output per instance, each with its own class distribution and
    /// label: h·w for a map output [h, w, classes], 1 for a vector.
    pub positions: usize,
    input: B::Buf,
    labels: B::Idx,
    /// Gradient of the loss with respect to the logits.
    dlogits: B::Buf,
    /// [Σ loss, correct] accumulated on the device since the last `take_metrics`.
    metrics: B::Buf,
    /// Optimiser steps taken (Adam's t).
    pub steps: u32,
    seed: u32,
    /// Gradient with respect to the input, for saliency (allocated on first use).
    dinput: Option<B::Buf>,
    /// Random affine augmentation of training batches (off by default).
    augment: Augment,
    /// The augmented batch (allocated when augmentation is first turned on).
    augmented: Option<B::Buf>,
}

/// One layer's output for the instance being inspected.
#[derive(Debug)]
pub struct LayerValues {
    pub name: String,
    pub type_name: &'static str,
    pub shape: Shape,
    pub values: Vec<f32>,
}

/// What `Model::inspect` sees inside the network for one input.
#[derive(Debug)]
pub struct Inside {
    /// Every top-level layer's output (feature maps [h, w, c] channel-last; vectors);
    /// the last one holds the logits, before the softmax.
    pub layers: Vec<LayerValues>,
    pub probabilities: Vec<f32>,
    /// The class with the highest probability.
    pub top: usize,
    /// ∂(top class logit)/∂(input), the input's shape.
    pub saliency: Vec<f32>,
}

impl<B: Backend> Model<B> {
    /// Builds the model for batches of up to `max_batch`; weights are drawn from `seed`.
    pub fn new(be: B, spec: &ModelSpec, max_batch: usize, seed: u32) -> Result<Model<B>> {
        if max_batch == 0 {
            return Err(Error::Invalid("batch size 0: use a batch of at least 1".into()));
        }
        // Nothing is allocated before the plan is checked against what this backend allows.
        Plan::of(spec)?.check(spec, max_batch, &be.limits(), be.name() == "cpu")?;
        let mut params = Vec::new();
        let (body, shape, softmax_end) = {
            let mut b = Builder {
                be: &be,
                params: &mut params,
                stream: Stream::new(seed),
                max_batch,
                dropouts: 0,
                frozen: false,
            };
            b.sequence(&spec.layers, spec.input, true)?
        };
        let (classes, positions) = match shape {
            Shape::Flat(_) | Shape::Map { .. } if softmax_end => {
                let (h, w, k) = hw_c(shape);
                (k, h.saturating_mul(w))
            }
            _ => {
                return Err(Error::Invalid(format!(
                    "the model ends in {shape} without a softmax, so it cannot be trained as a classifier; \
                     end it with {{\"type\": \"dense\", \"units\": <classes>, \"activation\": \"softmax\"}}"
                )))
            }
        };
        let input = be.alloc_act(max_batch * spec.input.buffer_len());
        let labels = be.alloc_idx(max_batch * positions);
        let dlogits = be.alloc(max_batch * positions * classes);
        let metrics = be.alloc(crate::backend::ops::METRICS_LEN);
        Ok(Model {
            be,
            spec: spec.clone(),
            body,
            params,
            max_batch,
            classes,
            positions,
            input,
            labels,
            dlogits,
            metrics,
            steps: 0,
            seed,
            dinput: None,
            augment: Augment::default(),
            augmented: None,
        })
    }

    /// Whether `len` more values fit the backend's budget, before a buffer built on need.
    fn room(&self, len: usize, what: &str) -> Result<()> {
        let limits = self.be.limits();
        let bytes = (len as u64).saturating_mul(4);
        let total = self.be.allocated_bytes().saturating_add(bytes);
        if total > limits.budget || bytes > limits.max_buffer {
            return Err(Error::Invalid(format!(
                "{what} needs {} more, {} in all, but this engine can allocate at most {} ({}) and {} per buffer ({}); \
                 build the model for a smaller batch",
                bytes_text(bytes),
                bytes_text(total),
                bytes_text(limits.budget),
                limits.budget_source,
                bytes_text(limits.max_buffer),
                limits.max_buffer_source
            )));
        }
        Ok(())
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
        let per = self.spec.input.buffer_len();
        if x.is_empty() || !x.len().is_multiple_of(per) {
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
        self.body.forward(&pass, &self.input)
    }

    /// Class probabilities of the last batch set with `set_input`, after an inference forward
    /// pass: n × positions × classes values (instance, then position row by row, then class).
    pub async fn predict(&mut self, n: usize) -> Result<Vec<f32>> {
        self.check_batch(n, "predict")?;
        self.forward(n, false, 0)?;
        let last = self.body.nodes.last().ok_or_else(no_layers)?;
        let len = n * self.positions * self.classes;
        self.be.activation_forward(Activation::Softmax, self.classes, len, &last.out);
        self.be.flush();
        self.be.read(&last.out, len).await
    }

    /// Turns random affine augmentation of training batches on (or off with all ranges 0).
    /// Only image inputs can be augmented; evaluation and prediction never are.
    pub fn set_augment(&mut self, a: Augment) -> Result<()> {
        let Shape::Map { .. } = self.spec.input else {
            if a.is_off() {
                self.augment = a;
                return Ok(());
            }
            return Err(Error::Invalid(format!(
                "augmentation shifts and rotates images, but this model's input is {}; turn augmentation off or give the model an image input [h, w, c]",
                self.spec.input
            )));
        };
        let (h, w, _) = hw_c(self.spec.input);
        a.validate(h, w)?;
        if !a.is_off() && self.augmented.is_none() {
            self.room(self.max_batch * self.spec.input.buffer_len(), "augmentation's batch")?;
            self.augmented = Some(self.be.alloc_act(self.max_batch * self.spec.input.buffer_len()));
        }
        self.augment = a;
        Ok(())
    }

    pub fn augment(&self) -> Augment {
        self.augment
    }

    /// Inference on the batch set with `set_input`, returning the output of top-level layer
    /// `node` (e.g. the pooled features before a classifier) for the n instances.
    pub async fn features(&mut self, n: usize, node: usize) -> Result<Vec<f32>> {
        Ok(self.features_at(n, &[node]).await?.remove(0))
    }

    /// Like `features`, for several top-level layers from one forward pass.
    pub async fn features_at(&mut self, n: usize, nodes: &[usize]) -> Result<Vec<Vec<f32>>> {
        self.check_batch(n, "features")?;
        if let Some(bad) = nodes.iter().find(|&&i| i >= self.body.nodes.len()) {
            return Err(Error::Invalid(format!(
                "layer {bad} does not exist: the model has {} top-level layers",
                self.body.nodes.len()
            )));
        }
        self.forward(n, false, 0)?;
        self.be.flush();
        let mut out = Vec::with_capacity(nodes.len());
        for &i in nodes {
            let d = &self.body.nodes[i];
            out.push(self.be.read(&d.out, n * d.output.buffer_len()).await?);
        }
        Ok(out)
    }

    /// The index of the top-level layer called `name`, or an error listing the names.
    pub fn node_index(&self, name: &str) -> Result<usize> {
        self.body.nodes.iter().position(|d| d.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.body.nodes.iter().map(|d| d.name.as_str()).collect();
            Error::Invalid(format!("no top-level layer is called {name:?}; this model's are {}", names.join(", ")))
        })
    }

    /// Runs one input (its values, the input shape) in inference mode and returns every
    /// top-level layer's output, the class probabilities, and the saliency: the gradient
    /// of the top class's logit (before the softmax) with respect to the input, by a
    /// backward pass in inference mode (dropout off, batch norm with its moving
    /// statistics). Parameter gradient buffers are overwritten, so call this between
    /// training steps, not between `compute_gradients` and the optimiser.
    pub async fn inspect(&mut self, x: &[f32]) -> Result<Inside> {
        if self.positions != 1 {
            return Err(Error::Invalid(format!(
                "inspect explains one class decision, but this model outputs a map of {} positions, each with its own classes; use predict (or features) instead",
                self.positions
            )));
        }
        let n = self.set_input(x)?;
        if n != 1 {
            return Err(Error::Invalid(format!(
                "inspect takes one instance, got {n}; pass the values of a single input"
            )));
        }
        self.forward(1, false, 0)?;
        self.be.flush();
        let mut layers = Vec::with_capacity(self.body.nodes.len());
        for node in &self.body.nodes {
            let values = self.be.read(&node.out, node.output.buffer_len()).await?;
            layers.push(LayerValues { name: node.name.clone(), type_name: node.type_name, shape: node.output, values });
        }
        // The last layer's values are logits (its softmax is left off); the softmax of ten
        // numbers is done here.
        let logits = &layers.last().ok_or_else(no_layers)?.values;
        let peak = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let exps: Vec<f32> = logits.iter().map(|&l| (l - peak).exp()).collect();
        let sum: f32 = exps.iter().sum();
        let probabilities: Vec<f32> = exps.iter().map(|e| e / sum).collect();
        let top =
            probabilities.iter().enumerate().fold(0, |best, (i, &p)| if p > probabilities[best] { i } else { best });
        let mut onehot = vec![0.0; self.classes];
        onehot[top] = 1.0;
        self.be.write(&self.dlogits, &onehot);
        let per = self.spec.input.buffer_len();
        if self.dinput.is_none() {
            self.room(per * self.max_batch, "the saliency map")?;
        }
        let be = &self.be;
        let dinput = self.dinput.get_or_insert_with(|| be.alloc(per * self.max_batch));
        let pass = Pass { be: &self.be, params: &self.params, n: 1, train: false, seed: 0 };
        self.body.backward(&pass, &self.input, &self.dlogits, Some(dinput))?;
        self.be.flush();
        let saliency = self.be.read(dinput, per).await?;
        Ok(Inside { layers, probabilities, top, saliency })
    }

    /// Forward (training mode), loss and backward on a batch; leaves every trainable
    /// parameter's gradient in its buffer and adds (Σ loss, correct) to the metrics.
    pub fn compute_gradients(&mut self, x: &[f32], labels: &[u8]) -> Result<usize> {
        self.compute_gradients_seeded(x, labels, self.step_seed())
    }

    /// The seed of the next training step's dropout masks and augmentation.
    pub fn step_seed(&self) -> u32 {
        pcg_hash(self.seed ^ pcg_hash(self.steps + 1))
    }

    /// [`Model::compute_gradients`] with dropout and augmentation drawn from `seed` (a replica
    /// computing its shard of another model's step: `crate::train::shard`).
    pub fn compute_gradients_seeded(&mut self, x: &[f32], labels: &[u8], seed: u32) -> Result<usize> {
        let n = self.set_input(x)?;
        if self.positions == 1 && labels.len() != n {
            return Err(Error::Invalid(format!("{n} inputs but {} labels; pass one label per input", labels.len())));
        }
        if labels.len() != n * self.positions {
            return Err(Error::Invalid(format!(
                "{n} inputs but {} labels; this model outputs a map of {} positions ({}), so pass one label per position: {} labels, instance by instance, row by row",
                labels.len(),
                self.positions,
                self.body.nodes.last().map(|d| d.output.to_string()).unwrap_or_default(),
                n * self.positions
            )));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= self.classes) {
            return Err(Error::Invalid(format!(
                "label {bad} is out of range for {} classes (0..{})",
                self.classes,
                self.classes - 1
            )));
        }
        let l: Vec<u32> = labels.iter().map(|&v| v as u32).collect();
        self.be.write_idx(&self.labels, &l);
        let x = match (self.spec.input, &self.augmented) {
            (Shape::Map { .. }, Some(out)) if !self.augment.is_off() => {
                let (h, w, c) = hw_c(self.spec.input);
                self.be.label("input", "augment");
                self.be.augment(&self.augment, pcg_hash(seed ^ 0x5eed), n, h, w, c, &self.input, out);
                out
            }
            _ => &self.input,
        };
        let pass = Pass { be: &self.be, params: &self.params, n, train: true, seed };
        self.body.forward(&pass, x)?;
        let last = self.body.nodes.last().ok_or_else(no_layers)?;
        self.be.label("loss", "loss");
        self.be.softmax_xent(n * self.positions, self.classes, &last.out, &self.labels, &self.dlogits, &self.metrics);
        self.body.backward(&pass, x, &self.dlogits, None)?;
        Ok(n)
    }

    /// One training step on a batch (inputs as f32, labels as class indices): forward,
    /// loss, backward, optimiser — recorded and submitted together. Nothing is read back;
    /// metrics accumulate on the device.
    pub fn train_step(&mut self, x: &[f32], labels: &[u8], step: OptimStep) -> Result<()> {
        self.compute_gradients(x, labels)?;
        self.apply_gradients(step);
        Ok(())
    }

    /// The optimiser step on the gradients in the parameters' buffers (counted as a step:
    /// Adam's t), then a flush.
    pub fn apply_gradients(&mut self, step: OptimStep) {
        self.steps += 1;
        let step = match step {
            OptimStep::Adam { lr, beta1, beta2, eps, weight_decay, decoupled, .. } => {
                OptimStep::Adam { lr, beta1, beta2, eps, t: self.steps, weight_decay, decoupled }
            }
            s => s,
        };
        for p in self.params.iter().filter(|p| !p.frozen) {
            if let Some((g, m, v)) = &p.grad {
                self.be.label(&p.name, "optimizer");
                self.be.optim_step(step, p.len, &p.value, g, m, v);
            }
        }
        self.be.flush();
    }

    /// Mean loss and accuracy over the steps since the last call, which trained `instances`
    /// instances (reads back 2 numbers). Both are per position for a map output: the loss
    /// averaged over every labelled position, the accuracy the fraction of positions right.
    pub async fn take_metrics(&mut self, instances: usize) -> Result<(f32, f32)> {
        self.be.flush();
        let m = self.be.read(&self.metrics, 2).await?;
        self.be.fill(&self.metrics, 2, 0.0);
        let n = instances.saturating_mul(self.positions).max(1) as f32;
        Ok((m[0] / n, m[1] / n))
    }

    /// `take_metrics` in two halves, so that a report need not leave the device idle: this
    /// sets the sums aside as they will be after the steps recorded so far and starts them
    /// afresh; `read_metrics` reads them while the steps recorded after this call run.
    pub fn set_metrics_aside(&mut self) -> B::Snapshot {
        let s = self.be.snapshot(&self.metrics, 2);
        self.be.fill(&self.metrics, 2, 0.0);
        s
    }

    /// Mean loss and accuracy of sums from `set_metrics_aside` over `instances` instances.
    pub async fn read_metrics(&self, s: B::Snapshot, instances: usize) -> Result<(f32, f32)> {
        let m = self.be.read_snapshot(s, 2).await?;
        let n = instances.saturating_mul(self.positions).max(1) as f32;
        Ok((m[0] / n, m[1] / n))
    }

    pub fn param_count(&self) -> usize {
        self.params.iter().map(|p| p.len).sum()
    }

    /// Bytes the backend allocated for this model (parameters, state, activations, workspace).
    pub fn allocated_bytes(&self) -> u64 {
        self.be.allocated_bytes()
    }

    /// Copies the value of every parameter that `other` has under the same name (the
    /// optimiser state starts afresh); returns how many were copied. A parameter of the
    /// same name with another shape is an error, and nothing is copied then.
    pub async fn copy_params_from<B2: Backend>(&mut self, other: &Model<B2>) -> Result<usize> {
        let theirs = other.read_params().await?;
        let shapes: std::collections::HashMap<&str, &Vec<usize>> =
            other.params.iter().map(|p| (p.name.as_str(), &p.shape)).collect();
        let mut bad = vec![];
        for p in &self.params {
            if let Some(s) = shapes.get(p.name.as_str()) {
                if **s != p.shape {
                    bad.push(format!("{}: {:?} there, {:?} here", p.name, s, p.shape));
                }
            }
        }
        if !bad.is_empty() {
            return Err(Error::Invalid(format!(
                "cannot copy weights between these models, shapes differ: {}",
                bad.join("; ")
            )));
        }
        let mut copied = 0;
        for (name, values) in &theirs {
            if let Some(p) = self.params.iter().find(|p| &p.name == name) {
                self.be.write(&p.value, values);
                copied += 1;
            }
        }
        Ok(copied)
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

/// A model on either backend, as the engine that built it chose: what the trainer, the page
/// and the CLI hold when the backend is picked at run time. [`with_model!`](crate::with_model)
/// runs the same code on whichever it is.
// A handful live at a time, each owning buffers far larger than itself: no need to box.
#[allow(clippy::large_enum_variant)]
pub enum AnyModel {
    Gpu(Model<crate::backend::gpu::backend::Gpu>),
    Cpu(Model<crate::backend::cpu::backend::Cpu>),
}

/// `with_model!(any_model, m => expr)`: evaluates `expr` with `m` bound to the model inside an
/// [`AnyModel`] (`&AnyModel` gives `&Model<_>`, `&mut AnyModel` gives `&mut Model<_>`).
#[macro_export]
macro_rules! with_model {
    ($m:expr, $v:ident => $body:expr) => {
        match $m {
            $crate::model::AnyModel::Gpu($v) => $body,
            $crate::model::AnyModel::Cpu($v) => $body,
        }
    };
}

impl AnyModel {
    /// Builds `spec` on `engine`'s backend for batches of up to `max_batch`, weights from `seed`.
    /// The platform's limits apply ([`crate::backend::Limits::platform`], and the device's).
    pub fn new(engine: &crate::backend::Engine, spec: &ModelSpec, max_batch: usize, seed: u32) -> Result<AnyModel> {
        AnyModel::with_budget(engine, spec, max_batch, seed, None)
    }

    /// [`AnyModel::new`] with a budget in bytes for all the model's buffers (None: the platform's).
    pub fn with_budget(
        engine: &crate::backend::Engine,
        spec: &ModelSpec,
        max_batch: usize,
        seed: u32,
        budget: Option<u64>,
    ) -> Result<AnyModel> {
        use crate::backend::{cpu::backend::Cpu, gpu::backend::Gpu, Engine};
        Ok(match (engine, budget) {
            (Engine::Gpu(ctx), None) => AnyModel::Gpu(Model::new(Gpu::new(ctx.clone()), spec, max_batch, seed)?),
            (Engine::Gpu(ctx), Some(b)) => {
                AnyModel::Gpu(Model::new(Gpu::new(ctx.clone()).with_budget(b), spec, max_batch, seed)?)
            }
            (Engine::Cpu { .. }, None) => AnyModel::Cpu(Model::new(Cpu::new(), spec, max_batch, seed)?),
            (Engine::Cpu { .. }, Some(b)) => AnyModel::Cpu(Model::new(Cpu::with_budget(b), spec, max_batch, seed)?),
        })
    }

    /// [`Model::copy_params_from`] across backends.
    pub async fn copy_params_from(&mut self, other: &AnyModel) -> Result<usize> {
        match (self, other) {
            (AnyModel::Cpu(a), AnyModel::Cpu(b)) => a.copy_params_from(b).await,
            (AnyModel::Cpu(a), AnyModel::Gpu(b)) => a.copy_params_from(b).await,
            (AnyModel::Gpu(a), AnyModel::Cpu(b)) => a.copy_params_from(b).await,
            (AnyModel::Gpu(a), AnyModel::Gpu(b)) => a.copy_params_from(b).await,
        }
    }
}

/// The spec parser refuses a model without layers, so this is only reached through a bug.
fn no_layers() -> Error {
    Error::Invalid("the model has no layers; a spec needs at least one layer".into())
}
